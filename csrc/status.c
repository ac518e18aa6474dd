/* Status strings, version, and the error-message helper. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

const char *es_status_str(es_status status)
{
    /* No default: a status added to the enum without a string fails the -Werror build. */
    switch (status) {
    case ES_OK: return "ok";
    case ES_ERR_NULL_ARGUMENT: return "a required pointer argument was NULL";
    case ES_ERR_INVALID_ARGUMENT: return "an argument is out of its valid range";
    case ES_ERR_INVALID_CONFIG: return "the configuration is impossible";
    case ES_ERR_NOT_FINITE: return "input contains NaN or infinity";
    case ES_ERR_EMPTY_INPUT: return "no input was given";
    case ES_ERR_TOO_SHORT: return "input is too short to produce a result";
    case ES_ERR_BUFFER_TOO_SMALL: return "output buffer is too small";
    case ES_ERR_BAD_STATE: return "call not allowed in the object's current state";
    case ES_ERR_OUT_OF_MEMORY: return "out of memory";
    case ES_ERR_IO: return "a file cannot be opened, read, written or mapped";
    case ES_ERR_FORMAT: return "the file's content is malformed";
    case ES_ERR_UNSUPPORTED: return "the file is valid but not supported";
    }
    return "unknown status";
}

const char *es_version(void)
{
    return "0.1.0";
}

es_status es__fail(es_status status, char *err, size_t err_len, const char *fmt, ...)
{
    if (err != NULL && err_len > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, err_len, fmt, args);
        va_end(args);
    }
    return status;
}

int es__is_power_of_two(size_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}
