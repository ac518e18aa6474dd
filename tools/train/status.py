"""Where the recipe stands: audio synthesised per part and voice, training step, latest evaluation.

    python3 tools/train/status.py [--run qn5x3k] [--by voice|engine]
"""
from __future__ import annotations

import argparse
import glob
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import LOG_DIR, MANIFEST_DIR, RUNS_DIR, read_tsv  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", default="qn5x3k")
    ap.add_argument("--by", choices=["voice", "engine"], default="voice")
    args = ap.parse_args()

    hours = defaultdict(lambda: defaultdict(float))
    counts = defaultdict(lambda: defaultdict(int))
    for path in sorted(glob.glob(str(MANIFEST_DIR / "*.tsv"))):
        part = re.sub(r"_\d+$", "", Path(path).stem)
        for r in read_tsv(Path(path)):
            key = r["voice"] if args.by == "voice" else r["voice"].split(":")[0]
            hours[part][key] += float(r["duration"]) / 3600
            counts[part][key] += 1
    for part in sorted(hours):
        total = sum(hours[part].values())
        print("%s: %.2f h, %d utterances" % (part, total, sum(counts[part].values())))
        for key in sorted(hours[part], key=lambda k: -hours[part][k]):
            print("  %-28s %7.3f h %6d utts" % (key, hours[part][key], counts[part][key]))

    run = RUNS_DIR / args.run
    ckpts = sorted((run / "ckpt").glob("step_*.npz"))
    print("\nrun %s: latest checkpoint %s" % (args.run, ckpts[-1].name if ckpts else "none"))
    log = LOG_DIR / "train.log"
    if log.exists():
        steps = [line.strip() for line in log.read_text(errors="replace").splitlines() if " step " in line]
        if steps:
            print("last log:", steps[-1])
    ev = run / "eval.tsv"
    if ev.exists():
        lines = ev.read_text().splitlines()
        print("latest held-out evaluation (greedy):")
        last_step = lines[-1].split("\t")[1]
        for line in lines[1:]:
            f = line.split("\t")
            if f[1] == last_step:
                print("  step %s %-13s %s utts CER %s WER %s" % (f[1], f[2], f[3], f[4], f[5]))


if __name__ == "__main__":
    main()
