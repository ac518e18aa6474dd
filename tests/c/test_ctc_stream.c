/* Long streams in the C decoder: the committed stem popped every few hundred frames,
 * prepended to the final result, equals the one-shot result read without popping (labels and
 * timesteps), the pools stay bounded, and check_frames refuses what feed would. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "edgestt.h"

enum { C = 5, BLANK = 4, T = 20000, CHUNK = 300 };

static es_ctc_decoder *make(size_t beam)
{
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = C;
    cfg.blank_index = BLANK;
    cfg.space_index = 0;
    cfg.beam_width = beam;
    es_ctc_decoder *d = NULL;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, NULL, 0), ES_OK);
    return d;
}

int main(void)
{
    static float m[T * C];
    srand(11);
    for (size_t t = 0; t < T; t++) {
        /* a label spike every third frame (a space every 5th spike), blanks between, noise */
        int32_t k = t % 3 ? BLANK : ((t / 3) % 5 == 4 ? 0 : 1 + rand() % 3);
        float sum = 0.0f;
        for (size_t c = 0; c < C; c++) {
            m[t * C + c] = 0.01f + 0.1f * (float)rand() / (float)RAND_MAX;
            if ((int32_t)c == k)
                m[t * C + c] += 0.6f + 0.3f * (float)rand() / (float)RAND_MAX;
            sum += m[t * C + c];
        }
        for (size_t c = 0; c < C; c++)
            m[t * C + c] /= sum;
    }
    es_ctc_decoder *one = make(8), *s = make(8);
    if (one == NULL || s == NULL)
        return 1;
    CHECK_STATUS(es_ctc_decoder_feed(one, m, T, C), ES_OK);
    CHECK(es_ctc_decoder_committed_length(one) > 1000); /* kept for results until popped */
    static int32_t popped[T], tokens[T], want[T];
    static uint32_t popped_steps[T], steps[T], want_steps[T];
    static float popped_lp[T];
    size_t n_popped = 0, max_in_use = 0;
    for (size_t t = 0; t < T; t += CHUNK) {
        size_t n = T - t < CHUNK ? T - t : CHUNK;
        CHECK_STATUS(es_ctc_decoder_check_frames(s, m + t * C, n, C), ES_OK);
        CHECK_STATUS(es_ctc_decoder_feed(s, m + t * C, n, C), ES_OK);
        size_t got = 0;
        CHECK_STATUS(es_ctc_decoder_pop_committed(s, popped + n_popped, popped_steps + n_popped, popped_lp + n_popped,
                                                  T - n_popped, &got),
                     ES_OK);
        n_popped += got;
        CHECK(es_ctc_decoder_committed_length(s) == 0);
        size_t in_use = es_ctc_decoder_nodes_in_use(s);
        if (in_use > max_in_use)
            max_in_use = in_use;
    }
    CHECK(n_popped > 1000);
    CHECK(max_in_use < es_ctc_decoder_max_prefixes(s) / 2);
    size_t len = 0, want_len = 0;
    CHECK_STATUS(es_ctc_decoder_result(s, 0, tokens, steps, T, &len, NULL), ES_OK);
    CHECK_STATUS(es_ctc_decoder_result(one, 0, want, want_steps, T, &want_len, NULL), ES_OK);
    CHECK(n_popped + len == want_len);
    if (n_popped + len == want_len) {
        CHECK(memcmp(popped, want, n_popped * sizeof *want) == 0);
        CHECK(memcmp(popped_steps, want_steps, n_popped * sizeof *want_steps) == 0);
        CHECK(memcmp(tokens, want + n_popped, len * sizeof *want) == 0);
        CHECK(memcmp(steps, want_steps + n_popped, len * sizeof *want_steps) == 0);
    }
    for (size_t i = 0; i < n_popped; i++)
        CHECK(popped_lp[i] <= 0.0f && popped_lp[i] > -20.0f);
    /* Bad calls. */
    size_t got = 0;
    CHECK_STATUS(es_ctc_decoder_pop_committed(NULL, popped, popped_steps, popped_lp, 1, &got), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_pop_committed(s, NULL, popped_steps, popped_lp, 1, &got), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_pop_committed(s, NULL, NULL, NULL, 0, &got), ES_OK);
    CHECK(got == 0);
    float bad[C] = {0.2f, 0.2f, NAN, 0.2f, 0.2f};
    CHECK_STATUS(es_ctc_decoder_check_frames(s, bad, 1, C), ES_ERR_NOT_FINITE);
    CHECK_STATUS(es_ctc_decoder_check_frames(s, bad, 1, C + 1), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_check_frames(NULL, bad, 1, C), ES_ERR_NULL_ARGUMENT);
    CHECK(es_ctc_decoder_nodes_in_use(NULL) == 0 && es_ctc_decoder_committed_length(NULL) == 0);
    es_ctc_decoder_reset(s);
    CHECK(es_ctc_decoder_nodes_in_use(s) == 1);
    es_ctc_decoder_free(one);
    es_ctc_decoder_free(s);
    CHECK_DONE();
}
