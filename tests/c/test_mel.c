/* Mel filterbanks: golden numbers from the specs (derived there with numpy / librosa). */
#include "check.h"
#include "edgestt.h"
#include "internal.h"

static double weight(const es__mel_bank *b, size_t m, size_t k)
{
    if (k < b->first_bin[m] || k >= b->first_bin[m] + b->count[m])
        return 0.0;
    return b->weights[b->offset[m] + (k - b->first_bin[m])];
}

int main(void)
{
    es_features_config cfg;
    es__mel_bank *bank = NULL;
    char err[256];

    /* Slaney scale: 1000 Hz = 15 mel, 8000 Hz = 45.245 mel; round trip. */
    CHECK_NEAR(es__hz_to_mel(ES_MEL_SCALE_SLANEY, 1000.0), 15.0, 1e-12);
    CHECK_NEAR(es__hz_to_mel(ES_MEL_SCALE_SLANEY, 8000.0), 45.245, 1e-3);
    CHECK_NEAR(es__mel_to_hz(ES_MEL_SCALE_SLANEY, es__hz_to_mel(ES_MEL_SCALE_SLANEY, 4321.0)), 4321.0, 1e-9);
    CHECK_NEAR(es__mel_to_hz(ES_MEL_SCALE_HTK, es__hz_to_mel(ES_MEL_SCALE_HTK, 4321.0)), 4321.0, 1e-9);

    /* NeMo (librosa Slaney, area-normalised): filter 0 has only bins 1 and 2,
     * 0.014511 and 0.014076 (quartznet.md 1.4). */
    CHECK_STATUS(es_features_config_preset(ES_PRESET_NEMO, &cfg), ES_OK);
    CHECK_STATUS(es__mel_bank_new(&cfg, &bank, err, sizeof err), ES_OK);
    if (bank != NULL) {
        CHECK(bank->first_bin[0] == 1 && bank->count[0] == 2);
        CHECK_NEAR(weight(bank, 0, 1), 0.014511, 1e-6);
        CHECK_NEAR(weight(bank, 0, 2), 0.014076, 1e-6);
        es__mel_bank_free(bank);
        bank = NULL;
    }

    /* TF Mfcc band map (deepspeech.md 2.3): bin 2 -> band -1 (feeds channel 0 only),
     * bin 3 -> band 0, bins 4-5 -> band 1; bins 0, 1 unused; each used bin's two weights sum to 1. */
    CHECK_STATUS(es_features_config_preset(ES_PRESET_DEEPSPEECH, &cfg), ES_OK);
    CHECK_STATUS(es__mel_bank_new(&cfg, &bank, err, sizeof err), ES_OK);
    if (bank != NULL) {
        CHECK(bank->first_bin[0] == 2);
        CHECK(weight(bank, 0, 2) > 0.0 && weight(bank, 1, 2) == 0.0);
        CHECK(weight(bank, 0, 3) > 0.0 && weight(bank, 1, 3) > 0.0);
        CHECK(weight(bank, 1, 4) > 0.0 && weight(bank, 2, 4) > 0.0 && weight(bank, 0, 4) == 0.0);
        CHECK(weight(bank, 1, 5) > 0.0 && weight(bank, 2, 5) > 0.0);
        for (size_t k = 3; k <= 200; k++) {
            double sum = 0.0;
            for (size_t m = 0; m < 40; m++)
                sum += weight(bank, m, k);
            CHECK_NEAR(sum, 1.0, 1e-12);
        }
        es__mel_bank_free(bank);
        bank = NULL;
    }

    /* tf.signal mel-domain triangles (Scribosermo): DC excluded, peak <= 1, every filter >= 2 bins. */
    CHECK_STATUS(es_features_config_preset(ES_PRESET_SCRIBOSERMO, &cfg), ES_OK);
    CHECK_STATUS(es__mel_bank_new(&cfg, &bank, err, sizeof err), ES_OK);
    if (bank != NULL) {
        for (size_t m = 0; m < 64; m++) {
            CHECK(bank->first_bin[m] >= 1);
            CHECK(bank->count[m] >= 2);
            for (size_t j = 0; j < bank->count[m]; j++)
                CHECK(bank->weights[bank->offset[m] + j] <= 1.0);
        }
        es__mel_bank_free(bank);
        bank = NULL;
    }

    /* Too many mels for the resolution: an empty filter is a config error with a reason. */
    cfg.num_mel_bins = 200;
    cfg.low_freq_hz = 0.0;
    cfg.high_freq_hz = 300.0;
    err[0] = '\0';
    CHECK_STATUS(es__mel_bank_new(&cfg, &bank, err, sizeof err), ES_ERR_INVALID_CONFIG);
    CHECK(bank == NULL);
    CHECK(err[0] != '\0');
    es__mel_bank_free(NULL);
    CHECK_DONE();
}
