/* Streaming band-limited resampling: windowed-sinc polyphase filtering (Kaiser window).
 *
 * Time is counted in input samples. Output k sits at t_k = k*M/L = base_k + rem_k/L; it is
 * sum_j x[base_k - H + 1 + j] * h(rem_k/L + H - 1 - j) for j in [0, 2H), where
 * h(t) = 2 fc sinc(2 fc t) kaiser(t / H) is the continuous low-pass kernel (zero for |t| >= H).
 * Input samples live in `buf` (absolute index buf_start + i) until no later output needs them.
 * Samples before 0 and after the end of the stream are zeros, as in scipy's resample_poly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgestt_resample.h"
#include "internal.h"

#define BLOCK_SAMPLES 4096 /* input samples appended to the buffer per step */
#define MAX_INTERPOLATED_PHASES 4096
#define LANES 8 /* partial sums of the dot product; taps per output are a multiple */

static const double pi = 3.14159265358979323846264338327950288;

struct es_resampler {
    es_resampler_config cfg;
    uint64_t up, down;       /* L and M: the rates divided by their gcd */
    size_t half;             /* H: taps on each side of an output instant */
    size_t taps;             /* 2H */
    size_t phases;           /* rows of the table (L, or the interpolation grid) */
    int interpolate;         /* rows form a grid of `phases` steps plus one closing row */
    float *table;            /* [rows][taps] */
    float *buf;              /* [taps + BLOCK_SAMPLES] */
    size_t buf_cap;

    /* stream state */
    int64_t buf_start;       /* absolute input index of buf[0] */
    size_t fill;             /* valid samples in buf */
    uint64_t total_input;    /* real samples accepted (zeros of finish excluded) */
    int64_t base;            /* floor(t_k) of the next output */
    uint64_t rem;            /* (k*M) mod L of the next output */
    uint64_t emitted;        /* outputs written so far */
    int finished;
};

es_resampler_config es_resampler_config_default(void)
{
    es_resampler_config cfg;
    cfg.input_rate_hz = 0;
    cfg.output_rate_hz = 0;
    cfg.passband_edge = 0.9;
    cfg.stopband_edge = 1.0;
    cfg.stopband_attenuation_db = 100.0;
    return cfg;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int rate_ok(uint32_t hz)
{
    return hz >= ES_RESAMPLER_MIN_RATE_HZ && hz <= ES_RESAMPLER_MAX_RATE_HZ;
}

es_status es_resampler_config_check(const es_resampler_config *cfg, char *err, size_t err_len)
{
    if (cfg == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "config is NULL");
    if (!rate_ok(cfg->input_rate_hz))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "input_rate_hz %u is outside [%d, %d]",
                        (unsigned)cfg->input_rate_hz, ES_RESAMPLER_MIN_RATE_HZ, ES_RESAMPLER_MAX_RATE_HZ);
    if (!rate_ok(cfg->output_rate_hz))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "output_rate_hz %u is outside [%d, %d]",
                        (unsigned)cfg->output_rate_hz, ES_RESAMPLER_MIN_RATE_HZ, ES_RESAMPLER_MAX_RATE_HZ);
    uint32_t lo = cfg->input_rate_hz < cfg->output_rate_hz ? cfg->input_rate_hz : cfg->output_rate_hz;
    uint32_t hi = cfg->input_rate_hz < cfg->output_rate_hz ? cfg->output_rate_hz : cfg->input_rate_hz;
    if ((uint64_t)hi > (uint64_t)lo * ES_RESAMPLER_MAX_RATIO)
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "input_rate_hz %u and output_rate_hz %u differ by more "
                        "than a factor %d", (unsigned)cfg->input_rate_hz, (unsigned)cfg->output_rate_hz,
                        ES_RESAMPLER_MAX_RATIO);
    /* Written as negations so that NaN fails too. */
    if (!(cfg->passband_edge > 0.0 && cfg->passband_edge < cfg->stopband_edge))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                        "passband_edge %g must be > 0 and below stopband_edge %g", cfg->passband_edge,
                        cfg->stopband_edge);
    if (!(cfg->stopband_edge <= 1.0))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                        "stopband_edge %g must be <= 1 (the lower Nyquist frequency)", cfg->stopband_edge);
    if (!(cfg->stopband_edge - cfg->passband_edge >= 0.01))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                        "the transition band (stopband_edge - passband_edge = %g) must be >= 0.01",
                        cfg->stopband_edge - cfg->passband_edge);
    if (!(cfg->stopband_attenuation_db >= 40.0 && cfg->stopband_attenuation_db <= 140.0))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "stopband_attenuation_db %g is outside [40, 140]",
                        cfg->stopband_attenuation_db);
    return ES_OK;
}

/* Modified Bessel function of the first kind, order 0 (power series; converges fast for the
 * arguments of a Kaiser window, beta <= 15). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 200 && term > sum * 1e-17; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
    }
    return sum;
}

/* Kaiser's formulas for a window of attenuation A dB. */
static double kaiser_beta(double atten_db)
{
    if (atten_db > 50.0)
        return 0.1102 * (atten_db - 8.7);
    return 0.5842 * pow(atten_db - 21.0, 0.4) + 0.07886 * (atten_db - 21.0);
}

typedef struct {
    double cutoff;   /* fc, cycles per input sample (the -6 dB point) */
    double beta;
    double half;     /* H as a real number */
    double i0_beta;
} kernel;

static double kernel_at(const kernel *k, double t)
{
    double u = t / k->half;
    if (u <= -1.0 || u >= 1.0)
        return 0.0;
    double x = 2.0 * k->cutoff * t;
    double sinc = x == 0.0 ? 1.0 : sin(pi * x) / (pi * x);
    return 2.0 * k->cutoff * sinc * bessel_i0(k->beta * sqrt(1.0 - u * u)) / k->i0_beta;
}

/* Row `row` holds the taps for the fractional position frac = row / phases, each normalised
 * to a gain of exactly 1 at DC (the raw rows differ from 1 by the stop-band ripple).
 * The kernel is even, so row `phases - row` is row `row` reversed: only half are computed.
 * `scratch` holds one row in double. */
static void fill_table(es_resampler *r, const kernel *k, size_t rows, double *scratch)
{
    for (size_t row = 0; row < rows; row++) {
        float *taps = r->table + row * r->taps;
        if (2 * row > r->phases) {
            const float *mirror = r->table + (r->phases - row) * r->taps;
            for (size_t j = 0; j < r->taps; j++)
                taps[j] = mirror[r->taps - 1 - j];
            continue;
        }
        double frac = (double)row / (double)r->phases;
        double sum = 0.0;
        for (size_t j = 0; j < r->taps; j++) {
            scratch[j] = kernel_at(k, frac + (double)r->half - 1.0 - (double)j);
            sum += scratch[j];
        }
        for (size_t j = 0; j < r->taps; j++)
            taps[j] = (float)(scratch[j] / sum);
    }
}

es_status es_resampler_new(const es_resampler_config *cfg, es_resampler **out, char *err, size_t err_len)
{
    if (out == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "out is NULL");
    es_status st = es_resampler_config_check(cfg, err, err_len);
    if (st != ES_OK)
        return st;
    es_resampler *r = calloc(1, sizeof *r);
    if (r == NULL)
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "resampler");
    r->cfg = *cfg;
    uint64_t g = gcd(cfg->input_rate_hz, cfg->output_rate_hz);
    r->up = cfg->output_rate_hz / g;
    r->down = cfg->input_rate_hz / g;

    if (r->up != r->down) {
        /* Band edges in cycles per input sample: the lower Nyquist is 0.5 * min(1, L/M). */
        double nyquist = 0.5 * (r->up < r->down ? (double)r->up / (double)r->down : 1.0);
        double transition = (cfg->stopband_edge - cfg->passband_edge) * nyquist;
        kernel k;
        k.cutoff = 0.5 * (cfg->passband_edge + cfg->stopband_edge) * nyquist;
        k.beta = kaiser_beta(cfg->stopband_attenuation_db);
        k.i0_beta = bessel_i0(k.beta);
        /* Kaiser's length estimate, in input samples: (A - 7.95) / (14.36 * transition). */
        double length = (cfg->stopband_attenuation_db - 7.95) / (14.36 * transition);
        size_t half = (size_t)ceil(length / 2.0);
        size_t step = (size_t)((r->down + r->up - 1) / r->up); /* input samples per output, rounded up */
        if (half < step + 1)
            half = step + 1; /* the buffer logic needs each output's window to reach the next one */
        half = (half + LANES / 2 - 1) / (LANES / 2) * (LANES / 2); /* 2H taps: whole SIMD lanes */
        k.half = (double)half;
        r->half = half;
        r->taps = 2 * half;
        size_t rows;
        if (r->up * r->taps <= ES_RESAMPLER_MAX_TABLE) {
            r->phases = (size_t)r->up;
            rows = r->phases;
        } else {
            size_t phases = ES_RESAMPLER_MAX_TABLE / r->taps - 1;
            r->phases = phases < MAX_INTERPOLATED_PHASES ? phases : MAX_INTERPOLATED_PHASES;
            r->interpolate = 1;
            rows = r->phases + 1; /* row `phases` is frac = 1, the right end of the last interval */
        }
        r->table = malloc(rows * r->taps * sizeof *r->table);
        r->buf_cap = r->taps + BLOCK_SAMPLES;
        r->buf = malloc(r->buf_cap * sizeof *r->buf);
        double *scratch = malloc(r->taps * sizeof *scratch);
        if (r->table == NULL || r->buf == NULL || scratch == NULL) {
            free(scratch);
            size_t taps = r->taps;
            es_resampler_free(r);
            return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "resampler filter table of %zu x %zu", rows, taps);
        }
        fill_table(r, &k, rows, scratch);
        free(scratch);
    }
    es_resampler_reset(r);
    *out = r;
    return ES_OK;
}

void es_resampler_free(es_resampler *r)
{
    if (r == NULL)
        return;
    free(r->table);
    free(r->buf);
    free(r);
}

void es_resampler_reset(es_resampler *r)
{
    if (r == NULL)
        return;
    r->total_input = 0;
    r->base = 0;
    r->rem = 0;
    r->emitted = 0;
    r->finished = 0;
    if (r->buf != NULL) {
        /* The zeros before the stream: output 0 reads from index 1 - H. */
        r->fill = r->half - 1;
        r->buf_start = -(int64_t)r->fill;
        memset(r->buf, 0, r->fill * sizeof *r->buf);
    }
}

static int identity(const es_resampler *r)
{
    return r->up == r->down;
}

/* Outputs computable once the buffer ends at absolute index `end` (exclusive): those whose
 * last tap base_k + H is below end. base_k = base + floor((rem + j*M) / L) for the j-th. */
static uint64_t outputs_until(const es_resampler *r, int64_t end)
{
    int64_t room = end - 1 - (int64_t)r->half - r->base; /* floor((rem + j*M)/L) may reach this */
    if (room < 0)
        return 0;
    return (((uint64_t)room + 1) * r->up - r->rem + r->down - 1) / r->down;
}

static int64_t buffer_end(const es_resampler *r)
{
    return r->buf_start + (int64_t)r->fill;
}

size_t es_resampler_total_output(const es_resampler *r, size_t num_input)
{
    if (r == NULL)
        return 0;
    return (size_t)(((uint64_t)num_input * r->up + r->down - 1) / r->down);
}

size_t es_resampler_output_size(const es_resampler *r, size_t num_input)
{
    if (r == NULL || r->finished)
        return 0;
    if (identity(r))
        return num_input;
    return (size_t)outputs_until(r, buffer_end(r) + (int64_t)num_input);
}

size_t es_resampler_finish_size(const es_resampler *r)
{
    if (r == NULL || r->finished || identity(r))
        return 0;
    return (size_t)(es_resampler_total_output(r, (size_t)r->total_input) - r->emitted);
}

/* Eight partial sums in a fixed order: the same result for the same taps whenever it is
 * computed (streaming == one-shot), and an inner loop that compilers turn into SIMD
 * multiply-adds (SSE, NEON) without -ffast-math. n is a multiple of LANES (see _new). */
static float dot(const float *x, const float *h, size_t n)
{
    float acc[LANES] = {0.0f};
    for (size_t j = 0; j < n; j += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] += x[j + k] * h[j + k];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* Writes up to `count` outputs (all computable from the buffer), advancing the clock. */
static void compute(es_resampler *r, uint64_t count, float *out)
{
    for (uint64_t n = 0; n < count; n++) {
        const float *x = r->buf + (r->base - (int64_t)r->half + 1 - r->buf_start);
        float y;
        if (!r->interpolate) {
            y = dot(x, r->table + r->rem * r->taps, r->taps);
        } else {
            uint64_t pos = r->rem * r->phases; /* frac * phases * L */
            size_t row = (size_t)(pos / r->up);
            double a = (double)(pos % r->up) / (double)r->up;
            double y0 = dot(x, r->table + row * r->taps, r->taps);
            double y1 = dot(x, r->table + (row + 1) * r->taps, r->taps);
            y = (float)(y0 + a * (y1 - y0));
        }
        out[n] = y;
        r->rem += r->down;
        r->base += (int64_t)(r->rem / r->up);
        r->rem %= r->up;
    }
    r->emitted += count;
}

/* Drops the samples before the next output's first tap. */
static void discard_used(es_resampler *r)
{
    int64_t first = r->base - (int64_t)r->half + 1;
    size_t drop = (size_t)(first - r->buf_start);
    if (drop == 0)
        return;
    /* half >= step + 1 keeps the next window's start inside what is buffered. */
    r->fill -= drop;
    memmove(r->buf, r->buf + drop, r->fill * sizeof *r->buf);
    r->buf_start = first;
}

/* Appends n samples (zeros when in is NULL) and writes the outputs they complete, up to
 * `limit` outputs in all since reset. Returns the number written. */
static size_t push(es_resampler *r, const float *in, size_t n, float *out, uint64_t limit)
{
    size_t written = 0;
    while (n > 0) {
        size_t chunk = r->buf_cap - r->fill;
        if (chunk > n)
            chunk = n;
        if (in != NULL) {
            memcpy(r->buf + r->fill, in, chunk * sizeof *in);
            in += chunk;
        } else {
            memset(r->buf + r->fill, 0, chunk * sizeof *r->buf);
        }
        r->fill += chunk;
        n -= chunk;
        uint64_t count = outputs_until(r, buffer_end(r));
        if (count > limit - r->emitted)
            count = limit - r->emitted;
        compute(r, count, out + written);
        written += (size_t)count;
        discard_used(r);
        if (r->emitted == limit)
            break; /* finish: the rest of its zeros is not needed */
    }
    return written;
}

es_status es_resampler_process(es_resampler *r, const float *in, size_t num_input,
                               float *out, size_t capacity, size_t *num_output)
{
    if (r == NULL || num_output == NULL || (in == NULL && num_input > 0))
        return ES_ERR_NULL_ARGUMENT;
    if (r->finished)
        return ES_ERR_BAD_STATE;
    size_t needed = es_resampler_output_size(r, num_input);
    if (needed > capacity)
        return ES_ERR_BUFFER_TOO_SMALL;
    if (needed > 0 && out == NULL)
        return ES_ERR_NULL_ARGUMENT;
    for (size_t i = 0; i < num_input; i++)
        if (!isfinite(in[i]))
            return ES_ERR_NOT_FINITE;
    if (identity(r)) {
        if (num_input > 0)
            memcpy(out, in, num_input * sizeof *in);
        r->total_input += num_input;
        r->emitted += num_input;
        *num_output = num_input;
        return ES_OK;
    }
    *num_output = push(r, in, num_input, out, UINT64_MAX);
    r->total_input += num_input;
    return ES_OK;
}

es_status es_resampler_finish(es_resampler *r, float *out, size_t capacity, size_t *num_output)
{
    if (r == NULL || num_output == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (r->finished)
        return ES_ERR_BAD_STATE;
    size_t needed = es_resampler_finish_size(r);
    if (needed > capacity)
        return ES_ERR_BUFFER_TOO_SMALL;
    if (needed > 0 && out == NULL)
        return ES_ERR_NULL_ARGUMENT;
    size_t written = 0;
    uint64_t limit = r->emitted + needed;
    while (r->emitted < limit)
        written += push(r, NULL, BLOCK_SAMPLES, out + written, limit);
    r->finished = 1;
    *num_output = written;
    return ES_OK;
}

size_t es_resampler_latency(const es_resampler *r)
{
    return r == NULL ? 0 : r->half;
}

size_t es_resampler_taps(const es_resampler *r)
{
    return r == NULL ? 0 : r->taps;
}

size_t es_resampler_phases(const es_resampler *r)
{
    return r == NULL ? 0 : r->phases;
}

int es_resampler_interpolates(const es_resampler *r)
{
    return r == NULL ? 0 : r->interpolate;
}
