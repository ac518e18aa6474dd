"""Stage 0: the sentence pool for synthesis, from /work/shared/corpus.

Writes TRAIN_ROOT/text/sentences.tsv: id, split (train|eval), source, words, tts_text, transcript.
`tts_text` is what the synthesiser reads (original words and punctuation, for prosody);
`transcript` is the same sentence normalised to the model alphabet (space, a-z, apostrophe).
Sentences the synthesisers would read differently from the transcript are skipped: digits,
abbreviations with a full stop (Mr. -> "mister"), acronyms and Roman numerals, symbols.
About 2% of the sentences (by a hash of the transcript) are held out for evaluation; they are
also left out of the evaluation LM (see evaluate.py).

    python3 tools/train/sentences.py            # idempotent: does nothing if the file exists
"""
from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TEXT_DIR, log, stable_hash, use_edgestt, write_tsv_atomic  # noqa: E402

CORPUS = Path("/work/shared/corpus")
FIELDS = ["id", "split", "source", "words", "tts_text", "transcript"]
EVAL_MODULUS = 50          # 1 in 50 sentences is held out

_DIGIT = re.compile(r"\d")
_SYMBOL = re.compile(r"[&%$£§¶*/@#=+<>\[\]{}|\\~^]")
_ABBREV = re.compile(r"\b(?:Mr|Mrs|Messrs|Mme|Mlle|Dr|St|Mt|Jr|Sr|Col|Gen|Capt|Lt|Rev|Prof|Hon|Sgt|"
                     r"Gov|Esq|No|vs|etc|viz|ib|ibid|i\.e|e\.g|cf|ch|vol|p)\.", re.IGNORECASE)
_INITIAL = re.compile(r"\b[A-Z]\.")
_ASCII_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")          # USA, IV, OK: spelled or read unpredictably


def tts_clean(raw: str) -> str | None:
    """The text to synthesise, or None when the sentence is unsuitable."""
    text = raw.translate(_ASCII_QUOTES).replace("_", "").replace("\u2014", ", ").replace("--", ", ").strip()
    if _DIGIT.search(text) or _SYMBOL.search(text) or _ABBREV.search(text) or _INITIAL.search(text):
        return None
    if _ACRONYM.search(text):
        return None
    return " ".join(text.split())


def collect(max_book_sentences: int, seed: int) -> list[dict]:
    use_edgestt()
    from edgestt import text_normalize as tn
    rows, seen = [], set()
    rng = random.Random(seed)

    def add(source: str, raw: str, min_words: int, max_words: int) -> None:
        tts = tts_clean(raw)
        if not tts:
            return
        transcript = tn.normalize_text(tts)
        words = transcript.split()
        if not (min_words <= len(words) <= max_words) or transcript in seen:
            return
        seen.add(transcript)
        split = "eval" if stable_hash(transcript) % EVAL_MODULUS == 0 else "train"
        rows.append({"split": split, "source": source, "words": len(words), "tts_text": tts,
                     "transcript": transcript})

    for path in sorted((CORPUS / "commonvoice").glob("*.txt")):
        for line in tn.read_text_file(path).splitlines():
            add("commonvoice/" + path.stem, line, 2, 24)
    for path in sorted((CORPUS / "gutenberg").glob("*.txt")):
        sentences = tn.split_sentences(tn.read_text_file(path))
        rng.shuffle(sentences)
        before = len(rows)
        for s in sentences:
            if len(rows) - before >= max_book_sentences:
                break
            add("gutenberg/" + path.stem, s, 3, 24)
        log(f"{path.name}: {len(rows) - before} sentences")
    for i, row in enumerate(rows):
        row["id"] = "s%06d" % i
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-book-sentences", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    out = TEXT_DIR / "sentences.tsv"
    if out.exists() and not args.force:
        log(f"{out} exists; nothing to do")
        return
    rows = collect(args.max_book_sentences, args.seed)
    write_tsv_atomic(out, rows, FIELDS)
    n_eval = sum(r["split"] == "eval" for r in rows)
    log(f"wrote {out}: {len(rows)} sentences, {n_eval} held out for evaluation")


if __name__ == "__main__":
    main()
