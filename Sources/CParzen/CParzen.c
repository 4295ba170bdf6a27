// The continuous terms of a Parzen mixture's kernels at one point, with kernels dropped as soon as their running sum
// falls below a cutoff. The same loop is compiled for SSE2 (the x86-64 baseline), AVX2 and AVX-512 and chosen at run
// time; every variant performs the same IEEE operations in the same order on each kernel (no fused multiply-add), so
// their results are identical bit for bit.

#include "CParzen.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define CPARZEN_X86 1
#endif

// Each product and difference is rounded on its own: a fused multiply-add would change the last bits.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

int cparzen_supports(cparzen_isa isa) {
    switch (isa) {
    case CPARZEN_SCALAR:
        return 1;
#ifdef CPARZEN_X86
    case CPARZEN_SSE2:
        return 1;
    case CPARZEN_AVX2:
        return __builtin_cpu_supports("avx2");
    case CPARZEN_AVX512:
        return __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}

cparzen_isa cparzen_best_isa(void) {
    if (cparzen_supports(CPARZEN_AVX512)) {
        return CPARZEN_AVX512;
    }
    if (cparzen_supports(CPARZEN_AVX2)) {
        return CPARZEN_AVX2;
    }
    if (cparzen_supports(CPARZEN_SSE2)) {
        return CPARZEN_SSE2;
    }
    return CPARZEN_SCALAR;
}

/// Kernels are scored in chunks of at most this many: their running sums stay in the first-level cache.
#define CHUNK 256
/// Room for a vector store past the last entry of a chunk's lists.
#define SLACK 8

/// One kernel's term on axis c added to its running sum.
static inline __attribute__((always_inline)) double axis_step(double sum, double point, double centre,
                                                              double inverse_sigma) {
    double z = (point - centre) * inverse_sigma;
    double h = 0.5 * z;
    return sum - h * z;
}

/// The axes from `c` on for the kernels idx[0..<n] with running sums val[0..<n], one axis at a time, keeping the
/// kernels whose sum stays ≥ cutoff (compacted in place, order kept). Returns how many are left.
static inline __attribute__((always_inline)) size_t sparse_axes(const cparzen_kernels *kernels, const double *point,
                                                                size_t c, double cutoff, int32_t *idx, double *val,
                                                                size_t n) {
    for (; c < kernels->axes && n > 0; c++) {
        const double *m = kernels->centres[c];
        const double *v = kernels->inverse_sigma[c];
        const double p = point[c];
        size_t out = 0;
        for (size_t i = 0; i < n; i++) {
            const int32_t k = idx[i];
            const double s = axis_step(val[i], p, m[k], v[k]);
            idx[out] = k;
            val[out] = s;
            out += s >= cutoff;
        }
        n = out;
    }
    return n;
}

/// Writes the kept kernels' sums into `row` and their indices to `kept`.
static inline __attribute__((always_inline)) size_t emit(const int32_t *idx, const double *val, size_t n, double *row,
                                                         int32_t *kept) {
    for (size_t i = 0; i < n; i++) {
        row[idx[i]] = val[i];
        kept[i] = idx[i];
    }
    return n;
}

/// Scalar lanes [i, len) of a chunk starting at kernel k0: one axis of the dense pass; returns the lanes kept.
static inline __attribute__((always_inline)) size_t dense_tail(const double *src, double *sums, const double *m,
                                                               const double *v, double p, double cutoff, size_t i,
                                                               size_t len) {
    size_t alive = 0;
    for (; i < len; i++) {
        const double s = axis_step(src[i], p, m[i], v[i]);
        sums[i] = s;
        alive += s >= cutoff;
    }
    return alive;
}

/// Compacts lanes [i, len) of `sums` (kernel k0 + lane) into idx/val from position n.
static inline __attribute__((always_inline)) size_t compact_tail(const double *sums, size_t k0, double cutoff,
                                                                 size_t i, size_t len, int32_t *idx, double *val,
                                                                 size_t n) {
    for (; i < len; i++) {
        idx[n] = (int32_t)(k0 + i);
        val[n] = sums[i];
        n += sums[i] >= cutoff;
    }
    return n;
}

// The chunk loop of every variant: axes are applied to the whole chunk, vector by vector, while at least one kernel
// in SPARSE of the chunk is still above the cutoff (an axis of the chunk costs about as much as one of that many
// kernels alone); then the survivors are compacted and the remaining axes applied to them alone. Either way each
// kernel's sum is formed by the same operations in the same order.
#define CHUNK_LOOP(SPARSE, DENSE_AXIS, COMPACT)                                                                               \
    size_t out = 0;                                                                                                    \
    for (size_t k0 = start; k0 < end; k0 += CHUNK) {                                                                   \
        const size_t len = end - k0 < CHUNK ? end - k0 : CHUNK;                                                        \
        size_t c = 0;                                                                                                  \
        size_t alive = len;                                                                                            \
        for (; c < axes;) {                                                                                            \
            const double *src = c == 0 ? kernels->base + k0 : sums;                                                    \
            const double *m = kernels->centres[c] + k0;                                                                \
            const double *v = kernels->inverse_sigma[c] + k0;                                                          \
            const double p = point[c];                                                                                 \
            DENSE_AXIS                                                                                                 \
            c++;                                                                                                       \
            if (alive == 0 || alive * (SPARSE) < len) {                                                                       \
                break;                                                                                                 \
            }                                                                                                          \
        }                                                                                                              \
        if (alive == 0) {                                                                                              \
            continue;                                                                                                  \
        }                                                                                                              \
        size_t n = 0;                                                                                                  \
        COMPACT                                                                                                        \
        n = sparse_axes(kernels, point, c, cutoff, idx, val, n);                                                       \
        out += emit(idx, val, n, row, kept + out);                                                                     \
    }                                                                                                                  \
    return out;

#ifdef CPARZEN_X86

static size_t terms_sse2(const cparzen_kernels *kernels, const double *point, size_t start, size_t end,
                         double cutoff, double *row, int32_t *kept) {
    const size_t axes = kernels->axes;
    double sums[CHUNK] __attribute__((aligned(64)));
    int32_t idx[CHUNK + SLACK];
    double val[CHUNK + SLACK];
    const __m128d half = _mm_set1_pd(0.5);
    const __m128d cut = _mm_set1_pd(cutoff);
    CHUNK_LOOP(
        3,
        {
            const __m128d pv = _mm_set1_pd(p);
            const size_t vectors = len & ~(size_t)1;
            size_t count = 0;
            for (size_t i = 0; i < vectors; i += 2) {
                __m128d z = _mm_mul_pd(_mm_sub_pd(pv, _mm_loadu_pd(m + i)), _mm_loadu_pd(v + i));
                __m128d s = _mm_sub_pd(_mm_loadu_pd(src + i), _mm_mul_pd(_mm_mul_pd(half, z), z));
                _mm_store_pd(sums + i, s);
                count += (size_t)__builtin_popcount((unsigned)_mm_movemask_pd(_mm_cmpge_pd(s, cut)));
            }
            alive = count + dense_tail(src, sums, m, v, p, cutoff, vectors, len);
        },
        { n = compact_tail(sums, k0, cutoff, 0, len, idx, val, 0); })
}

__attribute__((target("avx2"))) static size_t terms_avx2(const cparzen_kernels *kernels, const double *point,
                                                         size_t start, size_t end, double cutoff, double *row,
                                                         int32_t *kept) {
    const size_t axes = kernels->axes;
    double sums[CHUNK] __attribute__((aligned(64)));
    int32_t idx[CHUNK + SLACK];
    double val[CHUNK + SLACK];
    const __m256d half = _mm256_set1_pd(0.5);
    const __m256d cut = _mm256_set1_pd(cutoff);
    // For each 4-bit mask of kept lanes: the 32-bit lanes that move the kept doubles to the front.
    static const int32_t permutation[16][8] = {
        {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, {2, 3, 0, 1, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
        {4, 5, 0, 1, 2, 3, 6, 7}, {0, 1, 4, 5, 2, 3, 6, 7}, {2, 3, 4, 5, 0, 1, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
        {6, 7, 0, 1, 2, 3, 4, 5}, {0, 1, 6, 7, 2, 3, 4, 5}, {2, 3, 6, 7, 0, 1, 4, 5}, {0, 1, 2, 3, 6, 7, 4, 5},
        {4, 5, 6, 7, 0, 1, 2, 3}, {0, 1, 4, 5, 6, 7, 2, 3}, {2, 3, 4, 5, 6, 7, 0, 1}, {0, 1, 2, 3, 4, 5, 6, 7},
    };
    CHUNK_LOOP(
        5,
        {
            const __m256d pv = _mm256_set1_pd(p);
            const size_t vectors = len & ~(size_t)3;
            size_t count = 0;
            for (size_t i = 0; i < vectors; i += 4) {
                __m256d z = _mm256_mul_pd(_mm256_sub_pd(pv, _mm256_loadu_pd(m + i)), _mm256_loadu_pd(v + i));
                __m256d s = _mm256_sub_pd(_mm256_loadu_pd(src + i), _mm256_mul_pd(_mm256_mul_pd(half, z), z));
                _mm256_store_pd(sums + i, s);
                count += (size_t)__builtin_popcount((unsigned)_mm256_movemask_pd(_mm256_cmp_pd(s, cut, _CMP_GE_OQ)));
            }
            alive = count + dense_tail(src, sums, m, v, p, cutoff, vectors, len);
        },
        {
            const size_t vectors = len & ~(size_t)3;
            size_t i = 0;
            for (; i < vectors; i += 4) {
                const __m256d s = _mm256_load_pd(sums + i);
                const unsigned mask = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(s, cut, _CMP_GE_OQ));
                const __m256i order = _mm256_loadu_si256((const __m256i *)permutation[mask]);
                _mm256_storeu_pd(val + n,
                                 _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(s), order)));
                const __m256i lanes = _mm256_add_epi64(_mm256_set1_epi64x((long long)(k0 + i)),
                                                       _mm256_set_epi64x(3, 2, 1, 0));
                const __m256i moved = _mm256_permutevar8x32_epi32(lanes, order);
                // The low 32 bits of each 64-bit lane, packed into four 32-bit indices.
                const __m256i packed =
                    _mm256_permutevar8x32_epi32(moved, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
                _mm_storeu_si128((__m128i *)(idx + n), _mm256_castsi256_si128(packed));
                n += (size_t)__builtin_popcount(mask);
            }
            n = compact_tail(sums, k0, cutoff, i, len, idx, val, n);
        })
}

__attribute__((target("avx512f"))) static size_t terms_avx512(const cparzen_kernels *kernels, const double *point,
                                                              size_t start, size_t end, double cutoff, double *row,
                                                              int32_t *kept) {
    const size_t axes = kernels->axes;
    double sums[CHUNK] __attribute__((aligned(64)));
    int32_t idx[CHUNK + SLACK];
    double val[CHUNK + SLACK];
    const __m512d half = _mm512_set1_pd(0.5);
    const __m512d cut = _mm512_set1_pd(cutoff);
    CHUNK_LOOP(
        10,
        {
            const __m512d pv = _mm512_set1_pd(p);
            const size_t vectors = len & ~(size_t)7;
            size_t count = 0;
            for (size_t i = 0; i < vectors; i += 8) {
                __m512d z = _mm512_mul_pd(_mm512_sub_pd(pv, _mm512_loadu_pd(m + i)), _mm512_loadu_pd(v + i));
                __m512d s = _mm512_sub_pd(_mm512_loadu_pd(src + i), _mm512_mul_pd(_mm512_mul_pd(half, z), z));
                _mm512_store_pd(sums + i, s);
                count += (size_t)__builtin_popcount((unsigned)_mm512_cmp_pd_mask(s, cut, _CMP_GE_OQ));
            }
            alive = count + dense_tail(src, sums, m, v, p, cutoff, vectors, len);
        },
        {
            const size_t vectors = len & ~(size_t)7;
            const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
            size_t i = 0;
            for (; i < vectors; i += 8) {
                const __m512d s = _mm512_load_pd(sums + i);
                const __mmask8 mask = _mm512_cmp_pd_mask(s, cut, _CMP_GE_OQ);
                _mm512_storeu_pd(val + n, _mm512_maskz_compress_pd(mask, s));
                const __m512i lanes = _mm512_add_epi64(_mm512_set1_epi64((long long)(k0 + i)), lane);
                _mm256_storeu_si256((__m256i *)(idx + n),
                                    _mm512_cvtepi64_epi32(_mm512_maskz_compress_epi64(mask, lanes)));
                n += (size_t)__builtin_popcount((unsigned)mask);
            }
            n = compact_tail(sums, k0, cutoff, i, len, idx, val, n);
        })
}

#endif

/// The same loop without vectors (other architectures).
static size_t terms_scalar(const cparzen_kernels *kernels, const double *point, size_t start, size_t end,
                           double cutoff, double *row, int32_t *kept) {
    const size_t axes = kernels->axes;
    double sums[CHUNK];
    int32_t idx[CHUNK + SLACK];
    double val[CHUNK + SLACK];
    CHUNK_LOOP(2, { alive = dense_tail(src, sums, m, v, p, cutoff, 0, len); },
               { n = compact_tail(sums, k0, cutoff, 0, len, idx, val, 0); })
}

size_t cparzen_continuous_terms(cparzen_isa isa, const cparzen_kernels *kernels, const double *point, size_t start,
                                size_t end, double cutoff, double *row, int32_t *kept, int64_t *best) {
    size_t n;
#ifdef CPARZEN_X86
    if (isa == CPARZEN_AVX512 && cparzen_supports(CPARZEN_AVX512)) {
        n = terms_avx512(kernels, point, start, end, cutoff, row, kept);
    } else if (isa == CPARZEN_AVX2 && cparzen_supports(CPARZEN_AVX2)) {
        n = terms_avx2(kernels, point, start, end, cutoff, row, kept);
    } else if (isa == CPARZEN_SSE2) {
        n = terms_sse2(kernels, point, start, end, cutoff, row, kept);
    } else {
        n = terms_scalar(kernels, point, start, end, cutoff, row, kept);
    }
#else
    (void)isa;
    n = terms_scalar(kernels, point, start, end, cutoff, row, kept);
#endif
    int64_t best_kernel = -1;
    double best_sum = 0;
    for (size_t i = 0; i < n; i++) {
        double sum = row[kept[i]];
        if (best_kernel < 0 || sum > best_sum) {
            best_kernel = kept[i];
            best_sum = sum;
        }
    }
    *best = best_kernel;
    return n;
}
