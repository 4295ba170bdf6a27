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
typedef struct {
    const double *base;
    const double *const *centres;
    const double *const *inverse_sigma;
    size_t axes;
} cparzen_kernels;

/// For each kernel k in [start, end): sum = base[k], then for each axis c in order
/// z = (point[c] − centres[c][k])·inverse_sigma[c][k] and sum = sum − (0.5·z)·z.
///
/// Every axis term is ≤ 0, so a kernel whose running sum falls below `cutoff` is dropped without its remaining axes.
/// A kept kernel (final sum ≥ cutoff) has its sum stored in row[k] and its index appended to `kept`, in increasing
/// order; row entries of dropped kernels may be written too. Returns the number kept; `*best` is the kept kernel with
/// the largest sum (the first on ties), −1 if none.
size_t cparzen_continuous_terms(cparzen_isa isa, const cparzen_kernels *kernels, const double *point, size_t start,
                                size_t end, double cutoff, double *row, int32_t *kept, int64_t *best);

#endif
