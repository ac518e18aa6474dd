/* A minimal assertion harness for the C tests: each failed CHECK prints where and why,
 * and the test's main returns the number of failures (ctest fails on non-zero). */
#ifndef EDGESTT_TEST_CHECK_H
#define EDGESTT_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                        \
    do {                                                                                    \
        es_status got_ = (expr);                                                            \
        if (got_ != (expected)) {                                                           \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d\n", __FILE__, __LINE__, \
                    #expr, (int)got_, es_status_str(got_), (int)(expected));                \
            check_failures++;                                                               \
        }                                                                                   \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                 \
    do {                                                                                      \
        double a_ = (a), b_ = (b);                                                            \
        if (!(fabs(a_ - b_) <= (tol))) {                                                      \
            fprintf(stderr, "%s:%d: %s = %.10g, expected %.10g (tol %g)\n", __FILE__, __LINE__, \
                    #a, a_, b_, (double)(tol));                                               \
            check_failures++;                                                                 \
        }                                                                                     \
    } while (0)

#define CHECK_DONE() return check_failures == 0 ? 0 : 1

#endif
