/* edgestt's binary LM format: encoding, O(1) loading (attach), full verification.
 *
 * The file is the in-memory image: it is memory-mapped and queried in place, nothing is
 * parsed or copied on load. All integers are little-endian (the byte-order mark lets a
 * big-endian reader refuse the file clearly); every section starts at a multiple of 8.
 *
 * Header, 512 bytes:
 *     0  magic "\x89ESLM\r\n\x1a" (8 bytes; catches text-mode and 7-bit transfers)
 *     8  u32 version (2)              12  u32 byte-order mark 0x01020304
 *    16  u32 header size (512)        20  u32 order (1..6)
 *    24  u32 quantisation bits (0, 8) 28  u32 vocabulary size V (>= 3)
 *    32  u32 vocabulary hash bits     36  u32 flags (0)
 *    40  u64 file size
 *    48  u64 entries per order [6] (including KenLM-style "blank" entries)
 *    96  u64 ARPA n-gram counts per order [6]
 *   144  u64 [10][2] section table: offset, size (ES__SEC_* in lm_internal.h)
 *   304  u64 table slots per order [6]
 *   432  u32 CRC-32 of the data (bytes 512 .. file size)
 *   508  u32 CRC-32 of the header bytes 0 .. 507 (the rest is zero)
 *
 * Checksum policy: loading verifies the header CRC and that every section's offset and size
 * follow from the counts and the file size (O(1): ~0.1 ms whatever the size);
 * es_lm_verify() checks the data CRC and the structure (O(size), ~5 ms per million n-grams;
 * used by `edgestt lm` and the tests). Queries never trust the data: every index read from
 * the file is bounded, so an unverified corrupt file gives wrong scores, never an
 * out-of-bounds read or an endless loop.
 *
 * Data:
 *   vocabulary: offsets u32[V+1], NUL-terminated strings (ids: 0 <unk>, 1 <s>, 2 </s>, then
 *     byte order, so prefixes are id ranges), a u64 open-addressing hash table of
 *     2^hash_bits slots (>= 2V): each slot is a word's 64-bit hash with its low bits_for(V)
 *     bits replaced by the id; lookups compare hashes, not strings (as KenLM's vocabulary).
 *   unigrams: 16-byte records {f32 prob, f32 back-off, u32 flags (ext, left), u32 0} [V],
 *     exact floats even when quantised.
 *   codebooks (quantised only): f32[6][2][256], per order: prob centres, back-off centres
 *     (back-off code 0 is exactly 0).
 *   orders 2..N: one open-addressing table (linear probing, load ~0.75) of bit-packed
 *     records per order. An n-gram w1..wk is keyed by (the slot of its suffix w2..wk in
 *     order k-1 -- the word id for bigrams --, w1), and the record stores that key in full,
 *     so lookups are exact (no hash-collision errors, unlike a fingerprint) and no child
 *     pointers are needed. Probing starts at es__lm_slot(h) where h hashes the word ids
 *     (lm_internal.h: h = init(wk), then extend(h, wj) for j = k-1 .. 1), not the key: the
 *     start slots of every order are known from the words alone, so a query fetches all of
 *     them at once (KenLM's probing model) and only then checks the keys, leftwards, in
 *     cache: one table probe (usually one cache line) per order, no dependent misses.
 *     (Version 1 started probing at a hash of the key, which needs the suffix's slot first.)
 *       parent+1: bits_for(slots of order k-1) (0 = empty slot); word: bits_for(V-1);
 *       prob: 32 (f32 bits) or 8 (codebook index); below order N also back-off (32 or 8)
 *       and 2 flag bits: ext (kept as context in states), left (a longer n-gram ends with
 *       this one; when clear the search stops, KenLM's independent_left).
 *     Each table is followed by 64 bytes of padding (reads are unaligned 64-bit loads; a
 *     probe prefetches the cache line after its start).
 *   Bytes per n-gram at load 0.75, V ~ 2^16, a million entries per order: highest order
 *   ~11.3 (quantised ~6.8), middle orders ~17 (quantised ~9.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm_internal.h"

const unsigned char es__lm_magic[8] = {0x89, 'E', 'S', 'L', 'M', '\r', '\n', 0x1a};

#define H_VERSION 8
#define H_BOM 12
#define H_HEADER_SIZE 16
#define H_ORDER 20
#define H_QUANT 24
#define H_VOCAB 28
#define H_HASH_BITS 32
#define H_FLAGS 36
#define H_FILE_SIZE 40
#define H_COUNTS 48
#define H_ARPA_COUNTS 96
#define H_SECTIONS 144
#define H_SLOTS 304
#define H_DATA_CRC 432
#define H_HEADER_CRC 508

static const char *const section_names[ES__SEC_COUNT] = {
    "vocabulary offsets", "vocabulary strings", "vocabulary hash", "unigrams",      "codebooks",
    "2-gram records",     "3-gram records",     "4-gram records",  "5-gram records", "6-gram records"};

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

void es__set_bits(uint8_t *base, uint64_t bit, unsigned width, uint64_t value)
{
    uint8_t *p = base + (size_t)(bit >> 3);
    unsigned shift = (unsigned)(bit & 7u);
    uint64_t mask = (width >= 64 ? ~UINT64_C(0) : ((UINT64_C(1) << width) - 1u)) << shift;
    uint64_t v;
    memcpy(&v, p, 8);
    v = (v & ~mask) | ((value << shift) & mask);
    memcpy(p, &v, 8);
}

uint32_t es__crc32(uint32_t crc, const uint8_t *data, size_t n)
{
    /* CRC-32 (IEEE 802.3, reflected), four tables built on the stack: no global state. */
    uint32_t t[4][256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        t[1][i] = (t[0][i] >> 8) ^ t[0][t[0][i] & 0xFFu];
        t[2][i] = (t[1][i] >> 8) ^ t[0][t[1][i] & 0xFFu];
        t[3][i] = (t[2][i] >> 8) ^ t[0][t[2][i] & 0xFFu];
    }
    crc = ~crc;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        crc ^= (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 | (uint32_t)data[i + 2] << 16 |
               (uint32_t)data[i + 3] << 24;
        crc = t[3][crc & 0xFFu] ^ t[2][(crc >> 8) & 0xFFu] ^ t[1][(crc >> 16) & 0xFFu] ^ t[0][crc >> 24];
    }
    for (; i < n; i++)
        crc = t[0][(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

/* ---------------------------------------------------------------- layout */

uint64_t es__lm_slots_for(uint64_t n) { return n + n / 3u + 1u; }

typedef struct {
    uint64_t off[ES__SEC_COUNT], size[ES__SEC_COUNT];
    uint64_t total;
    es__lm_level lv[6]; /* field geometry (data pointers unset) */
} layout;

static uint64_t bit_array_bytes(uint64_t entries, unsigned bits) { return (entries * bits + 7u) / 8u + 64u; }

static void compute_layout(uint32_t order, uint32_t V, const uint64_t *counts, const uint64_t *slots,
                           uint32_t quant, uint64_t strings_size, unsigned hash_bits, layout *L)
{
    memset(L, 0, sizeof *L);
    unsigned q = quant ? quant : 32;
    L->size[ES__SEC_VOCAB_OFFSETS] = 4u * ((uint64_t)V + 1u);
    L->size[ES__SEC_VOCAB_STRINGS] = strings_size;
    L->size[ES__SEC_VOCAB_HASH] = (uint64_t)8u << hash_bits;
    L->size[ES__SEC_UNIGRAMS] = sizeof(es__lm_unigram) * (uint64_t)V;
    L->size[ES__SEC_CODEBOOK] = quant ? 4u * 6u * 2u * ES__LM_QBOOK : 0;
    for (uint32_t k = 2; k <= order && k <= 6; k++) {
        es__lm_level *lv = &L->lv[k - 1];
        lv->count = counts[k - 1];
        lv->slots = slots[k - 1];
        lv->parent_bits = es__bits_for(k == 2 ? V : slots[k - 2]);
        lv->word_bits = es__bits_for(V > 0 ? V - 1u : 0);
        lv->word_off = lv->parent_bits;
        lv->prob_off = lv->word_off + lv->word_bits;
        lv->key_bits = lv->prob_off;
        lv->prob_bits = q;
        if (k < order) {
            lv->backoff_bits = q;
            lv->backoff_off = lv->prob_off + q;
            lv->ext_off = lv->backoff_off + q;
            lv->left_off = lv->ext_off + 1;
            lv->rec_bits = lv->ext_off + 2;
        } else {
            lv->rec_bits = lv->prob_off + q;
        }
        L->size[ES__SEC_NGRAMS2 + k - 2] = bit_array_bytes(lv->slots, lv->rec_bits);
    }
    uint64_t at = ES__LM_HEADER_SIZE;
    for (int s = 0; s < ES__SEC_COUNT; s++) {
        L->off[s] = at;
        at += (L->size[s] + 7u) & ~(uint64_t)7u;
    }
    L->total = at;
}

/* ---------------------------------------------------------------- tables */

void es__lm_tables_free(es__lm_tables *t)
{
    if (t == NULL)
        return;
    free(t->strings);
    free(t->offsets);
    for (int k = 0; k < 6; k++) {
        free(t->parent1[k]);
        free(t->word[k]);
        free(t->prob[k]);
        free(t->backoff[k]);
        free(t->flags[k]);
    }
    memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- encode */

static es_status train_books(const es__lm_tables *t, uint32_t k, float *pbook, float *bbook)
{
    unsigned ki = k - 1;
    size_t S = (size_t)t->slots[ki];
    float *v = malloc(S * sizeof *v + 1);
    if (v == NULL)
        return ES_ERR_OUT_OF_MEMORY;
    size_t m = 0;
    for (size_t i = 0; i < S; i++)
        if (t->parent1[ki][i] != 0)
            v[m++] = t->prob[ki][i];
    es_status st = es__quant_train(v, m, ES__LM_QBOOK, pbook);
    if (st == ES_OK && k < t->order) {
        m = 0;
        for (size_t i = 0; i < S; i++)
            if (t->parent1[ki][i] != 0 && t->backoff[ki][i] != 0.0f)
                v[m++] = t->backoff[ki][i];
        bbook[0] = 0.0f;
        st = es__quant_train(v, m, ES__LM_QBOOK - 1u, bbook + 1);
    }
    free(v);
    return st;
}

es_status es__lm_encode(const es__lm_tables *t, int quantize_bits, uint8_t **image, size_t *size, char *err,
                        size_t err_len)
{
    if (quantize_bits != 0 && quantize_bits != 8)
        return es__fail(ES_ERR_INVALID_ARGUMENT, err, err_len, "quantize_bits must be 0 or 8, got %d",
                        quantize_bits);
    uint32_t V = t->vocab_size, N = t->order;
    unsigned hash_bits = es__vocab_hash_bits(V);
    layout L;
    compute_layout(N, V, t->counts, t->slots, (uint32_t)quantize_bits, t->strings_size, hash_bits, &L);
    if (L.total > SIZE_MAX)
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "the LM (%llu bytes) exceeds the address space",
                        (unsigned long long)L.total);
    uint8_t *img = calloc(1, (size_t)L.total);
    if (img == NULL)
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory for a %llu-byte LM",
                        (unsigned long long)L.total);

    memcpy(img + L.off[ES__SEC_VOCAB_OFFSETS], t->offsets, 4u * ((size_t)V + 1u));
    memcpy(img + L.off[ES__SEC_VOCAB_STRINGS], t->strings, (size_t)t->strings_size);
    if (es__vocab_hash_fill((uint64_t *)(void *)(img + L.off[ES__SEC_VOCAB_HASH]), hash_bits, t->strings, t->offsets,
                            V) != ES_OK) {
        free(img);
        return es__fail(ES_ERR_UNSUPPORTED, err, err_len, "two words of the vocabulary share a 64-bit hash");
    }
    es__lm_unigram *uni = (es__lm_unigram *)(void *)(img + L.off[ES__SEC_UNIGRAMS]);
    for (uint32_t w = 0; w < V; w++) {
        uni[w].prob = t->prob[0][w];
        uni[w].backoff = t->backoff[0][w];
        uni[w].flags = t->flags[0][w] & (ES__EXT | ES__LEFT);
        uni[w].reserved = 0;
    }

    float *book = (float *)(void *)(img + L.off[ES__SEC_CODEBOOK]);
    for (uint32_t k = 2; k <= N; k++) {
        unsigned ki = k - 1;
        float *pbook = book + ki * 2u * ES__LM_QBOOK, *bbook = pbook + ES__LM_QBOOK;
        if (quantize_bits) {
            es_status st = train_books(t, k, pbook, bbook);
            if (st != ES_OK) {
                free(img);
                return es__fail(st, err, err_len, "out of memory training the %u-gram codebooks", k);
            }
        }
        uint8_t *rec = img + L.off[ES__SEC_NGRAMS2 + k - 2];
        const es__lm_level *lv = &L.lv[ki];
        for (uint64_t i = 0; i < lv->slots; i++) {
            if (t->parent1[ki][i] == 0)
                continue;
            uint64_t at = i * lv->rec_bits;
            es__set_bits(rec, at, lv->parent_bits, t->parent1[ki][i]);
            es__set_bits(rec, at + lv->word_off, lv->word_bits, t->word[ki][i]);
            float p = t->prob[ki][i];
            uint32_t code;
            if (quantize_bits)
                code = es__quant_code(pbook, ES__LM_QBOOK, p);
            else
                memcpy(&code, &p, 4);
            es__set_bits(rec, at + lv->prob_off, lv->prob_bits, code);
            if (k < N) {
                float b = t->backoff[ki][i];
                if (quantize_bits)
                    code = b == 0.0f ? 0u : 1u + es__quant_code(bbook + 1, ES__LM_QBOOK - 1u, b);
                else
                    memcpy(&code, &b, 4);
                es__set_bits(rec, at + lv->backoff_off, lv->backoff_bits, code);
                es__set_bits(rec, at + lv->ext_off, 2, t->flags[ki][i] & (ES__EXT | ES__LEFT));
            }
        }
    }

    memcpy(img, es__lm_magic, 8);
    wr32(img + H_VERSION, ES__LM_VERSION);
    wr32(img + H_BOM, ES__LM_BOM);
    wr32(img + H_HEADER_SIZE, ES__LM_HEADER_SIZE);
    wr32(img + H_ORDER, N);
    wr32(img + H_QUANT, (uint32_t)quantize_bits);
    wr32(img + H_VOCAB, V);
    wr32(img + H_HASH_BITS, hash_bits);
    wr32(img + H_FLAGS, 0);
    wr64(img + H_FILE_SIZE, L.total);
    for (int k = 0; k < 6; k++) {
        wr64(img + H_COUNTS + 8 * k, t->counts[k]);
        wr64(img + H_ARPA_COUNTS + 8 * k, t->arpa_counts[k]);
        wr64(img + H_SLOTS + 8 * k, (uint32_t)k < N ? t->slots[k] : 0);
    }
    for (int s = 0; s < ES__SEC_COUNT; s++) {
        wr64(img + H_SECTIONS + 16 * s, L.off[s]);
        wr64(img + H_SECTIONS + 16 * s + 8, L.size[s]);
    }
    wr32(img + H_DATA_CRC, es__crc32(0, img + ES__LM_HEADER_SIZE, (size_t)L.total - ES__LM_HEADER_SIZE));
    wr32(img + H_HEADER_CRC, es__crc32(0, img, H_HEADER_CRC));
    *image = img;
    *size = (size_t)L.total;
    return ES_OK;
}

/* ---------------------------------------------------------------- attach (O(1) load) */

es_status es__lm_attach(es_lm *lm, const uint8_t *b, size_t size, int check_crc, char *err, size_t err_len)
{
    if (size < 8 || memcmp(b, es__lm_magic, 8) != 0)
        return es__fail(ES_ERR_FORMAT, err, err_len, "not an edgestt binary LM (bad magic bytes)");
    if (size < ES__LM_HEADER_SIZE)
        return es__fail(ES_ERR_FORMAT, err, err_len, "truncated: %zu bytes, shorter than the %u-byte header", size,
                        ES__LM_HEADER_SIZE);
    uint32_t version = rd32(b + H_VERSION);
    if (version != ES__LM_VERSION)
        return es__fail(ES_ERR_UNSUPPORTED, err, err_len, "binary LM version %u; this library reads version %u",
                        version, ES__LM_VERSION);
    uint32_t bom = rd32(b + H_BOM);
    if (bom == 0x04030201u)
        return es__fail(ES_ERR_UNSUPPORTED, err, err_len,
                        "the LM was written with the opposite byte order (big-endian); rebuild it from the ARPA");
    if (bom != ES__LM_BOM)
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt header: bad byte-order mark 0x%08x", bom);
    if (rd32(b + H_HEADER_SIZE) != ES__LM_HEADER_SIZE)
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt header: header size %u", rd32(b + H_HEADER_SIZE));
    if (check_crc && es__crc32(0, b, H_HEADER_CRC) != rd32(b + H_HEADER_CRC))
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt header: checksum mismatch");
    uint64_t file_size = rd64(b + H_FILE_SIZE);
    if (file_size != size)
        return es__fail(ES_ERR_FORMAT, err, err_len, "%s: the header says %llu bytes, the file has %zu",
                        size < file_size ? "truncated" : "trailing bytes", (unsigned long long)file_size, size);
    uint32_t order = rd32(b + H_ORDER), quant = rd32(b + H_QUANT), V = rd32(b + H_VOCAB);
    uint32_t hash_bits = rd32(b + H_HASH_BITS);
    if (order == 0)
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt header: order 0");
    if (order > ES_LM_MAX_ORDER)
        return es__fail(ES_ERR_UNSUPPORTED, err, err_len, "order %u > %d is not supported", order, ES_LM_MAX_ORDER);
    if (quant != 0 && quant != 8)
        return es__fail(ES_ERR_UNSUPPORTED, err, err_len, "%u-bit quantisation is not supported", quant);
    if (rd32(b + H_FLAGS) != 0)
        return es__fail(ES_ERR_UNSUPPORTED, err, err_len, "unknown flags 0x%x", rd32(b + H_FLAGS));
    if (V < 3 || V >= ES__LM_NO_WORD)
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt header: vocabulary size %u", V);
    if (hash_bits != es__vocab_hash_bits(V))
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt header: hash size 2^%u for %u words", hash_bits, V);
    uint64_t counts[6], arpa[6], slots[6];
    for (int k = 0; k < 6; k++) {
        counts[k] = rd64(b + H_COUNTS + 8 * k);
        arpa[k] = rd64(b + H_ARPA_COUNTS + 8 * k);
        slots[k] = rd64(b + H_SLOTS + 8 * k);
        int used = (uint32_t)k < order;
        if (used ? counts[k] >= ES__LM_NO_WORD - 1u : (counts[k] != 0 || arpa[k] != 0 || slots[k] != 0))
            return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt header: %llu entries of order %d",
                            (unsigned long long)counts[k], k + 1);
        if (arpa[k] > counts[k])
            return es__fail(ES_ERR_FORMAT, err, err_len, "counts do not match: %llu %d-grams but %llu entries",
                            (unsigned long long)arpa[k], k + 1, (unsigned long long)counts[k]);
        if (used && k > 0 && slots[k] != es__lm_slots_for(counts[k]))
            return es__fail(ES_ERR_FORMAT, err, err_len, "counts do not match: %llu slots for %llu %d-grams",
                            (unsigned long long)slots[k], (unsigned long long)counts[k], k + 1);
    }
    if (counts[0] != V || slots[0] != V)
        return es__fail(ES_ERR_FORMAT, err, err_len, "counts do not match: %llu unigrams for %u words",
                        (unsigned long long)counts[0], V);
    uint64_t strings_size = rd64(b + H_SECTIONS + 16 * ES__SEC_VOCAB_STRINGS + 8);
    if (strings_size < V || strings_size >= ES__LM_NO_WORD)
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt header: %llu bytes of strings for %u words",
                        (unsigned long long)strings_size, V);
    layout L;
    compute_layout(order, V, counts, slots, quant, strings_size, hash_bits, &L);
    for (int s = 0; s < ES__SEC_COUNT; s++) {
        uint64_t off = rd64(b + H_SECTIONS + 16 * s), sz = rd64(b + H_SECTIONS + 16 * s + 8);
        if (off != L.off[s] || sz != L.size[s])
            return es__fail(ES_ERR_FORMAT, err, err_len,
                            "counts do not match the %s section (offset %llu size %llu, expected %llu and %llu)",
                            section_names[s], (unsigned long long)off, (unsigned long long)sz,
                            (unsigned long long)L.off[s], (unsigned long long)L.size[s]);
    }
    if (L.total != file_size)
        return es__fail(ES_ERR_FORMAT, err, err_len, "counts do not match the file size (%llu bytes, expected %llu)",
                        (unsigned long long)file_size, (unsigned long long)L.total);
    if (b[L.off[ES__SEC_VOCAB_STRINGS] + strings_size - 1] != '\0')
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt vocabulary: the strings do not end with NUL");

    memset(lm, 0, sizeof *lm);
    lm->base = b;
    lm->size = size;
    lm->order = order;
    lm->vocab_size = V;
    lm->quant_bits = quant;
    lm->hash_bits = hash_bits;
    memcpy(lm->counts, counts, sizeof counts);
    memcpy(lm->arpa_counts, arpa, sizeof arpa);
    lm->voc_off = (const uint32_t *)(const void *)(b + L.off[ES__SEC_VOCAB_OFFSETS]);
    lm->voc_str = (const char *)(b + L.off[ES__SEC_VOCAB_STRINGS]);
    lm->voc_str_size = strings_size;
    lm->voc_hash = (const uint64_t *)(const void *)(b + L.off[ES__SEC_VOCAB_HASH]);
    lm->uni = (const es__lm_unigram *)(const void *)(b + L.off[ES__SEC_UNIGRAMS]);
    lm->codebook = quant ? (const float *)(const void *)(b + L.off[ES__SEC_CODEBOOK]) : NULL;
    for (uint32_t k = 2; k <= order; k++) {
        es__lm_level *lv = &lm->level[k - 1];
        *lv = L.lv[k - 1];
        lv->data = b + L.off[ES__SEC_NGRAMS2 + k - 2];
        if (quant) {
            lv->prob_book = lm->codebook + (k - 1) * 2u * ES__LM_QBOOK;
            lv->backoff_book = lv->prob_book + ES__LM_QBOOK;
        }
    }
    return ES_OK;
}

/* ---------------------------------------------------------------- decode */

es_status es__lm_decode(const es_lm *lm, es__lm_tables *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    uint32_t V = lm->vocab_size, N = lm->order;
    t->order = N;
    t->vocab_size = V;
    memcpy(t->counts, lm->counts, sizeof t->counts);
    memcpy(t->arpa_counts, lm->arpa_counts, sizeof t->arpa_counts);
    t->slots[0] = V;
    t->strings_size = lm->voc_str_size;
    t->strings = malloc((size_t)t->strings_size);
    t->offsets = malloc(((size_t)V + 1u) * 4u);
    t->prob[0] = malloc((size_t)V * 4u);
    t->backoff[0] = malloc((size_t)V * 4u);
    t->flags[0] = malloc(V);
    int ok = t->strings && t->offsets && t->prob[0] && t->backoff[0] && t->flags[0];
    for (uint32_t k = 2; ok && k <= N; k++) {
        size_t S = (size_t)lm->level[k - 1].slots;
        t->slots[k - 1] = S;
        ok = (t->parent1[k - 1] = calloc(S + 1, 4)) && (t->word[k - 1] = calloc(S + 1, 4)) &&
             (t->prob[k - 1] = calloc(S + 1, 4));
        if (ok && k < N)
            ok = (t->backoff[k - 1] = calloc(S + 1, 4)) && (t->flags[k - 1] = calloc(S + 1, 1));
    }
    if (!ok) {
        es__lm_tables_free(t);
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory decoding the LM");
    }
    memcpy(t->strings, lm->voc_str, (size_t)t->strings_size);
    memcpy(t->offsets, lm->voc_off, ((size_t)V + 1u) * 4u);
    for (uint32_t w = 0; w < V; w++) {
        t->prob[0][w] = lm->uni[w].prob;
        t->backoff[0][w] = lm->uni[w].backoff;
        t->flags[0][w] = (uint8_t)(lm->uni[w].flags & (ES__EXT | ES__LEFT));
    }
    for (uint32_t k = 2; k <= N; k++) {
        const es__lm_level *lv = &lm->level[k - 1];
        for (uint64_t i = 0; i < lv->slots; i++) {
            t->parent1[k - 1][i] = es__rec_parent1(lv, i);
            if (t->parent1[k - 1][i] == 0)
                continue;
            t->word[k - 1][i] = es__rec_word(lv, i);
            t->prob[k - 1][i] = es__rec_prob(lv, i);
            if (k < N) {
                t->backoff[k - 1][i] = es__rec_backoff(lv, i);
                t->flags[k - 1][i] = (uint8_t)es__rec_flags(lv, i);
            }
        }
    }
    return ES_OK;
}

/* ---------------------------------------------------------------- verify */

/* The word hash of the n-gram in slot i of order k, read from the parent chain (lower
 * orders must be valid: verify checks them first). */
static uint64_t record_hash(const es_lm *lm, uint32_t k, uint64_t i)
{
    uint32_t w[ES_LM_MAX_ORDER]; /* oldest first */
    uint64_t at = i;
    for (uint32_t m = k; m >= 2; m--) {
        const es__lm_level *lv = &lm->level[m - 1];
        w[k - m] = es__rec_word(lv, at);
        at = es__rec_parent1(lv, at) - 1u;
    }
    w[k - 1] = (uint32_t)at;
    uint64_t h = es__lm_hash_init(w[k - 1]);
    for (uint32_t j = k - 1; j-- > 0;)
        h = es__lm_hash_extend(h, w[j]);
    return h;
}

es_status es_lm_verify(const es_lm *lm, char *err, size_t err_len)
{
    if (lm == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "lm is NULL");
    const uint8_t *b = lm->base;
    if (es__crc32(0, b + ES__LM_HEADER_SIZE, lm->size - ES__LM_HEADER_SIZE) != rd32(b + H_DATA_CRC))
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt data: checksum mismatch");
    uint32_t V = lm->vocab_size, N = lm->order;
    /* vocabulary */
    if (lm->voc_off[0] != 0 || lm->voc_off[V] != lm->voc_str_size)
        return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt vocabulary offsets");
    for (uint32_t i = 0; i < V; i++) {
        uint32_t a = lm->voc_off[i], e = lm->voc_off[i + 1];
        if (e <= a || e > lm->voc_str_size || lm->voc_str[e - 1] != '\0' || memchr(lm->voc_str + a, 0, e - a - 1))
            return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt vocabulary: word %u", i);
        if (i > ES__LM_FIRST_WORD && strcmp(lm->voc_str + lm->voc_off[i - 1], lm->voc_str + a) >= 0)
            return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt vocabulary: words %u and %u out of order", i - 1, i);
        if (es__vocab_find(lm->voc_hash, lm->hash_bits, V, lm->voc_str + a, e - a - 1) != i)
            return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt vocabulary hash: word %u", i);
        if ((lm->uni[i].flags & ~(ES__EXT | ES__LEFT)) != 0 || lm->uni[i].reserved != 0)
            return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt unigram %u", i);
    }
    /* every record: a valid key, reachable by probing from its start slot */
    for (uint32_t k = 2; k <= N; k++) {
        const es__lm_level *lv = &lm->level[k - 1];
        uint64_t parents = k == 2 ? V : lm->level[k - 2].slots, used = 0;
        for (uint64_t i = 0; i < lv->slots; i++) {
            uint32_t p1 = es__rec_parent1(lv, i);
            if (p1 == 0)
                continue;
            used++;
            uint32_t w = es__rec_word(lv, i);
            int parent_ok = p1 - 1u < parents &&
                            (k == 2 ? (lm->uni[p1 - 1].flags & ES__LEFT) != 0
                                    : es__rec_parent1(&lm->level[k - 2], p1 - 1u) != 0 &&
                                          (es__rec_flags(&lm->level[k - 2], p1 - 1u) & ES__LEFT) != 0);
            if (w >= V || !parent_ok)
                return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt %u-gram record at slot %llu", k,
                                (unsigned long long)i);
            uint64_t s = es__lm_slot(record_hash(lm, k, i), lv->slots);
            while (s != i) {
                if (es__rec_parent1(lv, s) == 0)
                    return es__fail(ES_ERR_FORMAT, err, err_len, "corrupt %u-gram table: slot %llu is unreachable",
                                    k, (unsigned long long)i);
                s = s + 1 == lv->slots ? 0 : s + 1;
            }
        }
        if (used != lv->count)
            return es__fail(ES_ERR_FORMAT, err, err_len, "counts do not match: %llu %u-grams stored, %llu expected",
                            (unsigned long long)used, k, (unsigned long long)lv->count);
    }
    return ES_OK;
}

es_status es__lm_from_binary_memory(const uint8_t *data, size_t size, int check_crc, es_lm **out, char *err,
                                    size_t err_len)
{
    if (data == NULL || out == NULL)
        return es__fail(ES_ERR_NULL_ARGUMENT, err, err_len, "NULL argument");
    es_lm *lm = calloc(1, sizeof *lm);
    uint8_t *copy = malloc(size + 1);
    if (lm == NULL || copy == NULL) {
        free(lm);
        free(copy);
        return es__fail(ES_ERR_OUT_OF_MEMORY, err, err_len, "out of memory");
    }
    memcpy(copy, data, size);
    es_status st = es__lm_attach(lm, copy, size, check_crc, err, err_len);
    if (st != ES_OK) {
        free(lm);
        free(copy);
        return st;
    }
    lm->owned = copy;
    *out = lm;
    return ES_OK;
}
