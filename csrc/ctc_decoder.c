/* CTC prefix beam search with the semantics of DeepSpeech 0.9.3's ctcdecode, and greedy
 * decoding, with optional n-gram LM fusion in word mode (the scorer and its dictionary FST)
 * and hot words (ctc_hotwords.h: a score H(prefix) of the prefix's labels, telescoped into
 * the extension terms, so a prefix's score is acoustic + LM + H).
 *
 * LM fusion keeps, per prefix node, the LM context after the words the prefix completed
 * (es_lm_state, which equals DeepSpeech's make_ngram + get_log_cond_prob: <s> while fewer than
 * `order` words, else the last order-1 words) and how many words ago the last OOV was (any
 * OOV in the n-gram window makes DeepSpeech return -1000). A space child's LM term is
 * computed once when the node is created; the unfinished-word term of a node lazily, when
 * results are read. The lexicon constraint (DeepSpeech's FST) refuses children at creation.
 *
 * Data structures (all allocated in es_ctc_decoder_new, nothing per frame):
 * - a prefix tree (DeepSpeech's PathTrie) in a pool of nodes linked by index; each node is
 *   one prefix (the labels on its path from the root). Children are found through one hash
 *   table keyed by (parent, label), open addressing with linear probing.
 *   A pruned node is marked dead; it is returned to the pool once it has no children, and
 *   its dead ancestors follow (DeepSpeech's PathTrie::remove). A dead node extended again
 *   is revived with all probabilities at -inf (PathTrie::get_path_trie).
 * - timestep records (DeepSpeech's TreeNode<unsigned>): a persistent, reference-counted
 *   list per prefix, record = (frame, previous record). A prefix's history is captured from
 *   its parent at the moment the winning extension happened, so later changes of the
 *   parent's history do not leak into it, exactly as in DeepSpeech.
 * - `prefixes`: the live prefixes after the last frame, best first (<= beam_width);
 *   `active`: the prefixes plus the nodes created or revived in the current frame.
 *
 * Differences from DeepSpeech, all limited to float rounding and exact ties: the prefixes
 * are always kept fully sorted by (score desc, last label asc, creation order) where
 * DeepSpeech without a scorer uses its tree walk order and std::nth_element's permutation,
 * and class ties in the cutoff sort go to the smaller index (std::sort leaves them open). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctc_hotwords.h"
#include "internal.h"

#define NONE (-1)
#define NEG_INF (-FLT_MAX) /* DeepSpeech's -NUM_FLT_INF */
#define LOG_PROB_TOLERANCE 1e-3
#define MAX_ALPHABET 65536
#define MAX_POOL ((size_t)INT32_MAX - 1)
#define MAX_WORD_BYTES 1024
#define OOV_SCORE (-1000.0)         /* DeepSpeech's OOV_SCORE, in ln units */
#define NUM_FLT_LOGE 0.4342944819f  /* DeepSpeech's log10(e), a float constant */
#define SINCE_OOV_NONE 255
#define COMMIT_INTERVAL 16 /* frames between two attempts to commit the common stem */
#define COMMIT_MIN_DEPTH 48 /* labels below the top the best prefix needs for an attempt */
#define COMMIT_SLACK 1024  /* committed labels the buffer holds beyond the pool's size */
#define FORCE_KEEP 64      /* labels of the best prefix kept open by a forced commit */

typedef struct {
    float b_prev, nb_prev, b_cur, nb_cur, score;
    int32_t parent;
    int32_t next_free;    /* free-list link while in the pool */
    int32_t num_children; /* children still in the tree (live or dead) */
    int32_t beam_children; /* while in the beam: its children in the beam at the frame's start */
    uint64_t beam_labels;  /* while in the beam: bit (label % 64) set for each of those children */
    int32_t character; /* -1 at the root */
    int32_t timesteps; /* record of the last label's timestep; NONE: empty history */
    int32_t pending;   /* while has_pending: the parent's record the winning extension came from */
    uint32_t new_timestep;
    uint32_t depth;
    uint64_t serial; /* creation order, the last tie-break */
    double ext_term; /* added to every extension into this node: the LM term (space nodes)
                        + H(this node) - H(parent) */
    double hot_sum;  /* hot words: the boosts of the occurrences this prefix completed */
    int32_t hot_state; /* hot words: the automaton state after this prefix */
    int32_t hot_word;  /* hot words: the word-trie state of the last word (NONE: no hot word) */
    float new_log_prob; /* while has_pending: the class log prob of the winning extension */
    double tail;     /* with an LM: the unfinished last word's term, once tail_known */
    es_lm_state lm_state; /* with an LM: the context after this prefix's completed words */
    uint32_t lex_first, lex_end; /* with an LM: the ids of the vocabulary words that start with
                                    this prefix's last (unfinished) word; ids follow byte order */
    uint32_t word_len;    /* with an LM: bytes of the last word (MAX_WORD_BYTES + 1: too long) */
    uint8_t since_oov;    /* completed words since the last OOV one (SINCE_OOV_NONE: none) */
    uint8_t exists, active, has_pending, tail_known, has_term, in_tree;
    uint32_t slot;        /* in_tree: its entry in the child table */
    uint32_t stamp;       /* common_stem: on a walked path when it equals d->stamp */
} node;

/* A prefix's sort key, copied out of the node so the sort reads one array. */
typedef struct {
    float score;
    int32_t character;
    uint64_t serial;
    int32_t node;
} sort_key;

typedef struct {
    uint32_t timestep;
    int32_t previous;
    uint32_t refs;
    float log_prob; /* ln P of the label's class at that frame */
} ts_record;

struct es_ctc_decoder {
    es_ctc_decoder_config cfg;
    size_t capacity; /* entries in each pool */
    uint64_t *child_key; /* child table: (parent + 1) * alphabet_size + label; 0 = empty */
    int32_t *child_node;
    size_t child_mask;   /* table size - 1 (a power of two >= 2 * capacity) */
    sort_key *keys;      /* active_capacity: the end-of-frame sort */
    sort_key *keys_tmp;
    size_t active_capacity;
    node *nodes;
    int32_t top;            /* the tree's top: the root, or the last committed node */
    /* committed labels not yet popped (see commit_stem) */
    size_t committed_cap, committed_len, committed_total;
    int32_t *committed_tokens;
    uint32_t *committed_steps;
    float *committed_log_probs;
    int32_t node_free_head; /* freed nodes (a stack), used before node_bump */
    size_t node_bump;       /* nodes [node_bump, capacity) were never used since the reset */
    size_t nodes_free;
    ts_record *records;
    int32_t record_free_head;
    size_t record_bump;
    size_t records_free;
    int32_t *prefixes; /* best first */
    size_t num_prefixes;
    size_t num_results; /* leading prefixes with score > -inf */
    int32_t *active;
    size_t num_active;
    int blank_visited;   /* this frame visits the blank class */
    int32_t *bucket_head; /* alphabet_size, all NONE between frames: by label, the first prefix */
    int32_t *bucket_next; /* beam_width: the next prefix with the same last label */
    int32_t *spec;        /* beam_width: positions of the prefixes with children in the beam */
    float *floor_heap;    /* beam_width: a min-heap, see decode_frame's beam floor */
    float beam_floor;     /* this frame: the heap's least entry, or -inf (no skip) */
    uint32_t stamp;       /* common_stem's walk counter (nodes start at 0) */
    size_t lca_hint;      /* common_stem: the rank that last raised the common ancestor */
    int32_t *sort_tmp;   /* active_capacity */
    double *probs;       /* alphabet_size: this frame as probabilities */
    int32_t *classes;    /* alphabet_size: classes visited this frame, in visiting order */
    int32_t *class_tmp;  /* alphabet_size */
    float *class_log_prob; /* alphabet_size, by class index */
    uint64_t next_serial;
    size_t frames;
    int started, finished;
    /* LM fusion */
    const es_lm *lm;
    int lm_order;
    double alpha, beta; /* rounded to float, as DeepSpeech's reset_params */
    char *label_bytes;  /* the labels, concatenated */
    uint32_t *label_off, *label_len; /* by class; the blank's length is 0 */
    uint32_t *first_range;           /* by class: the vocabulary ids of the words starting with
                                        its label, [first_range[2c], first_range[2c+1]) */
    int32_t *ranked;    /* results, best first (with an LM) */
    double *ranked_score;
    int ranked_valid;
    /* hot words */
    es__hot_words *hot;
    int hot_active;      /* at least one phrase */
    double hot_oov_ln;   /* with an LM: ln P given to an OOV hot word (the rarest unigram) */
    int hot_oov_known;
};

/* ---------------------------------------------------------------- helpers */

/* DeepSpeech's log_sum_exp in float. */
static float log_sum_exp(float x, float y)
{
    if (x <= NEG_INF)
        return y;
    if (y <= NEG_INF)
        return x;
    float m = x > y ? x : y;
    return logf(expf(x - m) + expf(y - m)) + m;
}

typedef int (*before_fn)(const void *ctx, int32_t a, int32_t b);

/* Stable bottom-up merge sort of n indices; tmp holds n. */
static void merge_sort(int32_t *a, int32_t *tmp, size_t n, before_fn before, const void *ctx)
{
    int32_t *src = a, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = before(ctx, src[j], src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        int32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* DeepSpeech's prefix_compare (score desc, ties to the smaller label), then creation order. */
static int key_before(const sort_key *x, const sort_key *y)
{
    if (x->score != y->score)
        return x->score > y->score;
    if (x->character != y->character)
        return x->character < y->character;
    return x->serial < y->serial;
}

/* Stable bottom-up merge sort of n keys (the serials are distinct: any stable or unstable
 * sort gives this order); tmp holds n. */
static void sort_keys(sort_key *a, sort_key *tmp, size_t n)
{
    sort_key *src = a, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = key_before(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        sort_key *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

static int class_before(const void *ctx, int32_t a, int32_t b)
{
    const double *p = ctx;
    return p[a] > p[b] || (p[a] == p[b] && a < b);
}

/* ---------------------------------------------------------------- timestep records */

static void record_release(es_ctc_decoder *d, int32_t r)
{
    while (r != NONE) {
        ts_record *rec = &d->records[r];
        if (--rec->refs > 0)
            return;
        int32_t prev = rec->previous;
        rec->previous = d->record_free_head;
        d->record_free_head = r;
        d->records_free++;
        r = prev;
    }
}

static void record_retain(es_ctc_decoder *d, int32_t r)
{
    if (r != NONE)
        d->records[r].refs++;
}

/* A new record (timestep, previous); takes over the caller's reference to previous.
 * The pool has room: feed checks before each frame. */
static int32_t record_new(es_ctc_decoder *d, uint32_t timestep, float log_prob, int32_t previous)
{
    int32_t r = d->record_free_head;
    if (r != NONE)
        d->record_free_head = d->records[r].previous;
    else
        r = (int32_t)d->record_bump++;
    ts_record *rec = &d->records[r];
    d->records_free--;
    rec->timestep = timestep;
    rec->previous = previous;
    rec->refs = 1;
    rec->log_prob = log_prob;
    return r;
}

/* ---------------------------------------------------------------- prefix tree */

static void clear_pending(es_ctc_decoder *d, node *n)
{
    if (n->has_pending) {
        record_release(d, n->pending);
        n->has_pending = 0;
    }
}

static void set_pending(es_ctc_decoder *d, node *n, int32_t from, uint32_t timestep, float log_prob)
{
    clear_pending(d, n);
    record_retain(d, from);
    n->pending = from;
    n->has_pending = 1;
    n->new_timestep = timestep;
    n->new_log_prob = log_prob;
}

/* Whether i joined this frame's active set now (it was not in the beam nor touched yet). */
static int mark_active(es_ctc_decoder *d, int32_t i)
{
    if (d->nodes[i].active)
        return 0;
    d->nodes[i].active = 1;
    d->active[d->num_active++] = i;
    return 1;
}

/* ---------------------------------------------------------------- LM fusion */

/* v + term in float, as DeepSpeech's `float log_p += double`; -inf stays -inf. */
static float add_term(float v, double term)
{
    if (v <= NEG_INF)
        return v;
    double x = (double)v + term;
    return x <= -(double)FLT_MAX ? NEG_INF : (float)x;
}

/* The ids of the words in [first, end) (which share their first `off` bytes) that continue
 * with the bytes b[0..n): a binary search over the range, each probe reading a few bytes. */
static int compare_at(const es_lm *lm, uint32_t id, size_t off, const unsigned char *b, size_t n)
{
    const unsigned char *w = (const unsigned char *)es_lm_word(lm, id) + off;
    for (size_t k = 0; k < n; k++) {
        if (w[k] != b[k]) /* a word that ends here (NUL) sorts first */
            return w[k] < b[k] ? -1 : 1;
    }
    return 0;
}

static void narrow_range(const es_lm *lm, size_t off, const char *bytes, size_t n, uint32_t *first, uint32_t *end)
{
    const unsigned char *b = (const unsigned char *)bytes;
    uint32_t lo = *first, hi = *end;
    while (lo < hi) { /* first id with compare >= 0 */
        uint32_t mid = lo + (hi - lo) / 2;
        if (compare_at(lm, mid, off, b, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t start = lo;
    hi = *end;
    while (lo < hi) { /* first id with compare > 0 */
        uint32_t mid = lo + (hi - lo) / 2;
        if (compare_at(lm, mid, off, b, n) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = start;
    *end = lo;
}

/* The LM id of node n's last word: the first of its range when that word is exactly the
 * prefix (it sorts first), else 0 (<unk>: OOV, empty or too long). */
static uint32_t word_id(const es_ctc_decoder *d, const node *n)
{
    if (n->word_len == 0 || n->word_len > MAX_WORD_BYTES || n->lex_first >= n->lex_end)
        return 0;
    return es_lm_word(d->lm, n->lex_first)[n->word_len] == '\0' ? n->lex_first : 0;
}

/* DeepSpeech's alpha * get_log_cond_prob(make_ngram(...)) + beta for the word `id`
 * completed after the context of node ctx; writes the context after it and the OOV age.
 * hot: the word is a hot word. An OOV hot word is not DeepSpeech's -1000 but the rarest
 * unigram's ln P, and the context restarts after it (no OOV in the window). */
static double word_term(const es_ctc_decoder *d, const node *ctx, uint32_t id, int hot, es_lm_state *out,
                        uint8_t *since_oov)
{
    if (id == 0 && hot && d->hot_oov_known) {
        es_lm_null_state(d->lm, out);
        *since_oov = ctx->since_oov >= 100 ? ctx->since_oov : (uint8_t)(ctx->since_oov + 1);
        double cond = (int)ctx->since_oov < d->lm_order - 1 ? OOV_SCORE : d->hot_oov_ln;
        return cond * d->alpha + d->beta;
    }
    float log10p = es_lm_score(d->lm, &ctx->lm_state, id, out);
    int oov = id == 0 || (int)ctx->since_oov < d->lm_order - 1;
    double cond = oov ? OOV_SCORE : (double)log10p / (double)NUM_FLT_LOGE;
    if (id == 0)
        *since_oov = 0;
    else
        *since_oov = ctx->since_oov >= 100 ? ctx->since_oov : (uint8_t)(ctx->since_oov + 1);
    return cond * d->alpha + d->beta;
}

/* A new word starts: every vocabulary word is still possible. */
static void start_word(const es_ctc_decoder *d, node *child)
{
    child->lex_first = 3; /* after <unk>, <s>, </s> */
    child->lex_end = (uint32_t)es_lm_vocab_size(d->lm);
    child->word_len = 0;
}

/* For a new child c of parent: whether the lexicon allows it (the LM's words and the hot
 * words), and its LM fields. */
static int lm_child(es_ctc_decoder *d, int32_t parent, int32_t c, node *child)
{
    const node *p = &d->nodes[parent];
    if (c == d->cfg.space_index) {
        start_word(d, child);
        if (parent == 0) { /* a leading space: no word, alpha * 0 + beta (DeepSpeech's empty n-gram) */
            if (d->cfg.lexicon)
                return 0;
            child->ext_term = d->beta;
            child->lm_state = p->lm_state;
            child->since_oov = p->since_oov;
            return 1;
        }
        uint32_t id = p->character == c ? 0 : word_id(d, p);
        int hot = d->hot_active && p->character != c && es__hot_words_word_is_complete(d->hot, p->hot_word);
        if (d->cfg.lexicon && !hot && id == 0)
            return 0;
        child->ext_term = word_term(d, p, id, hot, &child->lm_state, &child->since_oov);
        return 1;
    }
    uint32_t n = d->label_len[c];
    child->lex_first = p->lex_first;
    child->lex_end = p->lex_end;
    child->word_len = p->word_len + n > MAX_WORD_BYTES ? MAX_WORD_BYTES + 1 : p->word_len + n;
    if (child->word_len > MAX_WORD_BYTES) {
        child->lex_end = child->lex_first; /* too long: OOV */
    } else if (p->word_len == 0) {
        child->lex_first = d->first_range[2 * c];
        child->lex_end = d->first_range[2 * c + 1];
    } else if (child->lex_first < child->lex_end)
        narrow_range(d->lm, p->word_len, d->label_bytes + d->label_off[c], n, &child->lex_first, &child->lex_end);
    if (d->cfg.lexicon && child->hot_word == NONE && child->lex_first >= child->lex_end)
        return 0;
    child->ext_term = 0.0;
    child->lm_state = p->lm_state;
    child->since_oov = p->since_oov;
    return 1;
}

/* The unfinished last word's term of node i (0 at the root and after a space), cached. */
static double tail_term(es_ctc_decoder *d, int32_t i)
{
    node *n = &d->nodes[i];
    if (!n->tail_known) {
        n->tail = 0.0;
        if (i != d->top && n->character != d->cfg.space_index) {
            es_lm_state after;
            uint8_t since;
            int hot = d->hot_active && es__hot_words_word_is_complete(d->hot, n->hot_word);
            n->tail = word_term(d, n, word_id(d, n), hot, &after, &since);
        }
        n->tail_known = 1;
    }
    return n->tail;
}

/* The hot-word fields of a new child c of p: its automaton states, and H(child) - H(p) into
 * its extension term. */
static void hot_child(const es_ctc_decoder *d, const node *p, int32_t c, node *child)
{
    double completed;
    child->hot_state = es__hot_words_step(d->hot, p->hot_state, c, &completed);
    child->hot_sum = p->hot_sum + completed;
    double h_parent = p->hot_sum + es__hot_words_partial(d->hot, p->hot_state);
    double h_child = child->hot_sum + es__hot_words_partial(d->hot, child->hot_state);
    child->ext_term += h_child - h_parent;
}

/* ---------------------------------------------------------------- child table */

static uint64_t child_key(const es_ctc_decoder *d, int32_t parent, int32_t c)
{
    return ((uint64_t)parent + 1) * (uint64_t)d->cfg.alphabet_size + (uint64_t)c;
}

static size_t child_slot(const es_ctc_decoder *d, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 29) & d->child_mask;
    while (d->child_key[i] != 0 && d->child_key[i] != key)
        i = (i + 1) & d->child_mask;
    return i;
}

/* The child of parent with label c, or NONE. */
static int32_t find_child(const es_ctc_decoder *d, int32_t parent, int32_t c)
{
    size_t i = child_slot(d, child_key(d, parent, c));
    return d->child_key[i] == 0 ? NONE : d->child_node[i];
}

/* Linear-probing deletion by backward shift (no tombstones, so probes stay short). */
static void child_erase(es_ctc_decoder *d, int32_t parent, int32_t c)
{
    size_t i = child_slot(d, child_key(d, parent, c));
    if (d->child_key[i] == 0)
        return;
    size_t j = i;
    for (;;) {
        j = (j + 1) & d->child_mask;
        if (d->child_key[j] == 0)
            break;
        size_t home = (size_t)((d->child_key[j] * 0x9E3779B97F4A7C15ull) >> 29) & d->child_mask;
        /* the entry at j may move to the hole at i unless its home lies cyclically in (i, j] */
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            d->child_key[i] = d->child_key[j];
            d->child_node[i] = d->child_node[j];
            d->nodes[d->child_node[i]].slot = (uint32_t)i;
            i = j;
        }
    }
    d->child_key[i] = 0;
}

/* DeepSpeech's get_path_trie: the child for label c, created or revived; NONE when the
 * lexicon refuses it. *joined: whether the child was not active before this call. */
static int32_t get_child(es_ctc_decoder *d, int32_t parent, int32_t c, int *joined)
{
    node *p = &d->nodes[parent];
    const uint64_t key = child_key(d, parent, c);
    const size_t slot = child_slot(d, key); /* the child's entry, or where it goes */
    int32_t k = d->child_key[slot] == 0 ? NONE : d->child_node[slot];
    if (k != NONE) {
        node *child = &d->nodes[k];
        if (!child->exists) {
            child->exists = 1;
            child->b_prev = child->nb_prev = child->b_cur = child->nb_cur = NEG_INF;
            child->score = NEG_INF;
        }
        *joined = mark_active(d, k);
        return k;
    }
    node fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.hot_word = NONE;
    if (d->hot_active)
        fresh.hot_word = c == d->cfg.space_index ? es__hot_words_word_start(d->hot)
                                                 : es__hot_words_word_step(d->hot, p->hot_word, c);
    if (d->lm != NULL && !lm_child(d, parent, c, &fresh))
        return NONE;
    if (d->hot_active)
        hot_child(d, p, c, &fresh);
    fresh.has_term = d->hot_active || (d->lm != NULL && c == d->cfg.space_index);
    k = d->node_free_head;
    if (k != NONE)
        d->node_free_head = d->nodes[k].next_free;
    else
        k = (int32_t)d->node_bump++;
    d->nodes_free--;
    node *child = &d->nodes[k];
    *child = fresh;
    child->in_tree = 1;
    child->b_prev = child->nb_prev = child->b_cur = child->nb_cur = child->score = NEG_INF;
    child->parent = parent;
    child->next_free = NONE;
    child->num_children = 0;
    p->num_children++;
    d->child_key[slot] = key;
    d->child_node[slot] = k;
    child->slot = (uint32_t)slot;
    child->character = c;
    child->timesteps = NONE;
    child->pending = NONE;
    child->depth = p->depth + 1;
    child->serial = d->next_serial++;
    child->exists = 1;
    *joined = mark_active(d, k);
    return k;
}

/* PathTrie::remove: dead; returned to the pool when childless, with dead childless ancestors. */
static void remove_prefix(es_ctc_decoder *d, int32_t i)
{
    node *n = &d->nodes[i];
    n->exists = 0;
    record_release(d, n->timesteps);
    n->timesteps = NONE;
    while (i != d->top && !d->nodes[i].exists && d->nodes[i].num_children == 0) {
        int32_t parent = d->nodes[i].parent;
        child_erase(d, parent, d->nodes[i].character);
        d->nodes[parent].num_children--;
        d->nodes[i].in_tree = 0;
        d->nodes[i].next_free = d->node_free_head;
        d->node_free_head = i;
        d->nodes_free++;
        i = parent;
    }
}

/* ---------------------------------------------------------------- config */

es_ctc_decoder_config es_ctc_decoder_config_default(void)
{
    es_ctc_decoder_config c;
    memset(&c, 0, sizeof c);
    c.alphabet_size = 29;
    c.blank_index = 28;
    c.space_index = 0;
    c.beam_width = 500;
    c.cutoff_prob = 1.0;
    c.cutoff_top_n = 40;
    c.input = ES_CTC_INPUT_PROBS;
    c.start_blank_threshold = 0.999;
    c.max_prefixes = 0;
    c.lm = NULL;
    c.labels = NULL;
    c.lm_alpha = 0.931289039105002;
    c.lm_beta = 1.1834137581510284;
    c.lexicon = 1;
    return c;
}

/* Classes a frame may visit at most. */
static size_t classes_visited(const es_ctc_decoder_config *c)
{
    if (c->cutoff_prob < 1.0 && c->cutoff_top_n < c->alphabet_size)
        return c->cutoff_top_n;
    return c->alphabet_size;
}

/* Nodes (and records) one frame may need, and the most prefixes active in it: every prefix
 * may extend by every visited class. */
static size_t per_frame_need(const es_ctc_decoder_config *c)
{
    return c->beam_width * (classes_visited(c) + 1) + 1;
}

static size_t effective_max_prefixes(const es_ctc_decoder_config *c)
{
    if (c->max_prefixes != 0)
        return c->max_prefixes;
    size_t n = 4 * per_frame_need(c) + 16384;
    return n > MAX_POOL ? MAX_POOL : n;
}

es_status es_ctc_decoder_config_check(const es_ctc_decoder_config *c, char *err, size_t err_len)
{
    if (c == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "config is NULL");
    if (c->alphabet_size < 2 || c->alphabet_size > MAX_ALPHABET)
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "alphabet_size must be in [2, %d], got %zu",
                        MAX_ALPHABET, c->alphabet_size);
    if (c->blank_index < 0 || (size_t)c->blank_index >= c->alphabet_size)
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "blank_index must be in [0, %zu), got %ld",
                        c->alphabet_size, (long)c->blank_index);
    if (c->space_index != ES_CTC_NO_SPACE &&
        (c->space_index < 0 || (size_t)c->space_index >= c->alphabet_size || c->space_index == c->blank_index))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                        "space_index must be ES_CTC_NO_SPACE (-1) or a non-blank class below %zu, got %ld",
                        c->alphabet_size, (long)c->space_index);
    if (c->beam_width < 1 || c->beam_width > (1u << 20))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "beam_width must be in [1, 1048576], got %zu",
                        c->beam_width);
    if (!(c->cutoff_prob > 0.0 && c->cutoff_prob <= 1.0))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "cutoff_prob must be in (0, 1], got %g", c->cutoff_prob);
    if (c->cutoff_top_n < 1)
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "cutoff_top_n must be >= 1");
    if (c->input != ES_CTC_INPUT_PROBS && c->input != ES_CTC_INPUT_LOG_PROBS)
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                        "input must be ES_CTC_INPUT_PROBS or ES_CTC_INPUT_LOG_PROBS, got %d", (int)c->input);
    if (!(c->start_blank_threshold > 0.0) || !isfinite(c->start_blank_threshold))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "start_blank_threshold must be finite and > 0, got %g",
                        c->start_blank_threshold);
    size_t need = per_frame_need(c);
    if (need > MAX_POOL / 2)
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                        "beam_width * classes per frame is too large (%zu > %zu)", need, MAX_POOL);
    if (c->max_prefixes != 0 && (c->max_prefixes < 2 * need || c->max_prefixes > MAX_POOL))
        return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                        "max_prefixes must be 0 (automatic) or in [2 * (beam_width * (classes per frame + 1) + 1) = %zu, "
                        "%zu], got %zu",
                        2 * need, MAX_POOL, c->max_prefixes);
    if (c->lm != NULL) {
        if (c->space_index == ES_CTC_NO_SPACE)
            return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "LM fusion needs a space_index (word mode)");
        if (c->labels == NULL)
            return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                            "LM fusion needs labels (alphabet_size - 1 UTF-8 strings, blank skipped)");
        for (size_t k = 0; k + 1 < c->alphabet_size; k++)
            if (c->labels[k] == NULL)
                return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "labels[%zu] is NULL", k);
        if (!isfinite(c->lm_alpha) || fabs(c->lm_alpha) > 1e6)
            return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "lm_alpha must be finite, |lm_alpha| <= 1e6, got %g",
                            c->lm_alpha);
        if (!isfinite(c->lm_beta) || fabs(c->lm_beta) > 1e6)
            return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "lm_beta must be finite, |lm_beta| <= 1e6, got %g",
                            c->lm_beta);
    }
    return ES_OK;
}

/* Whether word (NUL-terminated) is a concatenation of labels (not the space or the blank). */
static int spellable(const es_ctc_decoder *d, const char *word)
{
    enum { MAX_CHECK = 256 };
    unsigned char reach[MAX_CHECK + 1];
    size_t len = strlen(word);
    if (len == 0 || len > MAX_CHECK)
        return 0;
    memset(reach, 0, len + 1);
    reach[0] = 1;
    for (size_t i = 0; i < len; i++) {
        if (!reach[i])
            continue;
        for (size_t c = 0; c < d->cfg.alphabet_size; c++) {
            uint32_t n = d->label_len[c];
            if ((int32_t)c == d->cfg.space_index || n == 0 || i + n > len)
                continue;
            if (memcmp(word + i, d->label_bytes + d->label_off[c], n) == 0)
                reach[i + n] = 1;
        }
    }
    return reach[len];
}

/* Copies the labels and checks that the LM suits them. */
static es_status setup_lm(es_ctc_decoder *d, char *err, size_t err_len)
{
    const es_ctc_decoder_config *c = &d->cfg;
    size_t n = c->alphabet_size, total = 0;
    d->label_off = calloc(n, sizeof *d->label_off);
    d->label_len = calloc(n, sizeof *d->label_len);
    d->ranked = malloc(c->beam_width * sizeof *d->ranked);
    d->ranked_score = malloc(c->beam_width * sizeof *d->ranked_score);
    for (size_t k = 0; k + 1 < n; k++)
        total += strlen(c->labels[k]);
    d->label_bytes = malloc(total + 1);
    if (!d->label_off || !d->label_len || !d->ranked || !d->ranked_score || !d->label_bytes)
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "cannot allocate the LM fusion tables");
    size_t off = 0;
    for (size_t cls = 0, k = 0; cls < n; cls++) {
        if ((int32_t)cls == c->blank_index)
            continue;
        size_t len = strlen(c->labels[k]);
        if (len > 64)
            return es__fail(ES_ERR_INVALID_CONFIG, err, err_len, "labels[%zu] is longer than 64 bytes", k);
        memcpy(d->label_bytes + off, c->labels[k], len);
        d->label_off[cls] = (uint32_t)off;
        d->label_len[cls] = (uint32_t)len;
        off += len;
        k++;
    }
    d->cfg.labels = NULL; /* copied: the caller's array need not outlive _new */
    d->lm = c->lm;
    d->lm_order = es_lm_order(c->lm);
    d->alpha = (double)(float)c->lm_alpha;
    d->beta = (double)(float)c->lm_beta;
    size_t vocab = es_lm_vocab_size(c->lm);
    /* A word's first label narrows the whole vocabulary: done once here, not per node. */
    d->first_range = malloc(2 * n * sizeof *d->first_range);
    if (d->first_range == NULL)
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "cannot allocate the LM fusion tables");
    for (size_t cls = 0; cls < n; cls++) {
        uint32_t first = 3, end = (uint32_t)vocab;
        if (d->label_len[cls] > 0 && (int32_t)cls != c->space_index)
            narrow_range(c->lm, 0, d->label_bytes + d->label_off[cls], d->label_len[cls], &first, &end);
        d->first_range[2 * cls] = first;
        d->first_range[2 * cls + 1] = end;
    }
    for (uint32_t id = 3; id < vocab; id++) {
        const char *w = es_lm_word(c->lm, id);
        if (w != NULL && spellable(d, w))
            return ES_OK;
    }
    return es__fail(ES_ERR_INVALID_CONFIG, err, err_len,
                    "no word of the LM's vocabulary (%zu entries) can be spelled with the decoder's labels: "
                    "an LM for another alphabet?",
                    vocab);
}

/* ---------------------------------------------------------------- life cycle */

es_status es_ctc_decoder_new(const es_ctc_decoder_config *cfg, es_ctc_decoder **out, char *err, size_t err_len)
{
    if (out == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "out is NULL");
    es_status st = es_ctc_decoder_config_check(cfg, err, err_len);
    if (st != ES_OK)
        return st;
    es_ctc_decoder *d = calloc(1, sizeof *d);
    if (d == NULL)
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "cannot allocate the decoder");
    d->cfg = *cfg;
    d->capacity = effective_max_prefixes(cfg);
    d->active_capacity = per_frame_need(cfg);
    size_t c = cfg->alphabet_size;
    d->nodes = malloc(d->capacity * sizeof *d->nodes);
    size_t table = 16;
    while (table < 2 * d->capacity)
        table *= 2;
    d->child_mask = table - 1;
    d->child_key = malloc(table * sizeof *d->child_key);
    d->child_node = malloc(table * sizeof *d->child_node);
    d->keys = malloc(d->active_capacity * sizeof *d->keys);
    d->keys_tmp = malloc(d->active_capacity * sizeof *d->keys_tmp);
    d->bucket_head = malloc(c * sizeof *d->bucket_head);
    d->bucket_next = malloc(cfg->beam_width * sizeof *d->bucket_next);
    d->spec = malloc(cfg->beam_width * sizeof *d->spec);
    d->floor_heap = malloc(cfg->beam_width * sizeof *d->floor_heap);
    if (d->bucket_head != NULL)
        for (size_t k = 0; k < c; k++)
            d->bucket_head[k] = NONE;
    /* A stem is at most as deep as the pool; the caller pops at least every COMMIT_SLACK frames. */
    d->committed_cap = d->capacity + COMMIT_SLACK;
    d->committed_tokens = malloc(d->committed_cap * sizeof *d->committed_tokens);
    d->committed_steps = malloc(d->committed_cap * sizeof *d->committed_steps);
    d->committed_log_probs = malloc(d->committed_cap * sizeof *d->committed_log_probs);
    if (d->child_key != NULL)
        memset(d->child_key, 0, table * sizeof *d->child_key);
    d->records = malloc(d->capacity * sizeof *d->records);
    d->prefixes = malloc(d->active_capacity * sizeof *d->prefixes);
    d->active = malloc(d->active_capacity * sizeof *d->active);
    d->sort_tmp = malloc(d->active_capacity * sizeof *d->sort_tmp);
    d->probs = malloc(c * sizeof *d->probs);
    d->classes = malloc(c * sizeof *d->classes);
    d->class_tmp = malloc(c * sizeof *d->class_tmp);
    d->class_log_prob = malloc(c * sizeof *d->class_log_prob);
    if (!d->nodes || !d->bucket_head || !d->bucket_next || !d->spec || !d->floor_heap || !d->committed_tokens || !d->committed_steps || !d->committed_log_probs || !d->child_key || !d->child_node || !d->keys || !d->keys_tmp || !d->records || !d->prefixes || !d->active || !d->sort_tmp || !d->probs || !d->classes ||
        !d->class_tmp || !d->class_log_prob) {
        size_t bytes = d->capacity * (sizeof(node) + sizeof(ts_record));
        es_ctc_decoder_free(d);
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "cannot allocate the prefix pools (%zu bytes)", bytes);
    }
    if (es__hot_words_new(cfg->alphabet_size, cfg->blank_index, cfg->space_index, &d->hot) != ES_OK) {
        es_ctc_decoder_free(d);
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "cannot allocate the hot-word tables");
    }
    if (cfg->lm != NULL) {
        st = setup_lm(d, err, err_len);
        if (st != ES_OK) {
            es_ctc_decoder_free(d);
            return st;
        }
    }
    es_ctc_decoder_reset(d);
    *out = d;
    return ES_OK;
}

void es_ctc_decoder_free(es_ctc_decoder *d)
{
    if (d == NULL)
        return;
    free(d->nodes);
    free(d->bucket_head);
    free(d->bucket_next);
    free(d->spec);
    free(d->floor_heap);
    free(d->committed_tokens);
    free(d->committed_steps);
    free(d->committed_log_probs);
    free(d->child_key);
    free(d->child_node);
    free(d->keys);
    free(d->keys_tmp);
    free(d->records);
    free(d->prefixes);
    free(d->active);
    free(d->sort_tmp);
    free(d->probs);
    free(d->classes);
    free(d->class_tmp);
    free(d->class_log_prob);
    free(d->label_bytes);
    free(d->label_off);
    free(d->label_len);
    free(d->first_range);
    free(d->ranked);
    free(d->ranked_score);
    es__hot_words_free(d->hot);
    free(d);
}

void es_ctc_decoder_reset(es_ctc_decoder *d)
{
    if (d == NULL)
        return;
    /* Empty the pools and the child table in O(nodes used), not O(capacity): short decodes
     * with a large beam would otherwise spend their time here. Node 0 is the root. */
    for (size_t i = 1; i < d->node_bump; i++)
        if (d->nodes[i].in_tree) {
            d->child_key[d->nodes[i].slot] = 0;
            d->nodes[i].in_tree = 0;
        }
    d->top = 0;
    d->committed_len = 0;
    d->committed_total = 0;
    d->node_bump = 1;
    d->node_free_head = NONE;
    d->nodes_free = d->capacity - 1;
    d->record_bump = 0;
    d->record_free_head = NONE;
    d->records_free = d->capacity;
    node *root = &d->nodes[0];
    memset(root, 0, sizeof *root);
    root->b_prev = 0.0f;
    root->score = 0.0f;
    root->nb_prev = root->b_cur = root->nb_cur = NEG_INF;
    root->parent = root->next_free = NONE;
    root->num_children = 0;
    root->character = -1;
    root->timesteps = root->pending = NONE;
    root->exists = 1;
    if (d->lm != NULL) {
        es_lm_bos_state(d->lm, &root->lm_state);
        start_word(d, root);
    }
    root->since_oov = SINCE_OOV_NONE;
    d->hot_active = es__hot_words_count(d->hot) > 0;
    root->hot_state = es__hot_words_start(d->hot);
    root->hot_word = d->hot_active ? es__hot_words_word_start(d->hot) : NONE;
    root->hot_sum = 0.0;
    d->ranked_valid = 0;
    d->next_serial = 1;
    d->prefixes[0] = 0;
    d->num_prefixes = 1;
    d->num_results = 1;
    d->num_active = 0;
    d->frames = 0;
    d->started = 0;
    d->finished = 0;
}

size_t es_ctc_decoder_max_prefixes(const es_ctc_decoder *d)
{
    return d == NULL ? 0 : d->capacity;
}

size_t es_ctc_decoder_memory_bytes(const es_ctc_decoder *d)
{
    if (d == NULL)
        return 0;
    return sizeof *d + es__hot_words_memory_bytes(d->hot) + d->capacity * (sizeof(node) + sizeof(ts_record)) +
           (d->child_mask + 1) * (sizeof(uint64_t) + sizeof(int32_t)) +
           d->committed_cap * (sizeof(int32_t) + sizeof(uint32_t) + sizeof(float)) +
           (d->cfg.alphabet_size + 2 * d->cfg.beam_width) * sizeof(int32_t) + d->cfg.beam_width * sizeof(float) +
           2 * d->active_capacity * sizeof(sort_key) +
           3 * d->active_capacity * sizeof(int32_t) +
           d->cfg.alphabet_size * (sizeof(double) + 2 * sizeof(int32_t) + sizeof(float)) +
           (d->lm == NULL ? 0
                          : d->cfg.beam_width * (sizeof(int32_t) + sizeof(double)) +
                                d->cfg.alphabet_size * 4 * sizeof(uint32_t) +
                                (d->cfg.alphabet_size == 0 ? 0 : d->label_off[d->cfg.alphabet_size - 1]) + 65);
}

/* ---------------------------------------------------------------- decoding */

static es_status check_frames(const float *frames, size_t n, es_ctc_input input)
{
    for (size_t i = 0; i < n; i++) {
        float v = frames[i];
        if (input == ES_CTC_INPUT_PROBS) {
            if (!isfinite(v))
                return ES_ERR_NOT_FINITE;
            if (v < 0.0f || v > 1.0f)
                return ES_ERR_INVALID_ARGUMENT;
        } else {
            if (isnan(v) || (isinf(v) && v > 0.0f))
                return ES_ERR_NOT_FINITE;
            if (v > LOG_PROB_TOLERANCE)
                return ES_ERR_INVALID_ARGUMENT;
        }
    }
    return ES_OK;
}

/* The classes this frame visits and their log probabilities (get_pruned_log_probs). */
static size_t prune_classes(es_ctc_decoder *d)
{
    const es_ctc_decoder_config *c = &d->cfg;
    size_t n = c->alphabet_size;
    for (size_t k = 0; k < n; k++)
        d->classes[k] = (int32_t)k;
    size_t len = n;
    if (c->cutoff_prob < 1.0 || c->cutoff_top_n < n) {
        merge_sort(d->classes, d->class_tmp, n, class_before, d->probs);
        if (c->cutoff_prob < 1.0) {
            double cum = 0.0;
            len = 0;
            for (size_t k = 0; k < n; k++) {
                cum += d->probs[d->classes[k]];
                len++;
                if (cum >= c->cutoff_prob || len >= c->cutoff_top_n)
                    break;
            }
        }
    } else if (n > 1) {
        /* Likeliest first, so that strong children raise the beam floor early (see
         * decode_frame); the order of the classes does not change the results as long as
         * each keeps its side of the blank: a node's nb part only gets contributions in the
         * pass of its own label, its b part only in the blank's, and same-label nodes are
         * still created in rank order. */
        size_t b = (size_t)c->blank_index;
        merge_sort(d->classes, d->class_tmp, b, class_before, d->probs);
        merge_sort(d->classes + b + 1, d->class_tmp, n - b - 1, class_before, d->probs);
    }
    for (size_t k = 0; k < len; k++) {
        int32_t cls = d->classes[k];
        d->class_log_prob[cls] = (float)log(d->probs[cls] + (double)FLT_MIN);
    }
    return len;
}

/* ---------------------------------------------------------------- the common stem
 *
 * Every live prefix descends from the top. When all of them share a longer stem (down to
 * their lowest common ancestor) and their timestep histories share its records, the stem
 * can never change again: no extension reaches a node above the common ancestor (only beam
 * prefixes extend), and every future history copies the shared records. Its labels,
 * timesteps and log probs move to the committed buffer (results read it first; the caller
 * pops it), its nodes return to the pool, and the histories are cut below it. So pools stay
 * bounded on streams of any length and results are exactly those of an unbounded tree. In
 * word mode the stem ends at a space: LM and hot-word state never look above a word start. */

/* The record at relative depth `want` of a history whose last record (relative depth
 * `have`) is r. */
static int32_t record_at(const es_ctc_decoder *d, int32_t r, size_t have, size_t want)
{
    for (; have > want && r != NONE; have--)
        r = d->records[r].previous;
    return r;
}

/* The deepest node on x's path at depth <= depth, moved up to a space in word mode (never
 * above the current top). */
static int32_t stem_end(const es_ctc_decoder *d, int32_t x, size_t depth)
{
    const node *nodes = d->nodes;
    while (nodes[x].depth > depth)
        x = nodes[x].parent;
    if (d->cfg.space_index != ES_CTC_NO_SPACE)
        while (x != d->top && nodes[x].character != d->cfg.space_index)
            x = nodes[x].parent;
    return x;
}

static void commit_to(es_ctc_decoder *d, int32_t top);

/* The exact commit: the beam's common stem as far as the histories agree; NONE if none. */
static int32_t common_stem(es_ctc_decoder *d)
{
    node *nodes = d->nodes;
    const size_t base = nodes[d->top].depth;
    /* Only prefixes with a score count: one at -inf can only come back through an extension
     * from its parent, and no live prefix will ever extend into one outside the stem's
     * subtree, so those are dropped below (a revived one would start from -inf anyway). */
    const size_t live = d->num_results;
    if (live == 0)
        return NONE;
    /* The lowest common ancestor of the beam. The paths walked so far are stamped: each
     * prefix walks up only to the first stamped node, where it meets them; that node is the
     * new ancestor when it lies on the chain from the current one to the top (not deeper),
     * so the walks cover the union of the paths, not the sum of their lengths. */
    if (++d->stamp == 0) { /* wrapped: no node may keep a stale stamp */
        for (size_t k = 0; k < d->node_bump; k++)
            nodes[k].stamp = 0;
        d->stamp = 1;
    }
    const uint32_t stamp = d->stamp;
    int32_t lca = d->prefixes[0];
    for (int32_t x = lca; x != NONE && nodes[x].stamp != stamp; x = x == d->top ? NONE : nodes[x].parent)
        nodes[x].stamp = stamp;
    /* The rank that raised it last time first: the beam changes slowly, so when no stem
     * can be committed this usually reaches the top at once (any order gives the same). */
    const size_t hint = d->lca_hint < live ? d->lca_hint : 0;
    for (size_t k = 0; k < live && lca != d->top; k++) {
        const size_t i = k == 0 ? hint : k <= hint ? k - 1 : k;
        int32_t x = d->prefixes[i];
        while (nodes[x].stamp != stamp) {
            nodes[x].stamp = stamp;
            x = nodes[x].parent;
        }
        if (nodes[x].depth < nodes[lca].depth) {
            lca = x;
            d->lca_hint = i;
        }
    }
    size_t depth = nodes[lca].depth;
    /* The deepest record every history shares, at most at the ancestor's depth. */
    const node *best = &nodes[d->prefixes[0]];
    int32_t shared = record_at(d, best->timesteps, best->depth - base, depth - base);
    for (size_t i = 1; i < live && depth > base; i++) {
        const node *x = &nodes[d->prefixes[i]];
        int32_t r = record_at(d, x->timesteps, x->depth - base, depth - base);
        while (r != shared && depth > base) {
            r = r == NONE ? NONE : d->records[r].previous;
            shared = shared == NONE ? NONE : d->records[shared].previous;
            depth--;
        }
    }
    int32_t top = stem_end(d, lca, depth);
    return top == d->top ? NONE : top;
}

static void commit_stem(es_ctc_decoder *d)
{
    /* Not worth a walk over the beam while the best prefix is near the top. */
    if (d->num_results == 0 || d->nodes[d->prefixes[0]].depth < d->nodes[d->top].depth + COMMIT_MIN_DEPTH)
        return;
    int32_t top = common_stem(d);
    if (top == NONE && d->num_results > 0 && d->capacity - d->nodes_free > d->capacity / 2) {
        /* The pool is half full and the beam still holds prefixes that parted from the best
         * long ago (their scores stay close while every new alternative is worse): keep the
         * best prefix's last FORCE_KEEP labels open and drop the prefixes that differ before
         * them. Only here do results differ from an unbounded tree. */
        const node *best = &d->nodes[d->prefixes[0]];
        size_t base = d->nodes[d->top].depth;
        if (best->depth > base + FORCE_KEEP)
            top = stem_end(d, d->prefixes[0], best->depth - FORCE_KEEP);
        if (top == d->top)
            top = NONE;
    }
    if (top != NONE)
        commit_to(d, top);
}

/* Moves the labels down to `top` (an ancestor of the best prefix) into the committed
 * buffer, with the best prefix's records; drops the prefixes outside top's subtree; cuts
 * the histories and frees the nodes above top. */
static void commit_to(es_ctc_decoder *d, int32_t top)
{
    node *nodes = d->nodes;
    const size_t base = nodes[d->top].depth;
    const node *best = &nodes[d->prefixes[0]];
    size_t count = nodes[top].depth - base;
    if (d->committed_len + count > d->committed_cap)
        return;
    /* Labels and the records of the stem into the buffer. */
    int32_t shared = record_at(d, best->timesteps, best->depth - base, count);
    size_t k = d->committed_len + count;
    for (int32_t i = top; i != d->top; i = nodes[i].parent) {
        k--;
        d->committed_tokens[k] = nodes[i].character;
        d->committed_steps[k] = shared == NONE ? 0 : d->records[shared].timestep;
        d->committed_log_probs[k] = shared == NONE ? NEG_INF : d->records[shared].log_prob;
        shared = shared == NONE ? NONE : d->records[shared].previous;
    }
    d->committed_len += count;
    d->committed_total += count;
    /* Prefixes outside the new top's subtree go: after an exact commit only ones at -inf,
     * which rank last (the order of the others stays). */
    size_t kept = 0, live = 0;
    for (size_t i = 0; i < d->num_prefixes; i++) {
        int32_t x = d->prefixes[i];
        while (x != NONE && nodes[x].depth > nodes[top].depth)
            x = nodes[x].parent;
        if (x == top) {
            live += nodes[d->prefixes[i]].score > NEG_INF;
            d->prefixes[kept++] = d->prefixes[i];
        } else {
            remove_prefix(d, d->prefixes[i]);
        }
    }
    d->num_prefixes = kept;
    d->num_results = live;
    d->ranked_valid = 0;
    /* Cut the histories below the stem: each beam prefix's record at relative depth
     * count + 1 loses its past (shared records: cut once); the top's own history ends. */
    for (size_t i = 0; i < d->num_prefixes; i++) {
        node *x = &nodes[d->prefixes[i]];
        size_t rel = x->depth - base;
        if (rel == count) {
            record_release(d, x->timesteps);
            x->timesteps = NONE;
            continue;
        }
        int32_t r = record_at(d, x->timesteps, rel, count + 1);
        if (r != NONE && d->records[r].previous != NONE) {
            record_release(d, d->records[r].previous);
            d->records[r].previous = NONE;
        }
    }
    /* The stem's nodes above the new top back to the pool (node 0 stays reserved). */
    int32_t i = nodes[top].parent;
    child_erase(d, i, nodes[top].character);
    nodes[top].parent = NONE;
    while (i != NONE) {
        int32_t parent = nodes[i].parent;
        if (parent != NONE)
            child_erase(d, parent, nodes[i].character);
        if (i != 0) {
            nodes[i].in_tree = 0;
            nodes[i].next_free = d->node_free_head;
            d->node_free_head = i;
            d->nodes_free++;
        }
        i = parent;
    }
    d->top = top;
}

static void sift_down(float *h, size_t n, size_t i, float v);

/* A node that joined this frame's active set will end it with a score >= v: v replaces the
 * floor heap's least entry when larger, which raises the floor. */
static void raise_floor(es_ctc_decoder *d, float v)
{
    if (!(v > d->floor_heap[0]))
        return;
    sift_down(d->floor_heap, d->cfg.beam_width, 0, v);
    d->beam_floor = d->floor_heap[0];
}

/* Puts v at i of the min-heap h of n entries and moves it down to its place. */
static void sift_down(float *h, size_t n, size_t i, float v)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && h[l] < v)
            m = l;
        if (l + 1 < n && h[l + 1] < (m == i ? v : h[m]))
            m = l + 1;
        if (m == i)
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = v;
}

/* Prefix pi and a non-blank class: the repeat into itself, and the extension into its child
 * (not created below the beam floor, where only a child in the beam needs it). */
static inline void visit(es_ctc_decoder *d, int32_t pi, int32_t cls, float lp, uint32_t t, double max_term)
{
    node *nodes = d->nodes;
    node *p = &nodes[pi];
    if (cls == p->character) {
        float v = lp + p->nb_prev;
        if (p->nb_cur < v)
            clear_pending(d, p);
        p->nb_cur = log_sum_exp(p->nb_cur, v);
    }
    float v = NEG_INF;
    if (cls == p->character) {
        if (p->b_prev > NEG_INF)
            v = lp + p->b_prev;
    } else {
        v = lp + p->score;
    }
    int32_t ci;
    int joined = 0;
    const float beam_floor = d->beam_floor;
    if (beam_floor > NEG_INF && (v <= NEG_INF || (float)((double)v + max_term) < beam_floor)) {
        /* Creation order, and so the serials' order, is unchanged by the nodes not created. */
        /* Only a child in the beam can be active here: this visit is the only one that
         * could have created the child in this frame. */
        if (!(p->beam_labels >> ((uint32_t)cls & 63u) & 1u))
            return;
        ci = find_child(d, pi, cls);
        if (ci == NONE || !nodes[ci].active)
            return;
    } else {
        ci = get_child(d, pi, cls, &joined);
        if (ci == NONE)
            return;
    }
    p = &nodes[pi];
    node *child = &nodes[ci];
    /* At a word boundary: alpha * ln P_lm + beta; with hot words, H(child) - H(p). */
    if (child->has_term)
        v = add_term(v, child->ext_term);
    if (child->nb_cur < v)
        set_pending(d, child, p->timesteps, t, lp);
    child->nb_cur = log_sum_exp(child->nb_cur, v);
    if (joined)
        raise_floor(d, child->nb_cur);
}

/* One frame (DecoderState::next for one time step). The input is already checked. */
static es_status decode_frame(es_ctc_decoder *d, const float *row)
{
    const es_ctc_decoder_config *c = &d->cfg;
    size_t n = c->alphabet_size;
    for (size_t k = 0; k < n; k++) {
        if (c->input == ES_CTC_INPUT_PROBS)
            d->probs[k] = (double)row[k];
        else
            d->probs[k] = row[k] >= 0.0f ? 1.0 : exp((double)row[k]);
    }
    if (!d->started && !(d->probs[c->blank_index] < c->start_blank_threshold)) {
        d->frames++;
        return ES_OK;
    }
    size_t num_classes = prune_classes(d);
    d->blank_visited = 0;
    for (size_t k = 0; k < num_classes; k++)
        if (d->classes[k] == c->blank_index)
            d->blank_visited = 1;
    size_t need = d->num_prefixes * (num_classes + 1) + 1;
    if (d->nodes_free < need || d->records_free < need)
        return ES_ERR_OUT_OF_MEMORY;
    d->started = 1;

    const uint32_t t = (uint32_t)d->frames;
    const int32_t blank = c->blank_index;
    node *nodes = d->nodes;
    d->num_active = 0;
    for (size_t i = 0; i < d->num_prefixes; i++) {
        mark_active(d, d->prefixes[i]);
        nodes[d->prefixes[i]].beam_children = 0;
        nodes[d->prefixes[i]].beam_labels = 0;
    }
    for (size_t i = 0; i < d->num_prefixes; i++) {
        int32_t parent = nodes[d->prefixes[i]].parent;
        if (parent != NONE && nodes[parent].active) {
            nodes[parent].beam_children++;
            nodes[parent].beam_labels |= (uint64_t)1 << ((uint32_t)nodes[d->prefixes[i]].character & 63u);
        }
    }

    /* With a scorer, DeepSpeech cuts extensions that cannot reach the beam (the prefixes are
     * already sorted as its partial_sort leaves them). */
    float min_cutoff = NEG_INF;
    int full_beam = 0;
    if (d->lm != NULL) {
        double mc = (double)nodes[d->prefixes[d->num_prefixes - 1]].score + log(d->probs[blank]) -
                    (d->beta > 0.0 ? d->beta : 0.0);
        if (d->hot_active) /* so that no boosted extension is cut */
            mc -= es__hot_words_max_gain(d->hot);
        min_cutoff = mc <= -(double)FLT_MAX ? NEG_INF : (float)mc;
        full_beam = d->num_prefixes == c->beam_width;
    }
    /* An exact skip (not DeepSpeech's, same results). Every node active at the end of the
     * frame is ranked by a score that only grows during the frame (log_sum_exp >= either
     * argument), so a lower bound of it is known early: for a prefix of the beam when the
     * blank is visited, its score + ln P(blank); for a child that joins the active set, its
     * score right after it joined. The floor heap keeps the beam_width largest such bounds,
     * one per node (-inf until there are that many): at least beam_width distinct nodes
     * end the frame at or above its least entry, d->beam_floor. A child that is not in the
     * tree yet (or dead) gets its only contribution from its parent; strictly below the
     * floor it would be created only to be pruned, so it is not created (the serials of the
     * others keep their order). Existing live children are always updated. */
    const size_t beam = c->beam_width, np = d->num_prefixes;
    const float lp_blank = d->class_log_prob[blank];
    /* with a full beam and a scorer, the blank loop below stops at min_cutoff */
    const int blank_bounds = np > 0 && d->blank_visited && !(full_beam && lp_blank + nodes[d->prefixes[np - 1]].score < min_cutoff);
    /* Without a scorer every prefix ending with a label also gets its repeat, nb_prev + ln P
     * of that label, when all classes are visited (below: visit's first step). */
    const int repeat_bounds = d->lm == NULL && num_classes == n;
    float *heap = d->floor_heap;
    for (size_t j = 0; j < beam; j++) { /* ascending when only the blank counts: a min-heap */
        const size_t i = beam - 1 - j;
        heap[j] = NEG_INF;
        if (i >= np)
            continue;
        const node *p = &nodes[d->prefixes[i]];
        if (blank_bounds)
            heap[j] = lp_blank + p->score;
        if (repeat_bounds && p->character >= 0 && d->class_log_prob[p->character] + p->nb_prev > heap[j])
            heap[j] = d->class_log_prob[p->character] + p->nb_prev;
    }
    if (repeat_bounds)
        for (size_t j = beam / 2; j-- > 0;)
            sift_down(heap, beam, j, heap[j]);
    d->beam_floor = heap[0];
    const double gain = d->hot_active ? es__hot_words_max_gain(d->hot) : 0.0;
    /* The largest term an extension into a new child can get: the hot-word gain, plus at a
     * space beta (alpha * ln P <= 0 when alpha >= 0; a negative alpha disables the skip). */
    const double space_gain = d->lm == NULL ? gain : d->alpha >= 0.0 ? gain + (d->beta > 0.0 ? d->beta : 0.0) : INFINITY;
    d->ranked_valid = 0;
    /* Past a class's floor, only repeats (prefixes ending with that label, bucketed by label
     * in rank order) and prefixes with children in the beam need a visit. */
    size_t num_spec = 0;
    for (size_t i = d->num_prefixes; i-- > 0;) {
        const node *p = &nodes[d->prefixes[i]];
        if (p->character >= 0) {
            d->bucket_next[i] = d->bucket_head[p->character];
            d->bucket_head[p->character] = (int32_t)i;
        }
    }
    for (size_t i = 0; i < d->num_prefixes; i++)
        if (nodes[d->prefixes[i]].beam_children > 0)
            d->spec[num_spec++] = (int32_t)i;
    for (size_t k = 0; k < num_classes; k++) {
        const int32_t cls = d->classes[k];
        const float lp = d->class_log_prob[cls];
        if (cls == blank) {
            for (size_t i = 0; i < d->num_prefixes; i++) {
                node *p = &nodes[d->prefixes[i]];
                if (full_beam && lp + p->score < min_cutoff)
                    break;
                if (p->score <= NEG_INF)
                    continue;
                float v = lp + p->score;
                if (p->nb_cur < v)
                    clear_pending(d, p);
                p->b_cur = log_sum_exp(p->b_cur, v);
            }
            continue;
        }
        const double max_term = cls == c->space_index ? space_gain : gain;
        size_t i = 0;
        int stop = 0;
        for (; i < d->num_prefixes; i++) {
            const node *p = &nodes[d->prefixes[i]];
            if (full_beam && lp + p->score < min_cutoff) {
                stop = 1;
                break;
            }
            if (d->beam_floor > NEG_INF && (float)((double)(lp + p->score) + max_term) < d->beam_floor)
                break; /* this prefix and every later one: below the floor */
            if (p->score <= NEG_INF)
                continue;
            visit(d, d->prefixes[i], cls, lp, t, max_term);
        }
        if (stop || i == d->num_prefixes)
            continue;
        /* The rest, in rank order: merge the label's bucket with the prefixes with children. */
        int32_t r = d->bucket_head[cls];
        while (r != NONE && (size_t)r < i)
            r = d->bucket_next[r];
        size_t q = 0;
        while (q < num_spec && (size_t)d->spec[q] < i)
            q++;
        for (;;) {
            int32_t j;
            if (r != NONE && (q == num_spec || r <= d->spec[q])) {
                j = r;
                if (q < num_spec && d->spec[q] == r)
                    q++;
                r = d->bucket_next[r];
            } else if (q < num_spec) {
                j = d->spec[q++];
            } else {
                break;
            }
            const node *p = &nodes[d->prefixes[j]];
            if (full_beam && lp + p->score < min_cutoff)
                break;
            if (p->score <= NEG_INF)
                continue;
            visit(d, d->prefixes[j], cls, lp, t, max_term);
        }
    }
    for (size_t i = 0; i < d->num_prefixes; i++) {
        const node *p = &nodes[d->prefixes[i]];
        if (p->character >= 0)
            d->bucket_head[p->character] = NONE;
    }

    /* End of frame: roll the probabilities, settle the timestep histories. */
    for (size_t a = 0; a < d->num_active; a++) {
        int32_t i = d->active[a];
        node *x = &nodes[i];
        x->b_prev = x->b_cur;
        x->nb_prev = x->nb_cur;
        x->b_cur = x->nb_cur = NEG_INF;
        x->score = log_sum_exp(x->b_prev, x->nb_prev);
        if (x->has_pending) {
            int32_t r = record_new(d, x->new_timestep, x->new_log_prob, x->pending); /* takes the pending reference */
            record_release(d, x->timesteps);
            x->timesteps = r;
            x->has_pending = 0;
        }
        d->keys[a].score = x->score;
        d->keys[a].character = x->character;
        d->keys[a].serial = x->serial;
        d->keys[a].node = i;
    }
    sort_keys(d->keys, d->keys_tmp, d->num_active);
    size_t keep = d->num_active < c->beam_width ? d->num_active : c->beam_width;
    for (size_t a = 0; a < d->num_active; a++) {
        int32_t i = d->keys[a].node;
        nodes[i].active = 0;
        if (a < keep)
            d->prefixes[a] = i;
    }
    for (size_t a = keep; a < d->num_active; a++)
        remove_prefix(d, d->keys[a].node);
    d->num_prefixes = keep;
    d->num_results = 0;
    while (d->num_results < keep && nodes[d->prefixes[d->num_results]].score > NEG_INF)
        d->num_results++;
    d->num_active = 0;
    d->frames++;
    if (d->frames % COMMIT_INTERVAL == 0)
        commit_stem(d);
    return ES_OK;
}

es_status es_ctc_decoder_check_frames(const es_ctc_decoder *d, const float *frames, size_t num_frames,
                                      size_t num_classes)
{
    if (d == NULL || (frames == NULL && num_frames > 0))
        return ES_ERR_NULL_ARGUMENT;
    if (d->finished)
        return ES_ERR_BAD_STATE;
    if (num_classes != d->cfg.alphabet_size)
        return ES_ERR_INVALID_ARGUMENT;
    if (num_frames > (SIZE_MAX / num_classes) || d->frames + num_frames > UINT32_MAX)
        return ES_ERR_INVALID_ARGUMENT;
    return check_frames(frames, num_frames * num_classes, d->cfg.input);
}

es_status es_ctc_decoder_feed(es_ctc_decoder *d, const float *frames, size_t num_frames, size_t num_classes)
{
    es_status st = es_ctc_decoder_check_frames(d, frames, num_frames, num_classes);
    if (st != ES_OK)
        return st;
    for (size_t f = 0; f < num_frames; f++) {
        st = decode_frame(d, frames + f * num_classes);
        if (st != ES_OK)
            return st;
    }
    return ES_OK;
}

es_status es_ctc_decoder_finish(es_ctc_decoder *d)
{
    if (d == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (d->finished)
        return ES_ERR_BAD_STATE;
    if (d->frames == 0)
        return ES_ERR_EMPTY_INPUT;
    d->finished = 1;
    return ES_OK;
}

size_t es_ctc_decoder_num_frames(const es_ctc_decoder *d)
{
    return d == NULL ? 0 : d->frames;
}

int es_ctc_decoder_finished(const es_ctc_decoder *d)
{
    return d != NULL && d->finished;
}

/* ---------------------------------------------------------------- results */

/* DeepSpeech's decode(): final score = score + the unfinished word's term; ties to the
 * smaller last label, then creation order. a, b are positions in d->prefixes. */
static int ranked_before(const void *ctx, int32_t a, int32_t b)
{
    const es_ctc_decoder *d = ctx;
    double x = d->ranked_score[a], y = d->ranked_score[b];
    if (x != y)
        return x > y;
    const node *p = &d->nodes[d->prefixes[a]], *q = &d->nodes[d->prefixes[b]];
    if (p->character != q->character)
        return p->character < q->character;
    return p->serial < q->serial;
}

/* The node of result `rank` (< num_results) and its confidence. With an LM the ranking is
 * computed on first use after each frame (a cache: hence the cast). */
static int32_t result_node(const es_ctc_decoder *cd, size_t rank, double *confidence)
{
    if (cd->lm == NULL) {
        int32_t i = cd->prefixes[rank];
        *confidence = (double)cd->nodes[i].score;
        return i;
    }
    es_ctc_decoder *d = (es_ctc_decoder *)cd;
    if (!d->ranked_valid) {
        size_t n = d->num_results;
        for (size_t k = 0; k < n; k++) {
            d->ranked[k] = (int32_t)k;
            d->ranked_score[k] = (double)d->nodes[d->prefixes[k]].score + tail_term(d, d->prefixes[k]);
        }
        merge_sort(d->ranked, d->sort_tmp, n, ranked_before, d);
        d->ranked_valid = 1;
    }
    int32_t pos = d->ranked[rank];
    *confidence = d->ranked_score[pos];
    return d->prefixes[pos];
}

size_t es_ctc_decoder_num_results(const es_ctc_decoder *d)
{
    return d == NULL ? 0 : d->num_results;
}

es_status es_ctc_decoder_result_length(const es_ctc_decoder *d, size_t rank, size_t *out_length)
{
    if (d == NULL || out_length == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (rank >= d->num_results)
        return ES_ERR_INVALID_ARGUMENT;
    double confidence;
    *out_length = d->committed_len + d->nodes[result_node(d, rank, &confidence)].depth - d->nodes[d->top].depth;
    return ES_OK;
}

es_status es_ctc_decoder_result(const es_ctc_decoder *d, size_t rank, int32_t *tokens, uint32_t *timesteps,
                                size_t capacity, size_t *out_length, double *out_confidence)
{
    if (d == NULL || out_length == NULL || (tokens == NULL && capacity > 0))
        return ES_ERR_NULL_ARGUMENT;
    if (rank >= d->num_results)
        return ES_ERR_INVALID_ARGUMENT;
    double confidence;
    const int32_t ni = result_node(d, rank, &confidence);
    const node *n = &d->nodes[ni];
    const size_t done = d->committed_len, len = done + n->depth - d->nodes[d->top].depth;
    *out_length = len;
    if (capacity < len)
        return ES_ERR_BUFFER_TOO_SMALL;
    memcpy(tokens, d->committed_tokens, done * sizeof *tokens);
    size_t k = len;
    for (int32_t i = ni; i != d->top; i = d->nodes[i].parent)
        tokens[--k] = d->nodes[i].character;
    if (timesteps != NULL) {
        /* The history has one record per label below the top (each extension appends one). */
        memcpy(timesteps, d->committed_steps, done * sizeof *timesteps);
        k = len;
        for (int32_t r = n->timesteps; r != NONE && k > done; r = d->records[r].previous)
            timesteps[--k] = d->records[r].timestep;
        while (k > done)
            timesteps[--k] = 0;
    }
    if (out_confidence != NULL)
        *out_confidence = confidence;
    return ES_OK;
}

size_t es_ctc_decoder_nodes_in_use(const es_ctc_decoder *d)
{
    return d == NULL ? 0 : d->capacity - d->nodes_free;
}

size_t es_ctc_decoder_committed_length(const es_ctc_decoder *d)
{
    return d == NULL ? 0 : d->committed_len;
}

es_status es_ctc_decoder_pop_committed(es_ctc_decoder *d, int32_t *tokens, uint32_t *timesteps, float *log_probs,
                                       size_t capacity, size_t *out_count)
{
    if (d == NULL || out_count == NULL || (capacity > 0 && (tokens == NULL || timesteps == NULL || log_probs == NULL)))
        return ES_ERR_NULL_ARGUMENT;
    size_t n = d->committed_len < capacity ? d->committed_len : capacity;
    *out_count = n;
    if (n == 0)
        return ES_OK;
    memcpy(tokens, d->committed_tokens, n * sizeof *tokens);
    memcpy(timesteps, d->committed_steps, n * sizeof *timesteps);
    memcpy(log_probs, d->committed_log_probs, n * sizeof *log_probs);
    size_t rest = d->committed_len - n;
    memmove(d->committed_tokens, d->committed_tokens + n, rest * sizeof *tokens);
    memmove(d->committed_steps, d->committed_steps + n, rest * sizeof *timesteps);
    memmove(d->committed_log_probs, d->committed_log_probs + n, rest * sizeof *log_probs);
    d->committed_len = rest;
    return ES_OK;
}

/* ---------------------------------------------------------------- hot words, weights */

/* ln P of the rarest unigram (not <unk>, <s>, </s>): what an OOV hot word is given. */
static double rarest_unigram_ln(const es_lm *lm)
{
    es_lm_state null_state, after;
    es_lm_null_state(lm, &null_state);
    float lowest = 0.0f;
    size_t vocab = es_lm_vocab_size(lm);
    for (uint32_t id = 3; id < vocab; id++) {
        float p = es_lm_score(lm, &null_state, id, &after);
        if (p < lowest)
            lowest = p;
    }
    return (double)lowest / (double)NUM_FLT_LOGE;
}

static es_status hot_words_changed(es_ctc_decoder *d, es_status st)
{
    if (st == ES_OK && d->lm != NULL && !d->hot_oov_known && es__hot_words_count(d->hot) > 0) {
        d->hot_oov_ln = rarest_unigram_ln(d->lm);
        d->hot_oov_known = 1;
    }
    es_ctc_decoder_reset(d);
    return st;
}

es_status es_ctc_decoder_add_hot_word(es_ctc_decoder *d, const int32_t *tokens, size_t num_tokens, double boost)
{
    if (d == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (d->frames > 0)
        return ES_ERR_BAD_STATE;
    return hot_words_changed(d, es__hot_words_add(d->hot, tokens, num_tokens, boost));
}

es_status es_ctc_decoder_erase_hot_word(es_ctc_decoder *d, const int32_t *tokens, size_t num_tokens)
{
    if (d == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (d->frames > 0)
        return ES_ERR_BAD_STATE;
    return hot_words_changed(d, es__hot_words_erase(d->hot, tokens, num_tokens));
}

es_status es_ctc_decoder_clear_hot_words(es_ctc_decoder *d)
{
    if (d == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (d->frames > 0)
        return ES_ERR_BAD_STATE;
    es__hot_words_clear(d->hot);
    return hot_words_changed(d, ES_OK);
}

size_t es_ctc_decoder_num_hot_words(const es_ctc_decoder *d)
{
    return d == NULL ? 0 : es__hot_words_count(d->hot);
}

es_status es_ctc_decoder_set_alpha_beta(es_ctc_decoder *d, double alpha, double beta)
{
    if (d == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (d->frames > 0)
        return ES_ERR_BAD_STATE;
    if (!isfinite(alpha) || fabs(alpha) > 1e6 || !isfinite(beta) || fabs(beta) > 1e6)
        return ES_ERR_INVALID_ARGUMENT;
    d->cfg.lm_alpha = alpha;
    d->cfg.lm_beta = beta;
    d->alpha = (double)(float)alpha;
    d->beta = (double)(float)beta;
    es_ctc_decoder_reset(d);
    return ES_OK;
}

es_status es_ctc_decoder_result_token_log_probs(const es_ctc_decoder *d, size_t rank, float *log_probs,
                                                size_t capacity, size_t *out_length)
{
    if (d == NULL || out_length == NULL || (log_probs == NULL && capacity > 0))
        return ES_ERR_NULL_ARGUMENT;
    if (rank >= d->num_results)
        return ES_ERR_INVALID_ARGUMENT;
    double confidence;
    const node *n = &d->nodes[result_node(d, rank, &confidence)];
    const size_t done = d->committed_len, len = done + n->depth - d->nodes[d->top].depth;
    *out_length = len;
    if (capacity < len)
        return ES_ERR_BUFFER_TOO_SMALL;
    memcpy(log_probs, d->committed_log_probs, done * sizeof *log_probs);
    size_t k = len;
    for (int32_t r = n->timesteps; r != NONE && k > done; r = d->records[r].previous)
        log_probs[--k] = d->records[r].log_prob;
    while (k > done)
        log_probs[--k] = NEG_INF;
    return ES_OK;
}

/* ---------------------------------------------------------------- greedy */

es_status es_ctc_greedy(const float *frames, size_t num_frames, size_t num_classes, es_ctc_input input,
                        int32_t blank_index, int32_t *tokens, uint32_t *timesteps, size_t capacity,
                        size_t *out_length)
{
    if (out_length == NULL || (frames == NULL && num_frames > 0) || (tokens == NULL && capacity > 0))
        return ES_ERR_NULL_ARGUMENT;
    if (num_classes < 2 || num_classes > MAX_ALPHABET || blank_index < 0 || (size_t)blank_index >= num_classes ||
        (input != ES_CTC_INPUT_PROBS && input != ES_CTC_INPUT_LOG_PROBS) || num_frames > SIZE_MAX / num_classes ||
        num_frames > UINT32_MAX)
        return ES_ERR_INVALID_ARGUMENT;
    es_status st = check_frames(frames, num_frames * num_classes, input);
    if (st != ES_OK)
        return st;
    size_t len = 0;
    int32_t previous = blank_index;
    for (size_t t = 0; t < num_frames; t++) {
        const float *row = frames + t * num_classes;
        int32_t best = 0;
        for (size_t k = 1; k < num_classes; k++)
            if (row[k] > row[best])
                best = (int32_t)k;
        if (best != blank_index && best != previous) {
            if (len < capacity) {
                tokens[len] = best;
                if (timesteps != NULL)
                    timesteps[len] = (uint32_t)t;
            }
            len++;
        }
        previous = best;
    }
    *out_length = len;
    return len > capacity ? ES_ERR_BUFFER_TOO_SMALL : ES_OK;
}

/* ---------------------------------------------------------------- copying a search */

/* Whether two decoders decode alike: the same config (the labels by their copied bytes, the
 * effective pool size, the same LM object and rounded weights) and the same hot phrases, in
 * the same order (the automaton states stored in the nodes are indices into it). */
static int same_setup(const es_ctc_decoder *a, const es_ctc_decoder *b)
{
    const es_ctc_decoder_config *x = &a->cfg, *y = &b->cfg;
    if (x->alphabet_size != y->alphabet_size || x->blank_index != y->blank_index ||
        x->space_index != y->space_index || x->beam_width != y->beam_width || x->cutoff_prob != y->cutoff_prob ||
        x->cutoff_top_n != y->cutoff_top_n || x->input != y->input ||
        x->start_blank_threshold != y->start_blank_threshold || a->capacity != b->capacity || a->lm != b->lm ||
        a->committed_cap != b->committed_cap)
        return 0;
    if (a->lm != NULL) {
        if (x->lexicon != y->lexicon || a->alpha != b->alpha || a->beta != b->beta)
            return 0;
        size_t n = x->alphabet_size;
        if (memcmp(a->label_len, b->label_len, n * sizeof *a->label_len) != 0 ||
            memcmp(a->label_off, b->label_off, n * sizeof *a->label_off) != 0)
            return 0;
        size_t bytes = 0;
        for (size_t c = 0; c < n; c++)
            bytes += a->label_len[c];
        if (memcmp(a->label_bytes, b->label_bytes, bytes) != 0)
            return 0;
    }
    size_t phrases = es__hot_words_count(a->hot);
    if (phrases != es__hot_words_count(b->hot))
        return 0;
    for (size_t i = 0; i < phrases; i++) {
        size_t na, nb;
        double ba, bb;
        const int32_t *pa = es__hot_words_phrase(a->hot, i, &na, &ba);
        const int32_t *pb = es__hot_words_phrase(b->hot, i, &nb, &bb);
        if (na != nb || ba != bb || memcmp(pa, pb, na * sizeof *pa) != 0)
            return 0;
    }
    return 1;
}

es_status es_ctc_decoder_copy_state(es_ctc_decoder *dst, const es_ctc_decoder *src)
{
    if (dst == NULL || src == NULL)
        return ES_ERR_NULL_ARGUMENT;
    if (dst == src)
        return ES_OK;
    if (!same_setup(dst, src))
        return ES_ERR_INVALID_ARGUMENT;
    /* Empty dst's child table by its own nodes in the tree (as reset does), then take src's
     * entries at the same slots: with the same hash and probing the tables are then equal. */
    for (size_t i = 1; i < dst->node_bump; i++)
        if (dst->nodes[i].in_tree) {
            dst->child_key[dst->nodes[i].slot] = 0;
            dst->nodes[i].in_tree = 0;
        }
    /* Nodes and records never used since the reset ([bump, capacity)) are initialised when
     * taken, so only the used ranges are copied; free-list links live inside them. */
    memcpy(dst->nodes, src->nodes, src->node_bump * sizeof *src->nodes);
    for (size_t i = 1; i < src->node_bump; i++)
        if (src->nodes[i].in_tree) {
            uint32_t s = src->nodes[i].slot;
            dst->child_key[s] = src->child_key[s];
            dst->child_node[s] = src->child_node[s];
        }
    memcpy(dst->records, src->records, src->record_bump * sizeof *src->records);
    dst->top = src->top;
    dst->node_free_head = src->node_free_head;
    dst->node_bump = src->node_bump;
    dst->nodes_free = src->nodes_free;
    dst->record_free_head = src->record_free_head;
    dst->record_bump = src->record_bump;
    dst->records_free = src->records_free;
    dst->committed_len = src->committed_len;
    dst->committed_total = src->committed_total;
    memcpy(dst->committed_tokens, src->committed_tokens, src->committed_len * sizeof *src->committed_tokens);
    memcpy(dst->committed_steps, src->committed_steps, src->committed_len * sizeof *src->committed_steps);
    memcpy(dst->committed_log_probs, src->committed_log_probs, src->committed_len * sizeof *src->committed_log_probs);
    memcpy(dst->prefixes, src->prefixes, src->num_prefixes * sizeof *src->prefixes);
    dst->num_prefixes = src->num_prefixes;
    dst->num_results = src->num_results;
    dst->num_active = 0; /* between frames: empty in both */
    dst->stamp = src->stamp;
    dst->lca_hint = src->lca_hint; /* a search-order hint only, copied for equal work */
    dst->next_serial = src->next_serial;
    dst->frames = src->frames;
    dst->started = src->started;
    dst->finished = src->finished;
    dst->hot_active = src->hot_active;
    dst->hot_oov_ln = src->hot_oov_ln; /* a function of the (same) LM */
    dst->hot_oov_known = src->hot_oov_known;
    /* The ranking cache (with an LM): tail terms are cached in the nodes, copied above. */
    dst->ranked_valid = src->ranked_valid;
    if (src->lm != NULL && src->ranked_valid) {
        memcpy(dst->ranked, src->ranked, src->num_results * sizeof *src->ranked);
        memcpy(dst->ranked_score, src->ranked_score, src->num_results * sizeof *src->ranked_score);
    }
    /* The rest (keys, buckets, floor heap, class tables, probs) is scratch of one frame. */
    return ES_OK;
}
