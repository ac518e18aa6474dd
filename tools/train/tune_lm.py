"""Stage 6b: choose the LM weight (alpha) and word bonus (beta) for an exported model.

    /work/venvs/tf/bin/python tools/train/tune_lm.py --model M.tflite [--lm /work/train/lm/en.eslm]
        [--set seen] [--limit 150] [--beam 64] [--alphas ...] [--betas ...] [--out R.json]

Tunes on `seen` only (held-out sentences spoken by the training voices): the held-out voices and
the real recordings stay untouched for the final measurement (evaluate.py). The network runs
once per utterance; the grid only re-runs the beam search on the cached log-probabilities.
A smaller beam than the final one keeps the grid affordable; the best pair is then checked
with the shipping beam by evaluate.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import ALPHABET, BLANK, log  # noqa: E402
import evaluate as E  # noqa: E402  (sets up the edgestt import path)
from metrics import ErrorRate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--lm", type=Path, default=Path("/work/train/lm/en.eslm"))
    ap.add_argument("--set", default="seen", choices=["seen"], help="only the seen-voice set is for tuning")
    ap.add_argument("--limit", type=int, default=150)
    ap.add_argument("--beam", type=int, default=64)
    ap.add_argument("--alphas", type=float, nargs="*", default=[0.3, 0.5, 0.7, 0.9, 1.1, 1.4, 1.8])
    ap.add_argument("--betas", type=float, nargs="*", default=[0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from edgestt.decoder import CTCDecoder
    ours = E.Ours(args.model, None, args.beam, 0.0, 0.0)
    from edgestt.lm import LanguageModel
    lm = LanguageModel(str(args.lm))
    items = E.eval_items(args.set, args.limit)
    log("computing log-probabilities for %d utterances of '%s'" % (len(items), args.set))
    cached = [(it["ref"], ours.scores(E.load_16k(it["path"]))) for it in items]

    grid = []
    for alpha in args.alphas:
        for beta in args.betas:
            decoder = CTCDecoder(ALPHABET, blank_index=BLANK, beam_width=args.beam, input="log_probs",
                                 lm=lm, alpha=alpha, beta=beta)
            er = ErrorRate()
            for ref, scores in cached:
                er.add(ref, decoder.decode(scores).text)
            grid.append({"alpha": alpha, "beta": beta, "wer": round(er.wer, 4), "cer": round(er.cer, 4)})
            log("alpha %.2f beta %.2f: WER %.1f%% CER %.1f%%" % (alpha, beta, 100 * er.wer, 100 * er.cer))
    best = min(grid, key=lambda g: (g["wer"], g["cer"]))
    report = {"model": str(args.model), "lm": str(args.lm), "set": args.set, "utterances": len(cached),
              "beam": args.beam, "best": best, "grid": grid}
    print(json.dumps(report["best"]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
