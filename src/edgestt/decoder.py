"""CTC decoding by the C core: DeepSpeech-style prefix beam search and greedy decoding.

    from edgestt.decoder import CTCDecoder
    dec = CTCDecoder(" abcdefghijklmnopqrstuvwxyz'", beam_width=64)   # blank = last class
    result = dec.decode(probs)            # probs: [frames, 29] softmax output
    result.text, result.tokens, result.timesteps, result.log_prob
    with dec.stream() as s:               # the same numbers, whatever the chunking
        for chunk in chunks:
            s.feed(chunk)
            print(s.partial().text)
        print(s.finish().text)

With an n-gram LM (edgestt.LanguageModel) the search fuses it as DeepSpeech's scorer does:

    lm = edgestt.LanguageModel("lm.arpa")
    dec = CTCDecoder(" abcdefghijklmnopqrstuvwxyz'", lm=lm)     # DeepSpeech 0.9.3's alpha, beta
    dec.decode(probs).text

alpha * ln P(word | previous words) + beta at each space, the unfinished last word scored
the same way in the results, and (lexicon=True) words restricted to the LM's vocabulary.
No hot words yet. The input kind ("probs" or "log_probs") is stated by the caller, never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from . import errors
from ._ffi import NativeObject, check, new_err_buffer
from .lm import LanguageModel
from ._native import ffi, lib

_INPUTS = {"probs": lib.ES_CTC_INPUT_PROBS, "log_probs": lib.ES_CTC_INPUT_LOG_PROBS}


@dataclass(frozen=True)
class Result:
    """One decoded hypothesis.

    tokens: class indices (never the blank); timesteps: for each token, the frame at which
    the best path into this prefix emitted it (DeepSpeech's timestep); log_prob: the
    natural-log score (DeepSpeech's confidence: for a beam, ln of the summed probability of
    the alignments of this labelling that the beam kept; for greedy, of the single best path;
    with an LM, including alpha * ln P + beta for every word, the unfinished last one too).
    """

    text: str
    tokens: Tuple[int, ...]
    timesteps: Tuple[int, ...]
    log_prob: float


class _Search(NativeObject):
    """One C decoder: the state of one stream."""

    def __init__(self, owner: "CTCDecoder"):
        self._owner = owner
        err = new_err_buffer()
        out = ffi.new("es_ctc_decoder **")
        check(lib.es_ctc_decoder_new(owner._config, out, err, len(err)), err)
        self._own(out[0], lib.es_ctc_decoder_free)
        self._tokens = ffi.new("int32_t[]", 1)
        self._steps = ffi.new("uint32_t[]", 1)

    def _feed(self, matrix) -> None:
        if self._owner.lm is not None:
            self._owner.lm._live()  # the C decoder borrows the LM: refuse to run on a closed one
        frames = self._owner._as_matrix(matrix)
        buf = ffi.from_buffer("float[]", frames)
        check(lib.es_ctc_decoder_feed(self._live(), buf, frames.shape[0], frames.shape[1]), context="feed")

    def _finish(self) -> None:
        check(lib.es_ctc_decoder_finish(self._live()), context="finish")

    def _results(self, n: Optional[int]) -> List[Result]:
        handle = self._live()
        count = int(lib.es_ctc_decoder_num_results(handle))
        if n is not None:
            if n < 1:
                raise errors.InvalidArgument(f"the number of beams must be >= 1, got {n}")
            count = min(count, int(n))
        results = []
        length = ffi.new("size_t *")
        confidence = ffi.new("double *")
        for rank in range(count):
            check(lib.es_ctc_decoder_result_length(handle, rank, length))
            if len(self._tokens) < length[0]:
                self._tokens = ffi.new("int32_t[]", 2 * length[0])
                self._steps = ffi.new("uint32_t[]", 2 * length[0])
            check(
                lib.es_ctc_decoder_result(
                    handle, rank, self._tokens, self._steps, len(self._tokens), length, confidence
                )
            )
            n_tokens = length[0]
            tokens = tuple(self._tokens[0:n_tokens])
            steps = tuple(self._steps[0:n_tokens])
            results.append(Result(self._owner.text(tokens), tokens, steps, float(confidence[0])))
        return results


class DecoderStream(_Search):
    """Streaming decoding: feed() any number of times, partial() at any moment, finish().
    After finish, feed raises StateError until reset(). Not thread-safe."""

    def feed(self, matrix: np.ndarray) -> None:
        """Decode more frames, [n, num_classes]. A chunk with bad values is refused whole."""
        self._feed(matrix)

    def partial(self) -> Result:
        """The best hypothesis so far (does not change the search)."""
        return self._results(1)[0]

    def beams(self, n: Optional[int] = None) -> List[Result]:
        """Up to n hypotheses (all when None), best first."""
        return self._results(n)

    def finish(self) -> Result:
        """End of input; returns the best hypothesis. EmptyInput when no frame was fed."""
        self._finish()
        return self._results(1)[0]

    def reset(self) -> None:
        """Forget all input."""
        lib.es_ctc_decoder_reset(self._live())

    @property
    def num_frames(self) -> int:
        """Frames fed since the last reset."""
        return int(lib.es_ctc_decoder_num_frames(self._live()))


class CTCDecoder:
    """CTC prefix beam search with DeepSpeech's semantics, optional LM fusion, and greedy decoding.

    alphabet: the labels of the non-blank classes in class order (a str gives one label per
    character); the matrix has len(alphabet) + 1 columns. blank_index: the blank's column
    (default: the last, as DeepSpeech). input: "probs" (softmax output) or "log_probs".
    cutoff_prob / cutoff_top_n: DeepSpeech's per-frame class pruning (1.0 disables).
    beam_width, cutoff_top_n, start_blank_threshold and max_prefixes default to the C core's
    es_ctc_decoder_config_default() (DeepSpeech's 500, 40, 0.999 and automatic).

    lm: an edgestt.LanguageModel to fuse (the decoder keeps a reference to it); the alphabet
    must then contain the word separator " ". alpha / beta: the LM weight and the word
    insertion bonus (default: DeepSpeech 0.9.3's 0.931289039105002 / 1.1834137581510284).
    lexicon: restrict words to the LM's vocabulary (DeepSpeech's dictionary); vocabulary
    words needing characters that are not in the alphabet are never produced, and an LM of
    which no word can be spelled with the alphabet is refused (InvalidConfig).
    """

    def __init__(
        self,
        alphabet: Union[str, Sequence[str]],
        *,
        blank_index: Optional[int] = None,
        beam_width: Optional[int] = None,
        input: str = "probs",
        cutoff_prob: float = 1.0,
        cutoff_top_n: Optional[int] = None,
        start_blank_threshold: Optional[float] = None,
        max_prefixes: Optional[int] = None,
        lm: Optional[LanguageModel] = None,
        alpha: Optional[float] = None,
        beta: Optional[float] = None,
        lexicon: bool = True,
    ):
        labels = list(alphabet)
        if not labels or not all(isinstance(label, str) for label in labels):
            raise errors.InvalidConfig("alphabet must be a non-empty str or sequence of str labels")
        if input not in _INPUTS:
            raise errors.InvalidConfig(f"input must be one of {sorted(_INPUTS)}, got {input!r}")
        self.num_classes = len(labels) + 1
        self.blank_index = self.num_classes - 1 if blank_index is None else int(blank_index)
        if not 0 <= self.blank_index < self.num_classes:
            raise errors.InvalidConfig(f"blank_index must be in [0, {self.num_classes}), got {blank_index}")
        # Class k's label: the alphabet with a hole at the blank.
        self.labels: Tuple[Optional[str], ...] = tuple(
            labels[: self.blank_index] + [None] + labels[self.blank_index :]
        )
        self.input = input
        c = ffi.new("es_ctc_decoder_config *", lib.es_ctc_decoder_config_default())
        c.alphabet_size = self.num_classes
        c.blank_index = self.blank_index
        c.space_index = self.labels.index(" ") if " " in self.labels else lib.ES_CTC_NO_SPACE
        c.input = _INPUTS[input]
        c.cutoff_prob = float(cutoff_prob)
        for name, value in (
            ("beam_width", beam_width),
            ("cutoff_top_n", cutoff_top_n),
            ("start_blank_threshold", start_blank_threshold),
            ("max_prefixes", max_prefixes),
        ):
            if value is None:
                continue
            if name != "start_blank_threshold" and (not isinstance(value, (int, np.integer)) or value < 0):
                raise errors.InvalidConfig(f"{name} must be a non-negative integer, got {value!r}")
            setattr(c, name, value)
        if lm is not None and not isinstance(lm, LanguageModel):
            raise errors.InvalidConfig(f"lm must be an edgestt.LanguageModel or None, got {type(lm).__name__}")
        self.lm = lm
        # The labels, blank excluded; the C core copies them in es_ctc_decoder_new.
        self._label_bufs = [ffi.new("char[]", label.encode("utf-8")) for label in labels]
        self._label_array = ffi.new("char *[]", self._label_bufs)
        if lm is not None:
            c.lm = lm._live()
            c.labels = self._label_array
            c.lexicon = 1 if lexicon else 0
            if alpha is not None:
                c.lm_alpha = float(alpha)
            if beta is not None:
                c.lm_beta = float(beta)
        self.alpha = float(c.lm_alpha)
        self.beta = float(c.lm_beta)
        self.lexicon = bool(lexicon) and lm is not None
        err = new_err_buffer()
        check(lib.es_ctc_decoder_config_check(c, err, len(err)), err)
        self._config = c
        self.beam_width = int(c.beam_width)
        self._search: Optional[_Search] = None
        if lm is not None:
            self._search = _Search(self)  # LM problems (another alphabet) surface here

    # ---- helpers
    def text(self, tokens: Sequence[int]) -> str:
        """The labels of tokens, concatenated."""
        return "".join(self.labels[t] or "" for t in tokens)

    def _as_matrix(self, matrix) -> np.ndarray:
        if not isinstance(matrix, np.ndarray):
            raise errors.InvalidArgument(f"the matrix must be a numpy array, got {type(matrix).__name__}")
        if matrix.ndim != 2 or matrix.shape[1] != self.num_classes:
            raise errors.InvalidArgument(
                f"the matrix must have shape [frames, {self.num_classes}] (the alphabet's {self.num_classes - 1} "
                f"labels + blank), got {matrix.shape}"
            )
        if not np.issubdtype(matrix.dtype, np.floating):
            raise errors.InvalidArgument(f"the matrix must hold floats, got dtype {matrix.dtype}")
        return np.ascontiguousarray(matrix, dtype=np.float32)

    # ---- decoding
    def stream(self) -> DecoderStream:
        """A new, independent stream."""
        return DecoderStream(self)

    def _one_shot(self, matrix) -> _Search:
        frames = self._as_matrix(matrix)
        if self._search is None:
            self._search = _Search(self)
        lib.es_ctc_decoder_reset(self._search._live())
        self._search._feed(frames)
        self._search._finish()
        return self._search

    def decode(self, matrix: np.ndarray) -> Result:
        """The best hypothesis for a whole utterance, [frames, num_classes]."""
        return self._one_shot(matrix)._results(1)[0]

    def decode_beams(self, matrix: np.ndarray, n: Optional[int] = None) -> List[Result]:
        """Up to n hypotheses (all the beam holds when None), best first."""
        return self._one_shot(matrix)._results(n)

    def greedy(self, matrix: np.ndarray) -> Result:
        """Best-path decoding: arg-max per frame, repeats merged, blanks dropped."""
        frames = self._as_matrix(matrix)
        n = frames.shape[0]
        tokens = ffi.new("int32_t[]", max(n, 1))
        steps = ffi.new("uint32_t[]", max(n, 1))
        length = ffi.new("size_t *")
        check(
            lib.es_ctc_greedy(
                ffi.from_buffer("float[]", frames), n, self.num_classes, _INPUTS[self.input], self.blank_index,
                tokens, steps, max(n, 1), length,
            ),
            context="greedy",
        )
        best = frames.max(axis=1).astype(np.float64) if n else np.zeros(0)
        with np.errstate(divide="ignore"):
            log_prob = float(np.sum(np.log(best) if self.input == "probs" else best))
        toks = tuple(tokens[0 : length[0]])
        return Result(self.text(toks), toks, tuple(steps[0 : length[0]]), log_prob)

    def close(self) -> None:
        """Free the C decoder used by decode() now (streams own their own)."""
        if self._search is not None:
            self._search.close()
            self._search = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
