/* libFuzzer harness for the ARPA reader: any bytes either load (and then the LM is sound:
 * verify passes, queries and the binary encoder run) or fail with a status; never a crash.
 * Built by CMake with -DEDGESTT_FUZZ=ON (clang); run by tools/test.sh for a bounded time. */
#include <stdint.h>
#include <stdlib.h>

#include "edgestt.h"
#include "lm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    es_lm *lm = NULL;
    if (es__lm_from_arpa_memory((const char *)data, size, &lm, err, sizeof err) != ES_OK)
        return 0;
    if (es_lm_verify(lm, err, sizeof err) != ES_OK)
        abort(); /* an LM built from ARPA must always be sound */
    size_t v = es_lm_vocab_size(lm);
    es_lm_state s;
    es_lm_bos_state(lm, &s);
    for (uint32_t i = 0; i < 16; i++)
        es_lm_score(lm, &s, (uint32_t)((i * 7u) % (v + 1)), &s);
    float total;
    es_lm_score_sentence(lm, (const char *)data, size < 256 ? size : 256, 1, 1, &total, NULL, NULL);
    es_lm_has_prefix(lm, (const char *)data, size < 4 ? size : 4);
    es__lm_tables t;
    if (es__lm_decode(lm, &t, err, sizeof err) == ES_OK) {
        uint8_t *img = NULL;
        size_t n = 0;
        if (es__lm_encode(&t, 8, &img, &n, err, sizeof err) == ES_OK)
            free(img);
        es__lm_tables_free(&t);
    }
    es_lm_free(lm);
    return 0;
}
