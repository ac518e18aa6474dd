/* Every status has its own, known description. */
#include <string.h>

#include "check.h"
#include "edgestt.h"

int main(void)
{
    const es_status all[] = {ES_OK, ES_ERR_NULL_ARGUMENT, ES_ERR_INVALID_ARGUMENT, ES_ERR_INVALID_CONFIG,
                             ES_ERR_NOT_FINITE, ES_ERR_EMPTY_INPUT, ES_ERR_TOO_SHORT, ES_ERR_BUFFER_TOO_SMALL,
                             ES_ERR_BAD_STATE, ES_ERR_OUT_OF_MEMORY, ES_ERR_IO, ES_ERR_FORMAT,
                             ES_ERR_UNSUPPORTED};
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(strcmp(es_status_str(all[i]), "unknown status") != 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(es_status_str(all[i]), es_status_str(all[j])) != 0);
    }
    CHECK(strcmp(es_status_str((es_status)999), "unknown status") == 0);
    CHECK(es_version()[0] >= '0' && es_version()[0] <= '9');

    int16_t pcm[3] = {-32768, 0, 32767};
    float out[3];
    CHECK_STATUS(es_int16_to_float(pcm, 3, 1.0f / 32768.0f, out), ES_OK);
    CHECK(out[0] == -1.0f && out[1] == 0.0f && out[2] == 32767.0f / 32768.0f);
    CHECK_STATUS(es_int16_to_float(NULL, 3, 1.0f, out), ES_ERR_NULL_ARGUMENT);
    CHECK_DONE();
}
