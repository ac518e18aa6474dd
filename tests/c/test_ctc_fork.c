/* es_ctc_decoder_copy_state: a copy taken mid-stream, fed the same rest as the original,
 * gives identical results (tokens, timesteps, log probs, confidences) across stem commits,
 * without and with an LM and hot words, also into a decoder that decoded something else;
 * a copy between decoders set up differently is refused and leaves dst unchanged. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "edgestt.h"
#include "lm_internal.h"

#define C 4 /* space 0, "a" 1, "b" 2, blank 3 */
#define MAXT 700
#define MAXLEN 800

static const char *const LABELS[3] = {" ", "a", "b"};

/* Order 2 over the words a, b, ab, ba. */
static const char *ARPA =
    "\\data\\\n"
    "ngram 1=6\n"
    "ngram 2=3\n"
    "\n"
    "\\1-grams:\n"
    "-1.0\t</s>\n"
    "-99\t<s>\t-0.5\n"
    "-0.7\ta\t-0.3\n"
    "-0.9\tb\t-0.2\n"
    "-1.2\tab\t-0.2\n"
    "-1.3\tba\t-0.2\n"
    "\n"
    "\\2-grams:\n"
    "-0.2\t<s> a\n"
    "-0.1\ta b\n"
    "-0.3\tab ba\n"
    "\n"
    "\\end\\\n";

/* A small LCG (C99 has no reentrant rand). */
static int next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (int)((*seed >> 8) & 0x7fff);
}
#define RAND_TOP 0x7fff

static es_ctc_decoder *make(const es_lm *lm, size_t beam, double alpha)
{
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = C;
    cfg.blank_index = 3;
    cfg.space_index = 0;
    cfg.beam_width = beam;
    cfg.start_blank_threshold = 2.0;
    cfg.lm = lm;
    cfg.labels = lm != NULL ? LABELS : NULL;
    cfg.lm_alpha = alpha;
    es_ctc_decoder *d = NULL;
    char err[256];
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_OK);
    return d;
}

/* Peaky random frames: one class likely (labels in runs, spaces now and then). */
static void random_frames(float *m, size_t t, unsigned *seed)
{
    for (size_t i = 0; i < t; i++) {
        int top = next_rand(seed) % 10;
        int cls = top < 4 ? 3 : top < 5 ? 0 : 1 + top % 2;
        double sum = 0.0, e[C];
        for (int k = 0; k < C; k++) {
            e[k] = 0.2 + (double)next_rand(seed) / RAND_TOP + (k == cls ? 4.0 : 0.0);
            sum += e[k];
        }
        for (int k = 0; k < C; k++)
            m[i * C + (size_t)k] = (float)(e[k] / sum);
    }
}

static void add_hot(es_ctc_decoder *d)
{
    static const int32_t ab_ba[5] = {1, 2, 0, 2, 1};
    CHECK_STATUS(es_ctc_decoder_add_hot_word(d, ab_ba, 5, 2.5), ES_OK);
}

/* Every result of a and b equal, bit for bit. */
static void check_same(const es_ctc_decoder *a, const es_ctc_decoder *b)
{
    static int32_t ta[MAXLEN], tb[MAXLEN];
    static uint32_t sa[MAXLEN], sb[MAXLEN];
    static float la[MAXLEN], lb[MAXLEN];
    CHECK(es_ctc_decoder_num_results(a) == es_ctc_decoder_num_results(b));
    CHECK(es_ctc_decoder_num_frames(a) == es_ctc_decoder_num_frames(b));
    CHECK(es_ctc_decoder_committed_length(a) == es_ctc_decoder_committed_length(b));
    CHECK(es_ctc_decoder_nodes_in_use(a) == es_ctc_decoder_nodes_in_use(b));
    size_t n = es_ctc_decoder_num_results(a);
    for (size_t r = 0; r < n && r < es_ctc_decoder_num_results(b); r++) {
        size_t na = 0, nb = 0, ma = 0, mb = 0;
        double ca = 0.0, cb = 1.0;
        CHECK_STATUS(es_ctc_decoder_result(a, r, ta, sa, MAXLEN, &na, &ca), ES_OK);
        CHECK_STATUS(es_ctc_decoder_result(b, r, tb, sb, MAXLEN, &nb, &cb), ES_OK);
        CHECK_STATUS(es_ctc_decoder_result_token_log_probs(a, r, la, MAXLEN, &ma), ES_OK);
        CHECK_STATUS(es_ctc_decoder_result_token_log_probs(b, r, lb, MAXLEN, &mb), ES_OK);
        CHECK(na == nb && ma == mb && ma == na);
        if (na != nb || ma != mb || ma != na || na > MAXLEN)
            return;
        CHECK(memcmp(ta, tb, na * sizeof *ta) == 0);
        CHECK(memcmp(sa, sb, na * sizeof *sa) == 0);
        CHECK(memcmp(la, lb, na * sizeof *la) == 0);
        CHECK(ca == cb);
    }
}

/* Original fed m[0..t), copy taken at `at`, both fed the rest in chunks and finished. The
 * copy goes into `scratch`, which first decodes other frames. */
static void check_fork(const es_lm *lm, int hot, size_t t, size_t at, unsigned seed)
{
    static float m[MAXT * C], other[MAXT * C];
    unsigned s = seed;
    random_frames(m, t, &s);
    random_frames(other, t, &s);
    es_ctc_decoder *orig = make(lm, 6, 0.8), *copy = make(lm, 6, 0.8);
    if (orig == NULL || copy == NULL)
        goto done;
    if (hot) {
        add_hot(orig);
        add_hot(copy);
    }
    CHECK_STATUS(es_ctc_decoder_feed(copy, other, t, C), ES_OK); /* something else, longer */
    CHECK_STATUS(es_ctc_decoder_feed(orig, m, at, C), ES_OK);
    CHECK_STATUS(es_ctc_decoder_copy_state(copy, orig), ES_OK);
    check_same(orig, copy);
    for (size_t f = at; f < t;) {
        size_t n = 1 + (size_t)(next_rand(&s) % 40);
        if (n > t - f)
            n = t - f;
        CHECK_STATUS(es_ctc_decoder_feed(orig, m + f * C, n, C), ES_OK);
        CHECK_STATUS(es_ctc_decoder_feed(copy, m + f * C, n, C), ES_OK);
        f += n;
        check_same(orig, copy);
    }
    CHECK_STATUS(es_ctc_decoder_finish(orig), ES_OK);
    CHECK_STATUS(es_ctc_decoder_finish(copy), ES_OK);
    check_same(orig, copy);
    /* A copy of a finished decode is finished too. */
    CHECK_STATUS(es_ctc_decoder_copy_state(copy, orig), ES_OK);
    CHECK(es_ctc_decoder_finished(copy));
    CHECK_STATUS(es_ctc_decoder_feed(copy, m, 1, C), ES_ERR_BAD_STATE);
done:
    es_ctc_decoder_free(orig);
    es_ctc_decoder_free(copy);
}

/* The commits happened: the stream is long enough for labels to be committed. */
static void check_commits_happen(void)
{
    static float m[MAXT * C];
    unsigned s = 7;
    random_frames(m, MAXT, &s);
    es_ctc_decoder *d = make(NULL, 6, 0.8);
    if (d == NULL)
        return;
    CHECK_STATUS(es_ctc_decoder_feed(d, m, MAXT, C), ES_OK);
    CHECK(es_ctc_decoder_committed_length(d) > 0);
    es_ctc_decoder_free(d);
}

static void check_refused(const es_lm *lm)
{
    static float m[64 * C];
    unsigned s = 3;
    random_frames(m, 64, &s);
    es_ctc_decoder *src = make(lm, 6, 0.8);
    es_ctc_decoder *beam = make(lm, 7, 0.8), *alpha = make(lm, 6, 0.5), *nolm = make(NULL, 6, 0.8);
    es_ctc_decoder *hot = make(lm, 6, 0.8), *same = make(lm, 6, 0.8);
    if (!src || !beam || !alpha || !nolm || !hot || !same)
        goto done;
    add_hot(hot);
    CHECK_STATUS(es_ctc_decoder_feed(src, m, 64, C), ES_OK);
    es_ctc_decoder *bad[4] = {beam, alpha, nolm, hot};
    for (int i = 0; i < 4; i++) {
        CHECK_STATUS(es_ctc_decoder_feed(bad[i], m, 10, C), ES_OK);
        CHECK_STATUS(es_ctc_decoder_copy_state(bad[i], src), ES_ERR_INVALID_ARGUMENT);
        CHECK(es_ctc_decoder_num_frames(bad[i]) == 10); /* unchanged */
        CHECK_STATUS(es_ctc_decoder_copy_state(src, bad[i]), ES_ERR_INVALID_ARGUMENT);
    }
    /* Same phrase, another boost. */
    static const int32_t ab_ba[5] = {1, 2, 0, 2, 1};
    CHECK_STATUS(es_ctc_decoder_add_hot_word(src, ab_ba, 5, 1.0), ES_ERR_BAD_STATE);
    CHECK_STATUS(es_ctc_decoder_add_hot_word(same, ab_ba, 5, 1.0), ES_OK);
    es_ctc_decoder_reset(hot);
    CHECK_STATUS(es_ctc_decoder_copy_state(hot, same), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_copy_state(NULL, src), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_copy_state(src, NULL), ES_ERR_NULL_ARGUMENT);
done:
    es_ctc_decoder_free(src);
    es_ctc_decoder_free(beam);
    es_ctc_decoder_free(alpha);
    es_ctc_decoder_free(nolm);
    es_ctc_decoder_free(hot);
    es_ctc_decoder_free(same);
}

int main(void)
{
    es_lm *lm = NULL;
    char err[256];
    CHECK_STATUS(es__lm_from_arpa_memory(ARPA, strlen(ARPA), &lm, err, sizeof err), ES_OK);
    check_commits_happen();
    for (unsigned seed = 1; seed <= 4; seed++) {
        size_t at[4] = {0, 1, 17 * seed, 300 + 40 * seed};
        for (int k = 0; k < 4; k++) {
            check_fork(NULL, 0, MAXT, at[k], seed * 10 + (unsigned)k);
            check_fork(NULL, 1, MAXT, at[k], seed * 20 + (unsigned)k);
            if (lm != NULL) {
                check_fork(lm, 0, MAXT, at[k], seed * 30 + (unsigned)k);
                check_fork(lm, 1, MAXT, at[k], seed * 40 + (unsigned)k);
            }
        }
    }
    if (lm != NULL)
        check_refused(lm);
    es_lm_free(lm);
    CHECK_DONE();
}
