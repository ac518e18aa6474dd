/* Real FFT of power-of-two size N, computed as a complex FFT of size N/2 on the
 * even/odd-interleaved input followed by the standard split step. Double precision,
 * because the reference front-ends (TF kernels) compute in double and quiet bins of
 * loud frames must keep their relative accuracy through the log. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

struct es_rfft {
    size_t size;        /* N, real input length */
    size_t half;        /* M = N/2, complex FFT length */
    size_t *bitrev;     /* [M] bit-reversal permutation */
    double *tw_re;      /* [M/2] exp(-2 pi i j / M) */
    double *tw_im;
    double *split_re;   /* [M/2+1] exp(-2 pi i k / N), for the split step */
    double *split_im;
    double *work_re;    /* [M] scratch for the complex FFT */
    double *work_im;
};

void es_rfft_free(es_rfft *plan)
{
    if (plan == NULL)
        return;
    free(plan->bitrev);
    free(plan->tw_re);
    free(plan->tw_im);
    free(plan->split_re);
    free(plan->split_im);
    free(plan->work_re);
    free(plan->work_im);
    free(plan);
}

es_status es_rfft_new(size_t size, es_rfft **out)
{
    if (out == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (size < 4 || size > ((size_t)1 << 24) || !es__is_power_of_two(size))
        return ES_ERR_INVALID_ARGUMENT;

    es_rfft *p = calloc(1, sizeof *p);
    if (p == NULL)
        return ES_ERR_OUT_OF_MEMORY;
    size_t m = size / 2;
    p->size = size;
    p->half = m;
    p->bitrev = malloc(m * sizeof *p->bitrev);
    p->tw_re = malloc((m / 2 + 1) * sizeof(double));
    p->tw_im = malloc((m / 2 + 1) * sizeof(double));
    p->split_re = malloc((m / 2 + 1) * sizeof(double));
    p->split_im = malloc((m / 2 + 1) * sizeof(double));
    p->work_re = malloc(m * sizeof(double));
    p->work_im = malloc(m * sizeof(double));
    if (!p->bitrev || !p->tw_re || !p->tw_im || !p->split_re || !p->split_im || !p->work_re || !p->work_im) {
        es_rfft_free(p);
        return ES_ERR_OUT_OF_MEMORY;
    }

    size_t bits = 0;
    while (((size_t)1 << bits) < m)
        bits++;
    for (size_t i = 0; i < m; i++) {
        size_t r = 0;
        for (size_t b = 0; b < bits; b++)
            if (i & ((size_t)1 << b))
                r |= (size_t)1 << (bits - 1 - b);
        p->bitrev[i] = r;
    }
    const double two_pi = 6.283185307179586476925286766559;
    for (size_t j = 0; j <= m / 2; j++) {
        p->tw_re[j] = cos(two_pi * (double)j / (double)m);
        p->tw_im[j] = -sin(two_pi * (double)j / (double)m);
        p->split_re[j] = cos(two_pi * (double)j / (double)size);
        p->split_im[j] = -sin(two_pi * (double)j / (double)size);
    }
    *out = p;
    return ES_OK;
}

size_t es_rfft_size(const es_rfft *plan)
{
    return plan == NULL ? 0 : plan->size;
}

/* In-place iterative radix-2 decimation-in-time FFT on (re, im), already bit-reversed. */
static void complex_fft(const es_rfft *p, double *re, double *im)
{
    size_t m = p->half;
    for (size_t len = 2; len <= m; len <<= 1) {
        size_t half = len >> 1;
        size_t stride = m / len;    /* twiddle index step */
        for (size_t start = 0; start < m; start += len) {
            for (size_t j = 0; j < half; j++) {
                double wr = p->tw_re[j * stride], wi = p->tw_im[j * stride];
                size_t a = start + j, b = a + half;
                double tr = re[b] * wr - im[b] * wi;
                double ti = re[b] * wi + im[b] * wr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
    }
}

es_status es_rfft_forward(const es_rfft *plan, const double *in, double *out_re, double *out_im)
{
    if (plan == NULL || in == NULL || out_re == NULL || out_im == NULL)
        return ES_ERR_NULL_ARGUMENT;
    const es_rfft *p = plan;
    size_t m = p->half;
    /* The plan's scratch is logically part of the call: a plan is not shared between threads. */
    double *re = p->work_re, *im = p->work_im;
    for (size_t i = 0; i < m; i++) {
        size_t r = p->bitrev[i];
        re[r] = in[2 * i];
        im[r] = in[2 * i + 1];
    }
    complex_fft(p, re, im);

    /* Split: X[k] = E[k] + W^k O[k], with E = (Z[k] + conj Z[M-k])/2, O = (Z[k] - conj Z[M-k])/(2i). */
    out_re[0] = re[0] + im[0];
    out_im[0] = 0.0;
    out_re[m] = re[0] - im[0];
    out_im[m] = 0.0;
    for (size_t k = 1; k <= m / 2; k++) {
        size_t mk = m - k;
        double er = 0.5 * (re[k] + re[mk]), ei = 0.5 * (im[k] - im[mk]);
        double or_ = 0.5 * (im[k] + im[mk]), oi = -0.5 * (re[k] - re[mk]);
        double wr = p->split_re[k], wi = p->split_im[k];
        double tr = or_ * wr - oi * wi, ti = or_ * wi + oi * wr;
        out_re[k] = er + tr;
        out_im[k] = ei + ti;
        /* X[M-k] = conj(E[k] - W^k O[k]), since E and O are conjugate-symmetric and W^(M-k) = -conj(W^k). */
        out_re[mk] = er - tr;
        out_im[mk] = -(ei - ti);
    }
    return ES_OK;
}
