/* The real FFT against a direct O(N^2) DFT in long double, for every size 4..4096. */
#include <stdlib.h>

#include "check.h"
#include "edgestt.h"

/* Reference DFT: O(N^2) sums in long double over a table of the N angles, so only N
 * trigonometric calls are made (long double is emulated in software on aarch64). */
static void direct_dft(const double *x, size_t n, double *re, double *im)
{
    const long double two_pi = 6.283185307179586476925286766559L;
    long double *c = malloc(n * sizeof *c), *s = malloc(n * sizeof *s);
    if (c == NULL || s == NULL) {
        free(c);
        free(s);
        return;
    }
    for (size_t t = 0; t < n; t++) {
        c[t] = cosl(two_pi * (long double)t / (long double)n);
        s[t] = sinl(two_pi * (long double)t / (long double)n);
    }
    for (size_t k = 0; k <= n / 2; k++) {
        long double sr = 0, si = 0;
        for (size_t t = 0; t < n; t++) {
            size_t a = (k * t) % n;
            sr += x[t] * c[a];
            si -= x[t] * s[a];
        }
        re[k] = (double)sr;
        im[k] = (double)si;
    }
    free(c);
    free(s);
}

int main(void)
{
    srand(1234);
    for (size_t n = 4; n <= 4096; n *= 2) {
        es_rfft *plan = NULL;
        CHECK_STATUS(es_rfft_new(n, &plan), ES_OK);
        if (plan == NULL)
            continue;
        CHECK(es_rfft_size(plan) == n);
        double *x = malloc(n * sizeof *x);
        double *re = malloc((n / 2 + 1) * sizeof *re), *im = malloc((n / 2 + 1) * sizeof *im);
        double *rre = malloc((n / 2 + 1) * sizeof *rre), *rim = malloc((n / 2 + 1) * sizeof *rim);
        for (size_t i = 0; i < n; i++)
            x[i] = (double)rand() / RAND_MAX - 0.5;
        CHECK_STATUS(es_rfft_forward(plan, x, re, im), ES_OK);
        direct_dft(x, n, rre, rim);
        double worst = 0;
        for (size_t k = 0; k <= n / 2; k++) {
            double d = fabs(re[k] - rre[k]) + fabs(im[k] - rim[k]);
            if (d > worst)
                worst = d;
        }
        /* Error grows like sqrt(n) log n eps; 1e-12 is far above it and far below any bug. */
        CHECK_NEAR(worst, 0.0, 1e-12 * (double)n);
        free(x);
        free(re);
        free(im);
        free(rre);
        free(rim);
        es_rfft_free(plan);
    }
    es_rfft *plan = (es_rfft *)1;
    CHECK_STATUS(es_rfft_new(3, &plan), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_rfft_new(2, &plan), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_rfft_new(500, &plan), ES_ERR_INVALID_ARGUMENT);
    CHECK(plan == (es_rfft *)1); /* untouched on failure */
    CHECK_STATUS(es_rfft_new(8, NULL), ES_ERR_NULL_ARGUMENT);
    es_rfft_free(NULL);
    CHECK_DONE();
}
