/* The streaming feature extractor: samples in (accept), frames out (ready/pop).
 *
 * Pipeline per sample: int16 scale -> pre-emphasis -> optional centre padding -> framing.
 * Per frame: window -> real FFT -> power or magnitude -> mel -> log -> optional DCT ->
 * optional fixed normalisation. Utterance normalisation runs once, at finish.
 * The one-shot calls go through the same streaming path, so streaming == one-shot. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BLOCK_SAMPLES 256 /* samples converted per inner step of accept */

struct es_features {
    es_features_config cfg;
    size_t num_features;
    size_t num_bins;        /* fft_size/2 + 1 */
    size_t span;            /* samples of the padded stream one frame covers */
    size_t window_offset;   /* where the window starts inside the span */
    size_t pad;             /* centre padding on each side (0 without centring) */

    double *window;         /* [frame_length] */
    es_rfft *fft;
    es__mel_bank *mel;
    double *dct;            /* [num_mfcc][num_mel_bins] or NULL */

    /* scratch, sized in _new */
    double *fft_in, *re, *im, *spectrum, *mel_out, *block;

    /* stream state */
    double *ring;           /* [span] padded-stream samples not yet framed */
    size_t fill;            /* valid samples in ring */
    size_t skip;            /* samples to drop before the next frame (hop > span) */
    float prev_sample;      /* x[n-1] for pre-emphasis */
    size_t total_samples;   /* samples accepted since reset */
    double *head;           /* [pad+1] first samples, held until reflect padding can start */
    size_t head_fill;
    int head_done;
    double *tail;           /* [pad+1] most recent samples, for reflect padding at the end */
    size_t tail_fill;
    int finished;

    /* output queue of frames, row-major. Double, so that utterance normalisation of a
     * nearly constant feature (std ~1e-4) does not amplify float rounding. */
    double *out;
    size_t out_cap, out_begin, out_end;
    size_t frames_made;
};

size_t es_features_num_features(const es_features *f)
{
    return f == NULL ? 0 : f->num_features;
}

static size_t frames_for(const es_features *f, size_t n)
{
    if (f->cfg.padding == ES_PADDING_CENTER_REFLECT && n <= f->pad)
        return 0; /* mirroring pad samples needs pad+1 of them (torch refuses too) */
    if (n == 0)
        return 0;
    size_t padded = n + 2 * f->pad;
    if (padded < f->span)
        return 0;
    return 1 + (padded - f->span) / f->cfg.frame_step_samples;
}

size_t es_features_frames_for_samples(const es_features *f, size_t num_samples)
{
    return f == NULL ? 0 : frames_for(f, num_samples);
}

size_t es_features_ready(const es_features *f)
{
    if (f == NULL)
        return 0;
    if (f->cfg.normalization == ES_NORM_UTTERANCE && !f->finished)
        return 0;
    return f->out_end - f->out_begin;
}

void es_features_free(es_features *f)
{
    if (f == NULL)
        return;
    free(f->window);
    es_rfft_free(f->fft);
    es__mel_bank_free(f->mel);
    free(f->dct);
    free(f->fft_in);
    free(f->re);
    free(f->im);
    free(f->spectrum);
    free(f->mel_out);
    free(f->block);
    free(f->ring);
    free(f->head);
    free(f->tail);
    free(f->out);
    free(f);
}

static void push_zeros(es_features *f, size_t count);

void es_features_reset(es_features *f)
{
    if (f == NULL)
        return;
    f->fill = 0;
    f->skip = 0;
    f->prev_sample = 0.0f;
    f->total_samples = 0;
    f->head_fill = 0;
    f->head_done = f->cfg.padding != ES_PADDING_CENTER_REFLECT;
    f->tail_fill = 0;
    f->finished = 0;
    f->out_begin = f->out_end = 0;
    f->frames_made = 0;
    if (f->cfg.padding == ES_PADDING_CENTER_ZERO)
        push_zeros(f, f->pad); /* pad < span, so this cannot complete a frame */
}

es_status es_features_new(const es_features_config *cfg, es_features **out, char *err, size_t err_len)
{
    if (cfg == NULL || out == NULL)
        return ES_ERR_NULL_ARGUMENT;
    es_status status = es__features_config_check_fields(cfg, err, err_len); /* the mel bank checks itself below */
    if (status != ES_OK)
        return status;

    es_features *f = calloc(1, sizeof *f);
    if (f == NULL)
        return ES_ERR_OUT_OF_MEMORY;
    f->cfg = *cfg;
    f->num_features = cfg->num_mfcc > 0 ? cfg->num_mfcc : cfg->num_mel_bins;
    f->num_bins = cfg->fft_size / 2 + 1;
    if (cfg->padding == ES_PADDING_NONE) {
        f->span = cfg->frame_length_samples;
        f->window_offset = 0;
        f->pad = 0;
    } else {
        /* torch.stft(center=True): pad n_fft/2 each side; the window sits centred in n_fft. */
        f->span = cfg->fft_size;
        f->window_offset = (cfg->fft_size - cfg->frame_length_samples) / 2;
        f->pad = cfg->fft_size / 2;
    }

    f->window = malloc(cfg->frame_length_samples * sizeof(double));
    f->fft_in = calloc(cfg->fft_size, sizeof(double));
    f->re = malloc(f->num_bins * sizeof(double));
    f->im = malloc(f->num_bins * sizeof(double));
    f->spectrum = malloc(f->num_bins * sizeof(double));
    f->mel_out = malloc(cfg->num_mel_bins * sizeof(double));
    f->block = malloc(BLOCK_SAMPLES * sizeof(double));
    f->ring = malloc(f->span * sizeof(double));
    f->head = malloc((f->pad + 1) * sizeof(double));
    f->tail = malloc((f->pad + 1) * sizeof(double));
    if (!f->window || !f->fft_in || !f->re || !f->im || !f->spectrum || !f->mel_out || !f->block || !f->ring ||
        !f->head || !f->tail) {
        es_features_free(f);
        return ES_ERR_OUT_OF_MEMORY;
    }
    status = es_window_fill(cfg->window, cfg->frame_length_samples, f->window);
    if (status == ES_OK)
        status = es_rfft_new(cfg->fft_size, &f->fft);
    if (status == ES_OK)
        status = es__mel_bank_new(cfg, &f->mel, err, err_len);
    if (status == ES_OK && cfg->num_mfcc > 0)
        status = es__dct_matrix_new(cfg->dct, cfg->num_mel_bins, cfg->num_mfcc, &f->dct);
    if (status != ES_OK) {
        es_features_free(f);
        return status;
    }
    es_features_reset(f);
    *out = f;
    return ES_OK;
}

/* Makes room for `extra` more frames in the output queue, compacting or growing it. */
static es_status reserve_frames(es_features *f, size_t extra)
{
    size_t queued = f->out_end - f->out_begin;
    if (f->out_end + extra <= f->out_cap)
        return ES_OK;
    size_t row = f->num_features;
    if (queued + extra <= f->out_cap) {
        memmove(f->out, f->out + f->out_begin * row, queued * row * sizeof(double));
    } else {
        size_t cap = f->out_cap * 2;
        if (cap < queued + extra)
            cap = queued + extra;
        if (cap < 64)
            cap = 64;
        if (cap > SIZE_MAX / (row * sizeof(double)))
            return ES_ERR_OUT_OF_MEMORY;
        double *grown = malloc(cap * row * sizeof(double));
        if (grown == NULL)
            return ES_ERR_OUT_OF_MEMORY;
        if (queued > 0)
            memcpy(grown, f->out + f->out_begin * row, queued * row * sizeof(double));
        free(f->out);
        f->out = grown;
        f->out_cap = cap;
    }
    f->out_begin = 0;
    f->out_end = queued;
    return ES_OK;
}

/* One frame of the padded stream (span samples) -> one feature row. */
static void compute_frame(es_features *f, const double *frame, double *row)
{
    const es_features_config *c = &f->cfg;
    size_t len = c->frame_length_samples;
    const double *src = frame + f->window_offset;
    /* The window's position inside the FFT buffer changes only the phase of the
     * spectrum, so it is placed at the start; the rest stays zero from _new. */
    for (size_t i = 0; i < len; i++)
        f->fft_in[i] = src[i] * f->window[i];
    es_rfft_forward(f->fft, f->fft_in, f->re, f->im);
    for (size_t k = 0; k < f->num_bins; k++) {
        double p = f->re[k] * f->re[k] + f->im[k] * f->im[k];
        f->spectrum[k] = c->spectrum == ES_SPECTRUM_POWER ? p : sqrt(p);
    }
    es__mel_bank_apply(f->mel, f->spectrum, f->mel_out);

    size_t mels = c->num_mel_bins;
    double *v = f->mel_out;
    if (c->log_kind == ES_LOG_FLOOR) {
        for (size_t m = 0; m < mels; m++)
            v[m] = log(v[m] > c->log_guard ? v[m] : c->log_guard);
    } else if (c->log_kind == ES_LOG_ADD) {
        for (size_t m = 0; m < mels; m++)
            v[m] = log(v[m] + c->log_guard);
    }
    for (size_t j = 0; j < f->num_features; j++) {
        double x;
        if (f->dct != NULL) {
            const double *d = f->dct + j * mels;
            x = 0.0;
            for (size_t m = 0; m < mels; m++)
                x += d[m] * v[m];
        } else {
            x = v[j];
        }
        if (c->normalization == ES_NORM_FIXED)
            x = (x - (double)c->norm_mean[j]) / ((double)c->norm_std[j] + c->norm_epsilon);
        row[j] = x;
    }
}

/* Appends samples of the padded stream, computing every frame they complete.
 * The caller has reserved room in the output queue. */
static void push_samples(es_features *f, const double *y, size_t n)
{
    size_t hop = f->cfg.frame_step_samples;
    while (n > 0) {
        if (f->skip > 0) {
            size_t drop = n < f->skip ? n : f->skip;
            f->skip -= drop;
            y += drop;
            n -= drop;
            continue;
        }
        size_t take = f->span - f->fill;
        if (take > n)
            take = n;
        memcpy(f->ring + f->fill, y, take * sizeof(double));
        f->fill += take;
        y += take;
        n -= take;
        if (f->fill == f->span) {
            compute_frame(f, f->ring, f->out + f->out_end * f->num_features);
            f->out_end++;
            f->frames_made++;
            if (hop < f->span) {
                memmove(f->ring, f->ring + hop, (f->span - hop) * sizeof(double));
                f->fill = f->span - hop;
            } else {
                f->fill = 0;
                f->skip = hop - f->span;
            }
        }
    }
}

static void push_zeros(es_features *f, size_t count)
{
    memset(f->block, 0, BLOCK_SAMPLES * sizeof(double));
    while (count > 0) {
        size_t take = count < BLOCK_SAMPLES ? count : BLOCK_SAMPLES;
        push_samples(f, f->block, take);
        count -= take;
    }
}

/* Keeps the last pad+1 samples for mirroring at the end. */
static void remember_tail(es_features *f, const double *y, size_t n)
{
    size_t cap = f->pad + 1;
    if (n >= cap) {
        memcpy(f->tail, y + n - cap, cap * sizeof(double));
        f->tail_fill = cap;
        return;
    }
    size_t keep = f->tail_fill + n > cap ? cap - n : f->tail_fill;
    memmove(f->tail, f->tail + f->tail_fill - keep, keep * sizeof(double));
    memcpy(f->tail + keep, y, n * sizeof(double));
    f->tail_fill = keep + n;
}

/* Routes pre-emphasised samples: held back until reflect padding can be written, then framed. */
static void route_samples(es_features *f, const double *y, size_t n)
{
    remember_tail(f, y, n);
    if (!f->head_done) {
        size_t need = f->pad + 1 - f->head_fill;
        size_t take = n < need ? n : need;
        memcpy(f->head + f->head_fill, y, take * sizeof(double));
        f->head_fill += take;
        y += take;
        n -= take;
        if (f->head_fill < f->pad + 1)
            return;
        /* Left pad: y[pad], y[pad-1], ..., y[1]; then y[0..pad]. */
        for (size_t i = 0; i < f->pad; i++) {
            double mirrored = f->head[f->pad - i];
            push_samples(f, &mirrored, 1);
        }
        push_samples(f, f->head, f->pad + 1);
        f->head_done = 1;
    }
    push_samples(f, y, n);
}

static es_status accept_samples(es_features *f, const float *x, const int16_t *pcm, size_t n)
{
    if (f == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (n == 0)
        return ES_OK;
    if (x == NULL && pcm == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (f->finished)
        return ES_ERR_BAD_STATE;
    if (x != NULL) {
        for (size_t i = 0; i < n; i++)
            if (!isfinite(x[i]))
                return ES_ERR_NOT_FINITE;
    }
    /* Each hop of pushed samples completes at most one frame. Besides these n samples,
     * the release of the held-back head pushes up to 2*pad more, onto a ring holding
     * at most span. */
    size_t bound = (n + 2 * f->pad + f->span) / f->cfg.frame_step_samples + 1;
    es_status status = reserve_frames(f, bound);
    if (status != ES_OK)
        return status;

    double a = f->cfg.preemphasis;
    float scale = f->cfg.int16_scale;
    for (size_t done = 0; done < n;) {
        size_t count = n - done < BLOCK_SAMPLES ? n - done : BLOCK_SAMPLES;
        for (size_t i = 0; i < count; i++) {
            /* int16 is scaled in float, as the reference clients do. */
            float s = x != NULL ? x[done + i] : (float)pcm[done + i] * scale;
            f->block[i] = (double)s - a * (double)f->prev_sample;
            f->prev_sample = s;
        }
        route_samples(f, f->block, count);
        done += count;
    }
    f->total_samples += n;
    return ES_OK;
}

es_status es_features_accept_float(es_features *f, const float *samples, size_t n)
{
    return accept_samples(f, samples, NULL, n);
}

es_status es_features_accept_int16(es_features *f, const int16_t *samples, size_t n)
{
    return accept_samples(f, NULL, samples, n);
}

static void normalise_utterance(es_features *f)
{
    size_t frames = f->out_end - f->out_begin;
    size_t row = f->num_features;
    double *base = f->out + f->out_begin * row;
    double divisor = f->cfg.norm_std_unbiased ? (double)frames - 1.0 : (double)frames;
    for (size_t j = 0; j < row; j++) {
        double sum = 0.0;
        for (size_t t = 0; t < frames; t++)
            sum += base[t * row + j];
        double mean = sum / (double)frames;
        double sq = 0.0;
        for (size_t t = 0; t < frames; t++) {
            double d = base[t * row + j] - mean;
            sq += d * d;
        }
        double denom = sqrt(sq / divisor) + f->cfg.norm_epsilon;
        for (size_t t = 0; t < frames; t++) {
            /* A constant feature with epsilon 0 would divide 0 by 0: it normalises to 0. */
            double d = base[t * row + j] - mean;
            base[t * row + j] = denom > 0.0 ? d / denom : 0.0;
        }
    }
}

es_status es_features_finish(es_features *f)
{
    if (f == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (f->finished)
        return ES_ERR_BAD_STATE;
    if (f->total_samples == 0)
        return ES_ERR_EMPTY_INPUT;
    size_t total = frames_for(f, f->total_samples);
    if (total == 0)
        return ES_ERR_TOO_SHORT;
    if (f->cfg.normalization == ES_NORM_UTTERANCE && f->cfg.norm_std_unbiased && total < 2)
        return ES_ERR_TOO_SHORT; /* an unbiased std needs two frames */
    es_status status = reserve_frames(f, total - f->frames_made);
    if (status != ES_OK)
        return status;

    if (f->cfg.padding == ES_PADDING_CENTER_REFLECT) {
        /* Right pad: y[N-2], y[N-3], ..., y[N-1-pad]; tail holds y[N-1-pad .. N-1]. */
        for (size_t i = 0; i < f->pad; i++) {
            double mirrored = f->tail[f->pad - 1 - i];
            push_samples(f, &mirrored, 1);
        }
    } else if (f->cfg.padding == ES_PADDING_CENTER_ZERO) {
        push_zeros(f, f->pad);
    }
    if (f->cfg.normalization == ES_NORM_UTTERANCE)
        normalise_utterance(f);
    f->finished = 1;
    return ES_OK;
}

es_status es_features_pop(es_features *f, float *out, size_t capacity_frames, size_t *out_frames)
{
    if (f == NULL || out_frames == NULL)
        return ES_ERR_NULL_ARGUMENT;
    size_t n = es_features_ready(f);
    if (n > capacity_frames)
        n = capacity_frames;
    if (n > 0 && out == NULL)
        return ES_ERR_NULL_ARGUMENT;
    size_t row = f->num_features;
    const double *src = f->out + f->out_begin * row;
    for (size_t i = 0; i < n * row; i++)
        out[i] = (float)src[i];
    f->out_begin += n;
    if (f->out_begin == f->out_end)
        f->out_begin = f->out_end = 0;
    *out_frames = n;
    return ES_OK;
}

static es_status compute(es_features *f, const float *x, const int16_t *pcm, size_t n, float *out,
                         size_t capacity_frames, size_t *out_frames)
{
    if (f == NULL || out_frames == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (frames_for(f, n) > capacity_frames)
        return ES_ERR_BUFFER_TOO_SMALL;
    es_features_reset(f);
    es_status status = accept_samples(f, x, pcm, n);
    if (status == ES_OK)
        status = es_features_finish(f);
    if (status == ES_OK)
        status = es_features_pop(f, out, capacity_frames, out_frames);
    return status;
}

es_status es_features_compute_float(es_features *f, const float *samples, size_t n, float *out,
                                    size_t capacity_frames, size_t *out_frames)
{
    return compute(f, samples, NULL, n, out, capacity_frames, out_frames);
}

es_status es_features_compute_int16(es_features *f, const int16_t *samples, size_t n, float *out,
                                    size_t capacity_frames, size_t *out_frames)
{
    return compute(f, NULL, samples, n, out, capacity_frames, out_frames);
}
