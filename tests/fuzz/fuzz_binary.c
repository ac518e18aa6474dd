/* libFuzzer harness for the binary loader. The header checksum is not checked here (the
 * fuzzer could never get past it), so the layout checks and every query run on arbitrary
 * bytes: they must never read out of bounds or loop forever, whatever the data says. */
#include <stdint.h>
#include <string.h>

#include "edgestt.h"
#include "lm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    es_lm *lm = NULL;
    if (es__lm_from_binary_memory(data, size, 0, &lm, err, sizeof err) != ES_OK)
        return 0;
    size_t v = es_lm_vocab_size(lm);
    es_lm_state s;
    es_lm_bos_state(lm, &s);
    for (uint32_t i = 0; i < 32; i++) {
        es_lm_score(lm, &s, (uint32_t)((i * 13u) % (v + 2)), &s);
        const char *w = es_lm_word(lm, i);
        if (w != NULL) {
            size_t n = strlen(w);
            es_lm_word_id(lm, w, n);
            es_lm_has_prefix(lm, w, n);
        }
    }
    float total;
    static const char sentence[] = "the cat sat on the mat </s> <s> <unk>";
    es_lm_score_sentence(lm, sentence, sizeof sentence - 1, 1, 1, &total, NULL, NULL);
    es_lm_verify(lm, err, sizeof err);
    es_lm_free(lm);
    return 0;
}
