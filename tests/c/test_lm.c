/* The n-gram LM: hand-computed scores on a tiny ARPA (the same text as tests/data/lm_small.arpa),
 * states, vocabulary and prefixes, the binary round trip, quantisation, bad input. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "edgestt.h"
#include "lm_internal.h"

static const char *ARPA =
    "# comment\n"
    "\n"
    "\\data\\\n"
    "ngram 1=8\n"
    "ngram 2=9\n"
    "ngram 3=5\n"
    "\n"
    "\\1-grams:\n"
    "-99\t<s>\t-0.6\n"
    "-1.2\t</s>\n"
    "-1.5\t<unk>\n"
    "-0.9\tthe\t-0.4\n"
    "-1.1\tcat\t-0.3\n"
    "-1.3\tsat\t-0.2\n"
    "-1.6\ton\n"
    "-1.4\tmat\t-0.1\n"
    "\n"
    "\\2-grams:\n"
    "-0.4\t<s> the\t-0.25\n"
    "-0.7\tthe cat\t-0.15\n"
    "-0.8\tcat sat\t-0.05\n"
    "-0.6\tsat on\t0\n"
    "-0.9\ton the\t-0.2\n"
    "-0.5\tthe mat\n"
    "-0.3\tmat </s>\n"
    "-1.0\t<s> cat\n"
    "-0.95\tcat </s>\n"
    "\n"
    "\\3-grams:\n"
    "-0.2\t<s> the cat\n"
    "-0.1\tthe cat sat\n"
    "-0.35\ton the mat\n"
    "-0.25\tsat on the\n"
    "-0.45\tcat sat </s>\n"
    "\n"
    "\\end\\\n";

static es_lm *load_text(const char *text, es_status expect, char *err, size_t err_len)
{
    es_lm *lm = NULL;
    CHECK_STATUS(es__lm_from_arpa_memory(text, strlen(text), &lm, err, err_len), expect);
    return lm;
}

static uint32_t id(const es_lm *lm, const char *w) { return es_lm_word_id(lm, w, strlen(w)); }

/* log10 P(w | state), advancing the state. */
static float step(const es_lm *lm, es_lm_state *s, const char *w, int *len)
{
    return es_lm_score_detail(lm, s, id(lm, w), s, len);
}

static void check_scores(const es_lm *lm, double tol)
{
    es_lm_state s;
    int len = 0;
    /* full n-gram hits: <s> the cat sat </s> */
    es_lm_bos_state(lm, &s);
    CHECK_NEAR(step(lm, &s, "the", &len), -0.4, tol);
    CHECK(len == 2);
    CHECK_NEAR(step(lm, &s, "cat", &len), -0.2, tol);
    CHECK(len == 3);
    CHECK_NEAR(step(lm, &s, "sat", &len), -0.1, tol);
    CHECK(len == 3);
    /* "cat sat </s>" is reached through the blank "sat </s>" that KenLM inserts */
    CHECK_NEAR(step(lm, &s, "</s>", &len), -0.45, tol);
    CHECK(len == 3);

    /* back-off chain of depth 2: P(on | the cat) = P(on) + bo(cat) + bo(the cat) */
    es_lm_bos_state(lm, &s);
    step(lm, &s, "the", &len);
    step(lm, &s, "cat", &len);
    CHECK(s.length == 2 && s.words[0] == id(lm, "cat") && s.words[1] == id(lm, "the"));
    CHECK_NEAR(step(lm, &s, "on", &len), -1.6 - 0.3 - 0.15, tol);
    CHECK(len == 1);
    /* depth 1 from a trigram context: P(the | cat on): "on the" bigram, + bo(cat on)=0 */
    CHECK_NEAR(step(lm, &s, "the", &len), -0.9, tol);
    CHECK(len == 2);
    CHECK_NEAR(step(lm, &s, "mat", &len), -0.35, tol); /* "on the mat" */

    /* the blank itself: P(</s> | sat) = P(</s>) + bo(sat) */
    es_lm_null_state(lm, &s);
    CHECK_NEAR(step(lm, &s, "sat", &len), -1.3, tol);
    CHECK_NEAR(step(lm, &s, "</s>", &len), -1.2 - 0.2, tol);
    CHECK(len == 2);

    /* OOV: <unk>'s unigram plus the back-offs; <unk> is id 0 */
    es_lm_bos_state(lm, &s);
    CHECK(id(lm, "dog") == 0);
    CHECK_NEAR(step(lm, &s, "dog", &len), -1.5 - 0.6, tol);
    CHECK(len == 1);
    /* <unk> has no back-off and is no context: the state forgets it */
    CHECK(s.length == 0);
    CHECK_NEAR(step(lm, &s, "mat", &len), -1.4, tol);

    /* "on" has no back-off but is a context ("on the"): kept in the state */
    es_lm_null_state(lm, &s);
    step(lm, &s, "on", &len);
    CHECK(s.length == 1);
    /* a bigram context with back-off 0 that is a trigram context ("sat on") stays too */
    es_lm_null_state(lm, &s);
    step(lm, &s, "sat", &len);
    step(lm, &s, "on", &len);
    CHECK(s.length == 2);

    float total;
    size_t words, oov;
    const char *sent = "  the\tcat sat\n";
    CHECK_STATUS(es_lm_score_sentence(lm, sent, strlen(sent), 1, 1, &total, &words, &oov), ES_OK);
    CHECK_NEAR(total, -1.15, tol);
    CHECK(words == 3 && oov == 0);
    CHECK_STATUS(es_lm_score_sentence(lm, "dog", 3, 0, 0, &total, &words, &oov), ES_OK);
    CHECK_NEAR(total, -1.5, tol);
    CHECK(words == 1 && oov == 1);
    CHECK_STATUS(es_lm_score_sentence(lm, "", 0, 1, 1, &total, &words, &oov), ES_OK);
    CHECK_NEAR(total, -0.6 - 1.2, tol); /* P(</s> | <s>) = bo(<s>) + P(</s>) */
}

static void check_vocab(const es_lm *lm)
{
    CHECK(es_lm_order(lm) == 3);
    CHECK(es_lm_vocab_size(lm) == 8);
    CHECK(es_lm_ngram_count(lm, 1) == 8 && es_lm_ngram_count(lm, 2) == 9 && es_lm_ngram_count(lm, 3) == 5);
    CHECK(es_lm_ngram_count(lm, 0) == 0 && es_lm_ngram_count(lm, 4) == 0);
    CHECK(id(lm, "<unk>") == 0 && id(lm, "<s>") == 1 && id(lm, "</s>") == 2);
    CHECK(strcmp(es_lm_word(lm, 0), "<unk>") == 0);
    CHECK(strcmp(es_lm_word(lm, id(lm, "mat")), "mat") == 0);
    CHECK(es_lm_word(lm, 8) == NULL);
    /* ids >= 3 follow byte order: cat mat on sat the */
    CHECK(id(lm, "cat") == 3 && id(lm, "the") == 7);
    CHECK(es_lm_is_word(lm, "cat", 3) && !es_lm_is_word(lm, "ca", 2) && !es_lm_is_word(lm, "<s>", 3));
    CHECK(es_lm_has_prefix(lm, "ca", 2) && es_lm_has_prefix(lm, "cat", 3) && !es_lm_has_prefix(lm, "cats", 4));
    CHECK(es_lm_has_prefix(lm, "", 0) && !es_lm_has_prefix(lm, "x", 1) && !es_lm_has_prefix(lm, "<", 1));
    uint32_t first, end;
    CHECK_STATUS(es_lm_prefix_range(lm, "t", 1, &first, &end), ES_OK);
    CHECK(first == 7 && end == 8);
    CHECK_STATUS(es_lm_prefix_range(lm, "m", 1, &first, &end), ES_OK);
    CHECK(first == 4 && end == 5);
}

static void check_bad_arpa(void)
{
    char err[256];
    struct {
        const char *text;
        es_status status;
        const char *needle;
    } cases[] = {
        {"hello\n", ES_ERR_FORMAT, "line 1"},
        {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n", ES_ERR_FORMAT, "end of file"},
        {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\\end\\\n", ES_OK, ""},
        {"\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\\end\\\n", ES_ERR_FORMAT, "line 7"},
        {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n0.5\t</s>\n\\end\\\n", ES_ERR_FORMAT, "positive"},
        {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\nabc\t</s>\n\\end\\\n", ES_ERR_FORMAT, "line 6"},
        {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\tx\n\\end\\\n", ES_ERR_FORMAT, "</s>"},
        {"\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\n\\2-grams:\n-1\t<s> dog\n\\end\\\n",
         ES_ERR_FORMAT, "not in the unigrams"},
        {"\\data\\\nngram 1=2\nngram 7=1\n", ES_ERR_FORMAT, "consecutive"},
        {"\\data\\\nngram 1=1\nngram 2=1\nngram 3=1\nngram 4=1\nngram 5=1\nngram 6=1\nngram 7=1\n",
         ES_ERR_UNSUPPORTED, "order 7"},
        {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\t<s>\n\\end\\\n", ES_ERR_FORMAT, "duplicate"},
        {"\\data\\\nngram 1=3\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\ta\n\n\\2-grams:\n"
         "-1\t<s> a\n\n\\3-grams:\n-1\ta a </s>\n\\end\\\n",
         ES_ERR_FORMAT, "context"},
        {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\\end\\\nextra\n", ES_ERR_FORMAT, "after"},
        {"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\t-0.5\n\\end\\\n", ES_ERR_FORMAT, "highest order"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        es_lm *lm = load_text(cases[i].text, cases[i].status, err, sizeof err);
        if (cases[i].status != ES_OK && strstr(err, cases[i].needle) == NULL) {
            fprintf(stderr, "case %zu: error \"%s\" lacks \"%s\"\n", i, err, cases[i].needle);
            check_failures++;
        }
        es_lm_free(lm);
    }
    /* Windows line ends, no <unk> (KenLM adds it with -100), missing back-offs */
    const char *crlf = "\\data\\\r\nngram 1=3\r\nngram 2=1\r\n\r\n\\1-grams:\r\n-99\t<s>\t-0.5\r\n-1\t</s>\r\n"
                       "-0.5\ta\r\n\r\n\\2-grams:\r\n-0.25\t<s> a\r\n\r\n\\end\\\r\n";
    es_lm *lm = load_text(crlf, ES_OK, err, sizeof err);
    if (lm != NULL) {
        float total;
        CHECK(es_lm_vocab_size(lm) == 4);
        CHECK(es_lm_ngram_count(lm, 1) == 4);
        CHECK_STATUS(es_lm_score_sentence(lm, "a zzz", 5, 1, 1, &total, NULL, NULL), ES_OK);
        CHECK_NEAR(total, -0.25 + -100.0 + -1.0, 1e-4);
    }
    es_lm_free(lm);
}

static void check_binary(const es_lm *lm)
{
    char err[256];
    const char *path = "test_lm_tmp.eslm";
    CHECK_STATUS(es_lm_write_binary(lm, path, 0, err, sizeof err), ES_OK);
    es_lm *b = NULL;
    CHECK_STATUS(es_lm_load(path, &b, err, sizeof err), ES_OK);
    if (b != NULL) {
        CHECK_STATUS(es_lm_verify(b, err, sizeof err), ES_OK);
        check_vocab(b);
        check_scores(b, 1e-6);
        es_lm_free(b);
    }
    CHECK_STATUS(es_lm_write_binary(lm, path, 8, err, sizeof err), ES_OK);
    b = NULL;
    CHECK_STATUS(es_lm_load(path, &b, err, sizeof err), ES_OK);
    if (b != NULL) {
        CHECK(es_lm_quantize_bits(b) == 8);
        CHECK_STATUS(es_lm_verify(b, err, sizeof err), ES_OK);
        check_scores(b, 1e-6); /* fewer than 256 distinct values per order: exact centres */
        es_lm_free(b);
    }
    CHECK_STATUS(es_lm_write_binary(lm, path, 4, err, sizeof err), ES_ERR_INVALID_ARGUMENT);

    /* every single-byte corruption is caught by load or verify, and queries never crash */
    uint8_t *img = NULL;
    size_t size = 0;
    {
        es__lm_tables t;
        CHECK_STATUS(es__lm_decode(lm, &t, err, sizeof err), ES_OK);
        CHECK_STATUS(es__lm_encode(&t, 0, &img, &size, err, sizeof err), ES_OK);
        es__lm_tables_free(&t);
    }
    for (size_t i = 0; img != NULL && i < size; i++) {
        img[i] ^= 0x5A;
        es_lm *c = NULL;
        es_status st = es__lm_from_binary_memory(img, size, 1, &c, err, sizeof err);
        if (st == ES_OK) {
            CHECK(es_lm_verify(c, err, sizeof err) == ES_ERR_FORMAT);
            float total;
            es_lm_score_sentence(c, "the cat sat on the mat dog", 26, 1, 1, &total, NULL, NULL);
            es_lm_has_prefix(c, "ca", 2);
            es_lm_word(c, 5);
        } else {
            CHECK(st == ES_ERR_FORMAT || st == ES_ERR_UNSUPPORTED);
        }
        es_lm_free(c);
        /* and without the header checksum (as the fuzzer does): still no crash */
        c = NULL;
        if (es__lm_from_binary_memory(img, size, 0, &c, err, sizeof err) == ES_OK) {
            float total;
            es_lm_score_sentence(c, "the cat sat on the mat dog", 26, 1, 1, &total, NULL, NULL);
            es_lm_verify(c, err, sizeof err);
        }
        es_lm_free(c);
        img[i] ^= 0x5A;
    }
    /* every truncation */
    for (size_t n = 0; img != NULL && n < size; n += n < 600 ? 1 : 37) {
        es_lm *c = NULL;
        CHECK(es__lm_from_binary_memory(img, n, 1, &c, err, sizeof err) == ES_ERR_FORMAT);
        es_lm_free(c);
    }
    free(img);
    remove(path);
    CHECK_STATUS(es_lm_load("/nonexistent/lm.eslm", &b, err, sizeof err), ES_ERR_IO);
}

int main(void)
{
    char err[256];
    es_lm *lm = load_text(ARPA, ES_OK, err, sizeof err);
    if (lm == NULL) {
        fprintf(stderr, "cannot load the test ARPA: %s\n", err);
        return 1;
    }
    check_vocab(lm);
    check_scores(lm, 1e-6);
    check_bad_arpa();
    check_binary(lm);

    /* NULL safety */
    es_lm_free(NULL);
    CHECK(es_lm_order(NULL) == 0 && es_lm_vocab_size(NULL) == 0 && es_lm_word_id(NULL, "a", 1) == 0);
    CHECK_STATUS(es_lm_load(NULL, &lm, err, sizeof err), ES_ERR_NULL_ARGUMENT);
    float total;
    CHECK_STATUS(es_lm_score_sentence(lm, NULL, 3, 1, 1, &total, NULL, NULL), ES_ERR_NULL_ARGUMENT);
    /* out-of-range ids count as <unk>; out may alias in */
    es_lm_state s;
    es_lm_bos_state(lm, &s);
    CHECK_NEAR(es_lm_score(lm, &s, 1000, &s), -1.5 - 0.6, 1e-6);
    es_lm_free(lm);
    CHECK_DONE();
}
