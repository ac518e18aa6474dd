/* Codebook quantisation of LM probabilities and back-offs (8-bit codes, one codebook per
 * order and kind).
 *
 * Equal-count (quantile) bins, as KenLM's -q, are accurate where values are dense but leave
 * the sparse tails in a few very wide bins (a rare log10 prob of -6 may land 1.0 away from
 * its centre). Here the bins are first chosen with the smallest common width W that covers
 * all values with at most `levels` bins (greedy left to right, which is optimal for a width
 * bound), then the spare levels split the most populated bins at their median. Every value
 * is thus within W of its centre (W is about range/levels, ~0.03 for log10 probs), and the
 * dense region still gets fine bins. */
#include <math.h>
#include <stdlib.h>

#include "lm_internal.h"

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* First index in v[from, n) with v[i] > x. */
static size_t upper_bound(const float *v, size_t from, size_t n, float x)
{
    size_t a = from, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (v[m] <= x)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

static size_t count_bins(const float *v, size_t n, double width, size_t limit)
{
    size_t bins = 0;
    for (size_t i = 0; i < n && bins <= limit; bins++)
        i = upper_bound(v, i, n, (float)(v[i] + width));
    return bins;
}

es_status es__quant_train(const float *values, size_t n, unsigned levels, float *centers)
{
    float *v = malloc(n * sizeof *v + 1);
    size_t *start = malloc((levels + 1) * sizeof *start);
    if (v == NULL || start == NULL) {
        free(v);
        free(start);
        return ES_ERR_OUT_OF_MEMORY;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(values[i]))
            v[m++] = values[i];
    if (m == 0) {
        for (unsigned i = 0; i < levels; i++)
            centers[i] = 0.0f;
        free(v);
        free(start);
        return ES_OK;
    }
    qsort(v, m, sizeof *v, cmp_float);
    size_t distinct = 1;
    for (size_t i = 1; i < m; i++)
        distinct += v[i] != v[i - 1];
    size_t nb = 0;
    if (distinct <= levels) {
        for (size_t i = 0; i < m; i++)
            if (i == 0 || v[i] != v[i - 1])
                start[nb++] = i;
    } else {
        double lo = 0.0, hi = (double)v[m - 1] - (double)v[0];
        for (int it = 0; it < 60; it++) {
            double mid = 0.5 * (lo + hi);
            if (count_bins(v, m, mid, levels) <= levels)
                hi = mid;
            else
                lo = mid;
        }
        for (size_t i = 0; i < m;) {
            start[nb++] = i;
            i = upper_bound(v, i, m, (float)(v[i] + hi));
        }
        /* Spare levels: split the most populated bins (that hold two distinct values). */
        while (nb < levels) {
            size_t best = nb, best_count = 0;
            for (size_t b = 0; b < nb; b++) {
                size_t end = b + 1 < nb ? start[b + 1] : m;
                size_t c = end - start[b];
                if (c > best_count && v[start[b]] != v[end - 1])
                    best = b, best_count = c;
            }
            if (best == nb)
                break;
            size_t s = start[best], end = best + 1 < nb ? start[best + 1] : m;
            size_t cut = s + (end - s) / 2;
            while (cut > s && v[cut - 1] == v[cut])
                cut--;
            if (cut == s) {
                cut = s + (end - s) / 2;
                while (cut < end && v[cut - 1] == v[cut])
                    cut++;
            }
            for (size_t b = nb; b > best + 1; b--)
                start[b] = start[b - 1];
            start[best + 1] = cut;
            nb++;
        }
    }
    for (size_t b = 0; b < nb; b++) {
        size_t end = b + 1 < nb ? start[b + 1] : m;
        double sum = 0.0;
        for (size_t i = start[b]; i < end; i++)
            sum += v[i];
        centers[b] = (float)(sum / (double)(end - start[b]));
    }
    for (size_t b = nb; b < levels; b++)
        centers[b] = centers[nb - 1];
    free(v);
    free(start);
    return ES_OK;
}

unsigned es__quant_code(const float *centers, unsigned levels, float v)
{
    unsigned a = 0, b = levels;
    while (a < b) {
        unsigned mid = a + (b - a) / 2;
        if (centers[mid] < v)
            a = mid + 1;
        else
            b = mid;
    }
    if (a == levels)
        return levels - 1;
    if (a > 0 && fabsf(v - centers[a - 1]) <= fabsf(centers[a] - v))
        return a - 1;
    return a;
}
