/* The n-gram LM object: loading (ARPA or binary, by magic), queries, writing.
 *
 * Scoring follows KenLM's probing model exactly (lm/model.cc: FullScore, ResumeScore): the
 * matched n-gram is extended leftwards one context word at a time through the suffix trie,
 * stopping at the first missing entry; the back-offs of the longer contexts held in the
 * state are then added, in float, in the same order. The state keeps the context up to the
 * longest entry marked "ext" (see arpa.c), as KenLM does, so states compare equal when and
 * only when KenLM's do. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "lm_internal.h"

typedef char es__lm_state_size_check[(sizeof(((es_lm_state *)0)->words) / sizeof(uint32_t) == ES_LM_MAX_ORDER - 1)
                                         ? 1
                                         : -1];

/* ---------------------------------------------------------------- files */

typedef struct {
    void *data;
    size_t size;
    int mapped;
} file_view;

static void file_view_close(file_view *f)
{
#if !defined(_WIN32)
    if (f->mapped && f->data != NULL)
        munmap(f->data, f->size);
    else
#endif
        free(f->data);
    memset(f, 0, sizeof *f);
}

static es_status file_view_open(const char *path, file_view *f, char *err, size_t err_len)
{
    memset(f, 0, sizeof *f);
#if !defined(_WIN32)
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return es__fail(ES_ERR_IO, err, err_len, "cannot open %s: %s", path, strerror(errno));
    /* The size comes from lseek rather than fstat: fstat binds to a GLIBC_2.33 symbol,
     * which would lift the wheels' manylinux tag above Raspberry Pi OS bullseye (2.31).
     * A pipe fails the seek; a directory fails the one-byte read. */
    off_t end = lseek(fd, 0, SEEK_END);
    char probe;
    if (end < 0 || pread(fd, &probe, 1, 0) < 0) {
        int e = errno;
        close(fd);
        return es__fail(ES_ERR_IO, err, err_len, "%s is not a readable regular file: %s", path, strerror(e));
    }
    if ((uint64_t)end > (uint64_t)SIZE_MAX) {
        close(fd);
        return es__fail(ES_ERR_IO, err, err_len, "%s is too large to map", path);
    }
    f->size = (size_t)end;
    if (f->size == 0) {
        close(fd);
        return es__fail(ES_ERR_FORMAT, err, err_len, "%s is empty", path);
    }
    void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return es__fail(ES_ERR_IO, err, err_len, "cannot map %s: %s", path, strerror(e));
    f->data = p;
    f->mapped = 1;
    return ES_OK;
#else
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return es__fail(ES_ERR_IO, err, err_len, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fclose(fp);
            return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory reading %s", path);
        }
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2);
        if (nb == NULL)
            free(buf);
        buf = nb, cap *= 2;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return es__fail(ES_ERR_IO, err, err_len, "cannot read %s", path);
    }
    if (n == 0) {
        free(buf);
        return es__fail(ES_ERR_FORMAT, err, err_len, "%s is empty", path);
    }
    f->data = buf;
    f->size = n;
    return ES_OK;
#endif
}

/* ---------------------------------------------------------------- load / free */

static es_status lm_from_tables(es__lm_tables *t, es_lm **out, char *err, size_t err_len)
{
    uint8_t *img = NULL;
    size_t size = 0;
    es_status st = es__lm_encode(t, 0, &img, &size, err, err_len);
    es__lm_tables_free(t);
    if (st != ES_OK)
        return st;
    es_lm *lm = calloc(1, sizeof *lm);
    if (lm == NULL) {
        free(img);
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory");
    }
    st = es__lm_attach(lm, img, size, 1, err, err_len);
    if (st != ES_OK) {
        free(img);
        free(lm);
        return st;
    }
    lm->owned = img;
    *out = lm;
    return ES_OK;
}

es_status es__lm_from_arpa_memory(const char *text, size_t len, es_lm **out, char *err, size_t err_len)
{
    if (out == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "out is NULL");
    es__lm_tables t;
    es_status st = es__arpa_parse(text, len, &t, err, err_len);
    if (st != ES_OK)
        return st;
    return lm_from_tables(&t, out, err, err_len);
}

es_status es_lm_load(const char *path, es_lm **out, char *err, size_t err_len)
{
    if (path == NULL || out == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "path or out is NULL");
    file_view f;
    es_status st = file_view_open(path, &f, err, err_len);
    if (st != ES_OK)
        return st;
    if (f.size >= 8 && memcmp(f.data, es__lm_magic, 8) == 0) {
        es_lm *lm = calloc(1, sizeof *lm);
        if (lm == NULL) {
            file_view_close(&f);
            return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory");
        }
        st = es__lm_attach(lm, f.data, f.size, 1, err, err_len);
        if (st != ES_OK) {
            free(lm);
            file_view_close(&f);
            return st;
        }
        if (f.mapped) {
            lm->map = f.data;
            lm->map_size = f.size;
        } else {
            lm->owned = f.data;
        }
        *out = lm;
        return ES_OK;
    }
    st = es__lm_from_arpa_memory(f.data, f.size, out, err, err_len);
    file_view_close(&f);
    return st;
}

void es_lm_free(es_lm *lm)
{
    if (lm == NULL)
        return;
#if !defined(_WIN32)
    if (lm->map != NULL)
        munmap(lm->map, lm->map_size);
#endif
    free(lm->owned);
    free(lm);
}

es_status es_lm_write_binary(const es_lm *lm, const char *path, int quantize_bits, char *err, size_t err_len)
{
    if (lm == NULL || path == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "lm or path is NULL");
    if (quantize_bits != 0 && quantize_bits != 8)
        return es__fail(ES_ERR_INVALID_ARGUMENT, err, err_len, "quantize_bits must be 0 or 8, got %d",
                        quantize_bits);
    const uint8_t *img = lm->base;
    size_t size = lm->size;
    uint8_t *fresh = NULL;
    if ((uint32_t)quantize_bits != lm->quant_bits) {
        /* Re-encoding trusts the data: check it first (a plain copy needs no check). */
        es_status st = es_lm_verify(lm, err, err_len);
        if (st != ES_OK)
            return st;
        es__lm_tables t;
        st = es__lm_decode(lm, &t, err, err_len);
        if (st != ES_OK)
            return st;
        st = es__lm_encode(&t, quantize_bits, &fresh, &size, err, err_len);
        es__lm_tables_free(&t);
        if (st != ES_OK)
            return st;
        img = fresh;
    }
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        int e = errno;
        free(fresh);
        return es__fail(ES_ERR_IO, err, err_len, "cannot create %s: %s", path, strerror(e));
    }
    size_t wrote = fwrite(img, 1, size, fp);
    int bad = wrote != size || ferror(fp);
    bad |= fclose(fp) != 0;
    free(fresh);
    if (bad) {
        remove(path);
        return es__fail(ES_ERR_IO, err, err_len, "cannot write %s", path);
    }
    return ES_OK;
}

/* ---------------------------------------------------------------- accessors */

int es_lm_order(const es_lm *lm) { return lm == NULL ? 0 : (int)lm->order; }

size_t es_lm_vocab_size(const es_lm *lm) { return lm == NULL ? 0 : lm->vocab_size; }

uint64_t es_lm_ngram_count(const es_lm *lm, int n)
{
    if (lm == NULL || n < 1 || n > (int)lm->order)
        return 0;
    return lm->arpa_counts[n - 1];
}

int es_lm_quantize_bits(const es_lm *lm) { return lm == NULL ? 0 : (int)lm->quant_bits; }

size_t es_lm_size_bytes(const es_lm *lm) { return lm == NULL ? 0 : lm->size; }

/* ---------------------------------------------------------------- queries */

#if defined(__GNUC__) || defined(__clang__)
#define ES__PREFETCH(p) __builtin_prefetch(p)
#else
#define ES__PREFETCH(p) ((void)0)
#endif

#define NOSLOT UINT64_MAX

/* Prefetches the records a probe from slot s reads: its line and the next (a missing
 * n-gram is usually decided after a few records: ~8 on average at load 0.75, 40-80 bytes). */
static inline void prefetch_probe(const es__lm_level *lv, uint64_t s)
{
    const uint8_t *p = lv->data + (size_t)((s * lv->rec_bits) >> 3); /* s < slots: 64 bytes of padding follow */
    ES__PREFETCH(p);
    ES__PREFETCH(p + 64);
}

/* The slot of n-gram (parent, word) in level lv, probing from slot s, or NOSLOT. Linear
 * probing over records that hold their key in full: exact, and bounded by the table size.
 * The key (parent + 1, word) is read in one load when it fits in 57 bits. */
static inline uint64_t find_entry(const es__lm_level *lv, uint64_t s, uint32_t parent, uint32_t word)
{
    uint64_t S = lv->slots;
    if (s >= S)
        return NOSLOT;
    if (lv->key_bits <= 57) {
        uint64_t key = ((uint64_t)parent + 1u) | ((uint64_t)word << lv->parent_bits);
        uint64_t pmask = ((uint64_t)1 << lv->parent_bits) - 1u;
        for (uint64_t probes = 0; probes < S; probes++) {
            uint64_t k = es__get_bits(lv->data, s * lv->rec_bits, lv->key_bits);
            if (k == key)
                return s;
            if ((k & pmask) == 0)
                return NOSLOT;
            s = s + 1 == S ? 0 : s + 1;
        }
        return NOSLOT;
    }
    for (uint64_t probes = 0; probes < S; probes++) {
        uint32_t p1 = es__rec_parent1(lv, s);
        if (p1 == 0)
            return NOSLOT;
        if (p1 == parent + 1u && es__rec_word(lv, s) == word)
            return s;
        s = s + 1 == S ? 0 : s + 1;
    }
    return NOSLOT;
}

void es_lm_bos_state(const es_lm *lm, es_lm_state *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (lm == NULL || lm->order < 2)
        return;
    out->length = 1;
    out->words[0] = 1; /* <s> */
    out->backoff[0] = lm->uni[1].backoff;
}

void es_lm_null_state(const es_lm *lm, es_lm_state *out)
{
    (void)lm;
    if (out != NULL)
        memset(out, 0, sizeof *out);
}

float es_lm_score_detail(const es_lm *lm, const es_lm_state *in_state, uint32_t word, es_lm_state *out,
                         int *ngram_length)
{
    es_lm_state in, res;
    if (lm == NULL) {
        if (out)
            memset(out, 0, sizeof *out);
        if (ngram_length)
            *ngram_length = 0;
        return 0.0f;
    }
    if (in_state != NULL)
        in = *in_state;
    else
        memset(&in, 0, sizeof in);
    memset(&res, 0, sizeof res);
    uint32_t N = lm->order;
    uint32_t inlen = in.length;
    if (inlen > N - 1)
        inlen = N - 1;
    if (word >= lm->vocab_size)
        word = 0;

    /* the start slots of every order come from the words alone: fetch them all first */
    const es__lm_unigram *u = &lm->uni[word];
    uint64_t start[ES_LM_MAX_ORDER];
    uint64_t h = es__lm_hash_init(word);
    for (uint32_t j = 0; j < inlen; j++) {
        const es__lm_level *lv = &lm->level[j + 1];
        h = es__lm_hash_extend(h, in.words[j]);
        start[j] = es__lm_slot(h, lv->slots);
        prefetch_probe(lv, start[j]);
    }
    float p = u->prob;
    float ob[ES_LM_MAX_ORDER];
    ob[0] = u->backoff;
    uint32_t out_len = (u->flags & ES__EXT) ? 1u : 0u;
    uint32_t ngram = 1;
    unsigned left = u->flags & ES__LEFT;
    uint32_t node = word;
    for (uint32_t j = 0; j < inlen && left; j++) {
        uint32_t k = j + 2; /* order being looked up */
        const es__lm_level *lv = &lm->level[k - 1];
        uint64_t idx = find_entry(lv, start[j], node, in.words[j]);
        if (idx == NOSLOT)
            break;
        p = es__rec_prob(lv, idx);
        ngram = k;
        if (k == N)
            break;
        ob[j + 1] = es__rec_backoff(lv, idx);
        unsigned f = es__rec_flags(lv, idx);
        if (f & ES__EXT)
            out_len = k;
        left = f & ES__LEFT;
        node = (uint32_t)idx;
    }
    for (uint32_t i = ngram - 1; i < inlen; i++)
        p += in.backoff[i];
    res.length = out_len;
    if (out_len > 0) {
        res.words[0] = word;
        res.backoff[0] = ob[0];
        for (uint32_t i = 1; i < out_len; i++) {
            res.words[i] = in.words[i - 1];
            res.backoff[i] = ob[i];
        }
    }
    if (out != NULL)
        *out = res;
    if (ngram_length != NULL)
        *ngram_length = (int)ngram;
    return p;
}

float es_lm_score(const es_lm *lm, const es_lm_state *in, uint32_t word, es_lm_state *out)
{
    return es_lm_score_detail(lm, in, word, out, NULL);
}

static int is_space(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0d); }

#define BATCH 64
#define HIST (ES_LM_MAX_ORDER - 1)

/* Sentence scoring, batched in two memory rounds: the vocabulary slots of up to BATCH words
 * are prefetched, then, once the ids are known, the unigrams and the start slots of every
 * order of every word (the probe starts hash the words, not the matched entries: see
 * lm_binary.c), so that all the cache misses overlap instead of queueing. The n-gram chains
 * are then followed in cache and the scores assembled word by word exactly as
 * es_lm_score does (the state length of KenLM caps the usable chain, back-offs are added
 * in the same order, in float), so the total is bit-identical to scoring word by word. */
es_status es_lm_score_sentence(const es_lm *lm, const char *text, size_t len, int bos, int eos, float *total_log10,
                               size_t *num_words, size_t *num_oov)
{
    if (lm == NULL || total_log10 == NULL || (text == NULL && len > 0))
        return ES_ERR_NULL_ARGUMENT;
    const uint32_t N = lm->order;
    const uint64_t vmask = ((uint64_t)1 << lm->hash_bits) - 1u;
    uint32_t ids[HIST + BATCH];
    uint64_t hashes[BATCH];
    uint64_t start[BATCH][ES_LM_MAX_ORDER]; /* [i][k - 1]: probe start of order k */
    unsigned prev_len = 0;                   /* KenLM's state: length and back-offs */
    float prev_bo[ES_LM_MAX_ORDER] = {0};
    uint64_t avail = 0; /* history words before the batch */
    memset(ids, 0, HIST * sizeof *ids);
    if (bos) {
        ids[HIST - 1] = 1;
        avail = 1;
        if (N >= 2) {
            prev_len = 1;
            prev_bo[0] = lm->uni[1].backoff;
        }
    }
    float total = 0.0f;
    size_t words = 0, oov = 0, at = 0;
    int eos_done = !eos;
    for (;;) {
        /* round 1: tokens -> hashes, prefetching the vocabulary slots */
        unsigned n = 0;
        while (n < BATCH) {
            while (at < len && is_space((unsigned char)text[at]))
                at++;
            if (at >= len)
                break;
            uint64_t h = ES__WORD_HASH_INIT; /* es__word_hash, while splitting */
            while (at < len && !is_space((unsigned char)text[at]))
                h = es__word_hash_step(h, (unsigned char)text[at++]);
            hashes[n] = es__word_hash_finish(h);
            ES__PREFETCH(lm->voc_hash + (hashes[n] & vmask));
            n++;
        }
        for (unsigned i = 0; i < n; i++) {
            uint32_t id = es__vocab_find_hashed(lm->voc_hash, lm->hash_bits, lm->vocab_size, hashes[i]);
            if (id == ES__LM_NO_WORD)
                id = 0;
            ids[HIST + i] = id;
            ES__PREFETCH(lm->uni + id);
            oov += id == 0;
        }
        words += n;
        if (n < BATCH && !eos_done) {
            ids[HIST + n] = 2;
            ES__PREFETCH(lm->uni + 2);
            n++;
            eos_done = 1;
        }
        if (n == 0)
            break;

        /* round 2: the start slots of every order, from the words alone */
        for (unsigned i = 0; i < n; i++) {
            uint64_t kmax = avail + i + 1u < N ? avail + i + 1u : N;
            uint64_t h = es__lm_hash_init(ids[HIST + i]);
            for (uint32_t k = 2; k <= kmax; k++) {
                const es__lm_level *lv = &lm->level[k - 1];
                h = es__lm_hash_extend(h, ids[HIST + i - (k - 1)]);
                start[i][k - 1] = es__lm_slot(h, lv->slots);
                prefetch_probe(lv, start[i][k - 1]);
            }
        }

        /* the chains, in cache, and the scores in KenLM's order */
        for (unsigned i = 0; i < n; i++) {
            uint32_t w = ids[HIST + i];
            const es__lm_unigram *u = &lm->uni[w];
            float prob[ES_LM_MAX_ORDER], bo[ES_LM_MAX_ORDER];
            prob[0] = u->prob;
            bo[0] = u->backoff;
            unsigned ext = (u->flags & ES__EXT) ? 1u : 0u; /* bit k-1: the order-k entry has ES__EXT */
            unsigned left = (u->flags & ES__LEFT) != 0;
            /* the state caps the usable chain: KenLM looks up at most prev_len + 1 words */
            unsigned kmax = prev_len + 1u;
            unsigned depth = 1;
            uint32_t node = w;
            for (unsigned k = 2; k <= kmax && left; k++) {
                const es__lm_level *lv = &lm->level[k - 1];
                uint64_t idx = find_entry(lv, start[i][k - 1], node, ids[HIST + i - (k - 1)]);
                if (idx == NOSLOT)
                    break;
                depth = k;
                prob[k - 1] = es__rec_prob(lv, idx);
                if (k == N)
                    break;
                bo[k - 1] = es__rec_backoff(lv, idx);
                unsigned f = es__rec_flags(lv, idx);
                ext |= (f & ES__EXT) ? 1u << (k - 1) : 0u;
                left = (f & ES__LEFT) != 0;
                node = (uint32_t)idx;
            }
            float p = prob[depth - 1];
            for (unsigned j = depth - 1; j < prev_len; j++)
                p += prev_bo[j];
            total += p;
            unsigned L = 0;
            for (unsigned k = 1; k <= depth; k++)
                if (ext & (1u << (k - 1)))
                    L = k;
            prev_len = L;
            for (unsigned j = 0; j < L; j++)
                prev_bo[j] = bo[j];
        }
        memmove(ids, ids + n, HIST * sizeof *ids);
        avail += n;
    }
    *total_log10 = total;
    if (num_words)
        *num_words = words;
    if (num_oov)
        *num_oov = oov;
    return ES_OK;
}

float es_lm_sentence_log10(const es_lm *lm, const char *text, size_t len, int bos, int eos)
{
    float total;
    if (es_lm_score_sentence(lm, text, len, bos, eos, &total, NULL, NULL) != ES_OK)
        return (float)NAN;
    return total;
}
