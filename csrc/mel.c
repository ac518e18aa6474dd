/* Mel filterbanks in three conventions, all stored in one sparse form (a contiguous
 * run of weighted bins per filter), so applying them costs O(bins), not O(mels x bins). */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

/* Slaney's scale (librosa htk=False): linear below 1 kHz, log above. */
#define SLANEY_F_SP (200.0 / 3.0)
#define SLANEY_MIN_LOG_HZ 1000.0
#define SLANEY_MIN_LOG_MEL (SLANEY_MIN_LOG_HZ / SLANEY_F_SP)
#define SLANEY_LOGSTEP (1.8562979903656263 / 27.0) /* ln(6.4) / 27 */

double es__hz_to_mel(es_mel_scale scale, double hz)
{
    if (scale == ES_MEL_SCALE_SLANEY) {
        if (hz < SLANEY_MIN_LOG_HZ)
            return hz / SLANEY_F_SP;
        return SLANEY_MIN_LOG_MEL + log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
    }
    return 1127.0 * log1p(hz / 700.0);
}

double es__mel_to_hz(es_mel_scale scale, double mel)
{
    if (scale == ES_MEL_SCALE_SLANEY) {
        if (mel < SLANEY_MIN_LOG_MEL)
            return mel * SLANEY_F_SP;
        return SLANEY_MIN_LOG_HZ * exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
    }
    return 700.0 * expm1(mel / 1127.0);
}

void es__mel_bank_free(es__mel_bank *bank)
{
    if (bank == NULL)
        return;
    free(bank->first_bin);
    free(bank->count);
    free(bank->offset);
    free(bank->weights);
    free(bank);
}

/* Dense weights W[m * num_bins + k] for each convention. */
static void dense_tf_mfcc(const es_features_config *cfg, size_t num_bins, double *w)
{
    /* The TF Mfcc op: each bin between start and end feeds the falling edge of its band
     * with weight wt and the rising edge of the next band with 1 - wt. */
    size_t channels = cfg->num_mel_bins;
    double hz_per_bin = 0.5 * cfg->sample_rate_hz / (double)(num_bins - 1);
    double mel_lo = es__hz_to_mel(ES_MEL_SCALE_HTK, cfg->low_freq_hz);
    double mel_hi = es__hz_to_mel(ES_MEL_SCALE_HTK, cfg->high_freq_hz);
    double spacing = (mel_hi - mel_lo) / (double)(channels + 1);
    size_t start = (size_t)(1.5 + cfg->low_freq_hz / hz_per_bin);
    size_t end = (size_t)(cfg->high_freq_hz / hz_per_bin);
    if (end > num_bins - 1)
        end = num_bins - 1;
    size_t ch = 0;
    for (size_t i = start; i <= end; i++) {
        double mel_i = es__hz_to_mel(ES_MEL_SCALE_HTK, (double)i * hz_per_bin);
        while (ch < channels && mel_lo + spacing * (double)(ch + 1) < mel_i)
            ch++;
        double centre_hi = mel_lo + spacing * (double)(ch + 1); /* centre[ch] */
        double wt;
        if (ch >= 1) {
            double centre_lo = mel_lo + spacing * (double)ch; /* centre[ch-1] */
            wt = (centre_hi - mel_i) / (centre_hi - centre_lo);
            w[(ch - 1) * num_bins + i] = wt;
        } else {
            wt = (centre_hi - mel_i) / (centre_hi - mel_lo);
        }
        if (ch < channels)
            w[ch * num_bins + i] = 1.0 - wt;
    }
}

static void dense_triangles(const es_features_config *cfg, size_t num_bins, double *w)
{
    size_t mels = cfg->num_mel_bins;
    es_mel_scale scale = cfg->mel_scale;
    double mel_lo = es__hz_to_mel(scale, cfg->low_freq_hz);
    double mel_hi = es__hz_to_mel(scale, cfg->high_freq_hz);
    double nyquist = 0.5 * cfg->sample_rate_hz;
    int in_mel = cfg->mel_triangles == ES_MEL_TRIANGLES_MEL;
    for (size_t m = 0; m < mels; m++) {
        /* Edges m, m+1, m+2 of mels+2 points evenly spaced in mel. */
        double e[3], hz[3];
        for (int j = 0; j < 3; j++) {
            e[j] = mel_lo + (mel_hi - mel_lo) * (double)(m + (size_t)j) / (double)(mels + 1);
            hz[j] = es__mel_to_hz(scale, e[j]);
        }
        double norm = cfg->mel_area_normalize ? 2.0 / (hz[2] - hz[0]) : 1.0;
        /* tf.signal's matrix leaves out the DC bin. */
        for (size_t k = in_mel ? 1 : 0; k < num_bins; k++) {
            double f = nyquist * (double)k / (double)(num_bins - 1);
            double x = in_mel ? es__hz_to_mel(scale, f) : f;
            const double *edge = in_mel ? e : hz;
            double rise = (x - edge[0]) / (edge[1] - edge[0]);
            double fall = (edge[2] - x) / (edge[2] - edge[1]);
            double v = rise < fall ? rise : fall;
            if (v > 0.0)
                w[m * num_bins + k] = v * norm;
        }
    }
}

es_status es__mel_bank_new(const es_features_config *cfg, es__mel_bank **out, char *err, size_t err_len)
{
    size_t num_bins = cfg->fft_size / 2 + 1;
    size_t mels = cfg->num_mel_bins;
    double *dense = calloc(mels * num_bins, sizeof *dense);
    es__mel_bank *bank = calloc(1, sizeof *bank);
    if (dense == NULL || bank == NULL) {
        free(dense);
        free(bank);
        return ES_ERR_OUT_OF_MEMORY;
    }
    if (cfg->mel_triangles == ES_MEL_TRIANGLES_TF_MFCC)
        dense_tf_mfcc(cfg, num_bins, dense);
    else
        dense_triangles(cfg, num_bins, dense);

    bank->num_filters = mels;
    bank->num_bins = num_bins;
    bank->first_bin = calloc(mels, sizeof(size_t));
    bank->count = calloc(mels, sizeof(size_t));
    bank->offset = calloc(mels, sizeof(size_t));
    size_t total = 0;
    es_status status = ES_OK;
    if (!bank->first_bin || !bank->count || !bank->offset) {
        status = ES_ERR_OUT_OF_MEMORY;
        goto done;
    }
    for (size_t m = 0; m < mels; m++) {
        size_t lo = num_bins, hi = 0;
        for (size_t k = 0; k < num_bins; k++) {
            if (dense[m * num_bins + k] != 0.0) {
                if (lo == num_bins)
                    lo = k;
                hi = k;
            }
        }
        if (lo == num_bins) {
            status = es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                              "mel filter %zu of %zu covers no FFT bin: use fewer mel bins, a wider "
                              "frequency range or a larger fft_size", m, mels);
            goto done;
        }
        bank->first_bin[m] = lo;
        bank->count[m] = hi - lo + 1;
        bank->offset[m] = total;
        total += hi - lo + 1;
    }
    bank->weights = malloc(total * sizeof(double));
    if (bank->weights == NULL) {
        status = ES_ERR_OUT_OF_MEMORY;
        goto done;
    }
    for (size_t m = 0; m < mels; m++)
        for (size_t j = 0; j < bank->count[m]; j++)
            bank->weights[bank->offset[m] + j] = dense[m * num_bins + bank->first_bin[m] + j];
done:
    free(dense);
    if (status != ES_OK) {
        es__mel_bank_free(bank);
        return status;
    }
    *out = bank;
    return ES_OK;
}

void es__mel_bank_apply(const es__mel_bank *bank, const double *spectrum, double *out)
{
    for (size_t m = 0; m < bank->num_filters; m++) {
        const double *w = bank->weights + bank->offset[m];
        const double *s = spectrum + bank->first_bin[m];
        double acc = 0.0;
        for (size_t j = 0; j < bank->count[m]; j++)
            acc += w[j] * s[j];
        out[m] = acc;
    }
}
