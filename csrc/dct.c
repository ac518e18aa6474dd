/* DCT-II as a dense matrix, built once per feature object (num_out x num_in is at most
 * 256 x 256, and a matrix-vector product beats a fast DCT at these sizes). */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

es_status es__dct_matrix_new(es_dct_kind kind, size_t num_in, size_t num_out, double **out)
{
    if (out == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (num_in == 0 || num_out == 0 || num_out > num_in)
        return ES_ERR_INVALID_ARGUMENT;
    if (kind != ES_DCT_TF_MFCC && kind != ES_DCT_ORTHONORMAL)
        return ES_ERR_INVALID_ARGUMENT;
    double *m = malloc(num_in * num_out * sizeof *m);
    if (m == NULL)
        return ES_ERR_OUT_OF_MEMORY;
    const double pi = 3.14159265358979323846264338327950288;
    double scale = sqrt(2.0 / (double)num_in);
    for (size_t k = 0; k < num_out; k++) {
        /* TF's Mfcc keeps sqrt(2/C) on row 0 too; the orthonormal DCT uses sqrt(1/C) there. */
        double row_scale = (k == 0 && kind == ES_DCT_ORTHONORMAL) ? sqrt(1.0 / (double)num_in) : scale;
        for (size_t j = 0; j < num_in; j++)
            m[k * num_in + j] = row_scale * cos((double)k * pi / (double)num_in * ((double)j + 0.5));
    }
    *out = m;
    return ES_OK;
}
