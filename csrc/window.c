/* Analysis windows. Periodic windows divide by L (the DFT-even form used by TF and
 * DeepSpeech); symmetric ones by L-1 (torch periodic=False, used by NeMo). */
#include <math.h>

#include "internal.h"

es_status es_window_fill(es_window_kind kind, size_t length, double *out)
{
    if (out == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (length == 0)
        return ES_ERR_INVALID_ARGUMENT;
    const double two_pi = 6.283185307179586476925286766559;
    double a0, a1, denom;
    switch (kind) {
    case ES_WINDOW_HANN_PERIODIC: a0 = 0.5; a1 = 0.5; denom = (double)length; break;
    case ES_WINDOW_HANN_SYMMETRIC: a0 = 0.5; a1 = 0.5; denom = (double)length - 1.0; break;
    case ES_WINDOW_HAMMING_PERIODIC: a0 = 0.54; a1 = 0.46; denom = (double)length; break;
    case ES_WINDOW_HAMMING_SYMMETRIC: a0 = 0.54; a1 = 0.46; denom = (double)length - 1.0; break;
    case ES_WINDOW_RECTANGULAR: a0 = 1.0; a1 = 0.0; denom = 1.0; break;
    default: return ES_ERR_INVALID_ARGUMENT;
    }
    if (denom <= 0.0) {
        /* A symmetric window of length 1 is the single value 1 (as numpy and torch give). */
        out[0] = 1.0;
        return ES_OK;
    }
    for (size_t n = 0; n < length; n++)
        out[n] = a0 - a1 * cos(two_pi * (double)n / denom);
    return ES_OK;
}
