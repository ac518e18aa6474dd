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

#: Where Model(path=None) looks for the default model (relative to the package's repository).
DEFAULT_MODEL_FILENAME = "edgestt-default.tflite"
