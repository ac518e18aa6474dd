"""Stage 6b: the English LM for decoding, from /work/shared/corpus, without the held-out sentences.

    nice -n 19 python3 tools/train/build_lm.py [--order 4] [--prune 0 1 1 1] [--vocab-limit 200000]

Writes TRAIN_ROOT/lm/corpus_train.txt (normalised sentences, one a line, every sentence whose
transcript is in the held-out split removed), TRAIN_ROOT/lm/en.arpa and the binary
TRAIN_ROOT/lm/en.eslm, with edgestt's own `edgestt lm build` / `edgestt lm compile`.
Idempotent: each output is skipped when it exists (delete it to rebuild).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import LIB_DIR, TEXT_DIR, TRAIN_ROOT, log, read_tsv, use_edgestt  # noqa: E402

CORPUS = Path("/work/shared/corpus")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--order", type=int, default=4)
    ap.add_argument("--prune", nargs="*", default=["0", "1", "1", "1"])
    ap.add_argument("--vocab-limit", type=int, default=200000)
    ap.add_argument("--no-quantize", action="store_true", help="float probabilities (bigger file)")
    args = ap.parse_args()
    out = TRAIN_ROOT / "lm"
    out.mkdir(parents=True, exist_ok=True)
    use_edgestt()
    from edgestt import text_normalize as tn

    text = out / "corpus_train.txt"
    if not text.exists():
        held = {r["transcript"] for r in read_tsv(TEXT_DIR / "sentences.tsv") if r["split"] == "eval"}
        files = sorted(CORPUS.glob("*/*.txt"))
        kept = dropped = 0
        with open(str(text) + ".tmp", "w", encoding="utf-8") as f:
            for sentence in tn.iter_sentences(files):
                if sentence in held:
                    dropped += 1
                    continue
                f.write(sentence + "\n")
                kept += 1
        Path(str(text) + ".tmp").rename(text)
        log("%s: %d sentences, %d held-out sentences removed" % (text, kept, dropped))
    env_path = str(LIB_DIR) if (LIB_DIR / "edgestt").exists() else None
    env = dict(__import__("os").environ)
    if env_path:
        env["PYTHONPATH"] = env_path
    arpa = out / "en.arpa"
    if not arpa.exists():
        cmd = [sys.executable, "-m", "edgestt", "lm", "build", "-o", str(arpa) + ".tmp", "--order", str(args.order),
               "--vocab-limit", str(args.vocab_limit), "--text-mode", "lines", "--prune", *args.prune, "-v", str(text)]
        log(" ".join(cmd))
        subprocess.run(cmd, check=True, env=env)
        Path(str(arpa) + ".tmp").rename(arpa)
    binary = out / "en.eslm"
    if not binary.exists():
        cmd = [sys.executable, "-m", "edgestt", "lm", "compile", str(arpa), "-o", str(binary) + ".tmp"] + ([] if args.no_quantize else ["--quantize"])
        log(" ".join(cmd))
        subprocess.run(cmd, check=True, env=env)
        Path(str(binary) + ".tmp").rename(binary)
    log("LM: %s, %.1f MB" % (binary, binary.stat().st_size / 1e6))


if __name__ == "__main__":
    main()
