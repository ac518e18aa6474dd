/* The streaming extractor: streaming equals one-shot for every preset and many chunkings,
 * frame counts match their formulas, and bad input gets the right status. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "edgestt.h"

#define N_SAMPLES 8000

static float audio[N_SAMPLES];

static es_features *make(es_features_config *cfg)
{
    es_features *f = NULL;
    char err[256];
    CHECK_STATUS(es_features_new(cfg, &f, err, sizeof err), ES_OK);
    return f;
}

/* Streams audio[0..n) in chunks of `chunk` samples, popping as it goes; returns frames popped. */
static size_t stream(es_features *f, size_t n, size_t chunk, float *out, size_t cap)
{
    size_t got_total = 0, got = 0;
    es_features_reset(f);
    for (size_t i = 0; i < n; i += chunk) {
        size_t len = n - i < chunk ? n - i : chunk;
        CHECK_STATUS(es_features_accept_float(f, audio + i, len), ES_OK);
        CHECK_STATUS(es_features_pop(f, out + got_total * es_features_num_features(f), cap - got_total, &got),
                     ES_OK);
        got_total += got;
    }
    CHECK_STATUS(es_features_finish(f), ES_OK);
    CHECK_STATUS(es_features_pop(f, out + got_total * es_features_num_features(f), cap - got_total, &got), ES_OK);
    return got_total + got;
}

static void check_stream_equals_one_shot(es_features_config *cfg, size_t n)
{
    es_features *f = make(cfg);
    if (f == NULL)
        return;
    size_t nf = es_features_num_features(f), frames = es_features_frames_for_samples(f, n);
    float *ref = malloc((frames + 1) * nf * sizeof(float));
    float *got = malloc((frames + 1) * nf * sizeof(float));
    size_t ref_frames = 0;
    CHECK_STATUS(es_features_compute_float(f, audio, n, ref, frames, &ref_frames), ES_OK);
    CHECK(ref_frames == frames);
    const size_t chunks[] = {1, 7, 159, 160, 161, 319, 512, 1000, N_SAMPLES};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        size_t k = stream(f, n, chunks[c], got, frames + 1);
        CHECK(k == frames);
        CHECK(memcmp(ref, got, frames * nf * sizeof(float)) == 0);
    }
    for (size_t i = 0; i < frames * nf; i++)
        CHECK(isfinite(ref[i]));
    free(ref);
    free(got);
    es_features_free(f);
}

int main(void)
{
    srand(7);
    for (size_t i = 0; i < N_SAMPLES; i++)
        audio[i] = 0.3f * ((float)rand() / (float)RAND_MAX - 0.5f) + 0.2f * sinf(0.05f * (float)i);

    es_features_config cfg;
    for (int p = ES_PRESET_DEEPSPEECH; p <= ES_PRESET_NEMO; p++) {
        CHECK_STATUS(es_features_config_preset((es_features_preset)p, &cfg), ES_OK);
        check_stream_equals_one_shot(&cfg, N_SAMPLES);
        check_stream_equals_one_shot(&cfg, 1234);
    }
    /* Zero centre padding, a hop longer than the window, fixed normalisation, orthonormal DCT. */
    CHECK_STATUS(es_features_config_preset(ES_PRESET_NEMO, &cfg), ES_OK);
    cfg.padding = ES_PADDING_CENTER_ZERO;
    cfg.normalization = ES_NORM_FIXED;
    for (size_t i = 0; i < 64; i++) {
        cfg.norm_mean[i] = -10.0f;
        cfg.norm_std[i] = 3.0f;
    }
    check_stream_equals_one_shot(&cfg, N_SAMPLES);
    check_stream_equals_one_shot(&cfg, 3);
    CHECK_STATUS(es_features_config_preset(ES_PRESET_DEEPSPEECH, &cfg), ES_OK);
    cfg.frame_step_samples = 700;
    cfg.dct = ES_DCT_ORTHONORMAL;
    check_stream_equals_one_shot(&cfg, N_SAMPLES);

    /* Frame counts: TF-style only whole windows; centred 1 + N/hop (reflect needs N > 256). */
    es_features *f;
    CHECK_STATUS(es_features_config_preset(ES_PRESET_DEEPSPEECH, &cfg), ES_OK);
    f = make(&cfg);
    CHECK(es_features_frames_for_samples(f, 511) == 0);
    CHECK(es_features_frames_for_samples(f, 512) == 1);
    CHECK(es_features_frames_for_samples(f, 16000) == 1 + (16000 - 512) / 320);
    es_features_free(f);
    CHECK_STATUS(es_features_config_preset(ES_PRESET_NEMO, &cfg), ES_OK);
    f = make(&cfg);
    CHECK(es_features_frames_for_samples(f, 256) == 0);
    CHECK(es_features_frames_for_samples(f, 257) == 2);
    CHECK(es_features_frames_for_samples(f, 16000) == 101);

    /* Errors: each leaves the object usable. */
    float bad[4] = {0.1f, NAN, 0.2f, 0.3f};
    size_t got = 0;
    float out[64 * 200];
    CHECK_STATUS(es_features_finish(f), ES_ERR_EMPTY_INPUT);
    CHECK_STATUS(es_features_accept_float(f, bad, 4), ES_ERR_NOT_FINITE);
    bad[1] = INFINITY;
    CHECK_STATUS(es_features_accept_float(f, bad, 4), ES_ERR_NOT_FINITE);
    CHECK_STATUS(es_features_finish(f), ES_ERR_EMPTY_INPUT); /* the bad chunk was not consumed */
    CHECK_STATUS(es_features_accept_float(f, audio, 100), ES_OK);
    CHECK_STATUS(es_features_finish(f), ES_ERR_TOO_SHORT);
    CHECK_STATUS(es_features_accept_float(f, audio + 100, 8000 - 100), ES_OK); /* still accepting */
    CHECK(es_features_ready(f) == 0); /* utterance normalisation: nothing before finish */
    CHECK_STATUS(es_features_finish(f), ES_OK);
    CHECK(es_features_ready(f) == es_features_frames_for_samples(f, 8000));
    CHECK_STATUS(es_features_finish(f), ES_ERR_BAD_STATE);
    CHECK_STATUS(es_features_accept_float(f, audio, 10), ES_ERR_BAD_STATE);
    CHECK_STATUS(es_features_pop(f, out, 10, &got), ES_OK);
    CHECK(got == 10);
    CHECK_STATUS(es_features_pop(f, NULL, 10, &got), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_features_pop(f, out, 10, NULL), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_features_compute_float(f, audio, 8000, out, 10, &got), ES_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(es_features_compute_float(f, audio, 0, out, 10, &got), ES_ERR_EMPTY_INPUT);
    CHECK_STATUS(es_features_accept_float(NULL, audio, 10), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_features_accept_float(f, NULL, 10), ES_ERR_NULL_ARGUMENT);
    es_features_reset(f);
    CHECK_STATUS(es_features_accept_float(f, audio, 10), ES_OK);
    es_features_free(f);

    /* int16 input equals float input scaled the preset's way. */
    CHECK_STATUS(es_features_config_preset(ES_PRESET_SCRIBOSERMO, &cfg), ES_OK);
    f = make(&cfg);
    int16_t pcm[4000];
    float pcm_f[4000];
    for (size_t i = 0; i < 4000; i++) {
        pcm[i] = (int16_t)(audio[i] * 30000.0f);
        pcm_f[i] = (float)pcm[i] * (1.0f / 32767.0f);
    }
    float out2[64 * 30];
    size_t got2 = 0;
    CHECK_STATUS(es_features_compute_int16(f, pcm, 4000, out, 30, &got), ES_OK);
    CHECK_STATUS(es_features_compute_float(f, pcm_f, 4000, out2, 30, &got2), ES_OK);
    CHECK(got == got2 && got == 24);
    CHECK(memcmp(out, out2, got * 64 * sizeof(float)) == 0);
    es_features_free(f);

    /* Impossible configs are refused with a reason; *out stays untouched. */
    char err[256];
    es_features *untouched = (es_features *)&cfg;
    es_features_config base;
    CHECK_STATUS(es_features_config_preset(ES_PRESET_NEMO, &base), ES_OK);
    cfg = base; cfg.fft_size = 500;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(strstr(err, "power of two") != NULL);
    cfg = base; cfg.num_mel_bins = 300;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.fft_size = 64; cfg.frame_length_samples = 64;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(strstr(err, "exceeds") != NULL);
    cfg = base; cfg.sample_rate_hz = 0.0;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.sample_rate_hz = NAN;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.frame_length_samples = 1024;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.frame_step_samples = 0;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.high_freq_hz = 9000.0;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.window = (es_window_kind)99;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.num_mfcc = 65;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.log_guard = 0.0;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.preemphasis = 1.5;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base; cfg.normalization = ES_NORM_FIXED; cfg.norm_std[3] = 0.0f; cfg.norm_epsilon = 0.0;
    CHECK_STATUS(es_features_new(&cfg, &untouched, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(untouched == (es_features *)&cfg);
    CHECK_STATUS(es_features_new(NULL, &untouched, err, sizeof err), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_features_new(&base, NULL, NULL, 0), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_features_config_preset((es_features_preset)17, &cfg), ES_ERR_INVALID_ARGUMENT);
    es_features_free(NULL);
    CHECK_DONE();
}
