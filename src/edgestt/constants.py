"""Every default of the Python layer, in one place."""

#: Feature preset used when none is named.
DEFAULT_FEATURE_PRESET = "deepspeech"

#: The presets the C core defines, by name.
FEATURE_PRESETS = ("deepspeech", "scribosermo", "nemo")

#: Sample rate every bundled preset expects.
DEFAULT_SAMPLE_RATE_HZ = 16000

#: TFLite kernels used when Model(mode=None): "reference" reproduces DeepSpeech's own client
#: (builtin kernels, no XNNPACK), "fast" lets LiteRT apply its default delegates.
DEFAULT_RUNTIME_MODE = "reference"

#: How DeepSpeech models fill the final, partial audio window at finish: "stale" keeps the
#: previous window's tail as DeepSpeech 0.9.3's TFLite client does, "zeros" pads as Coqui STT.
DEFAULT_DEEPSPEECH_FINAL_WINDOW = "stale"

#: Where Model(path=None) looks for the default model (the package's or the source tree's models/).
DEFAULT_MODEL_FILENAME = "edgestt-default.tflite"
#: The language model Model(path=None) fuses by default, found beside the default model.
DEFAULT_SCORER_FILENAME = "edgestt-default.eslm"

# ---- live audio: sources, voice activity detection, listen (issue 8)

#: Audio is read from a source in chunks of this length (PortAudio frames_per_buffer too).
SOURCE_CHUNK_MS = 20

#: Capacity of the microphone's ring buffer: how far inference may fall behind the capture
#: before samples are lost (and an AudioOverrun reported).
MIC_BUFFER_SECONDS = 30.0

#: Capture rates tried, after the model's rate and the device's default, when a device refuses
#: a rate (USB microphones on a Raspberry Pi often offer only 44.1 or 48 kHz).
MIC_FALLBACK_RATES_HZ = (48000, 44100, 32000, 22050, 16000, 8000)

#: webrtcvad's aggressiveness, 0 (keeps most audio as speech) to 3 (filters most non-speech).
VAD_AGGRESSIVENESS = 2

#: webrtcvad frame length; it accepts only 10, 20 or 30 ms.
VAD_FRAME_MS = 30

#: Speech starts when at least VAD_START_RATIO of the frames in the last VAD_START_WINDOW_MS
#: are voiced (one voiced click does not open an utterance).
VAD_START_WINDOW_MS = 300
VAD_START_RATIO = 0.6

#: Audio kept from before the first voiced frame, so the first syllable is never cut.
VAD_PRE_ROLL_MS = 300

#: Unvoiced audio that ends an utterance.
VAD_END_SILENCE_MS = 700

#: An utterance is cut (and a new one begun) after this long.
VAD_MAX_UTTERANCE_SECONDS = 20.0

#: listen() asks for a partial result after each this much new speech audio.
LISTEN_PARTIAL_INTERVAL_MS = 300

#: ... but spends at most this share of real time on partial results (an expensive partial
#: spaces the next ones out), and none while the source has more than an interval of backlog.
LISTEN_PARTIAL_BUDGET = 0.25

# ---- QuartzNet (non-causal) streaming in buffered windows (issue 5)

#: A stream runs the model on windows of QUARTZNET_WINDOW_SECONDS, one every QUARTZNET_HOP_SECONDS,
#: and keeps each window's centre hop (the first window also its left part, the last its right).
QUARTZNET_WINDOW_SECONDS = 5.0
QUARTZNET_HOP_SECONDS = 1.0

#: partial() runs the model on the audio past the last window once at least this much new audio
#: came in since the last run (0: at every partial; None: never, partials lag by up to a hop).
QUARTZNET_PARTIAL_INTERVAL_SECONDS = 0.5

#: Log-mel QuartzNet streams normalise each window with the statistics of all audio so far
#: ("cumulative": the last window sees the whole utterance's, as one-shot) or of the window
#: alone ("window", as NeMo's FrameBatchASR).
QUARTZNET_STREAM_NORMALIZATION = "cumulative"

#: Model.stt runs a QuartzNet model once over the whole recording up to this length; longer
#: recordings are cut into windows of this length every QUARTZNET_ONESHOT_HOP_SECONDS (centre
#: kept, as when streaming), which bounds the interpreter's memory. None: never cut.
QUARTZNET_ONESHOT_WINDOW_SECONDS = 60.0
QUARTZNET_ONESHOT_HOP_SECONDS = 50.0

#: A QuartzNet stream's final transcript is the one-shot one (Model.stt): its audio also goes
#: through the one-shot window schedule, run as each long window fills and at finish. The
#: streaming windows, whose edges see less context, then serve only the partial results.
QUARTZNET_EXACT_FINAL = True

#: Resampler filter, relative to the lower of the two Nyquist frequencies: flat up to the
#: passband edge, attenuated by the stated dB from the stop-band edge (1.0: nothing aliases).
RESAMPLE_PASSBAND_EDGE = 0.9
RESAMPLE_STOPBAND_EDGE = 1.0
RESAMPLE_STOPBAND_ATTENUATION_DB = 100.0

#: Seconds per CTC output frame when a decoder is not told (DeepSpeech: 20 ms).
DECODER_FRAME_SECONDS = 0.02
