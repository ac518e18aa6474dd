/* The CTC decoder core (without and with an LM): prefix probabilities equal brute-force sums over all
 * alignments, timesteps and the delayed start follow DeepSpeech, greedy decoding, streaming
 * in any chunking equals one-shot bit for bit, the pool limit, and bad input. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "edgestt.h"
#include "lm_internal.h"

#define MAXT 64
#define MAXC 8
#define MAXLEN 64

static es_ctc_decoder *make(size_t classes, size_t beam)
{
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = classes;
    cfg.blank_index = (int32_t)classes - 1;
    cfg.space_index = ES_CTC_NO_SPACE;
    cfg.beam_width = beam;
    es_ctc_decoder *d = NULL;
    char err[256];
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_OK);
    return d;
}

static void random_softmax(float *m, size_t t, size_t c, double peak)
{
    for (size_t i = 0; i < t; i++) {
        double sum = 0.0, e[MAXC];
        for (size_t k = 0; k < c; k++) {
            e[k] = exp(peak * ((double)rand() / RAND_MAX));
            sum += e[k];
        }
        for (size_t k = 0; k < c; k++)
            m[i * c + k] = (float)(e[k] / sum);
    }
}

/* Brute force: sum of the probabilities of all alignments collapsing to `label`. */
static double brute_force(const float *m, size_t t, size_t c, int32_t blank, const int32_t *label, size_t len)
{
    size_t total = 1;
    for (size_t i = 0; i < t; i++)
        total *= c;
    double sum = 0.0;
    for (size_t code = 0; code < total; code++) {
        size_t x = code, n = 0;
        int ok = 1;
        int32_t prev = blank;
        double p = 1.0;
        for (size_t i = 0; i < t && ok; i++) {
            int32_t k = (int32_t)(x % c);
            x /= c;
            p *= m[i * c + (size_t)k];
            if (k != blank && k != prev) {
                if (n >= len || label[n] != k)
                    ok = 0;
                n++;
            }
            prev = k;
        }
        if (ok && n == len)
            sum += p;
    }
    return sum;
}

static void check_against_brute_force(size_t t, size_t c, unsigned seed)
{
    float m[MAXT * MAXC];
    srand(seed);
    random_softmax(m, t, c, 3.0);
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = c;
    cfg.blank_index = 0; /* not last: the blank index is configurable */
    cfg.space_index = ES_CTC_NO_SPACE;
    cfg.beam_width = 4096; /* keeps every prefix */
    cfg.start_blank_threshold = 2.0;
    es_ctc_decoder *d = NULL;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, NULL, 0), ES_OK);
    if (d == NULL)
        return;
    CHECK_STATUS(es_ctc_decoder_feed(d, m, t, c), ES_OK);
    CHECK_STATUS(es_ctc_decoder_finish(d), ES_OK);
    size_t n = es_ctc_decoder_num_results(d);
    /* Every labelling of length <= t over c-1 labels without impossible ones is a prefix. */
    double total = 0.0, previous = INFINITY;
    for (size_t r = 0; r < n; r++) {
        int32_t tokens[MAXLEN];
        uint32_t steps[MAXLEN];
        size_t len = 0;
        double conf = 0.0;
        CHECK_STATUS(es_ctc_decoder_result(d, r, tokens, steps, MAXLEN, &len, &conf), ES_OK);
        double expected = brute_force(m, t, c, 0, tokens, len);
        CHECK_NEAR(exp(conf), expected, 1e-6);
        CHECK(conf <= previous);
        previous = conf;
        total += exp(conf);
        for (size_t i = 0; i < len; i++) {
            CHECK(tokens[i] != 0);
            CHECK(steps[i] < t);
            CHECK(i == 0 || steps[i] > steps[i - 1]);
        }
    }
    CHECK_NEAR(total, 1.0, 1e-5); /* all labellings together carry all alignments */
    es_ctc_decoder_free(d);
}

/* Peaky input: a a _ b b _ _ a -> "aba" with timesteps 0, 3, 7; greedy and beams agree. */
static void check_peaky(void)
{
    enum { T = 8, C = 3 };
    const int32_t argmax[T] = {0, 0, 2, 1, 1, 2, 2, 0};
    float m[T * C];
    for (size_t i = 0; i < T; i++)
        for (size_t k = 0; k < C; k++)
            m[i * C + k] = (int32_t)k == argmax[i] ? 0.9f : 0.05f;
    int32_t tokens[T];
    uint32_t steps[T];
    size_t len = 0;
    CHECK_STATUS(es_ctc_greedy(m, T, C, ES_CTC_INPUT_PROBS, 2, tokens, steps, T, &len), ES_OK);
    CHECK(len == 3 && tokens[0] == 0 && tokens[1] == 1 && tokens[2] == 0);
    CHECK(steps[0] == 0 && steps[1] == 3 && steps[2] == 7);
    CHECK_STATUS(es_ctc_greedy(m, T, C, ES_CTC_INPUT_PROBS, 2, tokens, NULL, 2, &len), ES_ERR_BUFFER_TOO_SMALL);
    CHECK(len == 3);
    for (size_t beam = 1; beam <= 16; beam *= 4) {
        es_ctc_decoder *d = make(C, beam);
        CHECK_STATUS(es_ctc_decoder_feed(d, m, T, C), ES_OK);
        CHECK_STATUS(es_ctc_decoder_finish(d), ES_OK);
        double conf = 0.0;
        int32_t bt[T];
        uint32_t bs[T];
        CHECK_STATUS(es_ctc_decoder_result(d, 0, bt, bs, T, &len, &conf), ES_OK);
        CHECK(len == 3 && bt[0] == 0 && bt[1] == 1 && bt[2] == 0);
        CHECK(bs[0] == 0 && bs[1] == 3 && bs[2] == 7);
        CHECK(conf < 0.0);
        CHECK(es_ctc_decoder_num_results(d) <= beam);
        es_ctc_decoder_free(d);
    }
}

/* Expansion starts at the first frame with P(blank) < 0.999; timesteps count skipped frames. */
static void check_delayed_start(void)
{
    enum { T = 5, C = 3 };
    float m[T * C] = {
        0.0005f, 0.0005f, 0.999f, /* skipped: P(blank) not below 0.999 */
        0.0f,    0.0f,    1.0f,   /* skipped */
        0.9f,    0.05f,   0.05f,  /* expansion starts: "a" at frame 2 */
        0.05f,   0.05f,   0.9f,
        0.05f,   0.9f,    0.05f,  /* "b" at frame 4 */
    };
    es_ctc_decoder *d = make(C, 8);
    CHECK_STATUS(es_ctc_decoder_feed(d, m, 2, C), ES_OK);
    CHECK(es_ctc_decoder_num_frames(d) == 2);
    size_t len = 99;
    double conf = -1.0;
    int32_t tokens[T];
    uint32_t steps[T];
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, steps, T, &len, &conf), ES_OK);
    CHECK(len == 0 && conf == 0.0); /* nothing decoded yet: the root, log prob 0 */
    CHECK_STATUS(es_ctc_decoder_feed(d, m + 2 * C, 3, C), ES_OK);
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, steps, T, &len, &conf), ES_OK);
    CHECK(len == 2 && tokens[0] == 0 && tokens[1] == 1 && steps[0] == 2 && steps[1] == 4);
    /* The skipped frames do not count: the score is that of frames 2..4 only. */
    int32_t ab[2] = {0, 1};
    CHECK_NEAR(exp(conf), brute_force(m + 2 * C, 3, C, 2, ab, 2), 1e-6);
    es_ctc_decoder_free(d);
}

/* A token's timestep is where the winning path into the prefix emitted it (not its first
 * appearance in any path): here "a" is likelier to start at frame 1 than at frame 0. */
static void check_timestep_of_best_path(void)
{
    enum { T = 3, C = 2 };
    float m[T * C] = {0.3f, 0.7f, 0.9f, 0.1f, 0.1f, 0.9f};
    es_ctc_decoder *d = make(C, 8);
    CHECK_STATUS(es_ctc_decoder_feed(d, m, T, C), ES_OK);
    int32_t tokens[T];
    uint32_t steps[T];
    size_t len = 0;
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, steps, T, &len, NULL), ES_OK);
    CHECK(len == 1 && tokens[0] == 0 && steps[0] == 1);
    es_ctc_decoder_free(d);
}

/* Streams m in chunks of `chunk` frames; the results must equal the one-shot ones exactly. */
static void check_streaming(size_t t, size_t c, size_t beam, unsigned seed)
{
    static float m[MAXT * MAXC];
    srand(seed);
    random_softmax(m, t, c, 4.0);
    es_ctc_decoder *one = make(c, beam), *s = make(c, beam);
    if (one == NULL || s == NULL)
        return;
    CHECK_STATUS(es_ctc_decoder_feed(one, m, t, c), ES_OK);
    CHECK_STATUS(es_ctc_decoder_finish(one), ES_OK);
    const size_t chunks[] = {1, 2, 3, 7, 16, MAXT};
    for (size_t ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
        es_ctc_decoder_reset(s);
        for (size_t i = 0; i < t; i += chunks[ci]) {
            size_t n = t - i < chunks[ci] ? t - i : chunks[ci];
            CHECK_STATUS(es_ctc_decoder_feed(s, m + i * c, n, c), ES_OK);
            CHECK_STATUS(es_ctc_decoder_feed(s, NULL, 0, c), ES_OK);
        }
        CHECK_STATUS(es_ctc_decoder_finish(s), ES_OK);
        CHECK(es_ctc_decoder_num_results(s) == es_ctc_decoder_num_results(one));
        for (size_t r = 0; r < es_ctc_decoder_num_results(one); r++) {
            int32_t t1[MAXLEN], t2[MAXLEN];
            uint32_t s1[MAXLEN], s2[MAXLEN];
            size_t l1 = 0, l2 = 0;
            double c1 = 0.0, c2 = 1.0;
            CHECK_STATUS(es_ctc_decoder_result(one, r, t1, s1, MAXLEN, &l1, &c1), ES_OK);
            CHECK_STATUS(es_ctc_decoder_result(s, r, t2, s2, MAXLEN, &l2, &c2), ES_OK);
            CHECK(l1 == l2 && c1 == c2);
            CHECK(memcmp(t1, t2, l1 * sizeof t1[0]) == 0 && memcmp(s1, s2, l1 * sizeof s1[0]) == 0);
        }
    }
    es_ctc_decoder_free(one);
    es_ctc_decoder_free(s);
}

/* Log-probability input gives the same search as probabilities. */
static void check_log_input(void)
{
    enum { T = 20, C = 5 };
    float m[T * C], lm[T * C];
    srand(3);
    random_softmax(m, T, C, 5.0);
    for (size_t i = 0; i < T * C; i++)
        lm[i] = logf(m[i]);
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = C;
    cfg.blank_index = C - 1;
    cfg.beam_width = 10;
    es_ctc_decoder *dp = NULL, *dl = NULL;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &dp, NULL, 0), ES_OK);
    cfg.input = ES_CTC_INPUT_LOG_PROBS;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &dl, NULL, 0), ES_OK);
    CHECK_STATUS(es_ctc_decoder_feed(dp, m, T, C), ES_OK);
    CHECK_STATUS(es_ctc_decoder_feed(dl, lm, T, C), ES_OK);
    int32_t t1[T], t2[T];
    size_t l1 = 0, l2 = 0;
    double c1 = 0, c2 = 0;
    CHECK_STATUS(es_ctc_decoder_result(dp, 0, t1, NULL, T, &l1, &c1), ES_OK);
    CHECK_STATUS(es_ctc_decoder_result(dl, 0, t2, NULL, T, &l2, &c2), ES_OK);
    CHECK(l1 == l2 && memcmp(t1, t2, l1 * sizeof t1[0]) == 0);
    CHECK_NEAR(c1, c2, 1e-4);
    /* -inf is a zero probability; +inf and NaN are not finite; > 0 is refused. */
    lm[0] = -INFINITY;
    CHECK_STATUS(es_ctc_decoder_feed(dl, lm, 1, C), ES_OK);
    lm[0] = INFINITY;
    CHECK_STATUS(es_ctc_decoder_feed(dl, lm, 1, C), ES_ERR_NOT_FINITE);
    lm[0] = 0.5f;
    CHECK_STATUS(es_ctc_decoder_feed(dl, lm, 1, C), ES_ERR_INVALID_ARGUMENT);
    es_ctc_decoder_free(dp);
    es_ctc_decoder_free(dl);
}

/* cutoff_prob: classes outside the top mass are never visited. */
static void check_cutoff(void)
{
    enum { T = 6, C = 3 };
    float m[T * C];
    for (size_t i = 0; i < T; i++) {
        m[i * C + 0] = i % 2 ? 0.05f : 0.75f;
        m[i * C + 1] = 0.04f; /* "b" never reaches the cut */
        m[i * C + 2] = i % 2 ? 0.91f : 0.21f;
    }
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = C;
    cfg.blank_index = C - 1;
    cfg.beam_width = 64;
    cfg.cutoff_prob = 0.9;
    es_ctc_decoder *d = NULL;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, NULL, 0), ES_OK);
    CHECK_STATUS(es_ctc_decoder_feed(d, m, T, C), ES_OK);
    for (size_t r = 0; r < es_ctc_decoder_num_results(d); r++) {
        int32_t tokens[T];
        size_t len = 0;
        CHECK_STATUS(es_ctc_decoder_result(d, r, tokens, NULL, T, &len, NULL), ES_OK);
        for (size_t i = 0; i < len; i++)
            CHECK(tokens[i] == 0);
    }
    es_ctc_decoder_free(d);
}

/* The smallest pool fills up when the beam keeps two prefixes that part at the first label
 * ("a" or "b" equally likely, then "c c c ..."): they share no stem to commit, so feed stops
 * with ES_ERR_OUT_OF_MEMORY before a frame, and the results decoded so far stay readable. */
static void check_pool_limit(void)
{
    enum { C = 4, BEAM = 4, T = MAXT };
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = C;
    cfg.blank_index = C - 1;
    cfg.space_index = ES_CTC_NO_SPACE;
    cfg.beam_width = BEAM;
    cfg.max_prefixes = 2 * (BEAM * (C + 1) + 1);
    es_ctc_decoder *d = NULL;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, NULL, 0), ES_OK);
    CHECK(es_ctc_decoder_max_prefixes(d) == cfg.max_prefixes);
    CHECK(es_ctc_decoder_memory_bytes(d) > 0);
    static float m[T * C];
    memset(m, 0, sizeof m);
    m[0] = m[1] = 0.5f;
    for (size_t t = 1; t < T; t++)
        m[t * C + (t % 2 ? 2 : 3)] = 1.0f;
    es_status st = ES_OK;
    size_t i = 0;
    for (; i < T && st == ES_OK; i++)
        st = es_ctc_decoder_feed(d, m + i * C, 1, C);
    CHECK_STATUS(st, ES_ERR_OUT_OF_MEMORY);
    CHECK(es_ctc_decoder_num_frames(d) == i - 1);
    size_t len = 0;
    int32_t tokens[T];
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, NULL, T, &len, NULL), ES_OK);
    CHECK(len > 0);
    es_ctc_decoder_reset(d);
    CHECK_STATUS(es_ctc_decoder_feed(d, m, 4, C), ES_OK);
    es_ctc_decoder_free(d);
    /* The automatic pool is large enough for this input. */
    d = make(C, BEAM);
    CHECK_STATUS(es_ctc_decoder_feed(d, m, T, C), ES_OK);
    es_ctc_decoder_free(d);
}

static void check_bad_input(void)
{
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    es_ctc_decoder *d = NULL;
    char err[256];
    cfg.beam_width = 0;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(d == NULL && strstr(err, "beam_width") != NULL);
    cfg = es_ctc_decoder_config_default();
    cfg.blank_index = 29;
    CHECK_STATUS(es_ctc_decoder_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = es_ctc_decoder_config_default();
    cfg.space_index = 28;
    CHECK_STATUS(es_ctc_decoder_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = es_ctc_decoder_config_default();
    cfg.cutoff_prob = 0.0;
    CHECK_STATUS(es_ctc_decoder_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = 1;
    CHECK_STATUS(es_ctc_decoder_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = es_ctc_decoder_config_default();
    cfg.max_prefixes = 10;
    CHECK_STATUS(es_ctc_decoder_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg = es_ctc_decoder_config_default();
    cfg.input = (es_ctc_input)7;
    CHECK_STATUS(es_ctc_decoder_config_check(&cfg, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK_STATUS(es_ctc_decoder_config_check(NULL, err, sizeof err), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_new(NULL, &d, NULL, 0), ES_ERR_NULL_ARGUMENT);

    d = make(3, 4);
    float row[3] = {0.6f, 0.1f, 0.3f};
    CHECK_STATUS(es_ctc_decoder_finish(d), ES_ERR_EMPTY_INPUT);
    CHECK_STATUS(es_ctc_decoder_feed(d, row, 1, 4), ES_ERR_INVALID_ARGUMENT); /* alphabet size mismatch */
    CHECK_STATUS(es_ctc_decoder_feed(d, NULL, 1, 3), ES_ERR_NULL_ARGUMENT);
    row[1] = NAN;
    CHECK_STATUS(es_ctc_decoder_feed(d, row, 1, 3), ES_ERR_NOT_FINITE);
    row[1] = INFINITY;
    CHECK_STATUS(es_ctc_decoder_feed(d, row, 1, 3), ES_ERR_NOT_FINITE);
    row[1] = 1.5f;
    CHECK_STATUS(es_ctc_decoder_feed(d, row, 1, 3), ES_ERR_INVALID_ARGUMENT);
    row[1] = -0.1f;
    CHECK_STATUS(es_ctc_decoder_feed(d, row, 1, 3), ES_ERR_INVALID_ARGUMENT);
    CHECK(es_ctc_decoder_num_frames(d) == 0); /* nothing consumed */
    row[1] = 0.1f;
    CHECK_STATUS(es_ctc_decoder_feed(d, row, 1, 3), ES_OK);
    CHECK_STATUS(es_ctc_decoder_finish(d), ES_OK);
    CHECK(es_ctc_decoder_finished(d));
    CHECK_STATUS(es_ctc_decoder_feed(d, row, 1, 3), ES_ERR_BAD_STATE);
    CHECK_STATUS(es_ctc_decoder_finish(d), ES_ERR_BAD_STATE);
    size_t len = 0;
    int32_t tokens[4];
    CHECK_STATUS(es_ctc_decoder_result(d, 99, tokens, NULL, 4, &len, NULL), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_result_length(d, 99, &len), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_result_length(d, 0, &len), ES_OK);
    CHECK(len == 1);
    CHECK_STATUS(es_ctc_decoder_result(d, 0, NULL, NULL, 1, &len, NULL), ES_ERR_NULL_ARGUMENT);
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, NULL, len - 1, &len, NULL), ES_ERR_BUFFER_TOO_SMALL);
    CHECK(len == 1);
    es_ctc_decoder_reset(d);
    CHECK(!es_ctc_decoder_finished(d) && es_ctc_decoder_num_frames(d) == 0 && es_ctc_decoder_num_results(d) == 1);
    CHECK_STATUS(es_ctc_decoder_feed(d, row, 1, 3), ES_OK);
    es_ctc_decoder_free(d);
    es_ctc_decoder_free(NULL);

    CHECK_STATUS(es_ctc_greedy(row, 1, 3, ES_CTC_INPUT_PROBS, 3, tokens, NULL, 4, &len), ES_ERR_INVALID_ARGUMENT);
    row[0] = NAN;
    CHECK_STATUS(es_ctc_greedy(row, 1, 3, ES_CTC_INPUT_PROBS, 2, tokens, NULL, 4, &len), ES_ERR_NOT_FINITE);
    CHECK_STATUS(es_ctc_greedy(NULL, 0, 3, ES_CTC_INPUT_PROBS, 2, NULL, NULL, 0, &len), ES_OK);
    CHECK(len == 0);
}

/* ---------------------------------------------------------------- LM fusion */

/* Order 2: P(a | <s>) = 10^-0.2, P(b | a) = 10^-0.1; "ab" is not a word. */
static const char *LM_ARPA =
    "\\data\\\n"
    "ngram 1=4\n"
    "ngram 2=2\n"
    "\n"
    "\\1-grams:\n"
    "-1.0\t</s>\n"
    "-99\t<s>\t-0.5\n"
    "-0.7\ta\t-0.3\n"
    "-0.9\tb\t-0.2\n"
    "\n"
    "\\2-grams:\n"
    "-0.2\t<s> a\n"
    "-0.1\ta b\n"
    "\n"
    "\\end\\\n";

static const char *const LM_LABELS[3] = {" ", "a", "b"}; /* classes 0..2, blank 3 */

static es_ctc_decoder *make_lm(const es_lm *lm, double alpha, double beta, int lexicon, size_t beam)
{
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = 4;
    cfg.blank_index = 3;
    cfg.space_index = 0;
    cfg.beam_width = beam;
    cfg.start_blank_threshold = 2.0;
    cfg.lm = lm;
    cfg.labels = LM_LABELS;
    cfg.lm_alpha = alpha;
    cfg.lm_beta = beta;
    cfg.lexicon = lexicon;
    es_ctc_decoder *d = NULL;
    char err[256];
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_OK);
    return d;
}

/* The confidence of the result with exactly these tokens; NAN when it is not a result. */
static double confidence_of(const es_ctc_decoder *d, const int32_t *want, size_t want_len)
{
    for (size_t r = 0; r < es_ctc_decoder_num_results(d); r++) {
        int32_t tokens[MAXLEN];
        size_t len = 0;
        double conf = 0.0;
        CHECK_STATUS(es_ctc_decoder_result(d, r, tokens, NULL, MAXLEN, &len, &conf), ES_OK);
        if (len == want_len && memcmp(tokens, want, len * sizeof *tokens) == 0)
            return conf;
    }
    return NAN;
}

/* A peaky probability matrix: 0.7 on the argmax class of each frame, 0.1 elsewhere. */
static void peaky_matrix(const int32_t *argmax, size_t t, size_t c, float *m)
{
    for (size_t i = 0; i < t; i++)
        for (size_t k = 0; k < c; k++)
            m[i * c + k] = (int32_t)k == argmax[i] ? 0.7f : 0.1f;
}

/* Feeds the whole matrix and finishes. */
static void decode_all(es_ctc_decoder *d, const float *m, size_t t, size_t c)
{
    CHECK_STATUS(es_ctc_decoder_feed(d, m, t, c), ES_OK);
    CHECK_STATUS(es_ctc_decoder_finish(d), ES_OK);
}

/* "a b": the space adds alpha * ln P(a | <s>) + beta, the unfinished "b" at the end
 * alpha * ln P(b | a) + beta; "ab" is OOV (-1000). The beam never fills (no cutoff), so every
 * confidence is the LM-free one plus these terms. */
static void check_lm_word_scores(const es_lm *lm)
{
    enum { T = 5, C = 4 };
    const int32_t argmax[T] = {1, 3, 0, 2, 3};
    float m[T * C];
    peaky_matrix(argmax, T, C, m);
    const double alpha = 0.5, beta = 2.0, ln10 = 1.0 / (double)0.4342944819f;
    es_ctc_decoder *plain = make_lm(NULL, 0, 0, 0, 1024), *d = make_lm(lm, alpha, beta, 0, 1024);
    if (plain == NULL || d == NULL)
        return;
    decode_all(plain, m, T, C);
    decode_all(d, m, T, C);
    CHECK(es_ctc_decoder_num_results(d) == es_ctc_decoder_num_results(plain));
    CHECK(es_ctc_decoder_num_results(d) < 1024);
    const double w_a = alpha * (-0.2 * ln10) + beta, w_b_after_a = alpha * (-0.1 * ln10) + beta;
    const int32_t a_b[3] = {1, 0, 2}, a_sp[2] = {1, 0}, ab[2] = {1, 2}, a[1] = {1}, sp_a[2] = {0, 1};
    CHECK_NEAR(confidence_of(d, a_b, 3), confidence_of(plain, a_b, 3) + w_a + w_b_after_a, 1e-4);
    CHECK_NEAR(confidence_of(d, a_sp, 2), confidence_of(plain, a_sp, 2) + w_a, 1e-4);
    CHECK_NEAR(confidence_of(d, a, 1), confidence_of(plain, a, 1) + w_a, 1e-4);
    CHECK_NEAR(confidence_of(d, ab, 2), confidence_of(plain, ab, 2) + alpha * -1000.0 + beta, 1e-3);
    /* A leading space is no word: + beta only, then "a" after <s>. */
    CHECK_NEAR(confidence_of(d, sp_a, 2), confidence_of(plain, sp_a, 2) + beta + w_a, 1e-4);
    /* The best result is "a b", and results are ranked by the final score. */
    int32_t tokens[MAXLEN];
    size_t len = 0;
    double conf = 0.0, previous = INFINITY;
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, NULL, MAXLEN, &len, &conf), ES_OK);
    CHECK(len == 3 && memcmp(tokens, a_b, sizeof a_b) == 0);
    for (size_t r = 0; r < es_ctc_decoder_num_results(d); r++) {
        CHECK_STATUS(es_ctc_decoder_result(d, r, tokens, NULL, MAXLEN, &len, &conf), ES_OK);
        CHECK(conf <= previous);
        previous = conf;
    }
    es_ctc_decoder_free(plain);
    es_ctc_decoder_free(d);

    /* The lexicon: only "a", "b" and words in progress towards them; no leading or double
     * spaces, no "ab". */
    d = make_lm(lm, alpha, beta, 1, 1024);
    decode_all(d, m, T, C);
    CHECK(confidence_of(d, ab, 2) != confidence_of(d, ab, 2)); /* NaN: not a result */
    CHECK(confidence_of(d, sp_a, 2) != confidence_of(d, sp_a, 2));
    for (size_t r = 0; r < es_ctc_decoder_num_results(d); r++) {
        CHECK_STATUS(es_ctc_decoder_result(d, r, tokens, NULL, MAXLEN, &len, &conf), ES_OK);
        for (size_t i = 0; i < len; i++) {
            CHECK(!(i == 0 && tokens[i] == 0));
            CHECK(!(i > 0 && tokens[i] == 0 && tokens[i - 1] == 0));
            CHECK(!(i > 0 && tokens[i] != 0 && tokens[i - 1] != 0));
        }
    }
    CHECK_STATUS(es_ctc_decoder_result(d, 0, tokens, NULL, MAXLEN, &len, &conf), ES_OK);
    CHECK(len == 3 && memcmp(tokens, a_b, sizeof a_b) == 0);
    es_ctc_decoder_free(d);
}

/* DeepSpeech returns -1000 while an OOV word is inside the n-gram window (order 2: the previous
 * word): "ab a b" gets OOV for "ab", OOV for "a" (after "ab"), then ln P(b | a). */
static void check_lm_oov_window(const es_lm *lm)
{
    enum { T = 7, C = 4 };
    const int32_t argmax[T] = {1, 2, 0, 1, 0, 2, 3};
    float m[T * C];
    peaky_matrix(argmax, T, C, m);
    const double alpha = 0.5, beta = 2.0, ln10 = 1.0 / (double)0.4342944819f;
    es_ctc_decoder *plain = make_lm(NULL, 0, 0, 0, 4096), *d = make_lm(lm, alpha, beta, 0, 4096);
    if (plain == NULL || d == NULL)
        return;
    decode_all(plain, m, T, C);
    decode_all(d, m, T, C);
    CHECK(es_ctc_decoder_num_results(d) < 4096);
    const double oov = alpha * -1000.0 + beta, w_b_after_a = alpha * (-0.1 * ln10) + beta;
    const int32_t ab_a_b[6] = {1, 2, 0, 1, 0, 2};
    CHECK_NEAR(confidence_of(d, ab_a_b, 6), confidence_of(plain, ab_a_b, 6) + 2 * oov + w_b_after_a, 2e-3);
    es_ctc_decoder_free(plain);
    es_ctc_decoder_free(d);
}

static void check_lm_bad_config(const es_lm *lm)
{
    es_ctc_decoder_config cfg = es_ctc_decoder_config_default();
    cfg.alphabet_size = 4;
    cfg.blank_index = 3;
    cfg.space_index = 0;
    cfg.beam_width = 8;
    cfg.lm = lm;
    es_ctc_decoder *d = NULL;
    char err[256];
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_ERR_INVALID_CONFIG); /* no labels */
    cfg.labels = LM_LABELS;
    cfg.space_index = ES_CTC_NO_SPACE;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg.space_index = 0;
    cfg.lm_alpha = NAN;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_ERR_INVALID_CONFIG);
    cfg.lm_alpha = 1.0;
    static const char *const other[3] = {" ", "x", "y"}; /* no LM word can be spelled */
    cfg.labels = other;
    CHECK_STATUS(es_ctc_decoder_new(&cfg, &d, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(strstr(err, "another alphabet") != NULL);
    CHECK(d == NULL);
}

static void check_lm(void)
{
    es_lm *lm = NULL;
    char err[256];
    CHECK_STATUS(es__lm_from_arpa_memory(LM_ARPA, strlen(LM_ARPA), &lm, err, sizeof err), ES_OK);
    if (lm == NULL)
        return;
    check_lm_word_scores(lm);
    check_lm_oov_window(lm);
    check_lm_bad_config(lm);
    es_lm_free(lm);
}

int main(void)
{
    for (unsigned seed = 1; seed <= 6; seed++) {
        check_against_brute_force(1 + seed % 6, 3, seed);
        check_against_brute_force(6, 3, 100 + seed);
        check_against_brute_force(5, 4, 200 + seed);
    }
    check_peaky();
    check_delayed_start();
    check_timestep_of_best_path();
    for (unsigned seed = 1; seed <= 4; seed++) {
        check_streaming(MAXT, 5, 1, seed);
        check_streaming(MAXT, 5, 8, seed);
        check_streaming(MAXT, 8, 32, seed);
    }
    check_log_input();
    check_cutoff();
    check_pool_limit();
    check_bad_input();
    check_lm();
    CHECK_DONE();
}
