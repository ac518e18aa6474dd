/* The LM vocabulary: word -> id through an open-addressing hash table stored in the image,
 * id -> word through the offsets, and the prefix view for decoders (ids >= 3 follow byte
 * order, so the words sharing a prefix are one contiguous id range, found by binary search).
 * Words are matched by 64-bit hash (see lm_internal.h). Every read is bounds-checked so that a corrupt, unverified image cannot crash a query. */
#include "lm_internal.h"

uint64_t es__word_hash(const char *word, size_t len)
{
    uint64_t h = ES__WORD_HASH_INIT;
    for (size_t i = 0; i < len; i++)
        h = es__word_hash_step(h, (unsigned char)word[i]);
    return es__word_hash_finish(h);
}

unsigned es__vocab_hash_bits(uint32_t vocab_size)
{
    unsigned bits = 2;
    while (bits < 31 && ((uint64_t)1 << bits) < (uint64_t)vocab_size * 2u)
        bits++;
    return bits;
}

/* The bytes of word id (without its NUL), clamped to the strings. */
static const char *word_span(const uint32_t *offsets, const char *strings, uint64_t strings_size, uint32_t id,
                             size_t *len)
{
    uint64_t a = offsets[id], b = offsets[id + 1];
    if (b > strings_size)
        b = strings_size;
    if (a >= b) {
        *len = 0;
        return strings + strings_size - 1; /* the final NUL (checked on load) */
    }
    *len = (size_t)(b - a - 1);
    return strings + a;
}

static uint64_t slot_key(uint64_t h, unsigned id_bits) { return h >> id_bits; }

es_status es__vocab_hash_fill(uint64_t *table, unsigned bits, const char *strings, const uint32_t *offsets,
                              uint32_t vocab_size)
{
    uint64_t size = (uint64_t)1 << bits, mask = size - 1;
    unsigned id_bits = es__bits_for(vocab_size);
    memset(table, 0xFF, (size_t)size * sizeof *table);
    for (uint32_t id = 0; id < vocab_size; id++) {
        size_t len = offsets[id + 1] - offsets[id] - 1u;
        uint64_t h = es__word_hash(strings + offsets[id], len);
        uint64_t s = h & mask;
        while (table[s] != ~UINT64_C(0)) {
            if (slot_key(table[s], id_bits) == slot_key(h, id_bits))
                return ES_ERR_UNSUPPORTED;
            s = (s + 1) & mask;
        }
        table[s] = (slot_key(h, id_bits) << id_bits) | id;
    }
    return ES_OK;
}

uint32_t es__vocab_find(const uint64_t *table, unsigned bits, uint32_t vocab_size, const char *word, size_t len)
{
    return es__vocab_find_hashed(table, bits, vocab_size, es__word_hash(word, len));
}

uint32_t es__vocab_find_hashed(const uint64_t *table, unsigned bits, uint32_t vocab_size, uint64_t h)
{
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    unsigned id_bits = es__bits_for(vocab_size);
    uint64_t key = slot_key(h, id_bits);
    uint64_t s = h & mask;
    for (uint64_t probes = 0; probes <= mask; probes++, s = (s + 1) & mask) {
        uint64_t v = table[s];
        if (v == ~UINT64_C(0))
            return ES__LM_NO_WORD;
        if (slot_key(v, id_bits) == key) {
            uint64_t id = v & ((UINT64_C(1) << id_bits) - 1u);
            return id < vocab_size ? (uint32_t)id : ES__LM_NO_WORD;
        }
    }
    return ES__LM_NO_WORD;
}

uint32_t es_lm_word_id(const es_lm *lm, const char *word, size_t len)
{
    if (lm == NULL || (word == NULL && len > 0))
        return 0;
    uint32_t id = es__vocab_find(lm->voc_hash, lm->hash_bits, lm->vocab_size, word, len);
    return id == ES__LM_NO_WORD ? 0 : id;
}

const char *es_lm_word(const es_lm *lm, uint32_t id)
{
    if (lm == NULL || id >= lm->vocab_size)
        return NULL;
    size_t len;
    /* The strings end with a NUL (checked on load), so the result is always terminated. */
    return word_span(lm->voc_off, lm->voc_str, lm->voc_str_size, id, &len);
}

int es_lm_is_word(const es_lm *lm, const char *word, size_t len)
{
    if (lm == NULL || (word == NULL && len > 0))
        return 0;
    uint32_t id = es__vocab_find(lm->voc_hash, lm->hash_bits, lm->vocab_size, word, len);
    return id != ES__LM_NO_WORD && id >= ES__LM_FIRST_WORD;
}

/* <0: the word sorts before every word with the prefix; 0: it has the prefix; >0: after. */
static int cmp_prefix(const es_lm *lm, uint32_t id, const char *prefix, size_t len)
{
    size_t wl;
    const char *w = word_span(lm->voc_off, lm->voc_str, lm->voc_str_size, id, &wl);
    size_t n = wl < len ? wl : len;
    int c = n ? memcmp(w, prefix, n) : 0;
    if (c != 0)
        return c;
    return wl < len ? -1 : 0;
}

es_status es_lm_prefix_range(const es_lm *lm, const char *prefix, size_t len, uint32_t *first, uint32_t *end)
{
    if (lm == NULL || first == NULL || end == NULL || (prefix == NULL && len > 0))
        return ES_ERR_NULL_ARGUMENT;
    uint32_t lo = ES__LM_FIRST_WORD, hi = lm->vocab_size;
    if (hi < lo)
        hi = lo;
    /* first id whose comparison is >= 0 */
    uint32_t a = lo, b = hi;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (cmp_prefix(lm, m, prefix, len) < 0)
            a = m + 1;
        else
            b = m;
    }
    uint32_t start = a;
    b = hi;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (cmp_prefix(lm, m, prefix, len) <= 0)
            a = m + 1;
        else
            b = m;
    }
    *first = start;
    *end = a;
    return ES_OK;
}

int es_lm_has_prefix(const es_lm *lm, const char *prefix, size_t len)
{
    uint32_t first, end;
    if (es_lm_prefix_range(lm, prefix, len, &first, &end) != ES_OK)
        return 0;
    return first < end;
}
