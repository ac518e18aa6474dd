/* ARPA reader: text in memory -> es__lm_tables (the tables of lm_binary.c).
 *
 * Accepted: optional blank and '#' lines before \data\; "ngram N=count" lines for N = 1..6
 * (consecutive); one "\N-grams:" section per order with exactly `count` entries
 * "log10prob<ws>w1 ... wN[<ws>backoff]" (fields separated by spaces or tabs); "\end\";
 * blank lines anywhere; CRLF line ends. Errors name the line ("ARPA line 812: ...").
 *
 * Semantics are KenLM's probing model (lm/search_hashed.cc, lm/read_arpa.cc), so that
 * scores are identical:
 * - words: <unk> (or <UNK>) is id 0; missing, it is added with log10 prob -100 and back-off
 *   0. <s> and </s> must be present. Every word of an n-gram must be a unigram.
 * - a positive log10 probability, a non-finite back-off, a non-zero back-off on the highest
 *   order, a duplicate n-gram are errors.
 * - the context (w1..wN-1) of every N-gram must itself be listed (else error, as KenLM).
 * - when a right-aligned lower n-gram (w2..wN, w3..wN, ...) was pruned, a "blank" entry is
 *   inserted for it with the probability backing off would give (the longest listed suffix
 *   plus the back-offs of the contexts in between) and back-off 0, so that lookups, which
 *   extend the matched n-gram leftwards one word at a time, still reach the N-gram.
 * - "ext" (KenLM: back-off != -0.0) marks entries kept as context in states: a non-zero
 *   back-off, or being the context of a longer n-gram.
 * Entries of each order are processed in file order, like KenLM, which matters only for
 * the blank-context corner cases. The result is stored as KenLM-like hash tables, but keyed
 * exactly (see lm_binary.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm_internal.h"

#define NONE 0xFFFFFFFFu

typedef struct {
    const char *text;
    size_t len, pos, line_no;
} reader;

typedef struct {
    const char *p;
    size_t n;
} span;

/* Next line without its end (\n, \r\n); 0 at the end of the text. */
static int next_line(reader *r, span *line)
{
    if (r->pos >= r->len)
        return 0;
    const char *start = r->text + r->pos;
    const char *nl = memchr(start, '\n', r->len - r->pos);
    size_t n = nl ? (size_t)(nl - start) : r->len - r->pos;
    r->pos += n + (nl ? 1 : 0);
    r->line_no++;
    while (n > 0 && start[n - 1] == '\r')
        n--;
    line->p = start;
    line->n = n;
    return 1;
}

static int is_sep(char c) { return c == ' ' || c == '\t'; }

static int is_blank(span s)
{
    for (size_t i = 0; i < s.n; i++)
        if (!is_sep(s.p[i]) && s.p[i] != '\r' && s.p[i] != '\v' && s.p[i] != '\f')
            return 0;
    return 1;
}

static span trim(span s)
{
    while (s.n > 0 && (is_sep(s.p[0])))
        s.p++, s.n--;
    while (s.n > 0 && (is_sep(s.p[s.n - 1])))
        s.n--;
    return s;
}

static int span_is(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Splits a line into at most max fields; returns the number found (max+1 if more). */
static size_t split_fields(span line, span *fields, size_t max)
{
    size_t count = 0, i = 0;
    while (i < line.n) {
        while (i < line.n && is_sep(line.p[i]))
            i++;
        if (i >= line.n)
            break;
        size_t start = i;
        while (i < line.n && !is_sep(line.p[i]))
            i++;
        if (count == max)
            return max + 1;
        fields[count].p = line.p + start;
        fields[count].n = i - start;
        count++;
    }
    return count;
}

/* Shows a field in messages: at most 40 bytes. */
static int shown(span s) { return s.n > 40 ? 40 : (int)s.n; }

static const float pow10f_exact[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
static const double pow10d_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Decimal text -> the nearest float (as strtof), independent of the C locale.
 * Common ARPA numbers (<= 7 significant digits, small exponent) take an exact path: one
 * correctly rounded float operation on exact operands. Returns 0 on malformed text. */
static int parse_float(span s, float *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < s.n && (s.p[i] == '-' || s.p[i] == '+'))
        neg = s.p[i++] == '-';
    uint64_t mant = 0;
    int digits = 0, sig = 0, exp10 = 0, any = 0, overflow = 0;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
        any = 1;
        if (sig < 19) {
            mant = mant * 10u + (uint64_t)(s.p[i] - '0');
            if (mant != 0)
                sig++;
        } else {
            exp10++;
            overflow = 1;
        }
        i++, digits++;
    }
    if (i < s.n && s.p[i] == '.') {
        i++;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
            any = 1;
            if (sig < 19) {
                mant = mant * 10u + (uint64_t)(s.p[i] - '0');
                if (mant != 0)
                    sig++;
                exp10--;
            } else {
                overflow = 1;
            }
            i++;
        }
    }
    if (any && i < s.n && (s.p[i] == 'e' || s.p[i] == 'E')) {
        size_t j = i + 1;
        int eneg = 0, e = 0, edigits = 0;
        if (j < s.n && (s.p[j] == '-' || s.p[j] == '+'))
            eneg = s.p[j++] == '-';
        while (j < s.n && s.p[j] >= '0' && s.p[j] <= '9') {
            if (e < 100000)
                e = e * 10 + (s.p[j] - '0');
            j++, edigits++;
        }
        if (edigits == 0)
            return 0;
        exp10 += eneg ? -e : e;
        i = j;
    }
    (void)digits;
    if (any && i == s.n && !overflow) {
        float f;
        if (mant == 0) {
            f = 0.0f;
        } else if (mant < (UINT64_C(1) << 24) && exp10 >= -10 && exp10 <= 10) {
            f = exp10 < 0 ? (float)mant / pow10f_exact[-exp10] : (float)mant * pow10f_exact[exp10];
        } else if (mant < (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
            double d = exp10 < 0 ? (double)mant / pow10d_exact[-exp10] : (double)mant * pow10d_exact[exp10];
            f = (float)d;
        } else {
            goto slow;
        }
        *out = neg ? -f : f;
        return 1;
    }
slow:
    /* Rare forms (long mantissas, big exponents, inf): strtod on a bounded copy. */
    if (s.n == 0 || s.n > 63)
        return 0;
    char buf[64];
    memcpy(buf, s.p, s.n);
    buf[s.n] = '\0';
    char *end = NULL;
    double d = strtod(buf, &end);
    if (end != buf + s.n)
        return 0;
    if (isnan(d))
        return 0;
    *out = (float)d;
    return 1;
}

/* ---------------------------------------------------------------- build tables */

typedef struct {
    uint32_t n;           /* order */
    uint32_t *ids;        /* [cap][n] words left to right */
    float *prob, *backoff;
    uint8_t *ext;
    uint32_t *parent;     /* index of the suffix w2..wn in order n-1 (unigram id for n = 2) */
    uint64_t count, cap;
    uint32_t *hash;       /* [hash_cap] entry index or NONE */
    uint64_t hash_cap;
} order_build;

typedef struct {
    const char *w;
    uint32_t len;
    float prob, backoff;
    uint8_t ext;
    size_t line;
} unigram_in;

typedef struct {
    es__lm_tables *t;
    uint32_t V;
    uint64_t *vhash;
    unsigned vhash_bits;
    float *uprob, *ubackoff;
    uint8_t *uext;
    order_build b[7];    /* index = order */
    char *err;
    size_t err_len;
} builder;

static uint64_t hash_ids(const uint32_t *ids, uint32_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ n;
    for (uint32_t i = 0; i < n; i++) {
        h ^= ids[i];
        h *= 0xBF58476D1CE4E5B9u;
        h ^= h >> 31;
    }
    return h;
}

static uint32_t ob_find(const order_build *o, const uint32_t *ids)
{
    if (o->hash_cap == 0)
        return NONE;
    uint64_t mask = o->hash_cap - 1;
    for (uint64_t s = hash_ids(ids, o->n) & mask;; s = (s + 1) & mask) {
        uint32_t e = o->hash[s];
        if (e == NONE)
            return NONE;
        if (memcmp(o->ids + (size_t)e * o->n, ids, o->n * sizeof *ids) == 0)
            return e;
    }
}

static void ob_hash_put(order_build *o, uint32_t e)
{
    uint64_t mask = o->hash_cap - 1;
    uint64_t s = hash_ids(o->ids + (size_t)e * o->n, o->n) & mask;
    while (o->hash[s] != NONE)
        s = (s + 1) & mask;
    o->hash[s] = e;
}

static int grow(void **p, size_t elem, uint64_t cap)
{
    if (cap > SIZE_MAX / elem)
        return 0;
    void *q = realloc(*p, (size_t)cap * elem);
    if (q == NULL)
        return 0;
    *p = q;
    return 1;
}

/* Appends an entry; returns its index or NONE when out of memory / too many. */
static uint32_t ob_insert(order_build *o, const uint32_t *ids, float prob, float backoff, uint8_t ext)
{
    if (o->count >= NONE - 1)
        return NONE;
    if (o->count == o->cap) {
        uint64_t cap = o->cap ? o->cap * 2 : 1024;
        if (!grow((void **)&o->ids, sizeof(uint32_t) * o->n, cap) || !grow((void **)&o->prob, sizeof(float), cap) ||
            !grow((void **)&o->backoff, sizeof(float), cap) || !grow((void **)&o->ext, 1, cap) ||
            !grow((void **)&o->parent, sizeof(uint32_t), cap))
            return NONE;
        o->cap = cap;
    }
    if ((o->count + 1) * 2 > o->hash_cap) {
        uint64_t hc = o->hash_cap ? o->hash_cap * 2 : 2048;
        if (hc > SIZE_MAX / sizeof(uint32_t))
            return NONE;
        uint32_t *h = malloc((size_t)hc * sizeof *h);
        if (h == NULL)
            return NONE;
        free(o->hash);
        o->hash = h;
        o->hash_cap = hc;
        memset(h, 0xFF, (size_t)hc * sizeof *h);
        for (uint64_t e = 0; e < o->count; e++)
            ob_hash_put(o, (uint32_t)e);
    }
    uint32_t e = (uint32_t)o->count++;
    memcpy(o->ids + (size_t)e * o->n, ids, o->n * sizeof *ids);
    o->prob[e] = prob;
    o->backoff[e] = backoff;
    o->ext[e] = ext;
    o->parent[e] = NONE;
    ob_hash_put(o, e);
    return e;
}

static void ob_free(order_build *o)
{
    free(o->ids);
    free(o->prob);
    free(o->backoff);
    free(o->ext);
    free(o->parent);
    free(o->hash);
    memset(o, 0, sizeof *o);
}

static int cmp_unigram(const void *a, const void *b)
{
    const unigram_in *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->w, y->w, n);
    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static void builder_free(builder *B)
{
    free(B->vhash);
    free(B->uprob);
    free(B->ubackoff);
    free(B->uext);
    for (int k = 0; k < 7; k++)
        ob_free(&B->b[k]);
}

/* Fills the tables: unigrams by id, every order >= 2 as an open-addressing table keyed by
 * (slot of the suffix in the order below, first word), probed from the hash of the words
 * (lm_internal.h), inserted in file order. */
static es_status build_tables(builder *B)
{
    es__lm_tables *t = B->t;
    uint32_t N = t->order, V = B->V;
    t->counts[0] = V;
    t->slots[0] = V;
    t->prob[0] = B->uprob, B->uprob = NULL;
    t->backoff[0] = B->ubackoff, B->ubackoff = NULL;
    t->flags[0] = B->uext, B->uext = NULL; /* 0/1 = ES__EXT */
    uint32_t *prev_slot = NULL; /* original index in order k-1 -> slot */
    for (uint32_t k = 2; k <= N; k++) {
        order_build *o = &B->b[k];
        uint64_t n = o->count, S = es__lm_slots_for(n);
        if (S >= NONE)
            return es__fail(ES_ERR_UNSUPPORTED, B->err, B->err_len, "too many %u-grams", k);
        unsigned ki = k - 1;
        uint32_t *slot_of = malloc((size_t)n * sizeof *slot_of + 1);
        t->parent1[ki] = calloc((size_t)S, sizeof(uint32_t));
        t->word[ki] = malloc((size_t)S * sizeof(uint32_t));
        t->prob[ki] = calloc((size_t)S, sizeof(float));
        if (k < N) {
            t->backoff[ki] = calloc((size_t)S, sizeof(float));
            t->flags[ki] = calloc((size_t)S, 1);
        }
        if (slot_of == NULL || t->parent1[ki] == NULL || t->word[ki] == NULL || t->prob[ki] == NULL ||
            (k < N && (t->backoff[ki] == NULL || t->flags[ki] == NULL))) {
            free(slot_of);
            free(prev_slot);
            return es__fail(ES_ERR_OUT_OF_MEMORY, B->err, B->err_len, "out of memory building the %u-gram table", k);
        }
        memset(t->word[ki], 0, (size_t)S * sizeof(uint32_t));
        for (uint64_t i = 0; i < n; i++) {
            uint32_t par = k == 2 ? o->parent[i] : prev_slot[o->parent[i]];
            const uint32_t *ws = o->ids + (size_t)i * k; /* oldest first */
            uint32_t w = ws[0];
            uint64_t h = es__lm_hash_init(ws[k - 1]);
            for (uint32_t j = k - 1; j-- > 0;)
                h = es__lm_hash_extend(h, ws[j]);
            uint64_t sl = es__lm_slot(h, S);
            while (t->parent1[ki][sl] != 0)
                sl = sl + 1 == S ? 0 : sl + 1;
            t->parent1[ki][sl] = par + 1u;
            t->word[ki][sl] = w;
            t->prob[ki][sl] = o->prob[i];
            if (k < N) {
                t->backoff[ki][sl] = o->backoff[i];
                t->flags[ki][sl] = o->ext[i] ? (uint8_t)ES__EXT : 0;
            }
            t->flags[ki - 1][par] |= (uint8_t)ES__LEFT;
            slot_of[i] = (uint32_t)sl;
        }
        t->counts[ki] = n;
        t->slots[ki] = S;
        free(prev_slot);
        prev_slot = slot_of;
        if (k > 2)
            ob_free(&B->b[k - 1]); /* no longer needed */
    }
    free(prev_slot);
    return ES_OK;
}

/* The KenLM insertion of one n-gram (see the comment at the top). */
static es_status add_ngram(builder *B, uint32_t n, const uint32_t *w, float prob, float backoff, size_t line)
{
    order_build *o = &B->b[n];
    if (ob_find(o, w) != NONE)
        return es__fail(ES_ERR_FORMAT, B->err, B->err_len, "ARPA line %zu: duplicate %u-gram", line, n);
    uint32_t self = ob_insert(o, w, prob, backoff, backoff != 0.0f);
    if (self == NONE)
        return es__fail(ES_ERR_OUT_OF_MEMORY, B->err, B->err_len, "ARPA line %zu: out of memory", line);

    /* Right-aligned lower entries, longest first, down to the first that exists. */
    uint32_t between_order[6], between_idx[6];
    size_t nb = 0;
    for (uint32_t m = n - 1;; m--) {
        if (m == 1) {
            between_order[nb] = 1, between_idx[nb++] = w[n - 1];
            break;
        }
        const uint32_t *suffix = w + (n - m);
        uint32_t e = ob_find(&B->b[m], suffix);
        if (e != NONE) {
            between_order[nb] = m, between_idx[nb++] = e;
            break;
        }
        e = ob_insert(&B->b[m], suffix, 0.0f, 0.0f, 0);
        if (e == NONE)
            return es__fail(ES_ERR_OUT_OF_MEMORY, B->err, B->err_len, "ARPA line %zu: out of memory", line);
        between_order[nb] = m, between_idx[nb++] = e;
    }
    o->parent[self] = between_idx[0];
    for (size_t i = 0; i + 1 < nb; i++)
        B->b[between_order[i]].parent[between_idx[i]] = between_idx[i + 1];

    if (nb > 1) {
        /* Probabilities of the blanks: the basis plus the back-offs of their contexts. */
        uint32_t basis = n - (uint32_t)nb;
        float p = between_order[nb - 1] == 1 ? B->uprob[between_idx[nb - 1]]
                                             : B->b[between_order[nb - 1]].prob[between_idx[nb - 1]];
        p = -fabsf(p);
        long ci = (long)nb - 2;
        if (basis == 1) {
            uint32_t ctx = w[n - 2];
            B->uext[ctx] = 1;
            p += B->ubackoff[ctx];
            B->b[between_order[ci]].prob[between_idx[ci]] = p;
            basis = 2;
            ci--;
        }
        for (; basis < n - 1; basis++, ci--) {
            const uint32_t *ctx = w + (n - 1 - basis);
            uint32_t e = ob_find(&B->b[basis], ctx);
            if (e != NONE) {
                B->b[basis].ext[e] = 1;
                p += B->b[basis].backoff[e];
            }
            B->b[between_order[ci]].prob[between_idx[ci]] = p;
        }
    }

    /* The context must exist; it is kept in states. */
    if (n == 2) {
        B->uext[w[0]] = 1;
    } else {
        uint32_t e = ob_find(&B->b[n - 1], w);
        if (e == NONE)
            return es__fail(ES_ERR_FORMAT, B->err, B->err_len,
                            "ARPA line %zu: the context (first %u words) of this %u-gram is not listed as a %u-gram",
                            line, n - 1, n, n - 1);
        B->b[n - 1].ext[e] = 1;
    }
    return ES_OK;
}

es_status es__arpa_parse(const char *text, size_t len, es__lm_tables *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (text == NULL && len > 0)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "no text");
    reader r = {text, len, 0, 0};
    span line;
    es_status st = ES_OK;
    builder B;
    memset(&B, 0, sizeof B);
    B.t = out;
    B.err = err;
    B.err_len = err_len;
    unigram_in *uni = NULL;

    if (len >= 2 && (unsigned char)text[0] == 0x1f && (unsigned char)text[1] == 0x8b)
        return es__fail(ES_ERR_FORMAT, err, err_len, "this is a gzip file: decompress the ARPA file first");
    if (len >= 8 && memcmp(text, "mmap lm ", 8) == 0)
        return es__fail(ES_ERR_UNSUPPORTED, err, err_len,
                        "this is a KenLM binary file; give the ARPA file it was built from instead");

    /* Preamble and \data\ */
    for (;;) {
        if (!next_line(&r, &line))
            return es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: end of file before \\data\\", r.line_no);
        if (is_blank(line) || (line.n > 0 && line.p[0] == '#'))
            continue;
        if (span_is(trim(line), "\\data\\"))
            break;
        return es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: expected \\data\\, got \"%.*s\"", r.line_no,
                        shown(line), line.p);
    }

    /* Counts */
    uint64_t counts[7] = {0};
    uint32_t order = 0;
    for (;;) {
        size_t save_pos = r.pos, save_line = r.line_no;
        if (!next_line(&r, &line))
            return es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: end of file in the \\data\\ counts",
                            r.line_no);
        span tl = trim(line);
        if (tl.n == 0 && order == 0)
            continue;
        if (tl.n == 0)
            break;
        if (tl.p[0] == '\\' && order > 0) {
            r.pos = save_pos, r.line_no = save_line; /* section header right after the counts */
            break;
        }
        if (tl.n < 6 || memcmp(tl.p, "ngram", 5) != 0 || !is_sep(tl.p[5]))
            return es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: expected \"ngram N=count\", got \"%.*s\"",
                            r.line_no, shown(tl), tl.p);
        size_t i = 5;
        while (i < tl.n && is_sep(tl.p[i]))
            i++;
        uint64_t n = 0, c = 0;
        size_t d0 = i;
        while (i < tl.n && tl.p[i] >= '0' && tl.p[i] <= '9' && n < 1000)
            n = n * 10 + (uint64_t)(tl.p[i++] - '0');
        if (i == d0 || i >= tl.n || tl.p[i] != '=')
            return es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: malformed count line \"%.*s\"", r.line_no,
                            shown(tl), tl.p);
        i++;
        while (i < tl.n && is_sep(tl.p[i]))
            i++;
        size_t c0 = i;
        while (i < tl.n && tl.p[i] >= '0' && tl.p[i] <= '9' && c <= UINT64_C(0xFFFFFFFFFFFF))
            c = c * 10 + (uint64_t)(tl.p[i++] - '0');
        if (i == c0 || i != tl.n)
            return es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: malformed count line \"%.*s\"", r.line_no,
                            shown(tl), tl.p);
        if (n != (uint64_t)order + 1)
            return es__fail(ES_ERR_FORMAT, err, err_len,
                            "ARPA line %zu: n-gram orders must be consecutive from 1, got %llu after %u", r.line_no,
                            (unsigned long long)n, order);
        if (n > ES_LM_MAX_ORDER)
            return es__fail(ES_ERR_UNSUPPORTED, err, err_len, "ARPA line %zu: order %llu > %d is not supported",
                            r.line_no, (unsigned long long)n, ES_LM_MAX_ORDER);
        if (c >= NONE - 1)
            return es__fail(ES_ERR_UNSUPPORTED, err, err_len, "ARPA line %zu: more than 2^32 - 2 %llu-grams",
                            r.line_no, (unsigned long long)n);
        counts[n] = c;
        order = (uint32_t)n;
    }
    if (counts[1] == 0)
        return es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: the model has no unigrams", r.line_no);
    out->order = order;
    for (uint32_t n = 1; n <= order; n++)
        out->arpa_counts[n - 1] = counts[n];

    for (uint32_t n = 1; n <= order; n++) {
        /* Section header */
        char expect[16];
        snprintf(expect, sizeof expect, "\\%u-grams:", n);
        for (;;) {
            if (!next_line(&r, &line)) {
                st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: end of file before %s", r.line_no, expect);
                goto fail;
            }
            if (is_blank(line))
                continue;
            if (span_is(trim(line), expect))
                break;
            st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: expected %s, got \"%.*s\"", r.line_no, expect,
                          shown(line), line.p);
            goto fail;
        }
        size_t cap = 0;
        if (n == 1) {
            cap = counts[1] < len / 4 + 16 ? (size_t)counts[1] : len / 4 + 16;
            uni = malloc(cap * sizeof *uni + 1);
            if (uni == NULL) {
                st = es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory for %zu unigrams", cap);
                goto fail;
            }
        } else {
            B.b[n].n = n;
        }
        uint64_t got = 0;
        span f[8];
        uint32_t ids[6];
        while (got < counts[n]) {
            if (!next_line(&r, &line)) {
                st = es__fail(ES_ERR_FORMAT, err, err_len,
                              "ARPA line %zu: end of file in %s after %llu of %llu entries", r.line_no, expect,
                              (unsigned long long)got, (unsigned long long)counts[n]);
                goto fail;
            }
            if (is_blank(line))
                continue;
            size_t nf = split_fields(line, f, n + 2);
            if (nf > 0 && f[0].n > 0 && f[0].p[0] == '\\') {
                st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: %s has %llu entries but \\data\\ says %llu",
                              r.line_no, expect, (unsigned long long)got, (unsigned long long)counts[n]);
                goto fail;
            }
            if (nf < n + 1 || nf > n + 2) {
                st = es__fail(ES_ERR_FORMAT, err, err_len,
                              "ARPA line %zu: expected log10 probability, %u word%s and an optional back-off", r.line_no,
                              n, n == 1 ? "" : "s");
                goto fail;
            }
            float prob, backoff = 0.0f;
            if (!parse_float(f[0], &prob)) {
                st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: bad probability \"%.*s\"", r.line_no,
                              shown(f[0]), f[0].p);
                goto fail;
            }
            if (prob > 0.0f) {
                st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: positive log10 probability %g", r.line_no,
                              (double)prob);
                goto fail;
            }
            if (nf == n + 2) {
                if (!parse_float(f[n + 1], &backoff) || !isfinite(backoff)) {
                    st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: bad back-off \"%.*s\"", r.line_no,
                                  shown(f[n + 1]), f[n + 1].p);
                    goto fail;
                }
                if (n == order && backoff != 0.0f) {
                    st = es__fail(ES_ERR_FORMAT, err, err_len,
                                  "ARPA line %zu: back-off %g on a %u-gram, the highest order", r.line_no,
                                  (double)backoff, n);
                    goto fail;
                }
            }
            if (n == 1) {
                if (got == cap) {
                    cap *= 2;
                    if (!grow((void **)&uni, sizeof *uni, cap)) {
                        st = es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory for the unigrams");
                        goto fail;
                    }
                }
                if (f[1].n > 0xFFFFFF) {
                    st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: word too long", r.line_no);
                    goto fail;
                }
                unigram_in *u = &uni[got];
                u->w = f[1].p;
                u->len = (uint32_t)f[1].n;
                u->prob = prob;
                u->backoff = backoff == 0.0f ? 0.0f : backoff;
                u->ext = backoff != 0.0f;
                u->line = r.line_no;
            } else {
                for (uint32_t i = 0; i < n; i++) {
                    uint32_t id = es__vocab_find(B.vhash, B.vhash_bits, B.V, f[1 + i].p, f[1 + i].n);
                    if (id == ES__LM_NO_WORD) {
                        if (span_is(f[1 + i], "<UNK>")) {
                            id = 0;
                        } else {
                            st = es__fail(ES_ERR_FORMAT, err, err_len,
                                          "ARPA line %zu: word \"%.*s\" is not in the unigrams", r.line_no,
                                          shown(f[1 + i]), f[1 + i].p);
                            goto fail;
                        }
                    }
                    ids[i] = id;
                }
                st = add_ngram(&B, n, ids, prob, backoff == 0.0f ? 0.0f : backoff, r.line_no);
                if (st != ES_OK)
                    goto fail;
            }
            got++;
        }
        if (n == 1) {
            /* Vocabulary: <unk>, <s>, </s>, then the other words in byte order. */
            long special[3] = {-1, -1, -1};
            for (size_t i = 0; i < got; i++) {
                span w = {uni[i].w, uni[i].len};
                if (memchr(w.p, '\0', w.n) != NULL) {
                    st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: a word contains a NUL byte",
                                  uni[i].line);
                    goto fail;
                }
                int k = (span_is(w, "<unk>") || span_is(w, "<UNK>")) ? 0
                        : span_is(w, "<s>")                          ? 1
                        : span_is(w, "</s>")                         ? 2
                                                                     : -1;
                if (k < 0)
                    continue;
                if (special[k] >= 0) {
                    st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: duplicate unigram \"%.*s\"",
                                  uni[i].line, shown(w), w.p);
                    goto fail;
                }
                special[k] = (long)i;
            }
            if (special[1] < 0 || special[2] < 0) {
                st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: the unigrams lack %s", r.line_no,
                              special[1] < 0 ? "<s>" : "</s>");
                goto fail;
            }
            unigram_in sp[3];
            memset(sp, 0, sizeof sp);
            int have_unk = special[0] >= 0;
            for (int k = 0; k < 3; k++)
                if (special[k] >= 0)
                    sp[k] = uni[special[k]];
            size_t nrest = 0;
            for (size_t i = 0; i < got; i++)
                if ((long)i != special[0] && (long)i != special[1] && (long)i != special[2])
                    uni[nrest++] = uni[i];
            qsort(uni, nrest, sizeof *uni, cmp_unigram);
            for (size_t i = 1; i < nrest; i++)
                if (cmp_unigram(&uni[i - 1], &uni[i]) == 0) {
                    size_t l = uni[i].line > uni[i - 1].line ? uni[i].line : uni[i - 1].line;
                    st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: duplicate unigram \"%.*s\"", l,
                                  (int)(uni[i].len > 40 ? 40 : uni[i].len), uni[i].w);
                    goto fail;
                }
            if (nrest + 3 >= NONE) {
                st = es__fail(ES_ERR_UNSUPPORTED, err, err_len, "too many words");
                goto fail;
            }
            uint32_t V = (uint32_t)nrest + 3;
            B.V = V;
            out->vocab_size = V;
            out->arpa_counts[0] = have_unk ? counts[1] : counts[1] + 1;
            uint64_t ssize = 0;
            for (size_t i = 0; i < nrest; i++)
                ssize += uni[i].len + 1u;
            ssize += 6 + 4 + 5;
            if (ssize >= NONE) {
                st = es__fail(ES_ERR_UNSUPPORTED, err, err_len, "the vocabulary exceeds 4 GB");
                goto fail;
            }
            out->strings = malloc((size_t)ssize);
            out->strings_size = ssize;
            out->offsets = malloc(((size_t)V + 1) * sizeof(uint32_t));
            B.uprob = malloc((size_t)V * sizeof(float));
            B.ubackoff = malloc((size_t)V * sizeof(float));
            B.uext = malloc(V);
            B.vhash_bits = es__vocab_hash_bits(V);
            B.vhash = malloc(((size_t)1 << B.vhash_bits) * sizeof(uint64_t));
            if (out->strings == NULL || out->offsets == NULL || B.uprob == NULL || B.ubackoff == NULL ||
                B.uext == NULL || B.vhash == NULL) {
                st = es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory for the vocabulary");
                goto fail;
            }
            uint32_t at = 0;
            for (uint32_t id = 0; id < V; id++) {
                const char *w;
                size_t wl;
                const unigram_in *u = NULL;
                if (id < 3) {
                    static const char *const names[3] = {"<unk>", "<s>", "</s>"};
                    w = names[id];
                    wl = strlen(w);
                    if (id > 0 || have_unk)
                        u = &sp[id];
                } else {
                    u = &uni[id - 3];
                    w = u->w;
                    wl = u->len;
                }
                out->offsets[id] = at;
                memcpy(out->strings + at, w, wl);
                out->strings[at + wl] = '\0';
                at += (uint32_t)wl + 1;
                if (u != NULL) {
                    B.uprob[id] = u->prob;
                    B.ubackoff[id] = u->backoff;
                    B.uext[id] = u->ext;
                } else { /* KenLM's default for a missing <unk> */
                    B.uprob[id] = -100.0f;
                    B.ubackoff[id] = 0.0f;
                    B.uext[id] = 1;
                }
            }
            out->offsets[V] = at;
            out->strings_size = at;
            if (es__vocab_hash_fill(B.vhash, B.vhash_bits, out->strings, out->offsets, V) != ES_OK) {
                st = es__fail(ES_ERR_UNSUPPORTED, err, err_len, "two words of the vocabulary share a 64-bit hash");
                goto fail;
            }
            free(uni);
            uni = NULL;
        }
    }

    /* \end\ and nothing after it */
    for (;;) {
        if (!next_line(&r, &line)) {
            st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: end of file before \\end\\", r.line_no);
            goto fail;
        }
        if (is_blank(line))
            continue;
        if (span_is(trim(line), "\\end\\"))
            break;
        span tl = trim(line);
        if (tl.n > 0 && tl.p[0] == '\\')
            st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: expected \\end\\, got \"%.*s\"", r.line_no,
                          shown(tl), tl.p);
        else
            st = es__fail(ES_ERR_FORMAT, err, err_len,
                          "ARPA line %zu: more entries than the %llu that \\data\\ announces for order %u", r.line_no,
                          (unsigned long long)counts[order], order);
        goto fail;
    }
    while (next_line(&r, &line)) {
        if (!is_blank(line)) {
            st = es__fail(ES_ERR_FORMAT, err, err_len, "ARPA line %zu: text after \\end\\", r.line_no);
            goto fail;
        }
    }

    st = build_tables(&B);
    if (st != ES_OK)
        goto fail;
    builder_free(&B);
    return ES_OK;

fail:
    free(uni);
    builder_free(&B);
    es__lm_tables_free(out);
    return st;
}
