"""Every default of the Python layer, in one place."""

#: Feature preset used when none is named.
DEFAULT_FEATURE_PRESET = "deepspeech"

#: The presets the C core defines, by name.
FEATURE_PRESETS = ("deepspeech", "scribosermo", "nemo")

#: Sample rate every bundled preset expects.
DEFAULT_SAMPLE_RATE_HZ = 16000
