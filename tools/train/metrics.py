"""Error rates and greedy CTC decoding shared by train.py and evaluate.py."""
from __future__ import annotations

import numpy as np

from common import ALPHABET, BLANK


def edit_distance(ref, hyp) -> int:
    """Levenshtein distance between two sequences (characters or words)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


class ErrorRate:
    """Corpus-level WER and CER (total edits / total reference length), as is usual."""

    def __init__(self):
        self.word_edits = self.words = self.char_edits = self.chars = self.utterances = 0

    def add(self, ref: str, hyp: str) -> None:
        self.word_edits += edit_distance(ref.split(), hyp.split())
        self.words += len(ref.split())
        self.char_edits += edit_distance(ref, hyp)
        self.chars += len(ref)
        self.utterances += 1

    @property
    def wer(self) -> float:
        return self.word_edits / max(1, self.words)

    @property
    def cer(self) -> float:
        return self.char_edits / max(1, self.chars)


def greedy_decode(scores: np.ndarray, blank: int = BLANK) -> str:
    """Best path: argmax per frame, merge repeats, drop blanks. scores: [frames, classes]."""
    best = np.argmax(scores, axis=-1)
    out, last = [], -1
    for k in best:
        if k != last and k != blank:
            out.append(ALPHABET[k])
        last = k
    return " ".join("".join(out).split())


def text_to_labels(text: str) -> list[int]:
    index = {c: i for i, c in enumerate(ALPHABET)}
    return [index[c] for c in text]
