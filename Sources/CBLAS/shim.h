// OpenBLAS' CBLAS interface and three LAPACK routines (Debian: libopenblas-dev).
#include <cblas.h>

// LAPACK's Cholesky factorisation and inverse, and the symmetric eigensolver: Fortran symbols
// exported by libopenblas. Debian ships no lapacke.h with it, so the prototypes are declared here.
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void ssyev_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
            float *work, const int *lwork, int *info);
