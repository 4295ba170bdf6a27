#ifndef CPARZEN_H
#define CPARZEN_H

#include <stddef.h>
#include <stdint.h>

/// The instruction sets the kernel loop is compiled for; each gives the same results bit for bit.
typedef enum {
    CPARZEN_SCALAR = 0,
    CPARZEN_SSE2 = 1,
    CPARZEN_AVX2 = 2,
    CPARZEN_AVX512 = 3,
} cparzen_isa;

/// The widest instruction set this CPU (and its operating system) supports.
cparzen_isa cparzen_best_isa(void);

/// Whether this CPU supports `isa`.
int cparzen_supports(cparzen_isa isa);

/// The continuous axes of a mixture's kernels, axis-major: `centres[c][k]`, `inverse_sigma[c][k]`, and each kernel's
/// base term (log weight plus the log normalisers of the continuous axes) `base[k]`.
///
/// The categorical axes that follow them (none when `categorical_axes` is 0): kernel k's own choice on categorical
/// axis a is `own_choices[a·kernel_count + k]` (negative for the uniform prior kernel), and `logs[3a]`, `logs[3a + 1]`,
/// `logs[3a + 2]` are the log probabilities of a hit, a miss and the uniform kernel's.
typedef struct {
    const double *base;
    const double *const *centres;
    const double *const *inverse_sigma;
    size_t axes;
    size_t categorical_axes;
    size_t kernel_count;
    const int32_t *own_choices;
    const double *logs;
} cparzen_kernels;

/// For each kernel k in [start, end): sum = base[k], then for each axis c in order
/// z = (point[c] − centres[c][k])·inverse_sigma[c][k] and sum = sum − (0.5·z)·z; then, for each categorical axis a in
/// order, sum = sum + the log probability of `choices[a]` under the kernel.
///
/// Every axis term is ≤ 0, so a kernel whose running sum falls below `cutoff` may be dropped without its remaining axes.
/// With no continuous axis (`axes` 0) each kernel's sum starts from its base alone.
/// A kept kernel (final sum ≥ cutoff) has its sum stored in row[k] and its index appended to `kept`, in increasing
/// order; row entries of dropped kernels may be written too. Returns the number kept; `*best` is the kept kernel with
/// the largest sum (the first on ties), −1 if none.
size_t cparzen_continuous_terms(cparzen_isa isa, const cparzen_kernels *kernels, const double *point,
                                const int32_t *choices, size_t start, size_t end, double cutoff, double *row,
                                int32_t *kept, int64_t *best);

/// cparzen_continuous_terms for two points at once (`point`, `choices`, `cutoff`, `row`, `kept`, `best` and the same
/// with 1), with the numbers kept in `*count` and `*count1`: the same results bit for bit as two calls, with each
/// kernel constant read once for both points where the instruction set allows.
void cparzen_continuous_terms_pair(cparzen_isa isa, const cparzen_kernels *kernels, const double *point,
                                   const double *point1, const int32_t *choices, const int32_t *choices1,
                                   size_t start, size_t end, double cutoff, double cutoff1, double *row, double *row1,
                                   int32_t *kept, int32_t *kept1, size_t *count, size_t *count1, int64_t *best,
                                   int64_t *best1);

/// Σ exp(row[active[i]] − maximum) over i in [0, count), leaving out the terms ≤ `negligible` (the sum of a
/// log-sum-exp whose largest term is `maximum`; terms ≥ maximum − 700). exp is `cparzen_exp`, computed many at a time
/// with the same IEEE operations on every instruction set; the j-th term summed joins the partial sum of j mod 8 (in
/// order) and the eight are added in a fixed order, so the result is the same bit for bit on every instruction set and
/// depends only on the sequence of terms summed (not on the kernels holding them, nor on the negligible ones).
///
/// With `active` NULL, the terms are row[0], …, row[count − 1] themselves.
double cparzen_sum_exp(cparzen_isa isa, const double *row, const int32_t *active, size_t count, double maximum,
                       double negligible);

/// exp(x) for x in [−700, 0] by range reduction to r = x − k·ln 2 (|r| ≤ ln 2 / 2) and a degree-13 polynomial of
/// e^r scaled by 2^k: within a few units in the last place of the exactly rounded value.
double cparzen_exp(double x);

/// out[i] = log(x[i]) for i in [0, count): for positive normal x, log 2 times the exponent plus the logarithm of the
/// mantissa m ∈ [√½, √2) from its series in s = (m − 1)/(m + 1) to degree 23 (within a few units in the last place of the
/// exactly rounded value); other x (0, negative, subnormal, infinite, NaN) get the C library's log. The same bits on
/// every instruction set. `out` may be `x`.
void cparzen_log(cparzen_isa isa, const double *x, double *out, size_t count);

/// The kernels k = active[i], i in [0, count), whose memoised term memo[k] is NaN (not computed yet), leaving out, when
/// `first`, those with row[k] < cutoff: into `missing`, in order. Returns their number.
size_t cparzen_missing_terms(cparzen_isa isa, const double *row, const int32_t *active, size_t count,
                             const double *memo, double cutoff, int first, int32_t *missing);

/// For k = active[i], i in [0, count) in order, leaving out the kernels whose memo[k] is NaN and, when `first`, those
/// with row[k] < cutoff: row[k] = row[k] + memo[k], and k is kept (written to the front of `active`, in order) when
/// the new row[k] ≥ cutoff. Returns the number kept; `*best` is the kept kernel whose row is the largest and above
/// −∞ (the first on ties; −1 if none) and `*best_sum` its row (−∞ if none).
///
/// With `values` not NULL, the new sums are not written to the row: the kept kernels' are written to values[0], …, in
/// the order of the kept list. `values` may be `row`; its first entries then hold those sums, no longer kernel k's.
size_t cparzen_add_terms(cparzen_isa isa, double *row, int32_t *active, size_t count, const double *memo,
                         double cutoff, int first, int64_t *best, double *best_sum, double *values);

#endif
