/* Declarations shared between edgestt's C files; not part of the public API. */
#ifndef EDGESTT_INTERNAL_H
#define EDGESTT_INTERNAL_H

#include "edgestt.h"

/* Writes a printf-style message into err (if err and err_len allow) and returns status. */
es_status es__fail(es_status status, char *err, size_t err_len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Non-zero when n is a power of two (and not 0). */
int es__is_power_of_two(size_t n);

/* ---- mel filterbank (mel.c) ----
 * Stored sparse: filter m has weights[offset[m] .. offset[m]+count[m]) for the bins
 * first_bin[m] .. first_bin[m]+count[m]-1. Every mel convention fits this shape. */
typedef struct {
    size_t num_filters;
    size_t num_bins;
    size_t *first_bin;
    size_t *count;
    size_t *offset;
    double *weights;
} es__mel_bank;

es_status es__mel_bank_new(const es_features_config *cfg, es__mel_bank **out, char *err, size_t err_len);
void es__mel_bank_free(es__mel_bank *bank);
/* out[m] = sum_k W[m,k] spectrum[k]. */
void es__mel_bank_apply(const es__mel_bank *bank, const double *spectrum, double *out);

/* Hz <-> mel for the given scale. */
double es__hz_to_mel(es_mel_scale scale, double hz);
double es__mel_to_hz(es_mel_scale scale, double mel);

/* The field-by-field part of es_features_config_check (everything but building the mel bank). */
es_status es__features_config_check_fields(const es_features_config *cfg, char *err, size_t err_len);

/* ---- DCT-II (dct.c): a dense [num_out][num_in] matrix built once ---- */
es_status es__dct_matrix_new(es_dct_kind kind, size_t num_in, size_t num_out, double **out);

#endif /* EDGESTT_INTERNAL_H */
