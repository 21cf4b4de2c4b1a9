// OpenBLAS' CBLAS interface and three LAPACK routines (Debian: libopenblas-dev), for their types
// only: Linalg loads libopenblas on first use (OpenBLASLibrary.swift) so that commands which never
// multiply a matrix (lookups, help, the registry) do not pay for loading it and starting its threads.
#include <cblas.h>

// LAPACK's Cholesky factorisation and inverse, and the symmetric eigensolver: Fortran symbols
// exported by libopenblas. Debian ships no lapacke.h with it, so the prototypes are declared here.
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void ssyev_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
            float *work, const int *lwork, int *info);

// The pointer types of the routines Linalg resolves with dlsym.
typedef __typeof__(cblas_sgemm) *autorec_sgemm_fn;
typedef __typeof__(cblas_sgemv) *autorec_sgemv_fn;
typedef __typeof__(cblas_saxpy) *autorec_saxpy_fn;
typedef __typeof__(cblas_sdot) *autorec_sdot_fn;
typedef __typeof__(openblas_set_num_threads) *autorec_set_threads_fn;
typedef __typeof__(spotrf_) *autorec_spotrf_fn;
typedef __typeof__(spotri_) *autorec_spotri_fn;
typedef __typeof__(ssyev_) *autorec_ssyev_fn;
