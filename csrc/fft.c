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
    double *tw_re;      /* per stage of length L >= 8, exp(-2 pi i j / L) for j < L/2, */
    double *tw_im;      /* stored contiguously from index L/2 (so the run for L starts at L/2) */
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
    p->tw_re = malloc(m * sizeof(double));
    p->tw_im = malloc(m * sizeof(double));
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
    for (size_t len = 2; len <= m; len <<= 1) {
        for (size_t j = 0; j < len / 2; j++) {
            p->tw_re[len / 2 + j] = cos(two_pi * (double)j / (double)len);
            p->tw_im[len / 2 + j] = -sin(two_pi * (double)j / (double)len);
        }
    }
    for (size_t j = 0; j <= m / 2; j++) {
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

/* In-place iterative radix-2 decimation-in-time FFT on (re, im), already bit-reversed.
 * The first two stages have trivial twiddles (1, and 1 / -i) and are done without
 * multiplications; later stages go in fused pairs and read their twiddles contiguously. */
static void complex_fft(const es_rfft *p, double *re, double *im)
{
    size_t m = p->half;
    for (size_t a = 0; a + 1 < m; a += 2) {
        double tr = re[a + 1], ti = im[a + 1];
        re[a + 1] = re[a] - tr;
        im[a + 1] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
    }
    if (m >= 4) {
        for (size_t a = 0; a < m; a += 4) {
            double r0 = re[a], i0 = im[a], r1 = re[a + 1], i1 = im[a + 1];
            double r2 = re[a + 2], i2 = im[a + 2], r3 = re[a + 3], i3 = im[a + 3];
            /* element 3 is multiplied by -i: (r3, i3) -> (i3, -r3) */
            re[a] = r0 + r2;
            im[a] = i0 + i2;
            re[a + 2] = r0 - r2;
            im[a + 2] = i0 - i2;
            re[a + 1] = r1 + i3;
            im[a + 1] = i1 - r3;
            re[a + 3] = r1 - i3;
            im[a + 3] = i1 + r3;
        }
    }
    /* Remaining stages two at a time: stage `len` (pairs h = len/2 apart) then stage
     * 2*len, fused so each block of 4h values is loaded once. */
    size_t len = 8;
    for (; 2 * len <= m; len <<= 2) {
        size_t h = len >> 1;
        const double *w1r = p->tw_re + h, *w1i = p->tw_im + h;     /* exp(-2 pi i j / len) */
        const double *w2r = p->tw_re + len, *w2i = p->tw_im + len; /* exp(-2 pi i j / 2len) */
        for (size_t start = 0; start < m; start += 2 * len) {
            /* Four disjoint quarters of the block: restrict lets the compiler vectorise. */
            double *restrict r0 = re + start, *restrict r1 = r0 + h, *restrict r2 = r1 + h, *restrict r3 = r2 + h;
            double *restrict i0 = im + start, *restrict i1 = i0 + h, *restrict i2 = i1 + h, *restrict i3 = i2 + h;
            for (size_t j = 0; j < h; j++) {
                double x1r = r1[j] * w1r[j] - i1[j] * w1i[j];
                double x1i = r1[j] * w1i[j] + i1[j] * w1r[j];
                double x3r = r3[j] * w1r[j] - i3[j] * w1i[j];
                double x3i = r3[j] * w1i[j] + i3[j] * w1r[j];
                double y0r = r0[j] + x1r, y0i = i0[j] + x1i, y1r = r0[j] - x1r, y1i = i0[j] - x1i;
                double y2r = r2[j] + x3r, y2i = i2[j] + x3i, y3r = r2[j] - x3r, y3i = i2[j] - x3i;
                double t2r = y2r * w2r[j] - y2i * w2i[j], t2i = y2r * w2i[j] + y2i * w2r[j];
                /* y3 takes exp(-2 pi i (j+h) / 2len) = w2 * (-i) */
                double t3r = y3r * w2i[j] + y3i * w2r[j], t3i = y3i * w2i[j] - y3r * w2r[j];
                r0[j] = y0r + t2r;
                i0[j] = y0i + t2i;
                r2[j] = y0r - t2r;
                i2[j] = y0i - t2i;
                r1[j] = y1r + t3r;
                i1[j] = y1i + t3i;
                r3[j] = y1r - t3r;
                i3[j] = y1i - t3i;
            }
        }
    }
    if (len <= m) { /* an odd number of stages leaves one radix-2 stage */
        size_t half = len >> 1;
        const double *wre = p->tw_re + half, *wim = p->tw_im + half;
        for (size_t start = 0; start < m; start += len) {
            double *ar = re + start, *ai = im + start, *br = ar + half, *bi = ai + half;
            for (size_t j = 0; j < half; j++) {
                double tr = br[j] * wre[j] - bi[j] * wim[j];
                double ti = br[j] * wim[j] + bi[j] * wre[j];
                br[j] = ar[j] - tr;
                bi[j] = ai[j] - ti;
                ar[j] += tr;
                ai[j] += ti;
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
