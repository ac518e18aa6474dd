"""Put a trained model and its LM into models/ as edgestt's default, with their sha256 manifest.

    python3 tools/ship_model.py --model /work/train/export/model.tflite \
        --lm /work/train/lm/en.eslm --alpha 0.7 --beta 2.0 [--tf-python /work/venvs/tf/bin/python]

--alpha/--beta (from tools/train/tune_lm.py) are written into the model's metadata as
"lm_alpha_beta", so Model() decodes with them; a model whose metadata has no tuned weights is
refused. The metadata writer (tools/tflite_metadata_writer.py) needs TensorFlow, so it runs
in --tf-python; this script needs edgestt and LiteRT.
Checks before anything is written: the model loads with edgestt.Model and carries edgestt
metadata, the LM loads and fits the model's alphabet, both are within the size budget of
issue 7 (model <= 8 MB, LM <= 30 MB), and the pair transcribes a committed clip. Then it
copies them to models/edgestt-default.{tflite,eslm} and writes models/MANIFEST.sha256,
which tests/test_default_model.py and setup.py (package data) read.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
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
    ap.add_argument("--alpha", type=float, help="the LM weight tuned for this model (tools/train/tune_lm.py)")
    ap.add_argument("--beta", type=float, help="the word bonus tuned with it")
    ap.add_argument("--tf-python", default="/work/venvs/tf/bin/python",
                    help="a Python with TensorFlow, for the metadata writer")
    ap.add_argument("--out", type=Path, default=REPO / "models")
    args = ap.parse_args()
    if (args.alpha is None) != (args.beta is None):
        raise SystemExit("give --alpha and --beta together")
    with tempfile.TemporaryDirectory() as scratch:
        if args.alpha is not None:
            args.model = with_lm_weights(args.model, args.alpha, args.beta, Path(scratch), args.tf_python)
        ship(args)


def with_lm_weights(model: Path, alpha: float, beta: float, scratch: Path, tf_python: str) -> Path:
    """A copy of the model whose metadata carries the tuned LM weights."""
    meta = read_edgestt_metadata(model.read_bytes())
    if not meta:
        raise SystemExit("%s carries no edgestt metadata (tools/tflite_metadata_writer.py)" % model)
    meta["lm_alpha_beta"] = [alpha, beta]
    meta_file, out = scratch / "metadata.json", scratch / model.name
    meta_file.write_text(json.dumps(meta))
    subprocess.run([tf_python, str(REPO / "tools" / "tflite_metadata_writer.py"), str(model), str(meta_file),
                    str(out)], check=True)
    return out


def ship(args) -> None:
    for path, budget in ((args.model, MODEL_BUDGET), (args.lm, LM_BUDGET)):
        size = path.stat().st_size
        if size > budget:
            raise SystemExit("%s: %.1f MB, over the %.0f MB budget" % (path, size / 2**20, budget / 2**20))
    meta = read_edgestt_metadata(args.model.read_bytes())
    if not meta:
        raise SystemExit("%s carries no edgestt metadata (tools/tflite_metadata_writer.py)" % args.model)
    if "lm_alpha_beta" not in meta:
        raise SystemExit("%s has no tuned LM weights: run tools/train/tune_lm.py, then pass --alpha and --beta"
                         % args.model)
    with Model(args.model, args.lm) as model:
        if model.scorer_alpha_beta != tuple(meta["lm_alpha_beta"]):
            raise SystemExit("Model() does not decode with the tuned weights %s" % meta["lm_alpha_beta"])
        text = model.stt(CHECK_CLIP)
        print("%s (%s) with %s, alpha/beta %s: %s -> %r" % (args.model.name, model.family, args.lm.name,
                                                            meta["lm_alpha_beta"], CHECK_CLIP.name, text))

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
