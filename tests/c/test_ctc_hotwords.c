/* Hot words in the C decoder: a whole occurrence adds exactly its boost to the score (word
 * mode and without a space class), partial matches are taken back, a boost flips the best
 * result, the per-token log probs, set_alpha_beta, and bad calls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "edgestt.h"

enum { C = 4, BLANK = 3, SPACE = 0 }; /* classes: ' ', a, b, blank */

static es_ctc_decoder *make(int32_t space, size_t beam)
{
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = C;
    cfg.blank_index = BLANK;
    cfg.space_index = space;
    cfg.beam_width = beam;
    es_ctc_decoder *d = NULL;
    char err[256];
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_OK);
    return d;
}

/* One frame per class index (p = 0.9 on it, the rest spread evenly). */
static void peaky(const int32_t *seq, size_t t, float *m)
{
    for (size_t i = 0; i < t; i++)
        for (size_t k = 0; k < C; k++)
            m[i * C + k] = (int32_t)k == seq[i] ? 0.9f : 0.1f / (C - 1);
}

/* The score of the labelling `want` among the results (NAN when absent). */
static double score_of(const es_ctc_decoder *d, const int32_t *want, size_t want_len)
{
    for (size_t r = 0; r < es_ctc_decoder_num_results(d); r++) {
        int32_t tokens[64];
        size_t len = 0;
        double conf = 0.0;
        if (es_ctc_decoder_result(d, r, tokens, NULL, 64, &len, &conf) != ES_OK)
            continue;
        if (len == want_len && memcmp(tokens, want, len * sizeof *tokens) == 0)
            return conf;
    }
    return NAN;
}

static void decode(es_ctc_decoder *d, const float *m, size_t t)
{
    es_ctc_decoder_reset(d);
    CHECK_STATUS(es_ctc_decoder_feed(d, m, t, C), ES_OK);
    CHECK_STATUS(es_ctc_decoder_finish(d), ES_OK);
}

/* "ab ba" spoken; the phrase "ab ba" with boost 2.5 raises exactly that labelling by 2.5,
 * and "ab" alone (boost 1) counts once; "a" (a prefix of "ab", no whole word) nothing. */
static void check_whole_occurrences_add_their_boost(void)
{
    const int32_t space = SPACE;
    const int32_t seq[] = {1, BLANK, 2, BLANK, SPACE, BLANK, 2, BLANK, 1, BLANK};
    const size_t t = sizeof seq / sizeof *seq;
    float m[sizeof seq / sizeof *seq * C];
    peaky(seq, t, m);
    es_ctc_decoder *plain = make(space, 4096), *hot = make(space, 4096);
    if (plain == NULL || hot == NULL)
        return;
    const int32_t phrase[] = {1, 2, SPACE, 2, 1}, ab[] = {1, 2}, a[] = {1};
    CHECK_STATUS(es_ctc_decoder_add_hot_word(hot, phrase, 5, 2.5), ES_OK);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(hot, ab, 2, 1.0), ES_OK);
    CHECK(es_ctc_decoder_num_hot_words(hot) == 2);
    decode(plain, m, t);
    decode(hot, m, t);
    CHECK_NEAR(score_of(hot, phrase, 5), score_of(plain, phrase, 5) + 2.5 + 1.0, 1e-4);
    CHECK_NEAR(score_of(hot, ab, 2), score_of(plain, ab, 2) + 1.0, 1e-4);
    /* "a": half of "ab" matched (partial credit 0.5), or without a space class also "ab ba"'s
     * first label (2.5 / 5): the largest credit counts. */
    CHECK_NEAR(score_of(hot, a, 1), score_of(plain, a, 1) + 0.5, 1e-4);
    /* "ab b": "ab" whole (+ 1), and a running match of 4 of the phrase's 5 labels. */
    const int32_t abb[] = {1, 2, SPACE, 2};
    CHECK_NEAR(score_of(hot, abb, 4), score_of(plain, abb, 4) + 1.0 + 2.5 * 4.0 / 5.0, 1e-4);
    /* Erasing (after a reset) restores the plain scores. */
    es_ctc_decoder_reset(hot);
    CHECK_STATUS(es_ctc_decoder_erase_hot_word(hot, phrase, 5), ES_OK);
    CHECK_STATUS(es_ctc_decoder_erase_hot_word(hot, ab, 2), ES_OK);
    decode(hot, m, t);
    CHECK_NEAR(score_of(hot, phrase, 5), score_of(plain, phrase, 5), 1e-6);
    es_ctc_decoder_free(plain);
    es_ctc_decoder_free(hot);
}

/* "a?" with P(b) = 0.5 > P(a) = 0.4 at the third frame: the best is "ab"; a negative boost
 * on "ab" flips it to the runner-up "aa". */
static void check_boost_flips(void)
{
    float m[3 * C] = {
        0.02f, 0.9f, 0.04f, 0.04f, /* a */
        0.02f, 0.05f, 0.03f, 0.9f, /* blank */
        0.02f, 0.4f, 0.5f, 0.08f,  /* b (0.5) or a (0.4) */
    };
    es_ctc_decoder *d = make(SPACE, 16);
    if (d == NULL)
        return;
    int32_t tokens[8];
    size_t len = 0;
    decode(d, m, 3);
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, NULL, 8, &len, NULL), ES_OK);
    CHECK(len == 2 && tokens[0] == 1 && tokens[1] == 2);
    const int32_t ab[] = {1, 2};
    es_ctc_decoder_reset(d);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ab, 2, -1.0), ES_OK);
    decode(d, m, 3);
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, NULL, 8, &len, NULL), ES_OK);
    CHECK(len == 2 && tokens[0] == 1 && tokens[1] == 1);
    /* Per-token log probs: ln P(class) at the emitting frame. */
    float lp[8];
    uint32_t steps[8];
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, steps, 8, &len, NULL), ES_OK);
    CHECK_STATUS(es_ctc_decoder_result_token_log_probs(d, 0, lp, 8, &len), ES_OK);
    CHECK(len == 2);
    for (size_t i = 0; i < len; i++)
        CHECK_NEAR(lp[i], log(m[steps[i] * C + (size_t)tokens[i]]), 1e-5);
    CHECK_STATUS(es_ctc_decoder_result_token_log_probs(d, 0, lp, 1, &len), ES_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(es_ctc_decoder_result_token_log_probs(d, 99, lp, 8, &len), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_result_token_log_probs(NULL, 0, lp, 8, &len), ES_ERR_NULL_ARGUMENT);
    es_ctc_decoder_free(d);
}

static void check_bad_calls(void)
{
    es_ctc_decoder *d = make(SPACE, 4);
    if (d == NULL)
        return;
    const int32_t ok[] = {1, 2}, blank[] = {1, BLANK}, out_of_range[] = {1, 9}, negative[] = {-1};
    const int32_t leading[] = {SPACE, 1}, trailing[] = {1, SPACE}, doubled[] = {1, SPACE, SPACE, 2};
    CHECK_STATUS(es_ctc_decoder_add_hot_word(NULL, ok, 2, 1.0), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, NULL, 2, 1.0), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ok, 0, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, blank, 2, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, out_of_range, 2, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, negative, 1, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, leading, 2, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, trailing, 2, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, doubled, 4, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ok, 2, NAN), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ok, 2, INFINITY), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ok, 2, 2e6), ES_ERR_INVALID_ARGUMENT);
    int32_t long_phrase[300];
    for (size_t i = 0; i < 300; i++)
        long_phrase[i] = 1;
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, long_phrase, 300, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK(es_ctc_decoder_num_hot_words(d) == 0);
    CHECK_STATUS(es_ctc_decoder_erase_hot_word(d, ok, 2), ES_ERR_INVALID_ARGUMENT);
    size_t before = es_ctc_decoder_memory_bytes(d);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ok, 2, 1.0), ES_OK);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ok, 2, 3.0), ES_OK); /* replaces */
    CHECK(es_ctc_decoder_num_hot_words(d) == 1);
    CHECK(es_ctc_decoder_memory_bytes(d) >= before);
    /* Changes only before the first frame. */
    float frame[C] = {0.1f, 0.5f, 0.1f, 0.3f};
    CHECK_STATUS(es_ctc_decoder_feed(d, frame, 1, C), ES_OK);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ok, 2, 1.0), ES_ERR_BAD_STATE);
    CHECK_STATUS(es_ctc_decoder_erase_hot_word(d, ok, 2), ES_ERR_BAD_STATE);
    CHECK_STATUS(es_ctc_decoder_clear_hot_words(d), ES_ERR_BAD_STATE);
    CHECK_STATUS(es_ctc_decoder_set_alpha_beta(d, 1.0, 1.0), ES_ERR_BAD_STATE);
    es_ctc_decoder_reset(d);
    CHECK_STATUS(es_ctc_decoder_set_alpha_beta(d, NAN, 1.0), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_set_alpha_beta(d, 1.0, INFINITY), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_set_alpha_beta(NULL, 1.0, 1.0), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_set_alpha_beta(d, 0.5, 2.0), ES_OK);
    CHECK_STATUS(es_ctc_decoder_clear_hot_words(d), ES_OK);
    CHECK(es_ctc_decoder_num_hot_words(d) == 0);
    CHECK_STATUS(es_ctc_decoder_clear_hot_words(NULL), ES_ERR_NULL_ARGUMENT);
    CHECK(es_ctc_decoder_num_hot_words(NULL) == 0);
    es_ctc_decoder_free(d);
}

/* Many phrases sharing prefixes and suffixes (the automaton's failure links), random
 * decodes: no crash, no leak (ASan), streaming in two chunks equals one-shot. */
static void check_many_phrases(void)
{
    es_ctc_decoder *one = make(SPACE, 32), *two = make(SPACE, 32);
    if (one == NULL || two == NULL)
        return;
    srand(7);
    for (int i = 0; i < 200; i++) {
        int32_t phrase[12];
        size_t n = 1 + (size_t)(rand() % 12);
        for (size_t k = 0; k < n; k++) {
            phrase[k] = 1 + rand() % 2;
            if (k > 0 && k + 1 < n && phrase[k - 1] != SPACE && rand() % 3 == 0)
                phrase[k] = SPACE;
        }
        double boost = (double)(rand() % 100) / 10.0 - 5.0;
        CHECK_STATUS(es_ctc_decoder_add_hot_word(one, phrase, n, boost), ES_OK);
        CHECK_STATUS(es_ctc_decoder_add_hot_word(two, phrase, n, boost), ES_OK);
    }
    float m[40 * C];
    for (size_t i = 0; i < 40 * C; i++)
        m[i] = (float)rand() / RAND_MAX + 0.01f;
    for (size_t i = 0; i < 40; i++) {
        float s = m[i * C] + m[i * C + 1] + m[i * C + 2] + m[i * C + 3];
        for (size_t k = 0; k < C; k++)
            m[i * C + k] /= s;
    }
    CHECK_STATUS(es_ctc_decoder_feed(one, m, 40, C), ES_OK);
    CHECK_STATUS(es_ctc_decoder_feed(two, m, 17, C), ES_OK);
    CHECK_STATUS(es_ctc_decoder_feed(two, m + 17 * C, 23, C), ES_OK);
    CHECK(es_ctc_decoder_num_results(one) == es_ctc_decoder_num_results(two));
    for (size_t r = 0; r < es_ctc_decoder_num_results(one); r++) {
        int32_t a[64], b[64];
        size_t la = 0, lb = 0;
        double ca = 0.0, cb = 1.0;
        CHECK_STATUS(es_ctc_decoder_result(one, r, a, NULL, 64, &la, &ca), ES_OK);
        CHECK_STATUS(es_ctc_decoder_result(two, r, b, NULL, 64, &lb, &cb), ES_OK);
        CHECK(la == lb && memcmp(a, b, la * sizeof *a) == 0 && ca == cb);
    }
    es_ctc_decoder_free(one);
    es_ctc_decoder_free(two);
}

/* Without a space class phrases match anywhere, overlapping ones too. */
static void check_no_space_mode(void)
{
    const int32_t seq[] = {1, BLANK, 2, BLANK, 1, BLANK, 2, BLANK};
    float m[8 * C];
    peaky(seq, 8, m);
    es_ctc_decoder *plain = make(ES_CTC_NO_SPACE, 4096), *hot = make(ES_CTC_NO_SPACE, 4096);
    if (plain == NULL || hot == NULL)
        return;
    const int32_t ab[] = {1, 2}, abab[] = {1, 2, 1, 2}, aba[] = {1, 2, 1}, with_class0[] = {0, 0};
    CHECK_STATUS(es_ctc_decoder_add_hot_word(hot, ab, 2, 1.5), ES_OK);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(hot, with_class0, 2, 1.0), ES_OK); /* class 0 is a label here */
    decode(plain, m, 8);
    decode(hot, m, 8);
    CHECK_NEAR(score_of(hot, abab, 4), score_of(plain, abab, 4) + 3.0, 1e-4);
    CHECK_NEAR(score_of(hot, aba, 3), score_of(plain, aba, 3) + 1.5 + 0.75, 1e-4);
    es_ctc_decoder_free(plain);
    es_ctc_decoder_free(hot);
}

int main(void)
{
    check_whole_occurrences_add_their_boost();
    check_no_space_mode();
    check_boost_flips();
    check_bad_calls();
    check_many_phrases();
    CHECK_DONE();
}
