/*
 * edgestt.h — the public C API of edgestt's core.
 *
 * Usage (feature extraction, streaming):
 *
 *     es_features_config cfg;
 *     es_features *f = NULL;
 *     char err[256];
 *     if (es_features_config_preset(ES_PRESET_DEEPSPEECH, &cfg) != ES_OK) ...
 *     if (es_features_new(&cfg, &f, err, sizeof err) != ES_OK) ... err says why
 *     es_features_accept_int16(f, pcm, n);          any number of times
 *     es_features_finish(f);                         end of utterance
 *     size_t frames = es_features_ready(f);
 *     es_features_pop(f, out, capacity_frames, &frames);   row-major [frames][num_features]
 *     es_features_free(f);
 *
 * Ownership: every object is created by its `_new` and released by its `_free`
 * (NULL-safe). Output pointers are written only on success. The caller owns every
 * buffer it passes; each output buffer comes with its capacity and an out-count.
 *
 * Threads: an object is never shared between threads without external locking;
 * distinct objects are independent. Nothing here keeps global mutable state.
 *
 * Errors: every call that can fail returns es_status (ES_OK == 0). The library never
 * prints. Calls that can explain more take `char *err, size_t err_len` (may be NULL/0).
 */
#ifndef EDGESTT_H
#define EDGESTT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cffi:begin */

/* ---------------------------------------------------------------- status */

typedef enum {
    ES_OK = 0,                 /* success */
    ES_ERR_NULL_ARGUMENT = 1,  /* a required pointer argument was NULL */
    ES_ERR_INVALID_ARGUMENT = 2, /* an argument value is out of its valid range */
    ES_ERR_INVALID_CONFIG = 3, /* a configuration is impossible (err says which field) */
    ES_ERR_NOT_FINITE = 4,     /* input contains NaN or infinity; nothing was consumed */
    ES_ERR_EMPTY_INPUT = 5,    /* no input at all was given before finish */
    ES_ERR_TOO_SHORT = 6,      /* input too short to produce a result (e.g. < one window) */
    ES_ERR_BUFFER_TOO_SMALL = 7, /* an output buffer's capacity is below what is needed */
    ES_ERR_BAD_STATE = 8,      /* call not allowed in this state (e.g. accept after finish) */
    ES_ERR_OUT_OF_MEMORY = 9,  /* an allocation failed; the object is unchanged */
    ES_ERR_IO = 10,            /* a file cannot be opened, read, written or memory-mapped */
    ES_ERR_FORMAT = 11,        /* a file's content is malformed (err says where: "ARPA line 812: ...") */
    ES_ERR_UNSUPPORTED = 12    /* valid but unsupported content (binary version, byte order, order > 6) */
} es_status;

/* A static, human-readable description of a status (never NULL). */
const char *es_status_str(es_status status);

/* The version of the library, "MAJOR.MINOR.PATCH". */
const char *es_version(void);

/* ---------------------------------------------------------------- sample conversion */

/* out[i] = in[i] * scale. DeepSpeech and NeMo use scale 1/32768, Scribosermo 1/32767. */
es_status es_int16_to_float(const int16_t *in, size_t n, float scale, float *out);

/* ---------------------------------------------------------------- FFT */

/* A real FFT plan for a power-of-two size >= 4. Allocation happens only in _new. */
typedef struct es_rfft es_rfft;

es_status es_rfft_new(size_t size, es_rfft **out);
void es_rfft_free(es_rfft *plan);
size_t es_rfft_size(const es_rfft *plan);
/* Forward transform of `size` real samples into size/2+1 complex bins, unnormalised:
 * X[k] = sum_n x[n] exp(-2 pi i k n / size). out_re and out_im hold size/2+1 values each. */
es_status es_rfft_forward(const es_rfft *plan, const double *in, double *out_re, double *out_im);

/* ---------------------------------------------------------------- windows */

typedef enum {
    ES_WINDOW_HANN_PERIODIC = 0,    /* 0.5 - 0.5 cos(2 pi n / L)       (TF, DeepSpeech, Scribosermo) */
    ES_WINDOW_HANN_SYMMETRIC = 1,   /* 0.5 - 0.5 cos(2 pi n / (L - 1)) (torch periodic=False, NeMo) */
    ES_WINDOW_HAMMING_PERIODIC = 2, /* 0.54 - 0.46 cos(2 pi n / L) */
    ES_WINDOW_HAMMING_SYMMETRIC = 3,/* 0.54 - 0.46 cos(2 pi n / (L - 1)) */
    ES_WINDOW_RECTANGULAR = 4       /* all ones */
} es_window_kind;

/* Fills out[0..length) with the window. */
es_status es_window_fill(es_window_kind kind, size_t length, double *out);

/* ---------------------------------------------------------------- feature extraction */

typedef enum {
    ES_PRESET_DEEPSPEECH = 0,   /* DeepSpeech 0.9 / Coqui STT: TF AudioSpectrogram + Mfcc, 26 MFCC */
    ES_PRESET_SCRIBOSERMO = 1,  /* Scribosermo QuartzNet TFLite in-graph features: 64 HTK log-mel, normalised */
    ES_PRESET_NEMO = 2          /* NeMo AudioToMelSpectrogramPreprocessor: 64 Slaney log-mel, normalised */
} es_features_preset;

typedef enum {
    ES_PADDING_NONE = 0,            /* frames only where a whole window fits (TF) */
    ES_PADDING_CENTER_REFLECT = 1,  /* pad fft_size/2 each side by mirroring (torch.stft center=True) */
    ES_PADDING_CENTER_ZERO = 2      /* pad fft_size/2 zeros each side */
} es_padding;

typedef enum {
    ES_SPECTRUM_POWER = 0,      /* |X|^2 */
    ES_SPECTRUM_MAGNITUDE = 1   /* |X| */
} es_spectrum;

typedef enum {
    ES_MEL_SCALE_HTK = 0,       /* 1127 ln(1 + f/700) */
    ES_MEL_SCALE_SLANEY = 1     /* linear below 1 kHz, logarithmic above (librosa htk=False) */
} es_mel_scale;

typedef enum {
    ES_MEL_TRIANGLES_HZ = 0,    /* triangles linear in Hz between mel-spaced edges (librosa) */
    ES_MEL_TRIANGLES_MEL = 1,   /* triangles linear in mel, DC bin excluded (tf.signal.linear_to_mel_weight_matrix) */
    ES_MEL_TRIANGLES_TF_MFCC = 2 /* the TF Mfcc op's band map, applied to sqrt of the spectrum; HTK scale only */
} es_mel_triangles;

typedef enum {
    ES_LOG_NONE = 0,            /* no log: mel energies */
    ES_LOG_FLOOR = 1,           /* ln(max(x, log_guard))  (TF Mfcc: guard 1e-12) */
    ES_LOG_ADD = 2              /* ln(x + log_guard)      (NeMo 2^-24, Scribosermo 1e-6) */
} es_log_kind;

typedef enum {
    ES_DCT_TF_MFCC = 0,         /* DCT-II scaled sqrt(2/C) on every row (TF Mfcc) */
    ES_DCT_ORTHONORMAL = 1      /* DCT-II, orthonormal (row 0 scaled sqrt(1/C)) */
} es_dct_kind;

typedef enum {
    ES_NORM_NONE = 0,           /* features as computed */
    ES_NORM_UTTERANCE = 1,      /* per feature over the whole utterance: (x - mean)/(std + eps); frames come at finish */
    ES_NORM_FIXED = 2           /* per feature with given mean/std: (x - mean)/(std + eps); streams frame by frame */
} es_norm_kind;

#define ES_MAX_FEATURES 256

typedef struct {
    double sample_rate_hz;          /* > 0 */
    float int16_scale;              /* multiplier for int16 input (1/32768 or 1/32767) */
    double preemphasis;             /* y[n] = x[n] - preemphasis * x[n-1]; 0 disables; [0, 1) */
    size_t frame_length_samples;    /* window length, <= fft_size */
    size_t frame_step_samples;      /* hop, > 0 */
    size_t fft_size;                /* power of two in [4, 65536] */
    es_window_kind window;
    es_padding padding;
    es_spectrum spectrum;
    size_t num_mel_bins;            /* 1..ES_MAX_FEATURES, and no more than the spectrum's bins */
    double low_freq_hz;             /* >= 0 */
    double high_freq_hz;            /* > low_freq_hz, <= sample_rate_hz / 2 */
    es_mel_scale mel_scale;
    es_mel_triangles mel_triangles;
    int mel_area_normalize;         /* non-zero: Slaney area normalisation 2/(f[i+2]-f[i]) */
    es_log_kind log_kind;
    double log_guard;               /* > 0 when log_kind != ES_LOG_NONE */
    size_t num_mfcc;                /* 0: output log-mel; else 1..num_mel_bins cepstral coefficients */
    es_dct_kind dct;
    es_norm_kind normalization;
    int norm_std_unbiased;          /* ES_NORM_UTTERANCE: divide by n-1 (torch) instead of n (TF) */
    double norm_epsilon;            /* added to the std */
    float norm_mean[ES_MAX_FEATURES]; /* ES_NORM_FIXED: per-feature mean */
    float norm_std[ES_MAX_FEATURES];  /* ES_NORM_FIXED: per-feature std (> 0 unless eps > 0) */
} es_features_config;

/* The DeepSpeech preset. */
es_features_config es_features_config_default(void);
/* One of the reference presets (see es_features_preset). */
es_status es_features_config_preset(es_features_preset preset, es_features_config *out);
/* ES_OK if a config is possible; otherwise ES_ERR_INVALID_CONFIG with the reason in err. */
es_status es_features_config_check(const es_features_config *cfg, char *err, size_t err_len);

typedef struct es_features es_features;

es_status es_features_new(const es_features_config *cfg, es_features **out, char *err, size_t err_len);
void es_features_free(es_features *f);

/* Values per output frame: num_mfcc, or num_mel_bins when num_mfcc is 0. */
size_t es_features_num_features(const es_features *f);
/* How many frames an utterance of num_samples samples yields in total (0 when too short). */
size_t es_features_frames_for_samples(const es_features *f, size_t num_samples);

/* Streaming. accept may be called any number of times, then finish once. A chunk with NaN
 * or infinity is rejected whole (ES_ERR_NOT_FINITE) and the object is unchanged. finish
 * fails with ES_ERR_EMPTY_INPUT / ES_ERR_TOO_SHORT and leaves the object unchanged, so
 * more audio may still be accepted. After a successful finish, accept gives
 * ES_ERR_BAD_STATE until reset. */
es_status es_features_accept_float(es_features *f, const float *samples, size_t n);
es_status es_features_accept_int16(es_features *f, const int16_t *samples, size_t n);
es_status es_features_finish(es_features *f);
/* Frames computed and not yet popped. */
size_t es_features_ready(const es_features *f);
/* Copies up to capacity_frames ready frames, row-major, and removes them. */
es_status es_features_pop(es_features *f, float *out, size_t capacity_frames, size_t *out_frames);
/* Forgets all audio and frames; the object is as new. */
void es_features_reset(es_features *f);

/* One-shot: reset, accept, finish, pop, written on the streaming calls.
 * out must hold es_features_frames_for_samples(f, n) frames. */
es_status es_features_compute_float(es_features *f, const float *samples, size_t n,
                                    float *out, size_t capacity_frames, size_t *out_frames);
es_status es_features_compute_int16(es_features *f, const int16_t *samples, size_t n,
                                    float *out, size_t capacity_frames, size_t *out_frames);

/* ---------------------------------------------------------------- n-gram language model
 *
 * A back-off n-gram LM (orders 1..ES_LM_MAX_ORDER) loaded from an ARPA file or from
 * edgestt's binary format (memory-mapped: loading does not parse or copy, it is O(1)).
 * Scores are log10 and equal KenLM's (probing model) on the same ARPA, including its
 * handling of <unk> (added with log10 prob -100 when the ARPA lacks it), of <s>
 * (context only) and of n-grams whose right-aligned lower n-grams were pruned.
 *
 *     es_lm *lm = NULL;
 *     if (es_lm_load("lm.eslm", &lm, err, sizeof err) != ES_OK) ... err says why
 *     es_lm_state s, next;
 *     es_lm_bos_state(lm, &s);
 *     float p = es_lm_score(lm, &s, es_lm_word_id(lm, "hello", 5), &next);  s = next; ...
 *     es_lm_free(lm);
 *
 * A loaded LM is read-only: any number of threads may query it at once. */

#define ES_LM_MAX_ORDER 6

typedef struct es_lm es_lm;

/* The context after some words: fixed size, copyable by value, comparable with memcmp
 * (unused slots are zero). words[0] is the most recent word. */
typedef struct {
    uint32_t length;       /* context words kept, <= order - 1 */
    uint32_t words[5];     /* [ES_LM_MAX_ORDER - 1] word ids, most recent first */
    float backoff[5];      /* [ES_LM_MAX_ORDER - 1] log10 back-off of the context of length i+1 */
} es_lm_state;

/* Loads an ARPA text file or an edgestt binary LM (recognised by its magic bytes).
 * Binary: the header checksum and every size and offset are checked, the data is not
 * read (O(1)); es_lm_verify checks the data. ARPA errors say the line number.
 * ES_ERR_IO, ES_ERR_FORMAT, ES_ERR_UNSUPPORTED, ES_ERR_OUT_OF_MEMORY. */
es_status es_lm_load(const char *path, es_lm **out, char *err, size_t err_len);
/* Full check of a loaded LM: the data checksum (binary) and the structure (sorted,
 * in-range tables). O(size). ES_OK or ES_ERR_FORMAT. Queries on an unverified corrupt
 * file never read out of bounds; they may return wrong scores. */
es_status es_lm_verify(const es_lm *lm, char *err, size_t err_len);
/* Writes the binary format. quantize_bits: 0 (float32, exact) or 8 (per-order codebooks
 * of 256 values for probabilities and back-offs of orders >= 2; unigrams stay exact). */
es_status es_lm_write_binary(const es_lm *lm, const char *path, int quantize_bits, char *err, size_t err_len);
void es_lm_free(es_lm *lm);

int es_lm_order(const es_lm *lm);
/* Number of words, including <unk>, <s> and </s>. Word ids are 0 .. vocab_size-1. */
size_t es_lm_vocab_size(const es_lm *lm);
/* Number of n-grams of order n (1-based) as listed in the source ARPA (for n == 1 this
 * includes a <unk> added when the ARPA lacked one); 0 when n is out of range. */
uint64_t es_lm_ngram_count(const es_lm *lm, int n);
/* 0 (exact) or 8. */
int es_lm_quantize_bits(const es_lm *lm);
/* Bytes of LM data (the binary file's size; for an ARPA, the size it would have). */
size_t es_lm_size_bytes(const es_lm *lm);

/* Word ids. 0 is <unk> (returned for every unknown word), 1 is <s>, 2 is </s>; the other
 * words follow in byte-wise sorted order. es_lm_word returns the NUL-terminated word
 * (owned by the LM) or NULL when id >= vocab_size. */
uint32_t es_lm_word_id(const es_lm *lm, const char *word, size_t len);
const char *es_lm_word(const es_lm *lm, uint32_t id);

/* The context at the start of a sentence (after <s>) and the empty context. */
void es_lm_bos_state(const es_lm *lm, es_lm_state *out);
void es_lm_null_state(const es_lm *lm, es_lm_state *out);
/* log10 P(word | in); writes the context after word to out (out may equal in). Ids out of
 * range count as <unk>. es_lm_score_detail also reports the length of the n-gram that
 * matched (1 = unigram, after backing off); ngram_length may be NULL. */
float es_lm_score(const es_lm *lm, const es_lm_state *in, uint32_t word, es_lm_state *out);
float es_lm_score_detail(const es_lm *lm, const es_lm_state *in, uint32_t word, es_lm_state *out,
                         int *ngram_length);
/* A whole sentence of words separated by ASCII white space (space, \t \n \v \f \r: as
 * kenlm, which splits the UTF-8 bytes with Python's bytes.split). bos: start from <s>, else from the null
 * context; eos: add log10 P(</s> | ...). The total is summed in float in the order KenLM
 * sums it. num_words excludes </s>; num_oov counts words scored as <unk>. Out pointers
 * other than total_log10 may be NULL. */
es_status es_lm_score_sentence(const es_lm *lm, const char *text, size_t len, int bos, int eos,
                               float *total_log10, size_t *num_words, size_t *num_oov);
/* The same total, returned (NaN when lm is NULL or text is NULL with len > 0). */
float es_lm_sentence_log10(const es_lm *lm, const char *text, size_t len, int bos, int eos);

/* The vocabulary as a lexicon for decoders. "Words" here are all vocabulary entries except
 * <unk>, <s> and </s>. is_word: the bytes are such a word. has_prefix: some word starts with
 * these bytes (the empty prefix: any word at all). prefix_range: the ids [*first, *end) of
 * the words starting with the prefix (they are contiguous: ids follow byte order). */
int es_lm_is_word(const es_lm *lm, const char *word, size_t len);
int es_lm_has_prefix(const es_lm *lm, const char *prefix, size_t len);
es_status es_lm_prefix_range(const es_lm *lm, const char *prefix, size_t len, uint32_t *first, uint32_t *end);

/* ---------------------------------------------------------------- CTC decoder
 *
 * Prefix beam search over CTC output with DeepSpeech 0.9.3's semantics (its ctcdecode:
 * PathTrie, blank/repeat rules, cutoff_prob / cutoff_top_n, expansion starting at the first
 * frame whose P(blank) < start_blank_threshold, per-token timesteps, confidence = the
 * beam's natural-log score), with optional n-gram LM fusion in word mode and hot words.
 *
 *     es_ctc_decoder_config cfg = es_ctc_decoder_config_default();   29 classes, blank 28
 *     cfg.beam_width = 64;
 *     es_ctc_decoder *d = NULL;
 *     if (es_ctc_decoder_new(&cfg, &d, err, sizeof err) != ES_OK) ... err says why
 *     es_ctc_decoder_feed(d, probs, num_frames, 29);    [num_frames][29], any number of times
 *     es_ctc_decoder_finish(d);
 *     es_ctc_decoder_result(d, 0, tokens, timesteps, capacity, &n, &confidence);   best
 *     es_ctc_decoder_free(d);
 *
 * Results may be read at any moment (before finish they are partial results); reading them
 * does not change the search. Feeding frames one at a time or all at once gives the same
 * results bit for bit. All memory is allocated by _new: the prefix tree and the timestep
 * records live in pools of max_prefixes entries each. A frame is decoded only when the
 * pools have room for everything it can create; otherwise feed stops before it with
 * ES_ERR_OUT_OF_MEMORY (the frames before it are decoded, results stay valid).
 *
 * LM fusion (cfg.lm != NULL; word mode: space_index is the word separator), as DeepSpeech's
 * scorer does it:
 * - when a prefix is extended with the space, the extension gets
 *   lm_alpha * ln P(word | up to order-1 previous words) + lm_beta, where ln P is the LM's
 *   log10 / 0.4342944819f, the context starts at <s> and words are the labels between two
 *   spaces. A word scored as <unk> (OOV, or the empty word between two spaces) gives
 *   ln P = -1000, and so does every word whose n-gram window (order words) still holds one.
 *   A leading space (at the root) gets lm_alpha * 0 + lm_beta and is not a word.
 * - with lexicon != 0, a prefix may only extend its last word with a label if the word stays a
 *   prefix of an LM vocabulary word (es_lm_has_prefix), and may only add a space after a whole
 *   vocabulary word (es_lm_is_word): no leading or double spaces. Words that need characters
 *   the alphabet lacks are simply never produced; _new refuses (ES_ERR_INVALID_CONFIG) an LM of
 *   which no word at all can be spelled with the labels (an LM for another alphabet).
 * - while decoding with an LM, a frame's extensions are cut as in DeepSpeech: when the beam is
 *   full, classes whose log prob + prefix score falls below (score of the last prefix +
 *   ln P(blank) - max(0, lm_beta)) are not expanded from that prefix onwards.
 * - results (partial ones too) add to each prefix not ending with a space
 *   lm_alpha * ln P(unfinished last word | context) + lm_beta (no </s>) and are ranked by
 *   that score, which is also the confidence. Words longer than 1024 bytes count as OOV. */

typedef enum {
    ES_CTC_INPUT_PROBS = 0,     /* each value is a probability in [0, 1] (softmax output) */
    ES_CTC_INPUT_LOG_PROBS = 1  /* each value is a natural-log probability <= 0 (-inf allowed;
                                   values up to 1e-3 above 0 are taken as 0) */
} es_ctc_input;

enum { ES_CTC_NO_SPACE = -1 }; /* space_index when the alphabet has no word separator */

typedef struct {
    size_t alphabet_size;      /* classes per frame, blank included; 2 .. 65536 */
    int32_t blank_index;       /* 0 .. alphabet_size-1; DeepSpeech: the last class */
    int32_t space_index;       /* the word separator, or ES_CTC_NO_SPACE; DeepSpeech: 0 (used by LM fusion) */
    size_t beam_width;         /* prefixes kept after each frame, >= 1; DeepSpeech's export default 500 */
    double cutoff_prob;        /* (0, 1]: visit the most likely classes until their summed probability
                                  reaches this; 1 disables (DeepSpeech 1.0) */
    size_t cutoff_top_n;       /* >= 1: at most this many classes per frame when cutoff_prob < 1
                                  (DeepSpeech 40). As in DeepSpeech 0.9.3, when it is below
                                  alphabet_size the classes are visited by falling probability */
    es_ctc_input input;        /* what the values passed to feed are; stated, never guessed */
    double start_blank_threshold; /* expansion starts at the first frame with P(blank) below this
                                     (DeepSpeech 0.999); > 1 starts at the first frame */
    size_t max_prefixes;       /* capacity of each pool (prefix-tree nodes, timestep records);
                                  0: 4 * F + 16384, else >= 2 * F, where F = beam_width *
                                  (classes visited + 1) + 1 is what one frame may need and classes
                                  visited = cutoff_top_n if cutoff_prob < 1 and cutoff_top_n <
                                  alphabet_size, else alphabet_size */
    const es_lm *lm;           /* optional n-gram LM for fusion (NULL: none); borrowed: it must
                                  outlive the decoder. Needs labels and a space_index */
    const char *const *labels; /* with lm: alphabet_size - 1 NUL-terminated UTF-8 labels in class
                                  order, the blank skipped (the space's label is not used); copied
                                  by _new. May be NULL without lm */
    double lm_alpha;           /* LM weight (DeepSpeech 0.9.3: 0.931289039105002), rounded to
                                  float as DeepSpeech does */
    double lm_beta;            /* word insertion bonus (DeepSpeech 0.9.3: 1.1834137581510284),
                                  rounded to float */
    int lexicon;               /* with lm: non-zero restricts words to the LM's vocabulary
                                  (DeepSpeech's dictionary FST); default 1 */
} es_ctc_decoder_config;

/* DeepSpeech's English decoder: 29 classes, blank 28, space 0, beam 500, cutoff_prob 1,
 * cutoff_top_n 40, probabilities, threshold 0.999, max_prefixes 0 (automatic); no LM, with
 * DeepSpeech 0.9.3's lm_alpha / lm_beta and lexicon 1 ready for when one is set. */
es_ctc_decoder_config es_ctc_decoder_config_default(void);
/* ES_OK, or ES_ERR_INVALID_CONFIG with the field in err. */
es_status es_ctc_decoder_config_check(const es_ctc_decoder_config *cfg, char *err, size_t err_len);

typedef struct es_ctc_decoder es_ctc_decoder;

es_status es_ctc_decoder_new(const es_ctc_decoder_config *cfg, es_ctc_decoder **out, char *err, size_t err_len);
void es_ctc_decoder_free(es_ctc_decoder *d);
/* The effective max_prefixes (after the automatic choice) and the bytes allocated. */
size_t es_ctc_decoder_max_prefixes(const es_ctc_decoder *d);
size_t es_ctc_decoder_memory_bytes(const es_ctc_decoder *d);

/* Decodes num_frames frames, row-major [num_frames][num_classes]. num_classes must equal
 * alphabet_size (else ES_ERR_INVALID_ARGUMENT). The whole chunk is checked first: NaN or
 * +inf (or -inf for probabilities) gives ES_ERR_NOT_FINITE, a probability outside [0, 1] or
 * a log-probability above the tolerance ES_ERR_INVALID_ARGUMENT; then nothing is consumed.
 * After finish: ES_ERR_BAD_STATE until reset. num_frames 0 is allowed (frames may be NULL). */
es_status es_ctc_decoder_feed(es_ctc_decoder *d, const float *frames, size_t num_frames, size_t num_classes);
/* The checks of es_ctc_decoder_feed alone (same statuses), consuming nothing: for callers
 * that feed a chunk in parts and want it refused whole. */
es_status es_ctc_decoder_check_frames(const es_ctc_decoder *d, const float *frames, size_t num_frames,
                                      size_t num_classes);
/* End of the input. ES_ERR_EMPTY_INPUT (decoder unchanged) when no frame was fed. */
es_status es_ctc_decoder_finish(es_ctc_decoder *d);
/* Forgets all input; the decoder is as new. */
void es_ctc_decoder_reset(es_ctc_decoder *d);
/* Frames fed since the last reset (skipped leading frames included). */
size_t es_ctc_decoder_num_frames(const es_ctc_decoder *d);
/* Non-zero after a successful finish. */
int es_ctc_decoder_finished(const es_ctc_decoder *d);

/* Results, best first (rank 0), as DeepSpeech orders them: by score (with an LM: including
 * the unfinished last word's LM score), ties to the smaller last token. Prefixes with score
 * -inf are not results. Reading results updates a cache inside the decoder: do not read
 * them from two threads at once. There is always at least one result
 * (the empty prefix before any frame is decoded). */
size_t es_ctc_decoder_num_results(const es_ctc_decoder *d);
/* Tokens of result `rank`; also the timesteps it needs. ES_ERR_INVALID_ARGUMENT when
 * rank >= es_ctc_decoder_num_results. */
es_status es_ctc_decoder_result_length(const es_ctc_decoder *d, size_t rank, size_t *out_length);
/* Copies result `rank`: its tokens (class indices, never blank) and, for each, the frame at
 * which the best path into the prefix emitted it (DeepSpeech's timestep; timesteps may be
 * NULL), and its confidence: the natural-log score of the beam (DeepSpeech's confidence;
 * without an LM, ln of the summed probability of the alignments of this prefix, as far as
 * the beam kept them; with an LM, including the LM and word-insertion terms and the
 * unfinished last word's). ES_ERR_BUFFER_TOO_SMALL (with *out_length = the length needed) when
 * capacity is too small. out_confidence may be NULL. */
es_status es_ctc_decoder_result(const es_ctc_decoder *d, size_t rank, int32_t *tokens, uint32_t *timesteps,
                                size_t capacity, size_t *out_length, double *out_confidence);

/* Hot words (phrases of one or more words, in or out of the LM's vocabulary, with or without
 * an LM). A phrase is given as class indices: words of non-blank, non-space labels separated
 * by single space labels (no leading or trailing space). Every prefix gets a hot-word score
 * H, added to its natural-log score (so e^boost multiplies the hypothesis' probability):
 *   H = sum of `boost` over every whole-word occurrence of a phrase in the prefix (preceded
 *       by the start or a space, followed by a space or by the end of the prefix),
 *     + for the running match at the end of the prefix, boost * k / len: k of the phrase's
 *       len labels matched so far (the largest such credit among the running matches).
 * Without a space class (no word separator) phrases match anywhere. The partial credit keeps
 * a boosted word alive in the beam before it is complete, and is taken back when the match
 * breaks: only whole occurrences earn a boost in the end. A negative boost suppresses.
 * With the lexicon constraint, every word of every phrase is allowed even when the LM does
 * not know it; such an out-of-vocabulary hot word gets, instead of DeepSpeech's -1000,
 * ln P = the LM's rarest unigram, and the LM context restarts after it. While the beam is
 * full, the LM's extension cut-off is lowered by the largest gain a label can bring, so no
 * boosted extension is cut.
 * Relation to DeepSpeech's DS_AddHotWord(word, b): DeepSpeech adds alpha * b at every word
 * boundary while the (in-vocabulary, single) word stays in the LM's n-gram window (up to
 * `order` times); here the boost counts once per occurrence, outside alpha. A DeepSpeech
 * boost b thus corresponds to boost ~ alpha * b * (the number of boundaries it counted at).
 * Changes are allowed only before the first frame (after _new or reset); else
 * ES_ERR_BAD_STATE. Adding an existing phrase replaces its boost. ES_ERR_INVALID_ARGUMENT:
 * an empty phrase, more than 256 labels, a class out of range or the blank, a leading,
 * trailing or doubled space, a non-finite boost or |boost| > 1e6; erasing an absent phrase. */
es_status es_ctc_decoder_add_hot_word(es_ctc_decoder *d, const int32_t *tokens, size_t num_tokens, double boost);
es_status es_ctc_decoder_erase_hot_word(es_ctc_decoder *d, const int32_t *tokens, size_t num_tokens);
es_status es_ctc_decoder_clear_hot_words(es_ctc_decoder *d);
size_t es_ctc_decoder_num_hot_words(const es_ctc_decoder *d);

/* New LM weight and word insertion bonus (rounded to float), before the first frame only
 * (else ES_ERR_BAD_STATE); ES_ERR_INVALID_ARGUMENT when not finite or above 1e6 in size. */
es_status es_ctc_decoder_set_alpha_beta(es_ctc_decoder *d, double alpha, double beta);

/* For each token of result `rank`: ln P of its class at its timestep (the frame where the
 * winning path emitted it), as es_ctc_decoder_result orders them. Same errors. */
es_status es_ctc_decoder_result_token_log_probs(const es_ctc_decoder *d, size_t rank, float *log_probs,
                                                size_t capacity, size_t *out_length);

/* Long streams. Every 16 frames the decoder moves the stem that all prefixes share (their
 * common ancestor's labels, as far as their timestep histories agree too; in word mode up to
 * a space) out of the prefix tree into a buffer of committed labels, and frees its nodes:
 * the stem can never change again, so results are exactly as without this. Results (the
 * calls above) return the committed labels not yet popped, then the prefix's own. To keep
 * memory bounded on a stream of any length, pop the committed labels at least every 1024
 * frames (the buffer holds max_prefixes + 1024; when it is full nothing is committed and the
 * pools may eventually run out, ES_ERR_OUT_OF_MEMORY). Popped labels are no longer part of
 * the results: the caller prepends them. committed_length: labels waiting to be popped.
 * pop_committed: moves up to capacity of them (oldest first) out, with their timesteps and
 * log probs (as es_ctc_decoder_result_token_log_probs); *out_count = how many. */
size_t es_ctc_decoder_committed_length(const es_ctc_decoder *d);
/* Prefix-tree nodes in use now (of max_prefixes): bounded on long streams whose prefixes
 * keep sharing a stem. */
size_t es_ctc_decoder_nodes_in_use(const es_ctc_decoder *d);
es_status es_ctc_decoder_pop_committed(es_ctc_decoder *d, int32_t *tokens, uint32_t *timesteps, float *log_probs,
                                       size_t capacity, size_t *out_count);

/* Makes dst's search state equal to src's (prefix tree, histories, beam, committed labels
 * not yet popped, frame count, finished or not), so that feeding both the same frames gives
 * the same results: a fork of a running decode, e.g. to read a partial result after frames
 * that may still change without disturbing the live stream. dst must have been made with an
 * equal config (the same LM object, labels, weights, effective max_prefixes) and hold the
 * same hot words in the same order, else ES_ERR_INVALID_ARGUMENT and dst is unchanged. No
 * allocation; the cost is bounded by max_prefixes, not by the frames fed. */
es_status es_ctc_decoder_copy_state(es_ctc_decoder *dst, const es_ctc_decoder *src);

/* Greedy (best path) decoding: the arg-max class of each frame (ties to the smaller index),
 * repeats merged, blanks dropped. timesteps[i] is the frame where token i started (may be
 * NULL). At most num_frames tokens; ES_ERR_BUFFER_TOO_SMALL with *out_length = the length
 * needed. The input is checked as for es_ctc_decoder_feed. */
es_status es_ctc_greedy(const float *frames, size_t num_frames, size_t num_classes, es_ctc_input input,
                        int32_t blank_index, int32_t *tokens, uint32_t *timesteps, size_t capacity,
                        size_t *out_length);

/* cffi:end */

#ifdef __cplusplus
}
#endif

#endif /* EDGESTT_H */
