/* Resampler: sines keep amplitude and phase (output k is the input at time k/out_rate),
 * counts are ceil(N*out/in), any chunking gives the same bits, bad input is refused. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "edgestt_resample.h"

static const double two_pi = 6.283185307179586476925286766559;

static es_resampler *make(uint32_t in_hz, uint32_t out_hz)
{
    es_resampler_config cfg = es_resampler_config_default();
    cfg.input_rate_hz = in_hz;
    cfg.output_rate_hz = out_hz;
    es_resampler *r = NULL;
    CHECK_STATUS(es_resampler_new(&cfg, &r, NULL, 0), ES_OK);
    return r;
}

/* Resamples `n` samples in chunks of the given sizes (cycled; 0 means all at once) and
 * returns the number of outputs written to out. */
static size_t run_chunked(es_resampler *r, const float *x, size_t n, const size_t *sizes, size_t num_sizes,
                          float *out)
{
    size_t pos = 0, written = 0, s = 0;
    es_resampler_reset(r);
    while (pos < n) {
        size_t chunk = sizes[s++ % num_sizes];
        if (chunk == 0 || chunk > n - pos)
            chunk = n - pos;
        size_t got = 0, cap = es_resampler_output_size(r, chunk);
        CHECK_STATUS(es_resampler_process(r, x + pos, chunk, out + written, cap, &got), ES_OK);
        CHECK(got == cap);
        written += got;
        pos += chunk;
    }
    size_t got = 0, cap = es_resampler_finish_size(r);
    CHECK_STATUS(es_resampler_finish(r, out + written, cap, &got), ES_OK);
    CHECK(got == cap);
    return written + got;
}

/* Worst error against A sin(2 pi f t + phase) sampled at out_hz, skipping `edge` outputs at each end. */
static double sine_error(uint32_t in_hz, uint32_t out_hz, double f, size_t n)
{
    float *x = malloc(n * sizeof *x);
    size_t cap = n * 64 + 64;
    float *y = malloc(cap * sizeof *y);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.8 * sin(two_pi * f * (double)i / in_hz + 0.3));
    es_resampler *r = make(in_hz, out_hz);
    size_t all = 0;
    size_t m = run_chunked(r, x, n, &all, 1, y);
    CHECK(m == es_resampler_total_output(r, n));
    size_t edge = m / 10;
    double worst = 0.0;
    for (size_t k = edge; k < m - edge; k++) {
        double want = 0.8 * sin(two_pi * f * (double)k / out_hz + 0.3);
        double e = fabs(y[k] - want);
        if (e > worst)
            worst = e;
    }
    es_resampler_free(r);
    free(x);
    free(y);
    return worst;
}

static void test_sines(void)
{
    /* Kaiser design for 100 dB: passband error ~1e-5; float arithmetic adds ~1e-6. */
    CHECK_NEAR(sine_error(44100, 16000, 1000.0, 44100), 0.0, 2e-5);
    CHECK_NEAR(sine_error(44100, 16000, 7000.0, 44100), 0.0, 2e-5);
    CHECK_NEAR(sine_error(48000, 16000, 440.0, 48000), 0.0, 2e-5);
    CHECK_NEAR(sine_error(8000, 16000, 3000.0, 8000), 0.0, 2e-5);
    CHECK_NEAR(sine_error(22050, 16000, 5000.0, 22050), 0.0, 2e-5);
    CHECK_NEAR(sine_error(16000, 44100, 6000.0, 16000), 0.0, 2e-5);
    /* gcd 1: the interpolated-phase table */
    CHECK_NEAR(sine_error(44101, 16000, 2500.0, 44101), 0.0, 2e-5);
}

static void test_stopband(void)
{
    /* A 12 kHz sine has no place at 16 kHz: what remains is aliasing, designed 100 dB down. */
    size_t n = 44100;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)sin(two_pi * 12000.0 * (double)i / 44100.0);
    es_resampler *r = make(44100, 16000);
    size_t all = 0, m = run_chunked(r, x, n, &all, 1, y);
    double peak = 0.0;
    for (size_t k = m / 10; k < m - m / 10; k++)
        peak = fabs(y[k]) > peak ? fabs(y[k]) : peak;
    CHECK(peak < 1e-4); /* below -80 dB even at the peak */
    es_resampler_free(r);
    free(x);
    free(y);
}

static void test_identity_and_dc(void)
{
    float x[1000], y[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = (float)((i * 7919) % 2001 - 1000) / 1000.0f;
    es_resampler *r = make(16000, 16000);
    CHECK(es_resampler_latency(r) == 0);
    size_t all = 0;
    CHECK(run_chunked(r, x, 1000, &all, 1, y) == 1000);
    CHECK(memcmp(x, y, sizeof x) == 0);
    es_resampler_free(r);

    /* Each phase is normalised to unit DC gain: a constant comes out constant. */
    float ones[4000], z[2000];
    for (int i = 0; i < 4000; i++)
        ones[i] = 1.0f;
    r = make(48000, 22050);
    size_t m = run_chunked(r, ones, 4000, &all, 1, z);
    CHECK(m == (4000 * 22050 + 47999) / 48000);
    for (size_t k = 400; k < m - 400; k++)
        CHECK_NEAR(z[k], 1.0, 1e-6);
    es_resampler_free(r);
}

static void test_counts_and_chunking(void)
{
    static const uint32_t pairs[][2] = {{44100, 16000}, {48000, 16000}, {8000, 16000}, {22050, 16000},
                                        {16000, 44100}, {44101, 16000}, {11025, 8000}};
    size_t n = 9001;
    float *x = malloc(n * sizeof *x), *a = malloc(4 * n * sizeof *a), *b = malloc(4 * n * sizeof *b);
    unsigned seed = 12345;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        es_resampler *r = make(pairs[p][0], pairs[p][1]);
        for (size_t len = 0; len < 40; len += 3) { /* tiny streams, shorter than the filter */
            size_t all = 0;
            CHECK(run_chunked(r, x, len, &all, 1, a) == es_resampler_total_output(r, len));
        }
        size_t all = 0;
        size_t m = run_chunked(r, x, n, &all, 1, a);
        CHECK(m == (size_t)(((uint64_t)n * pairs[p][1] + pairs[p][0] - 1) / pairs[p][0]));
        static const size_t ones[] = {1}, mixed[] = {7, 4096, 1, 333, 0}, big[] = {4097, 5000};
        CHECK(run_chunked(r, x, n, ones, 1, b) == m && memcmp(a, b, m * sizeof *a) == 0);
        CHECK(run_chunked(r, x, n, mixed, 5, b) == m && memcmp(a, b, m * sizeof *a) == 0);
        CHECK(run_chunked(r, x, n, big, 2, b) == m && memcmp(a, b, m * sizeof *a) == 0);
        es_resampler_free(r);
    }
    free(x);
    free(a);
    free(b);
}

static void test_bad_input(void)
{
    es_resampler *r = make(48000, 16000);
    float x[300], y[200];
    size_t got = 99;
    for (int i = 0; i < 300; i++)
        x[i] = (float)sin(i * 0.1);
    float reference[200];
    size_t all = 0, m = run_chunked(r, x, 300, &all, 1, reference);

    es_resampler_reset(r);
    float bad[300];
    memcpy(bad, x, sizeof bad);
    bad[250] = NAN;
    CHECK_STATUS(es_resampler_process(r, bad, 300, y, 200, &got), ES_ERR_NOT_FINITE);
    bad[250] = INFINITY;
    CHECK_STATUS(es_resampler_process(r, bad, 300, y, 200, &got), ES_ERR_NOT_FINITE);
    CHECK(got == 99);
    /* Too small an output buffer: refused, nothing consumed either. */
    CHECK_STATUS(es_resampler_process(r, x, 300, y, es_resampler_output_size(r, 300) - 1, &got),
                 ES_ERR_BUFFER_TOO_SMALL);
    /* After the refusals the stream is as new: the same output as without them. */
    size_t first = 0, tail = 0;
    CHECK_STATUS(es_resampler_process(r, x, 300, y, 200, &first), ES_OK);
    CHECK_STATUS(es_resampler_finish(r, y + first, 1, &tail), ES_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(es_resampler_finish(r, y + first, 200 - first, &tail), ES_OK);
    CHECK(first + tail == m && memcmp(y, reference, m * sizeof *y) == 0);

    CHECK_STATUS(es_resampler_process(r, x, 10, y, 200, &got), ES_ERR_BAD_STATE);
    CHECK_STATUS(es_resampler_finish(r, y, 200, &got), ES_ERR_BAD_STATE);
    CHECK(es_resampler_output_size(r, 100) == 0 && es_resampler_finish_size(r) == 0);
    es_resampler_reset(r);
    CHECK_STATUS(es_resampler_process(r, NULL, 0, NULL, 0, &got), ES_OK);
    CHECK(got == 0);
    CHECK_STATUS(es_resampler_process(r, NULL, 5, y, 200, &got), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_resampler_process(NULL, x, 5, y, 200, &got), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_resampler_process(r, x, 5, y, 200, NULL), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_resampler_finish(NULL, y, 200, &got), ES_ERR_NULL_ARGUMENT);
    es_resampler_free(r);
    es_resampler_free(NULL);
}

static void test_bad_configs(void)
{
    es_resampler *r = NULL;
    char err[256];
    es_resampler_config base = es_resampler_config_default(), cfg;
    base.input_rate_hz = 44100;
    base.output_rate_hz = 16000;
    CHECK_STATUS(es_resampler_config_check(&base, err, sizeof err), ES_OK);

    cfg = es_resampler_config_default(); /* rates left at 0 */
    CHECK_STATUS(es_resampler_new(&cfg, &r, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(r == NULL && strstr(err, "input_rate_hz") != NULL);
    cfg = base, cfg.output_rate_hz = 999;
    CHECK_STATUS(es_resampler_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(strstr(err, "output_rate_hz 999") != NULL);
    cfg = base, cfg.input_rate_hz = 800000;
    CHECK_STATUS(es_resampler_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base, cfg.input_rate_hz = 768000, cfg.output_rate_hz = 8000; /* ratio 96 */
    CHECK_STATUS(es_resampler_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(strstr(err, "factor") != NULL);
    cfg = base, cfg.passband_edge = 1.0;
    CHECK_STATUS(es_resampler_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base, cfg.passband_edge = NAN;
    CHECK_STATUS(es_resampler_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base, cfg.stopband_edge = 1.2;
    CHECK_STATUS(es_resampler_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = base, cfg.passband_edge = 0.995;
    CHECK_STATUS(es_resampler_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(strstr(err, "transition") != NULL);
    cfg = base, cfg.stopband_attenuation_db = 20.0;
    CHECK_STATUS(es_resampler_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK_STATUS(es_resampler_config_check(NULL, err, sizeof err), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_resampler_new(&base, NULL, err, sizeof err), ES_ERR_NULL_ARGUMENT);

    /* The extremes of the range build, within the table budget. */
    cfg = base, cfg.input_rate_hz = 768000, cfg.output_rate_hz = 12000;
    CHECK_STATUS(es_resampler_new(&cfg, &r, err, sizeof err), ES_OK);
    CHECK(es_resampler_phases(r) * es_resampler_taps(r) <= ES_RESAMPLER_MAX_TABLE);
    es_resampler_free(r);
    cfg = base, cfg.input_rate_hz = 767999, cfg.output_rate_hz = 768000;
    CHECK_STATUS(es_resampler_new(&cfg, &r, err, sizeof err), ES_OK);
    CHECK(es_resampler_interpolates(r) && (es_resampler_phases(r) + 1) * es_resampler_taps(r) <= ES_RESAMPLER_MAX_TABLE);
    es_resampler_free(r);
}

int main(void)
{
    test_sines();
    test_stopband();
    test_identity_and_dc();
    test_counts_and_chunking();
    test_bad_input();
    test_bad_configs();
    CHECK_DONE();
}
