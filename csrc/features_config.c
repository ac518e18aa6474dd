/* Feature configurations: the reference presets and the validity check. */
#include <math.h>
#include <string.h>

#include "internal.h"

static es_features_config deepspeech_preset(void)
{
    /* TF AudioSpectrogram(512, 320, power) + TF Mfcc(40 mels, 20-8000 Hz, 26 coefficients). */
    es_features_config c;
    memset(&c, 0, sizeof c);
    c.sample_rate_hz = 16000.0;
    c.int16_scale = 1.0f / 32768.0f;
    c.preemphasis = 0.0;
    c.frame_length_samples = 512;
    c.frame_step_samples = 320;
    c.fft_size = 512;
    c.window = ES_WINDOW_HANN_PERIODIC;
    c.padding = ES_PADDING_NONE;
    c.spectrum = ES_SPECTRUM_MAGNITUDE; /* the Mfcc op takes sqrt of the power spectrogram */
    c.num_mel_bins = 40;
    c.low_freq_hz = 20.0;
    c.high_freq_hz = 8000.0;
    c.mel_scale = ES_MEL_SCALE_HTK;
    c.mel_triangles = ES_MEL_TRIANGLES_TF_MFCC;
    c.mel_area_normalize = 0;
    c.log_kind = ES_LOG_FLOOR;
    c.log_guard = 1e-12;
    c.num_mfcc = 26;
    c.dct = ES_DCT_TF_MFCC;
    c.normalization = ES_NORM_NONE;
    c.norm_std_unbiased = 0;
    c.norm_epsilon = 0.0;
    return c;
}

es_features_config es_features_config_default(void)
{
    return deepspeech_preset();
}

es_status es_features_config_preset(es_features_preset preset, es_features_config *out)
{
    if (out == NULL)
        return ES_ERR_NULL_ARGUMENT;
    es_features_config c = deepspeech_preset();
    switch (preset) {
    case ES_PRESET_DEEPSPEECH:
        break;
    case ES_PRESET_SCRIBOSERMO:
        /* QuartzNet TFLite export: int16/32767, pre-emphasis, 320/160 periodic Hann,
         * magnitude, 64 HTK mel-domain triangles 20-8000 Hz, ln(x+1e-6), per-feature
         * normalisation with population std over the whole input. */
        c.int16_scale = 1.0f / 32767.0f;
        c.preemphasis = 0.97;
        c.frame_length_samples = 320;
        c.frame_step_samples = 160;
        c.spectrum = ES_SPECTRUM_MAGNITUDE;
        c.num_mel_bins = 64;
        c.mel_triangles = ES_MEL_TRIANGLES_MEL;
        c.log_kind = ES_LOG_ADD;
        c.log_guard = 1e-6;
        c.num_mfcc = 0;
        c.normalization = ES_NORM_UTTERANCE;
        c.norm_std_unbiased = 0;
        c.norm_epsilon = 1e-7;
        break;
    case ES_PRESET_NEMO:
        /* NeMo QuartzNet preprocessor: pre-emphasis, centred reflect-padded STFT with a
         * symmetric 320 Hann in 512, power, 64 Slaney mels 0-8000 Hz with area norm,
         * ln(x + 2^-24), per-feature normalisation with unbiased std + 1e-5. */
        c.preemphasis = 0.97;
        c.frame_length_samples = 320;
        c.frame_step_samples = 160;
        c.window = ES_WINDOW_HANN_SYMMETRIC;
        c.padding = ES_PADDING_CENTER_REFLECT;
        c.spectrum = ES_SPECTRUM_POWER;
        c.num_mel_bins = 64;
        c.low_freq_hz = 0.0;
        c.mel_scale = ES_MEL_SCALE_SLANEY;
        c.mel_triangles = ES_MEL_TRIANGLES_HZ;
        c.mel_area_normalize = 1;
        c.log_kind = ES_LOG_ADD;
        c.log_guard = 5.9604644775390625e-08; /* 2^-24 */
        c.num_mfcc = 0;
        c.normalization = ES_NORM_UTTERANCE;
        c.norm_std_unbiased = 1;
        c.norm_epsilon = 1e-5;
        break;
    default:
        return ES_ERR_INVALID_ARGUMENT;
    }
    *out = c;
    return ES_OK;
}

static int finite_positive(double x)
{
    return isfinite(x) && x > 0.0;
}

es_status es__features_config_check_fields(const es_features_config *c, char *err, size_t err_len)
{
    const es_status bad = ES_ERR_INVALID_CONFIG;
    if (c == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (!finite_positive(c->sample_rate_hz))
        return es__fail(bad, err, err_len, "sample_rate_hz must be a positive number, got %g", c->sample_rate_hz);
    if (!isfinite(c->int16_scale) || c->int16_scale <= 0.0f)
        return es__fail(bad, err, err_len, "int16_scale must be a positive number, got %g", (double)c->int16_scale);
    if (!isfinite(c->preemphasis) || c->preemphasis < 0.0 || c->preemphasis >= 1.0)
        return es__fail(bad, err, err_len, "preemphasis must be in [0, 1), got %g", c->preemphasis);
    if (c->fft_size < 4 || c->fft_size > 65536 || !es__is_power_of_two(c->fft_size))
        return es__fail(bad, err, err_len, "fft_size must be a power of two between 4 and 65536, got %zu", c->fft_size);
    if (c->frame_length_samples == 0 || c->frame_length_samples > c->fft_size)
        return es__fail(bad, err, err_len, "frame_length_samples must be between 1 and fft_size (%zu), got %zu",
                        c->fft_size, c->frame_length_samples);
    if (c->frame_step_samples == 0)
        return es__fail(bad, err, err_len, "frame_step_samples must be positive");
    if ((unsigned)c->window > ES_WINDOW_RECTANGULAR)
        return es__fail(bad, err, err_len, "unknown window kind %d", (int)c->window);
    if ((unsigned)c->padding > ES_PADDING_CENTER_ZERO)
        return es__fail(bad, err, err_len, "unknown padding %d", (int)c->padding);
    if ((unsigned)c->spectrum > ES_SPECTRUM_MAGNITUDE)
        return es__fail(bad, err, err_len, "unknown spectrum kind %d", (int)c->spectrum);
    size_t bins = c->fft_size / 2 + 1;
    if (c->num_mel_bins == 0 || c->num_mel_bins > ES_MAX_FEATURES)
        return es__fail(bad, err, err_len, "num_mel_bins must be between 1 and %d, got %zu", ES_MAX_FEATURES,
                        c->num_mel_bins);
    if (c->num_mel_bins > bins)
        return es__fail(bad, err, err_len, "num_mel_bins (%zu) exceeds the %zu frequency bins of a %zu-point FFT",
                        c->num_mel_bins, bins, c->fft_size);
    if (!isfinite(c->low_freq_hz) || c->low_freq_hz < 0.0)
        return es__fail(bad, err, err_len, "low_freq_hz must be >= 0, got %g", c->low_freq_hz);
    if (!isfinite(c->high_freq_hz) || c->high_freq_hz <= c->low_freq_hz || c->high_freq_hz > 0.5 * c->sample_rate_hz)
        return es__fail(bad, err, err_len,
                        "high_freq_hz must be above low_freq_hz (%g) and at most half the sample rate (%g), got %g",
                        c->low_freq_hz, 0.5 * c->sample_rate_hz, c->high_freq_hz);
    if ((unsigned)c->mel_scale > ES_MEL_SCALE_SLANEY)
        return es__fail(bad, err, err_len, "unknown mel scale %d", (int)c->mel_scale);
    if ((unsigned)c->mel_triangles > ES_MEL_TRIANGLES_TF_MFCC)
        return es__fail(bad, err, err_len, "unknown mel triangle convention %d", (int)c->mel_triangles);
    if (c->mel_triangles == ES_MEL_TRIANGLES_TF_MFCC && c->mel_scale != ES_MEL_SCALE_HTK)
        return es__fail(bad, err, err_len, "the TF Mfcc filterbank is defined on the HTK mel scale only");
    if ((unsigned)c->log_kind > ES_LOG_ADD)
        return es__fail(bad, err, err_len, "unknown log kind %d", (int)c->log_kind);
    if (c->log_kind != ES_LOG_NONE && !finite_positive(c->log_guard))
        return es__fail(bad, err, err_len, "log_guard must be positive, got %g", c->log_guard);
    if (c->num_mfcc > c->num_mel_bins)
        return es__fail(bad, err, err_len, "num_mfcc (%zu) exceeds num_mel_bins (%zu)", c->num_mfcc, c->num_mel_bins);
    if (c->num_mfcc > 0 && c->log_kind == ES_LOG_NONE)
        return es__fail(bad, err, err_len, "MFCC needs a log (log_kind must not be ES_LOG_NONE)");
    if ((unsigned)c->dct > ES_DCT_ORTHONORMAL)
        return es__fail(bad, err, err_len, "unknown DCT kind %d", (int)c->dct);
    if ((unsigned)c->normalization > ES_NORM_FIXED)
        return es__fail(bad, err, err_len, "unknown normalization %d", (int)c->normalization);
    if (!isfinite(c->norm_epsilon) || c->norm_epsilon < 0.0)
        return es__fail(bad, err, err_len, "norm_epsilon must be >= 0, got %g", c->norm_epsilon);
    if (c->normalization == ES_NORM_FIXED) {
        size_t n = c->num_mfcc > 0 ? c->num_mfcc : c->num_mel_bins;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(c->norm_mean[i]))
                return es__fail(bad, err, err_len, "norm_mean[%zu] is not finite", i);
            if (!isfinite(c->norm_std[i]) || c->norm_std[i] < 0.0f || (double)c->norm_std[i] + c->norm_epsilon <= 0.0)
                return es__fail(bad, err, err_len, "norm_std[%zu] + norm_epsilon must be positive, got %g", i,
                                (double)c->norm_std[i]);
        }
    }
    return ES_OK;
}

es_status es_features_config_check(const es_features_config *c, char *err, size_t err_len)
{
    es_status status = es__features_config_check_fields(c, err, err_len);
    if (status != ES_OK)
        return status;
    /* Some impossibilities (a mel filter with no FFT bin) show only when the bank is built. */
    es__mel_bank *bank = NULL;
    status = es__mel_bank_new(c, &bank, err, err_len);
    es__mel_bank_free(bank);
    return status;
}
