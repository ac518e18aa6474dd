/* Hot words: an Aho-Corasick automaton over class labels whose states carry the boosts of
 * the phrases they complete and the partial credit of the phrases they are inside, and a
 * trie of the phrases' single words. The semantics are in ctc_hotwords.h. Both are rebuilt
 * from the phrase list whenever it changes (never while decoding: the decoder allows changes
 * only before its first frame), so decoding only reads them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctc_hotwords.h"

#define NONE (-1)
#define MAX_BOOST 1e6

/* A trie whose edges live in one open-addressing hash table keyed by (node, label). */
typedef struct {
    size_t num_nodes, node_cap;
    int32_t *parent, *depth, *fail;
    double *out;      /* phrase trie: boosts completed at this state (failure chain included) */
    double *partial;  /* phrase trie: partial credit of the state (failure chain included) */
    double *own;      /* build only: boosts of the patterns ending exactly here */
    double *credit;   /* build only: the best credit of the phrases through this node */
    uint8_t *has_credit;
    uint8_t *complete; /* word trie: a whole word ends here */
    size_t edge_cap;   /* power of two */
    uint64_t *edge_key; /* (node + 1) * alphabet + label; 0: empty */
    int32_t *edge_child;
} trie;

struct es__hot_words {
    size_t alphabet_size;
    int32_t blank, space;
    /* the phrases */
    size_t count, cap, tok_len, tok_cap;
    size_t *offset, *length;
    double *boost;
    int32_t *tokens;
    /* the automata */
    trie phrases, words;
    double max_gain;
};

/* ---------------------------------------------------------------- trie */

static void trie_free(trie *t)
{
    free(t->parent);
    free(t->depth);
    free(t->fail);
    free(t->out);
    free(t->partial);
    free(t->own);
    free(t->credit);
    free(t->has_credit);
    free(t->complete);
    free(t->edge_key);
    free(t->edge_child);
    memset(t, 0, sizeof *t);
}

/* A trie for up to max_nodes nodes, holding only the root. */
static int trie_init(trie *t, size_t max_nodes)
{
    trie_free(t);
    size_t n = max_nodes < 1 ? 1 : max_nodes;
    t->node_cap = n;
    t->parent = malloc(n * sizeof *t->parent);
    t->depth = malloc(n * sizeof *t->depth);
    t->fail = malloc(n * sizeof *t->fail);
    t->out = calloc(n, sizeof *t->out);
    t->partial = calloc(n, sizeof *t->partial);
    t->own = calloc(n, sizeof *t->own);
    t->credit = calloc(n, sizeof *t->credit);
    t->has_credit = calloc(n, 1);
    t->complete = calloc(n, 1);
    t->edge_cap = 16;
    while (t->edge_cap < 2 * n)
        t->edge_cap *= 2;
    t->edge_key = calloc(t->edge_cap, sizeof *t->edge_key);
    t->edge_child = malloc(t->edge_cap * sizeof *t->edge_child);
    if (!t->parent || !t->depth || !t->fail || !t->out || !t->partial || !t->own || !t->credit || !t->has_credit ||
        !t->complete || !t->edge_key || !t->edge_child) {
        trie_free(t);
        return 0;
    }
    t->num_nodes = 1;
    t->parent[0] = NONE;
    t->depth[0] = 0;
    t->fail[0] = 0;
    return 1;
}

static size_t edge_slot(const trie *t, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t mask = t->edge_cap - 1;
    size_t i = (size_t)(h >> 32) & mask;
    while (t->edge_key[i] != 0 && t->edge_key[i] != key)
        i = (i + 1) & mask;
    return i;
}

static uint64_t edge_key(const es__hot_words *h, int32_t node, int32_t label)
{
    return ((uint64_t)node + 1) * (uint64_t)h->alphabet_size + (uint64_t)label;
}

static int32_t trie_child(const es__hot_words *h, const trie *t, int32_t node, int32_t label)
{
    if (t->edge_cap == 0)
        return NONE;
    size_t i = edge_slot(t, edge_key(h, node, label));
    return t->edge_key[i] == 0 ? NONE : t->edge_child[i];
}

/* The child, created if missing (the trie was sized for every node the phrases need). */
static int32_t trie_add_child(const es__hot_words *h, trie *t, int32_t node, int32_t label)
{
    uint64_t key = edge_key(h, node, label);
    size_t i = edge_slot(t, key);
    if (t->edge_key[i] != 0)
        return t->edge_child[i];
    int32_t c = (int32_t)t->num_nodes++;
    t->edge_key[i] = key;
    t->edge_child[i] = c;
    t->parent[c] = node;
    t->depth[c] = t->depth[node] + 1;
    t->fail[c] = 0;
    return c;
}

/* ---------------------------------------------------------------- building */

/* The labels of the pattern of phrase i: in word mode with a space before and after. */
static size_t pattern(const es__hot_words *h, size_t i, int32_t *out)
{
    size_t n = 0;
    if (h->space != NONE)
        out[n++] = h->space;
    memcpy(out + n, h->tokens + h->offset[i], h->length[i] * sizeof *out);
    n += h->length[i];
    if (h->space != NONE)
        out[n++] = h->space;
    return n;
}

static void add_credit(trie *t, int32_t node, double credit)
{
    if (!t->has_credit[node] || credit > t->credit[node]) {
        t->credit[node] = credit;
        t->has_credit[node] = 1;
    }
}

/* Failure links, outputs and partial credits, breadth first (a node's failure target is
 * shallower, so it is final before the node is reached). */
static int link_automaton(const es__hot_words *h, trie *t)
{
    int32_t *queue = malloc(t->num_nodes * sizeof *queue);
    if (queue == NULL)
        return 0;
    /* Children of each node: scan the edge table once per BFS level would be slow; instead
     * order nodes by depth (creation order is not breadth first). */
    size_t max_depth = 0;
    for (size_t v = 0; v < t->num_nodes; v++)
        if ((size_t)t->depth[v] > max_depth)
            max_depth = (size_t)t->depth[v];
    size_t q = 0;
    for (size_t dep = 0; dep <= max_depth; dep++)
        for (size_t v = 0; v < t->num_nodes; v++)
            if ((size_t)t->depth[v] == dep)
                queue[q++] = (int32_t)v;
    /* label of each node = the edge from its parent; recover it from the edge table. */
    int32_t *label = malloc(t->num_nodes * sizeof *label);
    if (label == NULL) {
        free(queue);
        return 0;
    }
    label[0] = NONE;
    for (size_t i = 0; i < t->edge_cap; i++)
        if (t->edge_key[i] != 0)
            label[t->edge_child[i]] = (int32_t)(t->edge_key[i] % h->alphabet_size);
    t->out[0] = 0.0;
    t->partial[0] = 0.0;
    int root_has_partial = 0;
    (void)root_has_partial;
    for (size_t k = 1; k < q; k++) {
        int32_t v = queue[k], u = t->parent[v], c = label[v];
        int32_t f = NONE;
        if (u != 0) {
            for (int32_t s = t->fail[u];; s = t->fail[s]) {
                int32_t x = trie_child(h, t, s, c);
                if (x != NONE) {
                    f = x;
                    break;
                }
                if (s == 0)
                    break;
            }
        }
        t->fail[v] = f == NONE ? 0 : f;
        int32_t fv = t->fail[v];
        t->out[v] = t->own[v] + t->out[fv];
        /* partial: the best credit on the failure chain; has_credit propagates too. */
        double best = t->has_credit[v] ? t->credit[v] : 0.0;
        int has = t->has_credit[v];
        if (fv != 0 && t->has_credit[fv] && (!has || t->credit[fv] > best)) {
            best = t->credit[fv];
            has = 1;
        }
        t->credit[v] = best;
        t->has_credit[v] = (uint8_t)has;
        t->partial[v] = has ? best : 0.0;
    }
    free(label);
    free(queue);
    return 1;
}

static es_status rebuild(es__hot_words *h)
{
    size_t lead = h->space != NONE ? 1 : 0;
    size_t nodes = 1, words = 1;
    for (size_t i = 0; i < h->count; i++) {
        nodes += h->length[i] + 2 * lead;
        words += h->length[i];
    }
    if (!trie_init(&h->phrases, nodes) || !trie_init(&h->words, words))
        return ES_ERR_OUT_OF_MEMORY;
    int32_t pat[ES_HOT_MAX_TOKENS + 2];
    for (size_t i = 0; i < h->count; i++) {
        size_t n = pattern(h, i, pat);
        double len = (double)h->length[i];
        int32_t v = 0;
        for (size_t k = 0; k < n; k++) {
            v = trie_add_child(h, &h->phrases, v, pat[k]);
            size_t matched = k + 1 - lead; /* labels of the phrase itself */
            if (k + 1 < n && k + 1 > lead)
                add_credit(&h->phrases, v, h->boost[i] * (matched < len ? (double)matched / len : 1.0));
        }
        h->phrases.own[v] += h->boost[i];
        /* its words */
        int32_t w = 0;
        const int32_t *tok = h->tokens + h->offset[i];
        for (size_t k = 0; k <= h->length[i]; k++) {
            if (k == h->length[i] || tok[k] == h->space) {
                h->words.complete[w] = 1;
                w = 0;
            } else {
                w = trie_add_child(h, &h->words, w, tok[k]);
            }
        }
    }
    if (!link_automaton(h, &h->phrases))
        return ES_ERR_OUT_OF_MEMORY;
    double max_total = 0.0, min_partial = 0.0;
    for (size_t v = 0; v < h->phrases.num_nodes; v++) {
        double total = h->phrases.out[v] + h->phrases.partial[v];
        if (total > max_total)
            max_total = total;
        if (h->phrases.partial[v] < min_partial)
            min_partial = h->phrases.partial[v];
    }
    h->max_gain = max_total - min_partial;
    return ES_OK;
}

/* ---------------------------------------------------------------- the phrase list */

es_status es__hot_words_new(size_t alphabet_size, int32_t blank, int32_t space, es__hot_words **out)
{
    es__hot_words *h = calloc(1, sizeof *h);
    if (h == NULL)
        return ES_ERR_OUT_OF_MEMORY;
    h->alphabet_size = alphabet_size;
    h->blank = blank;
    h->space = space < 0 ? NONE : space;
    es_status st = rebuild(h);
    if (st != ES_OK) {
        es__hot_words_free(h);
        return st;
    }
    *out = h;
    return ES_OK;
}

void es__hot_words_free(es__hot_words *h)
{
    if (h == NULL)
        return;
    trie_free(&h->phrases);
    trie_free(&h->words);
    free(h->offset);
    free(h->length);
    free(h->boost);
    free(h->tokens);
    free(h);
}

static es_status check_phrase(const es__hot_words *h, const int32_t *tokens, size_t n)
{
    if (tokens == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (n == 0 || n > ES_HOT_MAX_TOKENS)
        return ES_ERR_INVALID_ARGUMENT;
    for (size_t k = 0; k < n; k++) {
        if (tokens[k] < 0 || (size_t)tokens[k] >= h->alphabet_size || tokens[k] == h->blank)
            return ES_ERR_INVALID_ARGUMENT;
        if (h->space != NONE && tokens[k] == h->space && (k == 0 || k + 1 == n || tokens[k - 1] == h->space))
            return ES_ERR_INVALID_ARGUMENT;
    }
    return ES_OK;
}

static size_t find(const es__hot_words *h, const int32_t *tokens, size_t n)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->length[i] == n && memcmp(h->tokens + h->offset[i], tokens, n * sizeof *tokens) == 0)
            return i;
    return h->count;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (q == NULL)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

es_status es__hot_words_add(es__hot_words *h, const int32_t *tokens, size_t n, double boost)
{
    es_status st = check_phrase(h, tokens, n);
    if (st != ES_OK)
        return st;
    if (!isfinite(boost) || fabs(boost) > MAX_BOOST)
        return ES_ERR_INVALID_ARGUMENT;
    size_t i = find(h, tokens, n);
    if (i == h->count) {
        size_t cap = h->cap, cap2 = h->cap, cap3 = h->cap;
        if (!grow((void **)&h->offset, &cap, h->count + 1, sizeof *h->offset) ||
            !grow((void **)&h->length, &cap2, h->count + 1, sizeof *h->length) ||
            !grow((void **)&h->boost, &cap3, h->count + 1, sizeof *h->boost))
            return ES_ERR_OUT_OF_MEMORY;
        h->cap = cap < cap2 ? (cap < cap3 ? cap : cap3) : (cap2 < cap3 ? cap2 : cap3);
        if (!grow((void **)&h->tokens, &h->tok_cap, h->tok_len + n, sizeof *h->tokens))
            return ES_ERR_OUT_OF_MEMORY;
        memcpy(h->tokens + h->tok_len, tokens, n * sizeof *tokens);
        h->offset[i] = h->tok_len;
        h->length[i] = n;
        h->tok_len += n;
        h->count++;
    }
    h->boost[i] = boost;
    return rebuild(h);
}

es_status es__hot_words_erase(es__hot_words *h, const int32_t *tokens, size_t n)
{
    es_status st = check_phrase(h, tokens, n);
    if (st != ES_OK)
        return st;
    size_t i = find(h, tokens, n);
    if (i == h->count)
        return ES_ERR_INVALID_ARGUMENT;
    size_t off = h->offset[i];
    memmove(h->tokens + off, h->tokens + off + n, (h->tok_len - off - n) * sizeof *h->tokens);
    h->tok_len -= n;
    for (size_t k = i; k + 1 < h->count; k++) {
        h->offset[k] = h->offset[k + 1] - n;
        h->length[k] = h->length[k + 1];
        h->boost[k] = h->boost[k + 1];
    }
    h->count--;
    return rebuild(h);
}

void es__hot_words_clear(es__hot_words *h)
{
    h->count = 0;
    h->tok_len = 0;
    (void)rebuild(h); /* with no phrase: two root-only tries, already allocated at least that big */
}

size_t es__hot_words_count(const es__hot_words *h)
{
    return h->count;
}

const int32_t *es__hot_words_phrase(const es__hot_words *h, size_t i, size_t *n, double *boost)
{
    *n = h->length[i];
    *boost = h->boost[i];
    return h->tokens + h->offset[i];
}

static size_t trie_bytes(const trie *t)
{
    return t->node_cap * (3 * sizeof(int32_t) + 4 * sizeof(double) + 2) +
           t->edge_cap * (sizeof(uint64_t) + sizeof(int32_t));
}

size_t es__hot_words_memory_bytes(const es__hot_words *h)
{
    return sizeof *h + h->cap * (2 * sizeof(size_t) + sizeof(double)) + h->tok_cap * sizeof(int32_t) +
           trie_bytes(&h->phrases) + trie_bytes(&h->words);
}

/* ---------------------------------------------------------------- scoring */

int32_t es__hot_words_start(const es__hot_words *h)
{
    if (h->space == NONE)
        return 0;
    int32_t s = trie_child(h, &h->phrases, 0, h->space);
    return s == NONE ? 0 : s;
}

int32_t es__hot_words_step(const es__hot_words *h, int32_t state, int32_t c, double *completed)
{
    const trie *t = &h->phrases;
    int32_t next = 0;
    for (int32_t s = state;; s = t->fail[s]) {
        int32_t x = trie_child(h, t, s, c);
        if (x != NONE) {
            next = x;
            break;
        }
        if (s == 0)
            break;
    }
    *completed = t->out[next];
    return next;
}

double es__hot_words_partial(const es__hot_words *h, int32_t state)
{
    return h->phrases.partial[state];
}

double es__hot_words_max_gain(const es__hot_words *h)
{
    return h->max_gain;
}

int32_t es__hot_words_word_start(const es__hot_words *h)
{
    return h->count == 0 ? NONE : 0;
}

int32_t es__hot_words_word_step(const es__hot_words *h, int32_t state, int32_t c)
{
    if (state == NONE)
        return NONE;
    return trie_child(h, &h->words, state, c);
}

int es__hot_words_word_is_complete(const es__hot_words *h, int32_t state)
{
    return state != NONE && h->words.complete[state];
}
