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

Hot words (phrases, words the LM does not know, with or without an LM):

    dec.add_hot_word("new york", 8.0)     # natural-log boost: e^8 times likelier
    dec.add_hot_word("um", -5.0)          # a negative boost suppresses

A hypothesis' score gets + boost for every whole-word occurrence of the phrase; while the
phrase is being spelled, its matched fraction of the boost (taken back if the match
breaks). See CTCDecoder.add_hot_word. Results carry words with times and confidences
(Result.words). Streams of any length keep the C decoder's memory bounded: the stem all
hypotheses share is final, moved out of the prefix tree every few frames and kept here. The input kind ("probs" or "log_probs") is stated by the caller, never
guessed. bytes_mode=True decodes DeepSpeech's UTF-8 byte output (255 byte classes + blank).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import constants, errors
from ._ffi import NativeObject, check, new_err_buffer
from .lm import LanguageModel
from ._native import ffi, lib

_INPUTS = {"probs": lib.ES_CTC_INPUT_PROBS, "log_probs": lib.ES_CTC_INPUT_LOG_PROBS}


@dataclass(frozen=True)
class Word:
    """One word of a result (tokens between space labels).

    start_frame: the frame where the best path emitted the word's first token;
    end_frame: one past the frame where it emitted the last one (exclusive);
    start_time / end_time: those frames times frame_seconds.
    confidence: in [0, 1], the probability the model gave the word's least certain token at
    the frame where the best path emitted it (min over its tokens of P(token | frame)).
    """

    text: str
    start_frame: int
    end_frame: int
    start_time: float
    end_time: float
    confidence: float


@dataclass(frozen=True)
class Result:
    """One decoded hypothesis.

    tokens: class indices (never the blank); timesteps: for each token, the frame at which
    the best path into this prefix emitted it (DeepSpeech's timestep); log_prob: the
    natural-log score (DeepSpeech's confidence: for a beam, ln of the summed probability of
    the alignments of this labelling that the beam kept; for greedy, of the single best path;
    with an LM, including alpha * ln P + beta for every word, the unfinished last one too;
    with hot words, including their boosts). words: the words with times and confidences.
    """

    text: str
    tokens: Tuple[int, ...]
    timesteps: Tuple[int, ...]
    log_prob: float
    words: Tuple[Word, ...] = ()

    @property
    def confidence(self) -> float:
        """DeepSpeech's name for log_prob."""
        return self.log_prob


#: Frames per call into the C core: the committed labels are popped in between, which keeps
#: the C buffers bounded (it pops at least every 1024 frames).
_FEED_SLICE = 512


class _Committed:
    """The labels the C core committed (final: no later frame can change them) and popped,
    with the text and words of those before the last space cached, so that a result costs
    the same however long the stream has run (apart from copying the final tuples)."""

    def __init__(self) -> None:
        self.tokens: List[int] = []
        self.steps: List[int] = []
        self.log_probs: List[float] = []
        self.closed = 0  # tokens[:closed] end with a space: their text and words are cached
        self.text = ""
        self.words: List[Word] = []
        self._frozen: Optional[tuple] = None  # tuples of the above, built once per change

    def frozen(self):
        """(tokens, steps, words) as tuples, and the open part's lists, cached until extended."""
        if self._frozen is None:
            k = self.closed
            self._frozen = (tuple(self.tokens), tuple(self.steps), tuple(self.words),
                            self.tokens[k:], self.steps[k:], self.log_probs[k:])
        return self._frozen

    def copy(self) -> "_Committed":
        """An independent copy (the cached text and tuples are immutable: shared)."""
        other = _Committed()
        other.tokens, other.steps, other.log_probs = list(self.tokens), list(self.steps), list(self.log_probs)
        other.closed, other.text, other.words = self.closed, self.text, list(self.words)
        other._frozen = self._frozen
        return other

    def extend(self, owner: "CTCDecoder", tokens, steps, log_probs) -> None:
        self._frozen = None
        self.tokens.extend(tokens)
        self.steps.extend(steps)
        self.log_probs.extend(log_probs)
        space = owner.space_index
        if space is None:
            return
        last = len(self.tokens) - 1
        while last >= self.closed and self.tokens[last] != space:
            last -= 1
        if last >= self.closed:
            part = slice(self.closed, last + 1)
            self.text += owner.text(self.tokens[part])
            self.words.extend(owner._words(self.tokens[part], self.steps[part], self.log_probs[part]))
            self.closed = last + 1


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
        self._token_log_probs = ffi.new("float[]", 1)
        self._hot_words: Dict[str, float] = {}
        self._committed = _Committed()
        self._committed_shared = False  # _committed is another stream's (copy_to): copy before extending
        self._apply_settings()

    def _apply_settings(self) -> None:
        """Copy the owner's hot words and weights (only before the first frame: resets)."""
        owner, handle = self._owner, self._live()
        self._reset()
        check(lib.es_ctc_decoder_set_alpha_beta(handle, owner.alpha, owner.beta), context="set_alpha_beta")
        if self._hot_words != owner._hot_words:
            check(lib.es_ctc_decoder_clear_hot_words(handle))
            for phrase, boost in owner._hot_words.items():
                tokens = owner._phrase_tokens(phrase)
                check(lib.es_ctc_decoder_add_hot_word(handle, tokens, len(tokens), boost), context="hot word")
            self._hot_words = dict(owner._hot_words)
        self._version = owner._version

    def _feed(self, matrix) -> None:
        if self._owner.lm is not None:
            self._owner.lm._live()  # the C decoder borrows the LM: refuse to run on a closed one
        frames = self._owner._as_matrix(matrix)
        handle = self._live()
        # The whole chunk is checked first, so a bad value anywhere refuses all of it.
        check(lib.es_ctc_decoder_check_frames(handle, ffi.from_buffer("float[]", frames), frames.shape[0],
                                              frames.shape[1]), context="feed")
        for start in range(0, frames.shape[0], _FEED_SLICE):
            part = frames[start : start + _FEED_SLICE]
            check(lib.es_ctc_decoder_feed(handle, ffi.from_buffer("float[]", part), part.shape[0], part.shape[1]),
                  context="feed")
            self._pop_committed()

    def _pop_committed(self) -> None:
        handle = self._live()
        n = int(lib.es_ctc_decoder_committed_length(handle))
        if n == 0:
            return
        tokens, steps, log_probs = ffi.new("int32_t[]", n), ffi.new("uint32_t[]", n), ffi.new("float[]", n)
        count = ffi.new("size_t *")
        check(lib.es_ctc_decoder_pop_committed(handle, tokens, steps, log_probs, n, count))
        if self._committed_shared:
            self._committed = self._committed.copy()
            self._committed_shared = False
        self._committed.extend(self._owner, tokens[0:n], steps[0:n], log_probs[0:n])

    def _reset(self) -> None:
        lib.es_ctc_decoder_reset(self._live())
        self._committed = _Committed()
        self._committed_shared = False

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
                self._token_log_probs = ffi.new("float[]", 2 * length[0])
            check(
                lib.es_ctc_decoder_result(
                    handle, rank, self._tokens, self._steps, len(self._tokens), length, confidence
                )
            )
            check(
                lib.es_ctc_decoder_result_token_log_probs(
                    handle, rank, self._token_log_probs, len(self._token_log_probs), length
                )
            )
            n_tokens = length[0]
            results.append(
                self._owner._result(
                    self._tokens[0:n_tokens], self._steps[0:n_tokens], self._token_log_probs[0:n_tokens],
                    float(confidence[0]), self._committed,
                )
            )
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
        self._reset()

    def copy_to(self, other: "DecoderStream") -> None:
        """Make other's search equal to this one's, so that other.feed(x) then gives what this
        stream would give after feed(x), while this stream stays as it is: e.g. to read a
        partial result over frames that may still change. Reuse one `other` (no allocation):
        the cost is bounded by the decoder's pool size (max_prefixes), not by the stream's
        length. other must come from the same CTCDecoder with the same hot words and weights
        (e.g. both made by stream() with no change in between), else InvalidArgument."""
        if not isinstance(other, DecoderStream):
            raise errors.InvalidArgument(f"copy_to needs a DecoderStream, got {type(other).__name__}")
        if other is self:
            return
        if other._owner.lm is not self._owner.lm or other._owner.num_classes != self._owner.num_classes:
            raise errors.InvalidArgument("copy_to needs a stream of a decoder with the same alphabet and LM")
        status = lib.es_ctc_decoder_copy_state(other._live(), self._live())
        if status == lib.ES_ERR_INVALID_ARGUMENT:
            raise errors.InvalidArgument(
                "copy_to needs a stream with the same decoder settings, hot words (in the same order) and weights"
            )
        check(status, context="copy_to")
        # The labels popped so far are shared until other pops its own.
        other._committed = self._committed
        other._committed_shared = True
        self._committed_shared = True

    @property
    def num_frames(self) -> int:
        """Frames fed since the last reset."""
        return int(lib.es_ctc_decoder_num_frames(self._live()))


class CTCDecoder:
    """CTC prefix beam search with DeepSpeech's semantics, optional LM fusion, hot words and
    greedy decoding.

    alphabet: the labels of the non-blank classes in class order (a str gives one label per
    character; labels may be multi-byte UTF-8); the matrix has len(alphabet) + 1 columns.
    blank_index: the blank's column (default: the last, as DeepSpeech). input: "probs"
    (softmax output) or "log_probs". cutoff_prob / cutoff_top_n: DeepSpeech's per-frame class
    pruning (1.0 disables). beam_width, cutoff_top_n, start_blank_threshold and max_prefixes
    default to the C core's es_ctc_decoder_config_default() (DeepSpeech's 500, 40, 0.999 and
    automatic). frame_seconds: the duration of one frame, for Word times.

    bytes_mode: DeepSpeech's UTF-8 byte output (alphabet must be None): 256 classes, class k
    < 255 is the byte k + 1, the blank is 255. Texts are the bytes decoded as UTF-8, an invalid
    sequence shown as U+FFFD; the byte 0x20 is the word separator (LM fusion then works on
    words, hot words on their UTF-8 bytes).

    lm: an edgestt.LanguageModel to fuse (the decoder keeps a reference to it); the alphabet
    must then contain the word separator " ". alpha / beta: the LM weight and the word
    insertion bonus (default: DeepSpeech 0.9.3's 0.931289039105002 / 1.1834137581510284).
    lexicon: restrict words to the LM's vocabulary (DeepSpeech's dictionary) and the hot
    words; vocabulary words needing characters that are not in the alphabet are never
    produced, and an LM of which no word can be spelled with the alphabet is refused
    (InvalidConfig).
    """

    def __init__(
        self,
        alphabet: Union[str, Sequence[str], None],
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
        frame_seconds: float = constants.DECODER_FRAME_SECONDS,
        bytes_mode: bool = False,
    ):
        self.bytes_mode = bool(bytes_mode)
        if self.bytes_mode:
            if alphabet is not None:
                raise errors.InvalidConfig("bytes_mode takes no alphabet (the classes are the bytes 1..255)")
            label_bytes = [bytes([b]) for b in range(1, 256)]
        else:
            if alphabet is None or isinstance(alphabet, (bytes, bytearray)):
                raise errors.InvalidConfig("alphabet must be a non-empty str or sequence of str labels")
            labels = list(alphabet)
            if not labels or not all(isinstance(label, str) and label for label in labels):
                raise errors.InvalidConfig("alphabet must be a non-empty str or sequence of non-empty str labels")
            if any("\0" in label for label in labels):
                raise errors.InvalidConfig("alphabet labels must not contain NUL")
            label_bytes = [label.encode("utf-8") for label in labels]
        if input not in _INPUTS:
            raise errors.InvalidConfig(f"input must be one of {sorted(_INPUTS)}, got {input!r}")
        if not (isinstance(frame_seconds, (int, float)) and math.isfinite(frame_seconds) and frame_seconds > 0):
            raise errors.InvalidConfig(f"frame_seconds must be a finite number > 0, got {frame_seconds!r}")
        self.frame_seconds = float(frame_seconds)
        self.num_classes = len(label_bytes) + 1
        self.blank_index = self.num_classes - 1 if blank_index is None else int(blank_index)
        if not 0 <= self.blank_index < self.num_classes:
            raise errors.InvalidConfig(f"blank_index must be in [0, {self.num_classes}), got {blank_index}")
        # Class k's label: the alphabet with a hole at the blank.
        self._label_bytes: Tuple[Optional[bytes], ...] = tuple(
            label_bytes[: self.blank_index] + [None] + label_bytes[self.blank_index :]
        )
        self.labels: Tuple[Optional[str], ...] = tuple(
            None if b is None else b.decode("utf-8", "replace") for b in self._label_bytes
        )
        self.space_index: Optional[int] = self._label_bytes.index(b" ") if b" " in self._label_bytes else None
        self.input = input
        c = ffi.new("es_ctc_decoder_config *", lib.es_ctc_decoder_config_default())
        c.alphabet_size = self.num_classes
        c.blank_index = self.blank_index
        c.space_index = lib.ES_CTC_NO_SPACE if self.space_index is None else self.space_index
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
        self._label_bufs = [ffi.new("char[]", b) for b in label_bytes]
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
        self._hot_words: Dict[str, float] = {}
        self._version = 0  # bumped by every change of hot words or weights
        err = new_err_buffer()
        check(lib.es_ctc_decoder_config_check(c, err, len(err)), err)
        self._config = c
        self.beam_width = int(c.beam_width)
        self._search: Optional[_Search] = None
        if lm is not None:
            self._search = _Search(self)  # LM problems (another alphabet) surface here

    # ---- hot words and weights (they apply to later decodes and streams created later)
    def add_hot_word(self, phrase: str, boost: float) -> None:
        """Boost (boost > 0) or suppress (< 0) a word or phrase, in or out of the LM's vocabulary.

        boost is in natural-log units, added to a hypothesis' score for every whole-word
        occurrence of the phrase: e^boost multiplies its probability. While the phrase is
        being spelled the hypothesis holds the matched fraction of the boost (k of n labels:
        boost * k / n), taken back if the match breaks, so the phrase survives the beam before
        it is complete. With an LM the boost is outside alpha (DeepSpeech's DS_AddHotWord adds
        alpha * b at each word boundary while the word stays in the n-gram window; a
        DeepSpeech b is worth about alpha * b per boundary here). An out-of-vocabulary hot word
        passes the lexicon and gets the LM's rarest unigram probability instead of
        DeepSpeech's -1000. Words are separated by white space; every character must be
        spellable with the alphabet. Adding a phrase again replaces its boost.
        """
        key = self._phrase_key(phrase)
        if isinstance(boost, bool) or not isinstance(boost, (int, float, np.floating, np.integer)):
            raise errors.InvalidArgument(f"boost must be a number, got {boost!r}")
        boost = float(boost)
        if not math.isfinite(boost) or abs(boost) > 1e6:
            raise errors.InvalidArgument(f"boost must be finite with |boost| <= 1e6, got {boost}")
        self._phrase_tokens(key)  # refuses unspellable phrases now
        self._hot_words[key] = boost
        self._version += 1

    def erase_hot_word(self, phrase: str) -> None:
        """Remove a hot word; InvalidArgument when it is not there."""
        key = self._phrase_key(phrase)
        if key not in self._hot_words:
            raise errors.InvalidArgument(f"{phrase!r} is not a hot word")
        del self._hot_words[key]
        self._version += 1

    def clear_hot_words(self) -> None:
        """Remove every hot word."""
        if self._hot_words:
            self._hot_words.clear()
            self._version += 1

    @property
    def hot_words(self) -> Dict[str, float]:
        """A copy of the hot words: phrase (words joined by one space) -> boost."""
        return dict(self._hot_words)

    def set_alpha_beta(self, alpha: float, beta: float) -> None:
        """New LM weight and word insertion bonus for later decodes and streams; needs an LM."""
        if self.lm is None:
            raise errors.StateError("set_alpha_beta needs a decoder with an LM")
        for name, value in (("alpha", alpha), ("beta", beta)):
            if not isinstance(value, (int, float, np.floating, np.integer)) or not math.isfinite(value) or abs(value) > 1e6:
                raise errors.InvalidArgument(f"{name} must be a finite number with |{name}| <= 1e6, got {value!r}")
        self.alpha, self.beta = float(alpha), float(beta)
        self._config.lm_alpha, self._config.lm_beta = self.alpha, self.beta
        self._version += 1

    @staticmethod
    def _phrase_key(phrase) -> str:
        if not isinstance(phrase, str):
            raise errors.InvalidArgument(f"a hot word must be a str, got {type(phrase).__name__}")
        words = phrase.split()
        if not words:
            raise errors.InvalidArgument("a hot word must not be empty")
        return " ".join(words)

    def _phrase_tokens(self, key: str):
        """The class indices spelling a phrase (words joined by the space class)."""
        words = key.split(" ")
        if len(words) > 1 and self.space_index is None:
            raise errors.InvalidArgument(f"{key!r} has several words but the alphabet has no space label")
        tokens: List[int] = []
        for i, word in enumerate(words):
            if i:
                tokens.append(self.space_index)
            tokens.extend(self._spell(word.encode("utf-8"), key))
        if len(tokens) > 256:
            raise errors.InvalidArgument(f"{key!r} needs {len(tokens)} labels, more than 256")
        return ffi.new("int32_t[]", tokens)

    def _spell(self, word: bytes, phrase: str) -> List[int]:
        """The fewest labels whose bytes concatenate to word (dynamic programming)."""
        best: List[Optional[List[int]]] = [None] * (len(word) + 1)
        best[0] = []
        for i in range(len(word)):
            if best[i] is None:
                continue
            for k, label in enumerate(self._label_bytes):
                if label is None or k == self.space_index or not word.startswith(label, i):
                    continue
                j = i + len(label)
                if best[j] is None or len(best[j]) > len(best[i]) + 1:
                    best[j] = best[i] + [k]
        if best[len(word)] is None:
            reach = max(i for i in range(len(word) + 1) if best[i] is not None)
            bad = word[reach:].decode("utf-8", "replace")[:1]
            raise errors.InvalidArgument(f"hot word {phrase!r}: {bad!r} cannot be spelled with the alphabet")
        return best[len(word)]

    # ---- helpers
    def text(self, tokens: Sequence[int]) -> str:
        """The labels of tokens, concatenated (bytes mode: decoded as UTF-8, errors replaced)."""
        return b"".join(self._label_bytes[t] or b"" for t in tokens).decode("utf-8", "replace")

    def _words(self, tokens, steps, token_log_probs) -> List[Word]:
        """The words of a label sequence that starts at a word start: runs between spaces."""
        words = []
        start = 0
        n = len(tokens)
        for end in range(n + 1):
            if end < n and tokens[end] != self.space_index:
                continue
            if end > start:
                first, last = steps[start], steps[end - 1] + 1
                conf = math.exp(min(token_log_probs[start:end]))
                words.append(
                    Word(
                        self.text(tokens[start:end]), first, last,
                        first * self.frame_seconds, last * self.frame_seconds, conf,
                    )
                )
            start = end + 1
        return words

    def _result(self, tokens, steps, token_log_probs, log_prob: float, done: Optional[_Committed] = None) -> Result:
        """A Result with its words; done: labels committed before these (streams)."""
        if done is None or not done.tokens:
            return Result(self.text(tokens), tuple(tokens), tuple(steps), log_prob,
                          tuple(self._words(tokens, steps, token_log_probs)))
        all_tokens, all_steps, words, open_tokens, open_steps, open_log_probs = done.frozen()
        open_tokens = open_tokens + list(tokens)
        open_steps = open_steps + list(steps)
        open_log_probs = open_log_probs + list(token_log_probs)
        return Result(
            done.text + self.text(open_tokens),
            all_tokens + tuple(tokens),
            all_steps + tuple(steps),
            log_prob,
            words + tuple(self._words(open_tokens, open_steps, open_log_probs)),
        )

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
        """A new, independent stream with the current hot words and weights."""
        return DecoderStream(self)

    def _one_shot(self, matrix) -> _Search:
        frames = self._as_matrix(matrix)
        if self._search is None:
            self._search = _Search(self)
        elif self._search._version != self._version:
            self._search._apply_settings()
        self._search._reset()
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
        """Best-path decoding: arg-max per frame, repeats merged, blanks dropped (no LM, no
        hot words)."""
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
        steps_t = tuple(steps[0 : length[0]])
        picked = frames[list(steps_t), list(toks)].astype(np.float64) if toks else np.zeros(0)
        with np.errstate(divide="ignore"):
            token_log_probs = np.log(picked) if self.input == "probs" else picked
        return self._result(toks, steps_t, [float(x) for x in token_log_probs], log_prob)

    def close(self) -> None:
        """Free the C decoder used by decode() now (streams own their own)."""
        if self._search is not None:
            self._search.close()
            self._search = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
