// OpenBLAS' CBLAS interface and two LAPACK routines (Debian: libopenblas-dev).
#include <cblas.h>

// LAPACK's Cholesky factorisation and inverse (Fortran symbols exported by libopenblas; Debian
// ships no lapacke.h with it, so the two prototypes are declared here).
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
