#include <cblas.h>
// OpenBLAS extras (declared in openblas_config.h / cblas.h of Debian's build).
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
