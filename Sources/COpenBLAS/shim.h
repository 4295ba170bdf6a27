#ifndef HPO_COPENBLAS_SHIM_H
#define HPO_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
