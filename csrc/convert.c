/* Sample format conversion. */
#include "internal.h"

es_status es_int16_to_float(const int16_t *in, size_t n, float scale, float *out)
{
    if (n > 0 && (in == NULL || out == NULL))
        return ES_ERR_NULL_ARGUMENT;
    for (size_t i = 0; i < n; i++)
        out[i] = (float)in[i] * scale;
    return ES_OK;
}
