"""The n-gram language model of the C core: ARPA or edgestt binary, KenLM-exact scores.

    from edgestt import LanguageModel
    with LanguageModel("lm.arpa") as lm:           # or a binary written by lm.save()
        lm.score("the cat sat")                     # log10 P(the cat sat </s> | <s>), as kenlm
        lm.perplexity("the cat sat")
        p, s = lm.score_word(lm.bos_state(), "the") # state API, states are frozen values
        lm.save("lm.eslm", quantize=True)           # memory-mapped on the next load

A loaded model is read-only: share it between threads and decoders freely.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Tuple, Union

from . import errors
from ._ffi import NativeObject, check, new_err_buffer
from ._native import ffi, lib

_STATE_SIZE = ffi.sizeof("es_lm_state")

PathLike = Union[str, bytes, "os.PathLike[str]"]


@dataclass(frozen=True)
class LMState:
    """A language-model context (immutable, hashable; equal states predict alike).

    `words` are the kept context word ids, most recent first."""

    raw: bytes

    @property
    def length(self) -> int:
        return int(ffi.cast("es_lm_state *", ffi.from_buffer(self.raw)).length)

    @property
    def words(self) -> Tuple[int, ...]:
        s = ffi.cast("es_lm_state *", ffi.from_buffer(self.raw))
        return tuple(int(s.words[i]) for i in range(s.length))

    def __repr__(self) -> str:
        return f"LMState(words={self.words})"


def _state(raw) -> LMState:
    return LMState(bytes(ffi.buffer(raw, _STATE_SIZE)))


def _text(sentence) -> bytes:
    """UTF-8 bytes; words are split at ASCII white space, as kenlm (bytes.split)."""
    if isinstance(sentence, str):
        return sentence.encode("utf-8")
    if isinstance(sentence, (bytes, bytearray)):
        return bytes(sentence)
    raise errors.InvalidArgument(f"a sentence must be str or bytes, got {type(sentence).__name__}")


class LanguageModel(NativeObject):
    """A back-off n-gram LM (orders 1-6) from an ARPA file or an edgestt binary file.

    verify=True also checks a binary file's data checksum and structure (O(size));
    by default loading a binary is O(1) and checks only its header and layout."""

    def __init__(self, path: PathLike, verify: bool = False):
        self.path = os.fspath(path)
        encoded = os.fsencode(self.path)
        err = new_err_buffer()
        out = ffi.new("es_lm **")
        check(lib.es_lm_load(encoded, out, err, len(err)), err, context=f"cannot load {self.path}")
        self._own(out[0], lib.es_lm_free)
        self.order = int(lib.es_lm_order(self._handle))
        self.vocab_size = int(lib.es_lm_vocab_size(self._handle))
        self.quantize_bits = int(lib.es_lm_quantize_bits(self._handle))
        self._score_out = None
        if verify:
            self.verify()

    # close(), context manager: NativeObject. States stay valid values after close.

    def __repr__(self) -> str:
        return f"LanguageModel({self.path!r}, order={self.order}, vocab_size={self.vocab_size})"

    # ---- facts
    def verify(self) -> None:
        """Check the data checksum and structure; raise FormatError when corrupt."""
        err = new_err_buffer()
        check(lib.es_lm_verify(self._live(), err, len(err)), err, context=f"{self.path}")

    def ngram_count(self, n: int) -> int:
        """n-grams of order n in the source ARPA (n = 1 includes an added <unk>)."""
        return int(lib.es_lm_ngram_count(self._live(), int(n)))

    @property
    def counts(self) -> Tuple[int, ...]:
        return tuple(self.ngram_count(n) for n in range(1, self.order + 1))

    @property
    def size_bytes(self) -> int:
        """Bytes of model data (the binary file's size)."""
        return int(lib.es_lm_size_bytes(self._live()))

    # ---- vocabulary
    def word_id(self, word: str) -> int:
        """The id of word; 0 (<unk>) when it is not in the vocabulary."""
        b = word.encode("utf-8")
        return int(lib.es_lm_word_id(self._live(), b, len(b)))

    def word(self, word_id: int) -> str:
        p = lib.es_lm_word(self._live(), int(word_id))
        if p == ffi.NULL:
            raise errors.InvalidArgument(f"word id {word_id} is not below vocab_size {self.vocab_size}")
        return ffi.string(p).decode("utf-8", "replace")

    def __contains__(self, word: str) -> bool:
        """As kenlm: the word has an id other than <unk>'s."""
        return self.word_id(word) != 0

    def __len__(self) -> int:
        return self.vocab_size

    def is_word(self, word: str) -> bool:
        """An ordinary vocabulary word (not <unk>, <s> or </s>)."""
        b = word.encode("utf-8")
        return bool(lib.es_lm_is_word(self._live(), b, len(b)))

    def has_prefix(self, prefix: str) -> bool:
        """Some ordinary vocabulary word starts with prefix."""
        b = prefix.encode("utf-8")
        return bool(lib.es_lm_has_prefix(self._live(), b, len(b)))

    # ---- scoring
    def score(self, sentence: Union[str, bytes], bos: bool = True, eos: bool = True) -> float:
        """log10 P(sentence [</s>] | [<s>]) of words separated by ASCII white space, as kenlm.Model.score."""
        handle = self._handle
        if handle is None:
            raise errors.ClosedError("this LanguageModel is closed")
        data = sentence.encode("utf-8") if type(sentence) is str else _text(sentence)
        return lib.es_lm_sentence_log10(handle, data, len(data), bos, eos)

    def full_scores(self, sentence: Union[str, bytes], bos: bool = True, eos: bool = True
                    ) -> Iterator[Tuple[float, int, bool]]:
        """Per word (and </s>): (log10 prob, length of the matched n-gram, is OOV), as kenlm."""
        handle = self._live()
        state = ffi.new("es_lm_state *")
        (lib.es_lm_bos_state if bos else lib.es_lm_null_state)(handle, state)
        length = ffi.new("int *")
        words = _text(sentence).split()
        ids = [lib.es_lm_word_id(handle, w, len(w)) for w in words]
        if eos:
            ids.append(2)
        for i, wid in enumerate(ids):
            p = lib.es_lm_score_detail(handle, state, wid, state, length)
            yield p, int(length[0]), (wid == 0 and i < len(words))

    def perplexity(self, text: Union[str, Iterable[str]]) -> float:
        """10^(-log10 P / tokens), tokens counting </s>. A str is one sentence (as kenlm);
        an iterable of sentences gives the perplexity of the whole corpus."""
        if isinstance(text, (str, bytes)):
            text = [text]
        total = 0.0
        tokens = 0
        handle = self._live()
        out = ffi.new("float *")
        nwords = ffi.new("size_t *")
        for sentence in text:
            data = _text(sentence)
            check(lib.es_lm_score_sentence(handle, data, len(data), True, True, out, nwords, ffi.NULL))
            total += out[0]
            tokens += nwords[0] + 1
        if tokens == 0:
            raise errors.EmptyInput("no sentences to compute a perplexity over")
        return 10.0 ** (-total / tokens)

    # ---- state API
    def bos_state(self) -> LMState:
        """The context at the start of a sentence (after <s>)."""
        s = ffi.new("es_lm_state *")
        lib.es_lm_bos_state(self._live(), s)
        return _state(s)

    def null_state(self) -> LMState:
        """The empty context."""
        s = ffi.new("es_lm_state *")
        lib.es_lm_null_state(self._live(), s)
        return _state(s)

    def score_word(self, state: LMState, word: Union[str, int]) -> Tuple[float, LMState]:
        """(log10 P(word | state), the state after word). word: a string or a word id."""
        handle = self._handle
        if handle is None:
            raise errors.ClosedError("this LanguageModel is closed")
        if type(state) is not LMState or len(state.raw) != _STATE_SIZE:
            raise errors.InvalidArgument("state must be an LMState from this module")
        if type(word) is str:
            b = word.encode("utf-8")
            wid = lib.es_lm_word_id(handle, b, len(b))
        else:
            wid = word
        # The input state is read in place from its bytes; the output goes to a fresh buffer
        # (nothing is cached on the model, which threads may share).
        out = bytearray(_STATE_SIZE)
        p = lib.es_lm_score(handle, ffi.from_buffer("es_lm_state *", state.raw), wid,
                            ffi.from_buffer("es_lm_state *", out))
        return p, LMState(bytes(out))

    # ---- writing
    def save(self, path: PathLike, quantize: bool = False) -> None:
        """Write the edgestt binary format (8-bit codebooks when quantize)."""
        err = new_err_buffer()
        check(lib.es_lm_write_binary(self._live(), os.fsencode(os.fspath(path)), 8 if quantize else 0, err, len(err)),
              err, context=f"cannot write {os.fspath(path)}")
