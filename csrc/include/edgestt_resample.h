/*
 * edgestt_resample.h — streaming band-limited sample-rate conversion.
 *
 * Usage (44.1 kHz microphone audio to a 16 kHz model):
 *
 *     es_resampler_config cfg = es_resampler_config_default();
 *     cfg.input_rate_hz = 44100;
 *     cfg.output_rate_hz = 16000;
 *     es_resampler *r = NULL;
 *     char err[256];
 *     if (es_resampler_new(&cfg, &r, err, sizeof err) != ES_OK) ... err says why
 *     for each chunk:
 *         size_t cap = es_resampler_output_size(r, n);      exact count, never more
 *         es_resampler_process(r, chunk, n, out, cap, &got);
 *     es_resampler_finish(r, out, es_resampler_finish_size(r), &got);   the tail
 *     es_resampler_free(r);
 *
 * Method: windowed-sinc polyphase filtering (Kaiser window). The rates are reduced by their
 * gcd to L/M; output sample k is the filtered input evaluated at input time k*M/L exactly
 * (the filter is centred on that instant, so there is no group delay to undo), with zeros
 * before the first and after the last input sample. N input samples therefore give
 * ceil(N * output_rate / input_rate) output samples in all, like scipy.signal.resample_poly.
 *
 * The filter is specified relative to the lower of the two Nyquist frequencies: flat to
 * passband_edge (default 0.9), attenuated by stopband_attenuation_db from stopband_edge
 * (default 1.0, so nothing aliases). A table of L phases is computed once in _new; when L
 * phases would not fit in ES_RESAMPLER_MAX_TABLE coefficients (rates with a tiny gcd such as
 * 44101 -> 16000) the table holds a finer fixed grid of phases and each output interpolates
 * linearly between the two nearest ones (interpolation error below -110 dB).
 * Nothing allocates after _new. Streaming == one-shot bit for bit for every chunking: each
 * output is the same dot product over the same samples, whenever it is computed.
 * Equal rates are an exact copy (no filtering, no latency).
 */
#ifndef EDGESTT_RESAMPLE_H
#define EDGESTT_RESAMPLE_H

#include "edgestt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cffi:begin */

/* ---------------------------------------------------------------- resampling */

#define ES_RESAMPLER_MIN_RATE_HZ 1000
#define ES_RESAMPLER_MAX_RATE_HZ 768000
#define ES_RESAMPLER_MAX_RATIO 64          /* max(in, out) / min(in, out) */
#define ES_RESAMPLER_MAX_TABLE 1048576     /* filter coefficients kept (4 MiB of float) */

typedef struct {
    uint32_t input_rate_hz;          /* ES_RESAMPLER_MIN_RATE_HZ .. ES_RESAMPLER_MAX_RATE_HZ; 0 by default: set it */
    uint32_t output_rate_hz;         /* same range; 0 by default: set it */
    double passband_edge;            /* end of the flat band, as a fraction of the lower Nyquist (0.9) */
    double stopband_edge;            /* start of the stop band, same unit, > passband_edge, <= 1.0 (1.0) */
    double stopband_attenuation_db;  /* design attenuation of the stop band, 40 .. 140 (100) */
} es_resampler_config;

typedef struct es_resampler es_resampler;

/* Rates 0 (must be set), passband 0.9, stopband 1.0, 100 dB. */
es_resampler_config es_resampler_config_default(void);
/* ES_ERR_INVALID_CONFIG with the field named in err when impossible. */
es_status es_resampler_config_check(const es_resampler_config *cfg, char *err, size_t err_len);

es_status es_resampler_new(const es_resampler_config *cfg, es_resampler **out, char *err, size_t err_len);
void es_resampler_free(es_resampler *r);

/* Exactly how many samples es_resampler_process(r, .., num_input, ..) would write now. */
size_t es_resampler_output_size(const es_resampler *r, size_t num_input);
/* Exactly how many samples es_resampler_finish(r, ..) would write now (0 after finish). */
size_t es_resampler_finish_size(const es_resampler *r);
/* Output samples of a whole stream of num_input samples: ceil(num_input * out / in). */
size_t es_resampler_total_output(const es_resampler *r, size_t num_input);

/* Consume all num_input samples (float, any scale) and write the outputs they complete.
 * Non-finite input: ES_ERR_NOT_FINITE, nothing consumed. capacity below
 * es_resampler_output_size(r, num_input): ES_ERR_BUFFER_TOO_SMALL, nothing consumed.
 * After finish: ES_ERR_BAD_STATE until reset. num_input 0 is allowed (in may be NULL). */
es_status es_resampler_process(es_resampler *r, const float *in, size_t num_input,
                               float *out, size_t capacity, size_t *num_output);
/* End of the stream: the last outputs, computed with zeros after the last input sample.
 * Then ES_ERR_BAD_STATE for process/finish until reset. */
es_status es_resampler_finish(es_resampler *r, float *out, size_t capacity, size_t *num_output);
/* Forget everything: a new stream starts, as after _new. */
void es_resampler_reset(es_resampler *r);

/* Input samples held back before their outputs can be computed (the filter's half-width,
 * 0 for equal rates). The output is aligned regardless: finish releases the tail. */
size_t es_resampler_latency(const es_resampler *r);
/* Filter taps per output sample and phases in the table (for reports and benchmarks). */
size_t es_resampler_taps(const es_resampler *r);
size_t es_resampler_phases(const es_resampler *r);
/* Non-zero when outputs interpolate between table phases (L phases did not fit). */
int es_resampler_interpolates(const es_resampler *r);

/* cffi:end */

#ifdef __cplusplus
}
#endif

#endif /* EDGESTT_RESAMPLE_H */
