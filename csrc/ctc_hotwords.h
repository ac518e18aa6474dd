/* Hot words for the CTC decoder (ctc_hotwords.c); internal, not part of the public API.
 *
 * A hot phrase is a sequence of class labels (words separated by single space labels). The
 * decoder gives every prefix a hot-word score H(prefix) that depends on its labels only:
 *
 *   H = sum of boost(p) over every complete whole-word occurrence of a phrase p
 *       + the partial credit of the longest running matches at the end of the prefix.
 *
 * "Whole-word" (with a space label): preceded by the start or a space, followed by a space;
 * a phrase at the very end of the prefix (no space yet) earns its full boost as partial
 * credit, so a finished decode scores it like a followed one. The partial credit of a
 * running match of the first k labels of p is boost(p) * k / len(p); of all the running
 * matches ending at the prefix's end (longest suffix first, Aho-Corasick failure chain)
 * the largest credit counts. Without a space label phrases match anywhere.
 *
 * Each decoder node keeps its automaton state and the committed sum, so extending a prefix
 * by one label costs one automaton step, and the score terms telescope: the sum of the
 * per-extension increments along a prefix is H(prefix).
 *
 * A second trie holds the single words of the phrases, for the lexicon constraint (hot
 * words are allowed even when the LM does not know them). */
#ifndef EDGESTT_CTC_HOTWORDS_H
#define EDGESTT_CTC_HOTWORDS_H

#include <stddef.h>
#include <stdint.h>

#include "edgestt.h"

#define ES_HOT_MAX_TOKENS 256 /* labels per phrase */

typedef struct es__hot_words es__hot_words;

es_status es__hot_words_new(size_t alphabet_size, int32_t blank, int32_t space, es__hot_words **out);
void es__hot_words_free(es__hot_words *h);

/* Adds a phrase or replaces its boost. ES_ERR_INVALID_ARGUMENT for an empty phrase, a label
 * out of range or the blank, a leading, trailing or doubled space, a non-finite boost or
 * |boost| > 1e6; ES_ERR_OUT_OF_MEMORY. The automaton is rebuilt (not during decoding). */
es_status es__hot_words_add(es__hot_words *h, const int32_t *tokens, size_t n, double boost);
/* ES_ERR_INVALID_ARGUMENT when the phrase is not there. */
es_status es__hot_words_erase(es__hot_words *h, const int32_t *tokens, size_t n);
void es__hot_words_clear(es__hot_words *h);
size_t es__hot_words_count(const es__hot_words *h);
size_t es__hot_words_memory_bytes(const es__hot_words *h);
/* Phrase i (< count): its labels (owned by h) and boost. */
const int32_t *es__hot_words_phrase(const es__hot_words *h, size_t i, size_t *n, double *boost);

/* ---- scoring (valid while the set is unchanged) */
/* The automaton state of the empty prefix. */
int32_t es__hot_words_start(const es__hot_words *h);
/* The state after label c; *completed = the boosts of the occurrences this label completes. */
int32_t es__hot_words_step(const es__hot_words *h, int32_t state, int32_t c, double *completed);
/* The partial credit of the running matches of a state. */
double es__hot_words_partial(const es__hot_words *h, int32_t state);
/* An upper bound (>= 0) of H(child) - H(parent) for one label. */
double es__hot_words_max_gain(const es__hot_words *h);

/* ---- the single words, for the lexicon constraint */
/* The word-trie state of an empty word; NONE (-1) is "not a prefix of any hot word". */
int32_t es__hot_words_word_start(const es__hot_words *h);
/* The word-trie state after label c (not the space), or -1. */
int32_t es__hot_words_word_step(const es__hot_words *h, int32_t state, int32_t c);
/* Whether the word of this state is a whole word of some phrase. */
int es__hot_words_word_is_complete(const es__hot_words *h, int32_t state);

#endif /* EDGESTT_CTC_HOTWORDS_H */
