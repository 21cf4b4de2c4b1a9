// OpenBLAS' CBLAS and LAPACKE interfaces (Debian: libopenblas-dev).
#include <cblas.h>
