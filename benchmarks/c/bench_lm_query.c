/* Queries per second of es_lm_score from C: every word of every sentence, from <s> to </s>.
 * Usage: bench_lm_query LM SENTENCES_FILE [REPEATS]   (built and run by bench_lm.py) */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgestt.h"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s LM SENTENCES [REPEATS]\n", argv[0]);
        return 2;
    }
    int repeats = argc > 3 ? atoi(argv[3]) : 5;
    char err[512] = "";
    es_lm *lm = NULL;
    double t0 = now_seconds();
    if (es_lm_load(argv[1], &lm, err, sizeof err) != ES_OK) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], err);
        return 1;
    }
    double load_seconds = now_seconds() - t0;

    /* Word ids of all sentences, each sentence ended by the id of </s> (2) and a marker. */
    FILE *f = fopen(argv[2], "r");
    if (f == NULL) {
        perror(argv[2]);
        return 1;
    }
    size_t cap = 1 << 20, n = 0;
    uint32_t *ids = malloc(cap * sizeof *ids);
    char line[65536];
    while (ids != NULL && fgets(line, sizeof line, f) != NULL) {
        for (char *w = strtok(line, " \t\r\n"); w != NULL; w = strtok(NULL, " \t\r\n")) {
            if (n + 2 >= cap)
                ids = realloc(ids, (cap *= 2) * sizeof *ids);
            if (ids != NULL)
                ids[n++] = es_lm_word_id(lm, w, strlen(w));
        }
        if (ids != NULL) {
            ids[n++] = 2;          /* </s> */
            ids[n++] = UINT32_MAX; /* end of sentence marker */
        }
    }
    fclose(f);
    if (ids == NULL)
        return 1;

    double best = 1e30, total = 0.0;
    size_t queries = 0;
    for (int r = 0; r < repeats; r++) {
        es_lm_state state;
        es_lm_bos_state(lm, &state);
        total = 0.0;
        queries = 0;
        double start = now_seconds();
        for (size_t i = 0; i < n; i++) {
            if (ids[i] == UINT32_MAX) {
                es_lm_bos_state(lm, &state);
                continue;
            }
            total += es_lm_score(lm, &state, ids[i], &state);
            queries++;
        }
        double elapsed = now_seconds() - start;
        if (elapsed < best)
            best = elapsed;
    }
    printf("{\"load_seconds\": %.6f, \"queries\": %zu, \"best_seconds\": %.6f, \"queries_per_second\": %.1f, "
           "\"total_log10\": %.4f}\n",
           load_seconds, queries, best, (double)queries / best, total);
    free(ids);
    es_lm_free(lm);
    return 0;
}
