// The continuous terms of a Parzen mixture's kernels at one point, with kernels dropped as soon as their running sum
// falls below a cutoff. The same loop is compiled for SSE2 (the x86-64 baseline), AVX2 and AVX-512 and chosen at run
// time; every variant performs the same IEEE operations in the same order on each kernel (no fused multiply-add), so
// their results are identical bit for bit.

#include "CParzen.h"
#include <math.h>

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

/// The kept kernel with the largest sum so far (the first on ties); kernel −1 while none is kept.
typedef struct {
    int64_t kernel;
    double sum;
} best_kept;

/// Adds the categorical axes' terms to the kept kernels' sums, writes the sums into `row`, and the indices of the
/// kernels still ≥ cutoff to `kept`, updating `best` with them (they come in increasing kernel order). Returns how many
/// are kept. The best kernel is kept in locals meanwhile (`row` could alias `*best`, so the compiler would store and
/// reload it at every kernel).
static inline __attribute__((always_inline)) size_t emit(const cparzen_kernels *kernels, const int32_t *choices,
                                                         double cutoff, const int32_t *idx, const double *val, size_t n,
                                                         double *row, int32_t *kept, best_kept *best) {
    const size_t categorical = kernels->categorical_axes;
    const size_t stride = kernels->kernel_count;
    const int32_t *own_choices = kernels->own_choices;
    const double *logs = kernels->logs;
    int64_t best_kernel = best->kernel;
    double best_sum = best->sum;
    size_t out = 0;
#define KEEP(k, sum)                                                                                                   \
    kept[out++] = (k);                                                                                                 \
    if (best_kernel < 0 || (sum) > best_sum) {                                                                         \
        best_kernel = (k);                                                                                             \
        best_sum = (sum);                                                                                              \
    }
    if (categorical == 0) {
        for (size_t i = 0; i < n; i++) {
            const int32_t k = idx[i];
            const double sum = val[i];
            row[k] = sum;
            KEEP(k, sum)
        }
    } else if (categorical == 1) {
        const int32_t choice = choices[0];
        for (size_t i = 0; i < n; i++) {
            const int32_t k = idx[i];
            const int32_t own = own_choices[k];
            // The term by an index (hit 0, miss 1, uniform 2) rather than by branches: whether a kernel's choice
            // is the point's is not predictable.
            const double sum = val[i] + logs[own < 0 ? 2 : (own != choice)];
            row[k] = sum;
            if (!(sum >= cutoff)) {
                continue;
            }
            KEEP(k, sum)
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const int32_t k = idx[i];
            double sum = val[i];
            for (size_t a = 0; a < categorical; a++) {
                const int32_t own = own_choices[a * stride + (size_t)k];
                const double *axis = logs + 3 * a;
                sum = sum + axis[own < 0 ? 2 : (own != choices[a])];
            }
            row[k] = sum;
            if (!(sum >= cutoff)) {
                continue;
            }
            KEEP(k, sum)
        }
    }
#undef KEEP
    best->kernel = best_kernel;
    best->sum = best_sum;
    return out;
}

/// Scalar lanes [i, len) of a chunk: one axis of the dense pass (two with `pair`); returns how many are kept.
static inline __attribute__((always_inline)) size_t dense_tail(const double *src, double *sums, const double *m,
                                                               const double *v, double p, int pair, const double *m2,
                                                               const double *v2, double p2, double cutoff, size_t i,
                                                               size_t len) {
    size_t kept = 0;
    for (; i < len; i++) {
        double s = axis_step(src[i], p, m[i], v[i]);
        if (pair) {
            s = axis_step(s, p2, m2[i], v2[i]);
        }
        sums[i] = s;
        kept += s >= cutoff;
    }
    return kept;
}

/// Sets in the chunk's bit set the lanes [i, len) whose sum is ≥ cutoff.
static inline __attribute__((always_inline)) void tail_bits(const double *sums, size_t i, size_t len, double cutoff,
                                                            uint64_t *bits) {
    for (; i < len; i++) {
        bits[i / 64] |= (uint64_t)(sums[i] >= cutoff) << (i % 64);
    }
}

/// The lanes whose bit is set (kernel k0 + lane, sum sums[lane]) into idx/val, in order.
static inline __attribute__((always_inline)) size_t compact(const uint64_t *bits, const double *sums, size_t k0,
                                                            int32_t *idx, double *val) {
    size_t n = 0;
    for (size_t w = 0; w < CHUNK / 64; w++) {
        for (uint64_t b = bits[w]; b; b &= b - 1) {
            const size_t lane = w * 64 + (size_t)__builtin_ctzll(b);
            idx[n] = (int32_t)(k0 + lane);
            val[n] = sums[lane];
            n++;
        }
    }
    return n;
}

// The chunk loop of every variant: the first two axes are applied to the whole chunk, vector by vector; while at
// least one kernel in SPARSE of the chunk is still above the cutoff (an axis of the chunk costs about as much as one of
// that many kernels alone), the remaining axes are applied to the whole chunk too, each vector's sums kept in
// registers from one axis to the next; otherwise the survivors are listed and the remaining axes applied to them
// alone. Either way each kernel's sum is formed by the same operations in the same order. DENSE_PASS (the first
// axes) and REST_PASS (axes c.. on) add to `alive` the number of lanes [0, vectors) whose sum is ≥ cutoff after the
// pass (the lanes after them take the same steps one at a time); MASK_PASS sets their bits in `bits` (the kernels to
// list, once the dense passes are over). DENSE_EMIT, when every axis went through the dense passes and there is at
// most one categorical axis, may finish the whole chunk from `sums` (adding `out` kernels and going on to the next
// chunk) as emit would from its survivors; when it is empty, they are listed for emit.
#define CHUNK_LOOP(SPARSE, WIDTH, DENSE_PASS, REST_PASS, MASK_PASS, DENSE_EMIT)                                        \
    double sums[CHUNK] __attribute__((aligned(64)));                                                                   \
    int32_t idx[CHUNK];                                                                                                \
    double val[CHUNK];                                                                                                 \
    size_t out = 0;                                                                                                    \
    for (size_t k0 = start; k0 < end; k0 += CHUNK) {                                                                   \
        const size_t len = end - k0 < CHUNK ? end - k0 : CHUNK;                                                        \
        const size_t vectors = len / (WIDTH) * (WIDTH);                                                                \
        uint64_t bits[CHUNK / 64];                                                                                     \
        size_t alive = 0;                                                                                              \
        if (axes == 0) {                                                                                               \
            for (size_t i = 0; i < len; i++) {                                                                         \
                sums[i] = kernels->base[k0 + i];                                                                       \
                alive += sums[i] >= cutoff;                                                                            \
            }                                                                                                          \
        } else {                                                                                                       \
            const double *src = kernels->base + k0;                                                                    \
            const double *m = kernels->centres[0] + k0;                                                                \
            const double *v = kernels->inverse_sigma[0] + k0;                                                          \
            const double p = point[0];                                                                                 \
            /* Two axes at once when there are two (the sums stay in registers between them). */                     \
            const int pair = axes >= 2;                                                                                \
            const double *m2 = kernels->centres[pair ? 1 : 0] + k0;                                                    \
            const double *v2 = kernels->inverse_sigma[pair ? 1 : 0] + k0;                                              \
            const double p2 = point[pair ? 1 : 0];                                                                     \
            DENSE_PASS                                                                                                 \
            alive += dense_tail(src, sums, m, v, p, pair, m2, v2, p2, cutoff, vectors, len);                           \
        }                                                                                                              \
        size_t c = axes >= 2 ? 2 : axes;                                                                               \
        if (c < axes && alive != 0 && alive * (SPARSE) >= len) {                                                       \
            alive = 0;                                                                                                 \
            REST_PASS                                                                                                  \
            REST_LANES(1, vectors, len)                                                                                \
            c = axes;                                                                                                  \
        }                                                                                                              \
        if (alive == 0) {                                                                                              \
            continue;                                                                                                  \
        }                                                                                                              \
        if (c >= axes && kernels->categorical_axes <= 1) {                                                             \
            DENSE_EMIT                                                                                                 \
        }                                                                                                              \
        for (size_t w = 0; w < CHUNK / 64; w++) {                                                                      \
            bits[w] = 0;                                                                                               \
        }                                                                                                              \
        MASK_PASS                                                                                                      \
        tail_bits(sums, vectors, len, cutoff, bits);                                                                   \
        size_t n = compact(bits, sums, k0, idx, val);                                                                  \
        n = sparse_axes(kernels, point, c, cutoff, idx, val, n);                                                       \
        out += emit(kernels, choices, cutoff, idx, val, n, row, kept + out, best);                                     \
    }                                                                                                                  \
    return out;

/// Axes c.. on for the lanes [FROM, TO) of a chunk, W at a time (TO − FROM a multiple of W), each group's sums in
/// registers from one axis to the next, with the operations of axis_step lane by lane; adds to `alive` the lanes whose
/// sum is ≥ cutoff. With PAIR (a constant) a second point's sums SUMS1 at POINT1 take the same steps beside them, each
/// kernel constant loaded once for both, and ALIVE1 counts its lanes ≥ CUTOFF1.
#define REST_LANES_OF(W, FROM, TO, PAIR, SUMS1, POINT1, CUTOFF1, ALIVE1)                                               \
    {                                                                                                                  \
        typedef double rest_d __attribute__((ext_vector_type(W)));                                                     \
        typedef int64_t rest_i __attribute__((ext_vector_type(W)));                                                    \
        rest_i kept_lanes = 0;                                                                                         \
        rest_i kept_lanes1 = 0;                                                                                        \
        for (size_t i = (FROM); i < (TO); i += (W)) {                                                                  \
            rest_d s;                                                                                                  \
            rest_d s1 = 0;                                                                                             \
            __builtin_memcpy(&s, sums + i, sizeof s);                                                                  \
            if (PAIR) {                                                                                                \
                __builtin_memcpy(&s1, (SUMS1) + i, sizeof s1);                                                         \
            }                                                                                                          \
            for (size_t a = c; a < axes; a++) {                                                                        \
                rest_d centre;                                                                                         \
                rest_d inverse_sigma;                                                                                  \
                __builtin_memcpy(&centre, kernels->centres[a] + k0 + i, sizeof centre);                                \
                __builtin_memcpy(&inverse_sigma, kernels->inverse_sigma[a] + k0 + i, sizeof inverse_sigma);            \
                const rest_d z = ((rest_d)point[a] - centre) * inverse_sigma;                                          \
                s = s - (0.5 * z) * z;                                                                                 \
                if (PAIR) {                                                                                            \
                    const rest_d z1 = ((rest_d)(POINT1)[a] - centre) * inverse_sigma;                                  \
                    s1 = s1 - (0.5 * z1) * z1;                                                                         \
                }                                                                                                      \
            }                                                                                                          \
            __builtin_memcpy(sums + i, &s, sizeof s);                                                                  \
            kept_lanes -= (rest_i)(s >= cutoff);                                                                       \
            if (PAIR) {                                                                                                \
                __builtin_memcpy((SUMS1) + i, &s1, sizeof s1);                                                         \
                kept_lanes1 -= (rest_i)(s1 >= (CUTOFF1));                                                              \
            }                                                                                                          \
        }                                                                                                              \
        alive += (size_t)__builtin_reduce_add(kept_lanes);                                                             \
        if (PAIR) {                                                                                                    \
            ALIVE1 += (size_t)__builtin_reduce_add(kept_lanes1);                                                       \
        }                                                                                                              \
    }

/// REST_LANES_OF for one point.
#define REST_LANES(W, FROM, TO) REST_LANES_OF(W, FROM, TO, 0, sums, point, cutoff, alive)

/// REST_LANES_OF for the points of a pair (`sums`/`point`/`cutoff`/`alive` and the same with 1).
#define REST_LANES_PAIR(W, FROM, TO) REST_LANES_OF(W, FROM, TO, 1, sums1, point1, cutoff1, alive1)

/// REST_PASS for vectors of W lanes: four vectors at a time (four independent chains of additions per axis), then
/// the vectors left one at a time.
#define REST_PASS_VECTORS(W)                                                                                           \
    {                                                                                                                  \
        const size_t grouped = vectors / (4 * (W)) * (4 * (W));                                                        \
        REST_LANES(4 * (W), 0, grouped)                                                                                \
        REST_LANES(W, grouped, vectors)                                                                                \
    }

/// Sets the bits of `mask` (one per lane of the vector at lane i) in the chunk's bit set.
#define SET_BITS(mask, i) bits[(i) / 64] |= (uint64_t)(mask) << ((i) % 64)

/// Counts the lanes set in `mask` (one bit per lane of a vector) as kept.
#define COUNT_KEPT(mask) alive += (size_t)__builtin_popcount((unsigned)(mask))

#ifdef CPARZEN_X86

static size_t terms_sse2(const cparzen_kernels *kernels, const double *point, const int32_t *choices,
                         size_t start, size_t end, double cutoff, double *row, int32_t *kept, best_kept *best) {
    const size_t axes = kernels->axes;
    const __m128d half = _mm_set1_pd(0.5);
    const __m128d cut = _mm_set1_pd(cutoff);
    CHUNK_LOOP(3, 2, {
        const __m128d pv = _mm_set1_pd(p);
        const __m128d pv2 = _mm_set1_pd(p2);
        for (size_t i = 0; i < vectors; i += 2) {
            __m128d z = _mm_mul_pd(_mm_sub_pd(pv, _mm_loadu_pd(m + i)), _mm_loadu_pd(v + i));
            __m128d s = _mm_sub_pd(_mm_loadu_pd(src + i), _mm_mul_pd(_mm_mul_pd(half, z), z));
            if (pair) {
                z = _mm_mul_pd(_mm_sub_pd(pv2, _mm_loadu_pd(m2 + i)), _mm_loadu_pd(v2 + i));
                s = _mm_sub_pd(s, _mm_mul_pd(_mm_mul_pd(half, z), z));
            }
            _mm_store_pd(sums + i, s);
            COUNT_KEPT(_mm_movemask_pd(_mm_cmpge_pd(s, cut)));
        }
    }, REST_PASS_VECTORS(2), {
        for (size_t i = 0; i < vectors; i += 2) {
            SET_BITS(_mm_movemask_pd(_mm_cmpge_pd(_mm_load_pd(sums + i), cut)), i);
        }
    }, {})
}

__attribute__((target("avx2"))) static size_t terms_avx2(const cparzen_kernels *kernels, const double *point,
                                                         const int32_t *choices, size_t start, size_t end,
                                                         double cutoff, double *row, int32_t *kept, best_kept *best) {
    const size_t axes = kernels->axes;
    const __m256d half = _mm256_set1_pd(0.5);
    const __m256d cut = _mm256_set1_pd(cutoff);
    CHUNK_LOOP(5, 4, {
        const __m256d pv = _mm256_set1_pd(p);
        const __m256d pv2 = _mm256_set1_pd(p2);
        for (size_t i = 0; i < vectors; i += 4) {
            __m256d z = _mm256_mul_pd(_mm256_sub_pd(pv, _mm256_loadu_pd(m + i)), _mm256_loadu_pd(v + i));
            __m256d s = _mm256_sub_pd(_mm256_loadu_pd(src + i), _mm256_mul_pd(_mm256_mul_pd(half, z), z));
            if (pair) {
                z = _mm256_mul_pd(_mm256_sub_pd(pv2, _mm256_loadu_pd(m2 + i)), _mm256_loadu_pd(v2 + i));
                s = _mm256_sub_pd(s, _mm256_mul_pd(_mm256_mul_pd(half, z), z));
            }
            _mm256_store_pd(sums + i, s);
            COUNT_KEPT(_mm256_movemask_pd(_mm256_cmp_pd(s, cut, _CMP_GE_OQ)));
        }
    }, REST_PASS_VECTORS(4), {
        for (size_t i = 0; i < vectors; i += 4) {
            SET_BITS(_mm256_movemask_pd(_mm256_cmp_pd(_mm256_load_pd(sums + i), cut, _CMP_GE_OQ)), i);
        }
    }, {})
}

/// Merges each of eight lanes' best kept kernel (kernel −1: none) into (*kernel, *sum) (*kernel −1: none): the largest
/// sum wins, the smaller kernel on ties. The kernel already held, if any, comes before every lane's.
__attribute__((target("avx512f"))) static inline void merge_lane_best(__m512d lane_sum, __m512i lane_kernel,
                                                                      int64_t *kernel, double *sum) {
    double sum_of[8];
    int64_t kernel_of[8];
    _mm512_storeu_pd(sum_of, lane_sum);
    _mm512_storeu_si512(kernel_of, lane_kernel);
    for (int l = 0; l < 8; l++) {
        if (kernel_of[l] >= 0 &&
            (*kernel < 0 || sum_of[l] > *sum || (sum_of[l] == *sum && kernel_of[l] < *kernel))) {
            *kernel = kernel_of[l];
            *sum = sum_of[l];
        }
    }
}

/// emit for a whole chunk whose continuous axes are all applied (sums[i] is kernel k0 + i's sum), with at most one
/// categorical axis, eight kernels at a time: the categorical term is added, the sum written to the row, the kernels
/// ≥ cutoff appended to `kept` in order, and each lane keeps its best kept kernel (the first on ties), the lanes' best
/// then merged into `best` in kernel order. The last len mod 8 kernels go through emit.
__attribute__((target("avx512f"))) static size_t emit_dense_avx512(const cparzen_kernels *kernels,
                                                                   const int32_t *choices, double cutoff,
                                                                   const double *sums, size_t k0, size_t len,
                                                                   double *row, int32_t *kept, best_kept *best) {
    const int categorical = kernels->categorical_axes == 1;
    const size_t vectors = len / 8 * 8;
    const __m512d cut = _mm512_set1_pd(cutoff);
    const __m512i zero = _mm512_setzero_si512();
    __m512d hit = _mm512_setzero_pd();
    __m512d miss = hit;
    __m512d uniform = hit;
    __m512i choice = zero;
    if (categorical) {
        hit = _mm512_set1_pd(kernels->logs[0]);
        miss = _mm512_set1_pd(kernels->logs[1]);
        uniform = _mm512_set1_pd(kernels->logs[2]);
        choice = _mm512_set1_epi64(choices[0]);
    }
    __m512d lane_sum = _mm512_set1_pd(-INFINITY);
    __m512i lane_kernel = _mm512_set1_epi64(-1);
    __m512i kernel = _mm512_add_epi64(_mm512_set1_epi64((int64_t)k0), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
    const __m512i eight = _mm512_set1_epi64(8);
    size_t out = 0;
    for (size_t i = 0; i < vectors; i += 8) {
        __m512d s = _mm512_load_pd(sums + i);
        if (categorical) {
            const __m512i own =
                _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(kernels->own_choices + k0 + i)));
            const __m512d term = _mm512_mask_blend_pd(_mm512_cmpeq_epi64_mask(own, choice), miss, hit);
            s = _mm512_add_pd(s, _mm512_mask_blend_pd(_mm512_cmplt_epi64_mask(own, zero), term, uniform));
        }
        _mm512_storeu_pd(row + k0 + i, s);
        const __mmask8 keep = _mm512_cmp_pd_mask(s, cut, _CMP_GE_OQ);
        const __m512i indices = _mm512_castsi256_si512(_mm512_cvtepi64_epi32(kernel));
        _mm512_mask_compressstoreu_epi32(kept + out, (__mmask16)keep, indices);
        out += (size_t)__builtin_popcount((unsigned)keep);
        const __mmask8 better =
            _mm512_cmplt_epi64_mask(lane_kernel, zero) | _mm512_cmp_pd_mask(s, lane_sum, _CMP_GT_OQ);
        lane_sum = _mm512_mask_mov_pd(lane_sum, keep & better, s);
        lane_kernel = _mm512_mask_mov_epi64(lane_kernel, keep & better, kernel);
        kernel = _mm512_add_epi64(kernel, eight);
    }
    // The vector lanes hold earlier kernels than the tail.
    merge_lane_best(lane_sum, lane_kernel, &best->kernel, &best->sum);
    int32_t idx[8];
    double val[8];
    size_t n = 0;
    for (size_t i = vectors; i < len; i++) {
        if (sums[i] >= cutoff) {
            idx[n] = (int32_t)(k0 + i);
            val[n] = sums[i];
            n++;
        }
    }
    return out + emit(kernels, choices, cutoff, idx, val, n, row, kept + out, best);
}

__attribute__((target("avx512f"))) static size_t terms_avx512(const cparzen_kernels *kernels, const double *point,
                                                              const int32_t *choices, size_t start, size_t end,
                                                              double cutoff, double *row, int32_t *kept,
                                                              best_kept *best) {
    const size_t axes = kernels->axes;
    const __m512d half = _mm512_set1_pd(0.5);
    const __m512d cut = _mm512_set1_pd(cutoff);
    CHUNK_LOOP(10, 8, {
        const __m512d pv = _mm512_set1_pd(p);
        const __m512d pv2 = _mm512_set1_pd(p2);
        for (size_t i = 0; i < vectors; i += 8) {
            __m512d z = _mm512_mul_pd(_mm512_sub_pd(pv, _mm512_loadu_pd(m + i)), _mm512_loadu_pd(v + i));
            __m512d s = _mm512_sub_pd(_mm512_loadu_pd(src + i), _mm512_mul_pd(_mm512_mul_pd(half, z), z));
            if (pair) {
                z = _mm512_mul_pd(_mm512_sub_pd(pv2, _mm512_loadu_pd(m2 + i)), _mm512_loadu_pd(v2 + i));
                s = _mm512_sub_pd(s, _mm512_mul_pd(_mm512_mul_pd(half, z), z));
            }
            _mm512_store_pd(sums + i, s);
            COUNT_KEPT(_mm512_cmp_pd_mask(s, cut, _CMP_GE_OQ));
        }
    }, REST_PASS_VECTORS(8), {
        for (size_t i = 0; i < vectors; i += 8) {
            SET_BITS(_mm512_cmp_pd_mask(_mm512_load_pd(sums + i), cut, _CMP_GE_OQ), i);
        }
    }, {
        out += emit_dense_avx512(kernels, choices, cutoff, sums, k0, len, row, kept + out, best);
        continue;
    })
}


/// The end of a chunk for one point of a pair, once its dense passes are done (axes before `c` applied to every lane,
/// `alive` lanes ≥ cutoff): as in CHUNK_LOOP, the whole chunk is emitted from `sums` when every axis went through the
/// dense passes and there is at most one categorical axis; otherwise the survivors are listed, take the remaining
/// axes, and are emitted. Returns the number of kernels kept.
__attribute__((target("avx512f"))) static inline size_t finish_chunk_avx512(
    const cparzen_kernels *kernels, const double *point, const int32_t *choices, double cutoff, const double *sums,
    size_t k0, size_t len, size_t c, size_t alive, double *row, int32_t *kept, best_kept *best) {
    if (alive == 0) {
        return 0;
    }
    if (c >= kernels->axes && kernels->categorical_axes <= 1) {
        return emit_dense_avx512(kernels, choices, cutoff, sums, k0, len, row, kept, best);
    }
    const size_t vectors = len / 8 * 8;
    const __m512d cut = _mm512_set1_pd(cutoff);
    uint64_t bits[CHUNK / 64] = {0};
    for (size_t i = 0; i < vectors; i += 8) {
        SET_BITS(_mm512_cmp_pd_mask(_mm512_load_pd(sums + i), cut, _CMP_GE_OQ), i);
    }
    tail_bits(sums, vectors, len, cutoff, bits);
    int32_t idx[CHUNK];
    double val[CHUNK];
    size_t n = compact(bits, sums, k0, idx, val);
    n = sparse_axes(kernels, point, c, cutoff, idx, val, n);
    return emit(kernels, choices, cutoff, idx, val, n, row, kept, best);
}

/// The dense pass of terms_avx512 over axes c.. on for one point's chunk (REST_PASS and the lanes after the vectors);
/// returns how many lanes are ≥ cutoff.
__attribute__((target("avx512f"))) static inline size_t rest_avx512(const cparzen_kernels *kernels,
                                                                    const double *point, double cutoff, double *sums,
                                                                    size_t k0, size_t len, size_t c) {
    const size_t axes = kernels->axes;
    const size_t vectors = len / 8 * 8;
    size_t alive = 0;
    REST_PASS_VECTORS(8)
    REST_LANES(1, vectors, len)
    return alive;
}

/// terms_avx512 for two points at once (at least two continuous axes): the first two axes of a chunk are applied to
/// both points' sums with each kernel constant loaded once, and so are the remaining axes when both points take the
/// dense path; each point's sums take exactly the steps terms_avx512 gives them, so the results are the same bit for
/// bit as two calls.
__attribute__((target("avx512f"))) static void terms_avx512_pair(
    const cparzen_kernels *kernels, const double *point, const double *point1, const int32_t *choices,
    const int32_t *choices1, size_t start, size_t end, double cutoff, double cutoff1, double *row, double *row1,
    int32_t *kept, int32_t *kept1, size_t *count, size_t *count1, best_kept *best, best_kept *best1) {
    const size_t axes = kernels->axes;
    const __m512d half = _mm512_set1_pd(0.5);
    const __m512d cut = _mm512_set1_pd(cutoff);
    const __m512d cut1 = _mm512_set1_pd(cutoff1);
    double sums[CHUNK] __attribute__((aligned(64)));
    double sums1[CHUNK] __attribute__((aligned(64)));
    size_t out = 0;
    size_t out1 = 0;
    for (size_t k0 = start; k0 < end; k0 += CHUNK) {
        const size_t len = end - k0 < CHUNK ? end - k0 : CHUNK;
        const size_t vectors = len / 8 * 8;
        const double *src = kernels->base + k0;
        const double *m = kernels->centres[0] + k0;
        const double *v = kernels->inverse_sigma[0] + k0;
        const double *m2 = kernels->centres[1] + k0;
        const double *v2 = kernels->inverse_sigma[1] + k0;
        const __m512d pv = _mm512_set1_pd(point[0]);
        const __m512d pv2 = _mm512_set1_pd(point[1]);
        const __m512d qv = _mm512_set1_pd(point1[0]);
        const __m512d qv2 = _mm512_set1_pd(point1[1]);
        size_t alive = 0;
        size_t alive1 = 0;
        for (size_t i = 0; i < vectors; i += 8) {
            const __m512d centre = _mm512_loadu_pd(m + i);
            const __m512d inverse_sigma = _mm512_loadu_pd(v + i);
            const __m512d centre2 = _mm512_loadu_pd(m2 + i);
            const __m512d inverse_sigma2 = _mm512_loadu_pd(v2 + i);
            const __m512d base = _mm512_loadu_pd(src + i);
            __m512d z = _mm512_mul_pd(_mm512_sub_pd(pv, centre), inverse_sigma);
            __m512d s = _mm512_sub_pd(base, _mm512_mul_pd(_mm512_mul_pd(half, z), z));
            z = _mm512_mul_pd(_mm512_sub_pd(pv2, centre2), inverse_sigma2);
            s = _mm512_sub_pd(s, _mm512_mul_pd(_mm512_mul_pd(half, z), z));
            __m512d z1 = _mm512_mul_pd(_mm512_sub_pd(qv, centre), inverse_sigma);
            __m512d s1 = _mm512_sub_pd(base, _mm512_mul_pd(_mm512_mul_pd(half, z1), z1));
            z1 = _mm512_mul_pd(_mm512_sub_pd(qv2, centre2), inverse_sigma2);
            s1 = _mm512_sub_pd(s1, _mm512_mul_pd(_mm512_mul_pd(half, z1), z1));
            _mm512_store_pd(sums + i, s);
            _mm512_store_pd(sums1 + i, s1);
            COUNT_KEPT(_mm512_cmp_pd_mask(s, cut, _CMP_GE_OQ));
            alive1 += (size_t)__builtin_popcount((unsigned)_mm512_cmp_pd_mask(s1, cut1, _CMP_GE_OQ));
        }
        alive += dense_tail(src, sums, m, v, point[0], 1, m2, v2, point[1], cutoff, vectors, len);
        alive1 += dense_tail(src, sums1, m, v, point1[0], 1, m2, v2, point1[1], cutoff1, vectors, len);
        size_t c = 2;
        size_t c1 = 2;
        const int dense = c < axes && alive != 0 && alive * 10 >= len;
        const int dense1 = c < axes && alive1 != 0 && alive1 * 10 >= len;
        if (dense && dense1) {
            alive = 0;
            alive1 = 0;
            const size_t grouped = vectors / 32 * 32;
            REST_LANES_PAIR(32, 0, grouped)
            REST_LANES_PAIR(8, grouped, vectors)
            REST_LANES_PAIR(1, vectors, len)
            c = axes;
            c1 = axes;
        } else if (dense) {
            alive = rest_avx512(kernels, point, cutoff, sums, k0, len, c);
            c = axes;
        } else if (dense1) {
            alive1 = rest_avx512(kernels, point1, cutoff1, sums1, k0, len, c1);
            c1 = axes;
        }
        out += finish_chunk_avx512(kernels, point, choices, cutoff, sums, k0, len, c, alive, row, kept + out, best);
        out1 += finish_chunk_avx512(kernels, point1, choices1, cutoff1, sums1, k0, len, c1, alive1, row1,
                                    kept1 + out1, best1);
    }
    *count = out;
    *count1 = out1;
}
#endif

/// The same loop without vectors (other architectures).
static size_t terms_scalar(const cparzen_kernels *kernels, const double *point, const int32_t *choices, size_t start,
                           size_t end, double cutoff, double *row, int32_t *kept, best_kept *best) {
    const size_t axes = kernels->axes;
    // No lane is in a vector: the dense passes are all scalar.
    CHUNK_LOOP(2, CHUNK + 1, {}, {}, {}, {})
}

size_t cparzen_continuous_terms(cparzen_isa isa, const cparzen_kernels *kernels, const double *point,
                                const int32_t *choices, size_t start, size_t end, double cutoff, double *row,
                                int32_t *kept, int64_t *best) {
    size_t n;
    best_kept found = {-1, 0};
#ifdef CPARZEN_X86
    if (isa == CPARZEN_AVX512 && cparzen_supports(CPARZEN_AVX512)) {
        n = terms_avx512(kernels, point, choices, start, end, cutoff, row, kept, &found);
    } else if (isa == CPARZEN_AVX2 && cparzen_supports(CPARZEN_AVX2)) {
        n = terms_avx2(kernels, point, choices, start, end, cutoff, row, kept, &found);
    } else if (isa == CPARZEN_SSE2) {
        n = terms_sse2(kernels, point, choices, start, end, cutoff, row, kept, &found);
    } else {
        n = terms_scalar(kernels, point, choices, start, end, cutoff, row, kept, &found);
    }
#else
    (void)isa;
    n = terms_scalar(kernels, point, choices, start, end, cutoff, row, kept, &found);
#endif
    *best = found.kernel;
    return n;
}

void cparzen_continuous_terms_pair(cparzen_isa isa, const cparzen_kernels *kernels, const double *point,
                                   const double *point1, const int32_t *choices, const int32_t *choices1,
                                   size_t start, size_t end, double cutoff, double cutoff1, double *row, double *row1,
                                   int32_t *kept, int32_t *kept1, size_t *count, size_t *count1, int64_t *best,
                                   int64_t *best1) {
#ifdef CPARZEN_X86
    if (isa == CPARZEN_AVX512 && kernels->axes >= 2 && cparzen_supports(CPARZEN_AVX512)) {
        best_kept found = {-1, 0};
        best_kept found1 = {-1, 0};
        terms_avx512_pair(kernels, point, point1, choices, choices1, start, end, cutoff, cutoff1, row, row1, kept,
                          kept1, count, count1, &found, &found1);
        *best = found.kernel;
        *best1 = found1.kernel;
        return;
    }
#endif
    *count = cparzen_continuous_terms(isa, kernels, point, choices, start, end, cutoff, row, kept, best);
    *count1 = cparzen_continuous_terms(isa, kernels, point1, choices1, start, end, cutoff1, row1, kept1, best1);
}

// ---------------------------------------------------------------------------------------------------------------
/// The variant of a loop written with clang's vector extension to run for `isa`: the AVX-512 or AVX2 one when asked
/// for and supported, else the generic one (CPARZEN_SCALAR: SSE2 code on x86-64, where it is the baseline).
static cparzen_isa extension_variant(cparzen_isa isa) {
#ifdef CPARZEN_X86
    if ((isa == CPARZEN_AVX512 || isa == CPARZEN_AVX2) && cparzen_supports(isa)) {
        return isa;
    }
#else
    (void)isa;
#endif
    return CPARZEN_SCALAR;
}

// The sum of a log-sum-exp, many lanes at a time. Every variant runs the same lane-wise operations (clang's vector
// extension lowers them to AVX-512, AVX2, SSE2 or scalar code), so each lane's value and the final sum are the same
// bit for bit on every instruction set.

/// 32 lanes: four AVX-512 vectors (eight AVX2 ones) go through each step together, hiding the latency of the
/// polynomial's chain of dependent operations.
#define LANES 32
typedef double lanes_d __attribute__((ext_vector_type(LANES)));
typedef int64_t lanes_i __attribute__((ext_vector_type(LANES)));
/// The eight running sums of a sum of exponentials.
typedef double sums_d __attribute__((ext_vector_type(8)));

/// Cody and Waite's split of ln 2: k·LN2_HI is exact for |k| < 2^11.
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
#define LOG2_E 1.44269504088896338700e+00
/// Adding and subtracting 1.5·2^52 rounds a double of magnitude below 2^51 to the nearest integer.
#define ROUNDER 6755399441055744.0
#define ROUNDER_BITS 0x4338000000000000LL

/// The Taylor series of e^r from r^13/13! down to 1 (Horner's rule).
static const double EXP_SERIES[] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                                    1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,      1.0 / 720.0,
                                    1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,         0.5,
                                    1.0,                1.0};

/// e^x in each lane of `x`, x in [−700, 0], into `result`: x = k·ln 2 + r, e^r by Horner's rule on its Taylor series to
/// degree 13 (|r| ≤ ln 2 / 2, so the first term left out is below 2^−57), times 2^k built from its exponent bits. (A
/// macro: a function taking vectors would pass them differently in each instruction set's variant.)
#define EXP_LANES(x, result)                                                                                           \
    do {                                                                                                               \
        const lanes_d t_ = (x) * LOG2_E + ROUNDER;                                                                     \
        const lanes_d k_ = t_ - ROUNDER;                                                                               \
        const lanes_d r_ = ((x) - k_ * LN2_HI) - k_ * LN2_LO;                                                          \
        lanes_d p_ = EXP_SERIES[0];                                                                                    \
        for (size_t j_ = 1; j_ < sizeof EXP_SERIES / sizeof EXP_SERIES[0]; j_++) {                                     \
            p_ = p_ * r_ + EXP_SERIES[j_];                                                                             \
        }                                                                                                              \
        /* t_ is 1.5·2^52 + k exactly, so its bits are those of 1.5·2^52 plus k. */                                   \
        const lanes_i exponent_ = ((lanes_i)t_ - ROUNDER_BITS + 1023) << 52;                                           \
        (result) = p_ * (lanes_d)exponent_;                                                                            \
    } while (0)

// The terms above `negligible` are copied into a buffer a block at a time, their exponentials computed there 32 at a
// time, and the i-th of them (counting from the first kernel) added to the running sum of i mod 8 (each sum takes its
// terms in order). The answer depends only on the sequence of terms summed: two mixtures whose terms are the same
// numbers in the same order get the same bits, whichever kernels hold them, as with one running sum. The eight running
// sums are the lanes of one vector: once the count of terms summed is a multiple of 8, the next eight are added to it
// in one vector addition. COPY_TERMS may copy the terms of the first kernels of a block (advancing `i` and `m`); the
// scalar loop copies the rest.
#define SUM_EXP_BODY(COPY_TERMS, TERM)                                                                                 \
    sums_d sums = 0;                                                                                                   \
    double block[CHUNK + LANES] __attribute__((aligned(64)));                                                          \
    size_t position = 0;                                                                                               \
    for (size_t start = 0; start < count; start += CHUNK) {                                                            \
        const size_t n = count - start < CHUNK ? count - start : CHUNK;                                                \
        const int32_t *kernel = active == NULL ? NULL : active + start;                                                \
        (void)kernel;                                                                                                  \
        size_t m = 0;                                                                                                  \
        size_t i = 0;                                                                                                  \
        COPY_TERMS                                                                                                     \
        for (; i < n; i++) {                                                                                           \
            const double term = TERM;                                                                                  \
            block[m] = term;                                                                                           \
            m += term > negligible;                                                                                    \
        }                                                                                                              \
        const size_t padded = (m + LANES - 1) / LANES * LANES;                                                         \
        for (size_t i = m; i < padded; i++) {                                                                          \
            block[i] = negligible;                                                                                     \
        }                                                                                                              \
        for (size_t i = 0; i < padded; i += LANES) {                                                                   \
            lanes_d t;                                                                                                 \
            __builtin_memcpy(&t, block + i, sizeof t);                                                                 \
            const lanes_i keep = t > negligible;                                                                       \
            const lanes_d x = (lanes_d)((lanes_i)(t - maximum) & keep);                                                \
            lanes_d e;                                                                                                 \
            EXP_LANES(x, e);                                                                                           \
            e = (lanes_d)((lanes_i)e & keep);                                                                          \
            __builtin_memcpy(block + i, &e, sizeof e);                                                                 \
        }                                                                                                              \
        size_t j = 0;                                                                                                  \
        for (; j < m && ((position + j) & 7) != 0; j++) {                                                              \
            sums[(position + j) & 7] += block[j];                                                                      \
        }                                                                                                              \
        for (; j + 8 <= m; j += 8) {                                                                                   \
            sums_d eight;                                                                                              \
            __builtin_memcpy(&eight, block + j, sizeof eight);                                                         \
            sums += eight;                                                                                             \
        }                                                                                                              \
        for (; j < m; j++) {                                                                                           \
            sums[(position + j) & 7] += block[j];                                                                      \
        }                                                                                                              \
        position += m;                                                                                                 \
    }                                                                                                                  \
    return ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));

/// The i-th term of the block: through the list of kernels, or the i-th of `row` itself when there is no list.
#define LISTED_TERM row[kernel[i]]
#define CONTIGUOUS_TERM row[start + i]

#ifdef CPARZEN_X86
/// Eight terms at a time, those above `negligible` stored in order: LOAD gives the eight terms at i.
#define SUM_EXP_COPY_AVX512(LOAD)                                                                                      \
    {                                                                                                                  \
        for (; i + 8 <= n; i += 8) {                                                                                   \
            const __m512d terms = LOAD;                                                                                \
            const __mmask8 counted = _mm512_cmp_pd_mask(terms, floor, _CMP_GT_OQ);                                     \
            _mm512_mask_compressstoreu_pd(block + m, counted, terms);                                                  \
            m += (size_t)__builtin_popcount((unsigned)counted);                                                        \
        }                                                                                                              \
    }

__attribute__((target("avx512f"))) static double sum_exp_avx512(const double *row, const int32_t *active, size_t count,
                                                                double maximum, double negligible) {
    const __m512d floor = _mm512_set1_pd(negligible);
    if (active == NULL) {
        SUM_EXP_BODY(SUM_EXP_COPY_AVX512(_mm512_loadu_pd(row + start + i)), CONTIGUOUS_TERM)
    }
    // The listed kernels' terms are gathered.
    SUM_EXP_BODY(SUM_EXP_COPY_AVX512(_mm512_i32gather_pd(_mm256_loadu_si256((const __m256i *)(kernel + i)), row, 8)),
                 LISTED_TERM)
}

__attribute__((target("avx2"))) static double sum_exp_avx2(const double *row, const int32_t *active, size_t count,
                                                           double maximum, double negligible) {
    if (active == NULL) {
        SUM_EXP_BODY({}, CONTIGUOUS_TERM)
    }
    SUM_EXP_BODY({}, LISTED_TERM)
}
#endif

static double sum_exp_generic(const double *row, const int32_t *active, size_t count, double maximum,
                              double negligible) {
    if (active == NULL) {
        SUM_EXP_BODY({}, CONTIGUOUS_TERM)
    }
    SUM_EXP_BODY({}, LISTED_TERM)
}

double cparzen_sum_exp(cparzen_isa isa, const double *row, const int32_t *active, size_t count, double maximum,
                       double negligible) {
    switch (extension_variant(isa)) {
#ifdef CPARZEN_X86
    case CPARZEN_AVX512:
        return sum_exp_avx512(row, active, count, maximum, negligible);
    case CPARZEN_AVX2:
        return sum_exp_avx2(row, active, count, maximum, negligible);
#endif
    default:
        return sum_exp_generic(row, active, count, maximum, negligible);
    }
}

double cparzen_exp(double x) {
    const lanes_d v = x;
    lanes_d e;
    EXP_LANES(v, e);
    return e[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Logarithms of an array, eight at a time, with the same lane-wise operations on every instruction set.

typedef double log_d __attribute__((ext_vector_type(8)));
typedef int64_t log_i __attribute__((ext_vector_type(8)));

#define SQRT_2 1.41421356237309514547e+00
#define MANTISSA_BITS 0x000fffffffffffffLL
#define ONE_BITS 0x3ff0000000000000LL

/// The coefficients 2/23, 2/21, …, 2/3 of log m's series in s, as a polynomial in z = s² (Horner's rule).
static const double LOG_SERIES[] = {2.0 / 23.0, 2.0 / 21.0, 2.0 / 19.0, 2.0 / 17.0, 2.0 / 15.0, 2.0 / 13.0,
                                    2.0 / 11.0, 2.0 / 9.0,  2.0 / 7.0,  2.0 / 5.0,  2.0 / 3.0};

/// log of each lane of `x` (positive normal numbers) into `result`: x = 2^e·m with m ∈ [√½, √2), f = m − 1 and
/// s = f/(2 + f), so log m = 2s + 2s³/3 + 2s⁵/5 + … = f − s·(f − R) with R = z·(2/3 + z·(2/5 + … + z·2/23)), z = s²
/// (|s| ≤ 0.172: the first term left out is below 2^−64 of the result); then e·ln 2 is added in two parts.
#define LOG_LANES(x, result)                                                                                           \
    do {                                                                                                               \
        const log_i bits_ = (log_i)(x);                                                                                \
        log_i e_ = ((bits_ >> 52) & 0x7ff) - 1023;                                                                     \
        log_d m_ = (log_d)((bits_ & MANTISSA_BITS) | ONE_BITS);                                                        \
        const log_i high_ = m_ > SQRT_2;                                                                               \
        m_ = (log_d)(((log_i)(m_ * 0.5) & high_) | ((log_i)m_ & ~high_));                                              \
        e_ = e_ - high_;                                                                                               \
        const log_d f_ = m_ - 1.0;                                                                                     \
        const log_d s_ = f_ / (2.0 + f_);                                                                              \
        const log_d z_ = s_ * s_;                                                                                      \
        log_d r_ = LOG_SERIES[0];                                                                                      \
        for (size_t j_ = 1; j_ < sizeof LOG_SERIES / sizeof LOG_SERIES[0]; j_++) {                                     \
            r_ = r_ * z_ + LOG_SERIES[j_];                                                                             \
        }                                                                                                              \
        r_ = r_ * z_;                                                                                                  \
        /* e as a double: the bits of 1.5·2^52 plus e are those of 1.5·2^52 + e. */                                   \
        const log_d k_ = (log_d)(e_ + ROUNDER_BITS) - ROUNDER;                                                         \
        (result) = k_ * LN2_HI + ((f_ - s_ * (f_ - r_)) + k_ * LN2_LO);                                                \
    } while (0)

#define SMALLEST_NORMAL 2.2250738585072014e-308
#define LARGEST_FINITE 1.7976931348623157e308

// Lanes outside the domain of LOG_LANES (x not a positive normal finite number) are computed at 1 and then given the C
// library's log.
#define LOG_BODY                                                                                                       \
    for (size_t i = 0; i < count; i += 8) {                                                                            \
        const size_t lanes = count - i < 8 ? count - i : 8;                                                           \
        log_d v = 1.0;                                                                                                 \
        __builtin_memcpy(&v, x + i, lanes * sizeof(double));                                                           \
        const log_d given = v;                                                                                         \
        const log_i inside = (v >= SMALLEST_NORMAL) & (v <= LARGEST_FINITE);                                           \
        v = (log_d)(((log_i)v & inside) | ((log_i)(log_d)1.0 & ~inside));                                             \
        log_d l;                                                                                                       \
        LOG_LANES(v, l);                                                                                               \
        const int outside = __builtin_reduce_and(inside) == 0;                                                         \
        __builtin_memcpy(out + i, &l, lanes * sizeof(double));                                                         \
        if (outside) {                                                                                                 \
            for (size_t lane = 0; lane < lanes; lane++) {                                                              \
                if (!inside[lane]) {                                                                                   \
                    out[i + lane] = log(given[lane]);                                                                  \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
    }

#ifdef CPARZEN_X86
__attribute__((target("avx512f"))) static void log_avx512(const double *x, double *out, size_t count) { LOG_BODY }

__attribute__((target("avx2"))) static void log_avx2(const double *x, double *out, size_t count) { LOG_BODY }
#endif

static void log_generic(const double *x, double *out, size_t count) { LOG_BODY }

void cparzen_log(cparzen_isa isa, const double *x, double *out, size_t count) {
    switch (extension_variant(isa)) {
#ifdef CPARZEN_X86
    case CPARZEN_AVX512:
        log_avx512(x, out, count);
        break;
    case CPARZEN_AVX2:
        log_avx2(x, out, count);
        break;
#endif
    default:
        log_generic(x, out, count);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// A memoised axis term added to the kernels of an active list (a discrete axis, whose cell masses are memoised per
// kernel): the same additions and the same kept list, best kernel and count on every instruction set.

static size_t missing_scalar(const double *row, const int32_t *active, size_t count, const double *memo,
                             double cutoff, int first, int32_t *missing) {
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const int32_t k = active[i];
        if ((first && !(row[k] >= cutoff)) || !isnan(memo[k])) {
            continue;
        }
        missing[n++] = k;
    }
    return n;
}

/// The kernels from active[start] on, one at a time, as the vector loop does them; `out` kept so far, and the best.
static size_t add_terms_scalar(double *row, int32_t *active, size_t start, size_t count, const double *memo,
                               double cutoff, int first, size_t out, int64_t *best, double *best_sum,
                               double *values) {
    for (size_t i = start; i < count; i++) {
        const int32_t k = active[i];
        const double term = memo[k];
        if ((first && !(row[k] >= cutoff)) || isnan(term)) {
            continue;
        }
        const double sum = row[k] + term;
        if (values == NULL) {
            row[k] = sum;
        }
        if (!(sum >= cutoff)) {
            continue;
        }
        if (values != NULL) {
            values[out] = sum;
        }
        active[out++] = k;
        if (sum > *best_sum) {
            *best = k;
            *best_sum = sum;
        }
    }
    return out;
}

#ifdef CPARZEN_X86
__attribute__((target("avx512f"))) static size_t missing_avx512(const double *row, const int32_t *active,
                                                                size_t count, const double *memo, double cutoff,
                                                                int first, int32_t *missing) {
    const size_t vectors = count / 8 * 8;
    const __m512d cut = _mm512_set1_pd(cutoff);
    size_t n = 0;
    for (size_t i = 0; i < vectors; i += 8) {
        const __m256i k = _mm256_loadu_si256((const __m256i *)(active + i));
        const __m512d term = _mm512_i32gather_pd(k, memo, 8);
        __mmask8 wanted = _mm512_cmp_pd_mask(term, term, _CMP_UNORD_Q);
        if (first && wanted) {
            wanted &= _mm512_cmp_pd_mask(_mm512_i32gather_pd(k, row, 8), cut, _CMP_GE_OQ);
        }
        _mm512_mask_compressstoreu_epi32(missing + n, (__mmask16)wanted, _mm512_castsi256_si512(k));
        n += (size_t)__builtin_popcount((unsigned)wanted);
    }
    return n + missing_scalar(row, active + vectors, count - vectors, memo, cutoff, first, missing + n);
}

/// Eight kernels at a time: each lane keeps its best kept kernel (the first of the largest sum above −∞); the lanes'
/// best are then merged in list order (the list is in increasing kernel order), before the remaining kernels.
__attribute__((target("avx512f"))) static size_t add_terms_avx512(double *row, int32_t *active, size_t count,
                                                                  const double *memo, double cutoff, int first,
                                                                  int64_t *best, double *best_sum, double *values) {
    const size_t vectors = count / 8 * 8;
    const __m512d cut = _mm512_set1_pd(cutoff);
    __m512d lane_sum = _mm512_set1_pd(-INFINITY);
    __m512i lane_kernel = _mm512_set1_epi64(-1);
    size_t out = 0;
    for (size_t i = 0; i < vectors; i += 8) {
        const __m256i k = _mm256_loadu_si256((const __m256i *)(active + i));
        const __m512d r = _mm512_i32gather_pd(k, row, 8);
        const __m512d term = _mm512_i32gather_pd(k, memo, 8);
        __mmask8 used = _mm512_cmp_pd_mask(term, term, _CMP_ORD_Q);
        if (first) {
            used &= _mm512_cmp_pd_mask(r, cut, _CMP_GE_OQ);
        }
        const __m512d s = _mm512_add_pd(r, term);
        const __mmask8 keep = used & _mm512_cmp_pd_mask(s, cut, _CMP_GE_OQ);
        // The list (and the values, which may be the row) are compacted in place: these eight were read before
        // anything is written at or after `out`, and the kernels after them are above out + 7.
        if (values == NULL) {
            _mm512_mask_i32scatter_pd(row, used, k, s, 8);
        } else {
            _mm512_mask_compressstoreu_pd(values + out, keep, s);
        }
        _mm512_mask_compressstoreu_epi32(active + out, (__mmask16)keep, _mm512_castsi256_si512(k));
        out += (size_t)__builtin_popcount((unsigned)keep);
        const __mmask8 better = keep & _mm512_cmp_pd_mask(s, lane_sum, _CMP_GT_OQ);
        lane_sum = _mm512_mask_mov_pd(lane_sum, better, s);
        lane_kernel = _mm512_mask_mov_epi64(lane_kernel, better, _mm512_cvtepi32_epi64(k));
    }
    merge_lane_best(lane_sum, lane_kernel, best, best_sum);
    return add_terms_scalar(row, active, vectors, count, memo, cutoff, first, out, best, best_sum, values);
}
#endif

size_t cparzen_missing_terms(cparzen_isa isa, const double *row, const int32_t *active, size_t count,
                             const double *memo, double cutoff, int first, int32_t *missing) {
#ifdef CPARZEN_X86
    if (extension_variant(isa) == CPARZEN_AVX512) {
        return missing_avx512(row, active, count, memo, cutoff, first, missing);
    }
#endif
    (void)isa;
    return missing_scalar(row, active, count, memo, cutoff, first, missing);
}

size_t cparzen_add_terms(cparzen_isa isa, double *row, int32_t *active, size_t count, const double *memo,
                         double cutoff, int first, int64_t *best, double *best_sum, double *values) {
    *best = -1;
    *best_sum = -INFINITY;
#ifdef CPARZEN_X86
    if (extension_variant(isa) == CPARZEN_AVX512) {
        return add_terms_avx512(row, active, count, memo, cutoff, first, best, best_sum, values);
    }
#endif
    (void)isa;
    return add_terms_scalar(row, active, 0, count, memo, cutoff, first, 0, best, best_sum, values);
}
