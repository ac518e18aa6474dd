"""The reference DeepSpeech 0.9.3 client for tests: tools/deepspeech_reference.py, or a visible skip."""
import sys

import pytest

from conftest import DATA, REPO

sys.path.insert(0, str(REPO / "tools"))
from deepspeech_reference import ReferenceDeepSpeech, fetch_library  # noqa: E402

FIXTURE = DATA / "deepspeech_fixture.tflite"


def reference_model(model_path=FIXTURE):
    """ReferenceDeepSpeech on model_path; skips the test when libdeepspeech.so cannot be fetched."""
    lib = fetch_library()
    if lib is None:
        pytest.skip("libdeepspeech.so 0.9.3 unavailable (pip download deepspeech-tflite==0.9.3 failed, "
                    "or this is not x86_64 Linux)")
    return ReferenceDeepSpeech(lib, model_path)
