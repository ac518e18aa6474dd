/* Windows: golden values from numpy (np.hanning is the symmetric Hann). */
#include "check.h"
#include "edgestt.h"

int main(void)
{
    double w[8];
    /* np.hanning(5) = [0, 0.5, 1, 0.5, 0] */
    CHECK_STATUS(es_window_fill(ES_WINDOW_HANN_SYMMETRIC, 5, w), ES_OK);
    CHECK_NEAR(w[0], 0.0, 1e-15);
    CHECK_NEAR(w[1], 0.5, 1e-15);
    CHECK_NEAR(w[2], 1.0, 1e-15);
    CHECK_NEAR(w[4], 0.0, 1e-15);
    /* periodic Hann of 4: 0.5 - 0.5 cos(2 pi n / 4) = [0, 0.5, 1, 0.5] */
    CHECK_STATUS(es_window_fill(ES_WINDOW_HANN_PERIODIC, 4, w), ES_OK);
    CHECK_NEAR(w[0], 0.0, 1e-15);
    CHECK_NEAR(w[1], 0.5, 1e-15);
    CHECK_NEAR(w[2], 1.0, 1e-15);
    CHECK_NEAR(w[3], 0.5, 1e-15);
    /* np.hamming(5) = [0.08, 0.54, 1, 0.54, 0.08] */
    CHECK_STATUS(es_window_fill(ES_WINDOW_HAMMING_SYMMETRIC, 5, w), ES_OK);
    CHECK_NEAR(w[0], 0.08, 1e-15);
    CHECK_NEAR(w[1], 0.54, 1e-15);
    CHECK_NEAR(w[2], 1.0, 1e-15);
    CHECK_STATUS(es_window_fill(ES_WINDOW_HAMMING_PERIODIC, 4, w), ES_OK);
    CHECK_NEAR(w[0], 0.08, 1e-15);
    CHECK_NEAR(w[2], 1.0, 1e-15);
    CHECK_STATUS(es_window_fill(ES_WINDOW_RECTANGULAR, 3, w), ES_OK);
    CHECK(w[0] == 1.0 && w[2] == 1.0);
    CHECK_STATUS(es_window_fill(ES_WINDOW_HANN_SYMMETRIC, 1, w), ES_OK);
    CHECK(w[0] == 1.0);
    CHECK_STATUS(es_window_fill(ES_WINDOW_HANN_SYMMETRIC, 0, w), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_window_fill((es_window_kind)42, 4, w), ES_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(es_window_fill(ES_WINDOW_HANN_PERIODIC, 4, NULL), ES_ERR_NULL_ARGUMENT);
    CHECK_DONE();
}
