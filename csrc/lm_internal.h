/* Declarations shared by the language-model files (arpa.c, lm*.c); not public API.
 *
 * The LM lives in one contiguous "image" that is byte for byte the binary file (see
 * lm_binary.c for the format): an ARPA file is parsed into es__lm_tables, encoded into an
 * image in memory, and queried by the same code as a memory-mapped binary. */
#ifndef EDGESTT_LM_INTERNAL_H
#define EDGESTT_LM_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "internal.h"

#define ES__LM_HEADER_SIZE 512u
#define ES__LM_VERSION 2u
#define ES__LM_BOM 0x01020304u
#define ES__LM_QBOOK 256u           /* codebook entries per order and kind when quantised */
#define ES__LM_NO_WORD 0xFFFFFFFFu  /* empty vocabulary hash slot / word not found */
#define ES__LM_FIRST_WORD 3u        /* ids below are <unk>, <s>, </s> */

extern const unsigned char es__lm_magic[8];

/* Sections of the image, in file order. */
enum {
    ES__SEC_VOCAB_OFFSETS = 0, /* uint32[V+1]: start of word i in the strings; [V] = strings size */
    ES__SEC_VOCAB_STRINGS,     /* the words, each followed by a NUL */
    ES__SEC_VOCAB_HASH,        /* uint64[1 << hash_bits]: (hash key bits | id), all ones = empty */
    ES__SEC_UNIGRAMS,          /* es__lm_unigram[V] */
    ES__SEC_CODEBOOK,          /* float[6][2][256]: [order-1][prob, backoff] centres (quantised only) */
    ES__SEC_NGRAMS2,           /* hash tables of bit records, orders 2..6: parent+1, word, prob, backoff, flags */
    ES__SEC_COUNT = ES__SEC_NGRAMS2 + 5
};

typedef struct {
    float prob;                /* log10 */
    float backoff;             /* log10 */
    uint32_t flags;            /* ES__EXT | ES__LEFT */
    uint32_t reserved;         /* 0 */
} es__lm_unigram;

#define ES__EXT 1u   /* kept as context in states (KenLM: back-off != -0.0) */
#define ES__LEFT 2u  /* some longer n-gram ends with this one (KenLM: !independent_left) */

/* The LM as plain arrays. Index k is order k+1. Unigrams (k = 0) are indexed by word id;
 * orders >= 2 are open-addressing tables of slots[k] slots keyed by (parent, word): parent
 * is the slot of the suffix w2..wk in order k (the word id for bigrams), stored + 1 so that
 * 0 marks an empty slot; word is the first (oldest) word w1. The probe for w1..wk starts at
 * es__lm_slot(hash of w1..wk): a hash of the words, not of the key, so that the start slots
 * of all orders are known from the words alone and can be fetched together. */
typedef struct {
    uint32_t order;
    uint32_t vocab_size;
    uint64_t counts[6];        /* entries per order, including blanks */
    uint64_t arpa_counts[6];   /* n-grams per order in the source */
    uint64_t slots[6];         /* table sizes (V for unigrams) */
    char *strings;             /* vocabulary, NUL after each word */
    uint64_t strings_size;
    uint32_t *offsets;         /* [V+1] */
    uint32_t *parent1[6];      /* [slots] parent + 1, 0 = empty (k >= 1) */
    uint32_t *word[6];         /* [slots] (k >= 1) */
    float *prob[6];            /* [slots] */
    float *backoff[6];         /* [slots] (k < order-1) */
    uint8_t *flags[6];         /* [slots] ES__EXT | ES__LEFT (k < order-1) */
} es__lm_tables;

void es__lm_tables_free(es__lm_tables *t);
/* Slots for n entries (load factor ~0.75). */
uint64_t es__lm_slots_for(uint64_t n);
/* The hash of an n-gram's word ids, built from the newest (predicted) word leftwards:
 * h(wk) = es__lm_hash_init(wk), h(wj..wk) = es__lm_hash_extend(h(wj+1..wk), wj). */
static inline uint64_t es__lm_hash_init(uint32_t newest)
{
    return ((uint64_t)newest + 1u) * 0x9E3779B97F4A7C15u;
}
static inline uint64_t es__lm_hash_extend(uint64_t h, uint32_t older)
{
    return (h ^ ((uint64_t)older + 1u)) * 0xC2B2AE3D27D4EB4Fu;
}
/* The start slot of an n-gram of hash h in a table of slots slots (< 2^32). */
static inline uint64_t es__lm_slot(uint64_t h, uint64_t slots)
{
    uint64_t x = h ^ (h >> 29);
    x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 32;
    return ((x & 0xFFFFFFFFu) * slots) >> 32;
}

/* One order >= 2 of a loaded image: records of rec_bits, fields at the given bit offsets. */
typedef struct {
    const uint8_t *data;
    uint64_t count, slots;
    unsigned rec_bits, parent_bits, word_off, prob_off, backoff_off, ext_off, left_off;
    unsigned key_bits; /* parent_bits + word_bits: the key (parent + 1, word) is the first field */
    unsigned word_bits, prob_bits, backoff_bits;
    const float *prob_book, *backoff_book; /* NULL when not quantised */
} es__lm_level;

struct es_lm {
    const uint8_t *base;       /* the image */
    size_t size;
    void *owned;               /* malloc'd image (ARPA) or NULL */
    void *map;                 /* mapped file or NULL */
    size_t map_size;
    uint32_t order, vocab_size, quant_bits, hash_bits;
    uint64_t counts[6], arpa_counts[6];
    const uint32_t *voc_off;
    const char *voc_str;
    uint64_t voc_str_size;
    const uint64_t *voc_hash;
    const es__lm_unigram *uni;
    const float *codebook;
    es__lm_level level[6];     /* index k for order k+1, k >= 1 */
};

/* ---- bit arrays: little-endian bit order, 64 bytes of padding after each array ---- */
static inline uint64_t es__get_bits(const uint8_t *base, uint64_t bit, unsigned width)
{
    uint64_t v;
    memcpy(&v, base + (size_t)(bit >> 3), sizeof v);
    v >>= (unsigned)(bit & 7u);
    return width >= 64 ? v : (v & ((UINT64_C(1) << width) - 1u));
}
void es__set_bits(uint8_t *base, uint64_t bit, unsigned width, uint64_t value);
/* Fields of record i of an order >= 2. */
static inline uint32_t es__rec_parent1(const es__lm_level *lv, uint64_t i)
{
    return (uint32_t)es__get_bits(lv->data, i * lv->rec_bits, lv->parent_bits);
}
static inline uint32_t es__rec_word(const es__lm_level *lv, uint64_t i)
{
    return (uint32_t)es__get_bits(lv->data, i * lv->rec_bits + lv->word_off, lv->word_bits);
}
/* A stored float field: a codebook index when quantised, else the float's own bits. */
static inline float es__rec_float(const es__lm_level *lv, uint64_t i, unsigned off, unsigned bits,
                                  const float *book)
{
    uint32_t code = (uint32_t)es__get_bits(lv->data, i * lv->rec_bits + off, bits);
    if (book)
        return book[code & 0xFFu];
    float value;
    memcpy(&value, &code, 4);
    return value;
}
static inline float es__rec_prob(const es__lm_level *lv, uint64_t i)
{
    return es__rec_float(lv, i, lv->prob_off, lv->prob_bits, lv->prob_book);
}
static inline float es__rec_backoff(const es__lm_level *lv, uint64_t i)
{
    return es__rec_float(lv, i, lv->backoff_off, lv->backoff_bits, lv->backoff_book);
}
/* ES__EXT | ES__LEFT */
static inline unsigned es__rec_flags(const es__lm_level *lv, uint64_t i)
{
    return (unsigned)es__get_bits(lv->data, i * lv->rec_bits + lv->ext_off, 2);
}

/* Bits to store values 0..max (at least 1). */
static inline unsigned es__bits_for(uint64_t max)
{
#if defined(__GNUC__) || defined(__clang__)
    return max == 0 ? 1u : 64u - (unsigned)__builtin_clzll((unsigned long long)max);
#else
    unsigned b = 1;
    while (b < 64 && (max >> b) != 0)
        b++;
    return b;
#endif
}

/* ---- checksums ---- */
uint32_t es__crc32(uint32_t crc, const uint8_t *data, size_t n);

/* ---- vocabulary (lm_vocab.c) ----
 * Hash slots hold the word's 64-bit hash with its low id_bits replaced by the id (the table
 * index comes from the low bits, so about 64 bits of hash are compared): like KenLM, words
 * are matched by hash, not by string. id_bits = es__bits_for(V), so no slot is all ones. */
uint64_t es__word_hash(const char *word, size_t len);
/* es__word_hash in steps: FNV-1a, 64-bit, then a final mix so that the low bits are usable
 * as a table index. */
#define ES__WORD_HASH_INIT UINT64_C(0xcbf29ce484222325)
static inline uint64_t es__word_hash_step(uint64_t h, unsigned char c) { return (h ^ c) * UINT64_C(0x100000001b3); }
static inline uint64_t es__word_hash_finish(uint64_t h)
{
    h ^= h >> 29;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 32;
    return h;
}
unsigned es__vocab_hash_bits(uint32_t vocab_size);
/* Fills table[1 << bits]; ES_ERR_UNSUPPORTED if two words share a hash key. */
es_status es__vocab_hash_fill(uint64_t *table, unsigned bits, const char *strings, const uint32_t *offsets,
                              uint32_t vocab_size);
/* Id of word or ES__LM_NO_WORD (bounded probing: safe on corrupt data). */
uint32_t es__vocab_find(const uint64_t *table, unsigned bits, uint32_t vocab_size, const char *word, size_t len);
uint32_t es__vocab_find_hashed(const uint64_t *table, unsigned bits, uint32_t vocab_size, uint64_t hash);

/* ---- images (lm_binary.c) ---- */
/* Encodes tables into a new malloc'd image. */
es_status es__lm_encode(const es__lm_tables *t, int quantize_bits, uint8_t **image, size_t *size, char *err,
                        size_t err_len);
/* Decodes a loaded LM back into tables (for re-encoding). */
es_status es__lm_decode(const es_lm *lm, es__lm_tables *t, char *err, size_t err_len);
/* Sets up lm's views of an image after checking the header and layout (O(1)).
 * check_crc = 0 skips the header checksum (fuzzing only). */
es_status es__lm_attach(es_lm *lm, const uint8_t *base, size_t size, int check_crc, char *err, size_t err_len);
/* An LM over a copy of an in-memory binary image (fuzzing, tests). */
es_status es__lm_from_binary_memory(const uint8_t *data, size_t size, int check_crc, es_lm **out, char *err,
                                    size_t err_len);

/* ---- quantisation (lm_quant.c) ---- */
/* levels sorted centres for the finite values: bins of bounded width (minimax), the spare
 * levels split the most populated bins; each centre is its bin's mean. */
es_status es__quant_train(const float *values, size_t n, unsigned levels, float *centers);
/* Index of the centre nearest to v (centres sorted ascending). */
unsigned es__quant_code(const float *centers, unsigned levels, float v);

/* ---- ARPA (arpa.c) ---- */
es_status es__arpa_parse(const char *text, size_t len, es__lm_tables *out, char *err, size_t err_len);
/* An LM from ARPA text in memory. */
es_status es__lm_from_arpa_memory(const char *text, size_t len, es_lm **out, char *err, size_t err_len);

#endif /* EDGESTT_LM_INTERNAL_H */
