"""Put a trained model and its LM into models/ as edgestt's default, with their sha256 manifest.

    python3 tools/ship_model.py --model /work/train/export/model.tflite --lm /work/train/lm/en.eslm

Checks before anything is written: the model loads with edgestt.Model and carries edgestt
metadata, the LM loads and fits the model's alphabet, both are within the size budget of
issue 7 (model <= 8 MB, LM <= 30 MB), and the pair transcribes a committed clip. Then it
copies them to models/edgestt-default.{tflite,eslm} and writes models/MANIFEST.sha256,
which tests/test_default_model.py and setup.py (package data) read.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from edgestt import Model, constants  # noqa: E402
from edgestt.default_model import MANIFEST_NAME, sha256_of, verify_folder  # noqa: E402
from edgestt.tflite_metadata import read_edgestt_metadata  # noqa: E402

MODEL_BUDGET = 8 * 1024 * 1024
LM_BUDGET = 30 * 1024 * 1024
CHECK_CLIP = REPO / "tests" / "data" / "synth_en_us.wav"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="the exported .tflite (tools/train/export.py)")
    ap.add_argument("--lm", type=Path, required=True, help="the edgestt binary LM (tools/train/build_lm.py)")
    ap.add_argument("--out", type=Path, default=REPO / "models")
    args = ap.parse_args()

    for path, budget in ((args.model, MODEL_BUDGET), (args.lm, LM_BUDGET)):
        size = path.stat().st_size
        if size > budget:
            raise SystemExit("%s: %.1f MB, over the %.0f MB budget" % (path, size / 2**20, budget / 2**20))
    if not read_edgestt_metadata(args.model.read_bytes()):
        raise SystemExit("%s carries no edgestt metadata (tools/tflite_metadata_writer.py)" % args.model)
    with Model(args.model, args.lm) as model:
        text = model.stt(CHECK_CLIP)
        print("%s (%s) with %s: %s -> %r" % (args.model.name, model.family, args.lm.name, CHECK_CLIP.name, text))

    args.out.mkdir(parents=True, exist_ok=True)
    shipped = {constants.DEFAULT_MODEL_FILENAME: args.model, constants.DEFAULT_SCORER_FILENAME: args.lm}
    for name, source in shipped.items():
        shutil.copyfile(source, args.out / name)
    lines = ["%s  %s" % (sha256_of(args.out / name), name) for name in sorted(shipped)]
    (args.out / MANIFEST_NAME).write_text("\n".join(lines) + "\n")
    verify_folder(args.out)
    print("wrote %s" % ", ".join(str(args.out / n) for n in sorted(shipped) + [MANIFEST_NAME]))


if __name__ == "__main__":
    main()
