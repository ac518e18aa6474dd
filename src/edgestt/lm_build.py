"""Estimate an n-gram language model from text and write it as ARPA (pure Python + numpy).

This is the offline half of ``edgestt lm build``: the C core only loads and queries LMs.

The default method is interpolated modified Kneser-Ney with the modelling choices of KenLM's
``lmplz`` (Heafield et al. 2013, "Scalable Modified Kneser-Ney Language Model Estimation"):

* every sentence is ``<s> w1 ... wk </s>``; n-grams never cross a sentence boundary;
* the highest order uses raw counts; a lower-order n-gram uses its *adjusted* (continuation)
  count, the number of distinct words seen to its left, except when it starts with ``<s>``
  (nothing can stand to its left), where the raw count is kept;
* three discounts per order, D1, D2, D3+, from the count-of-counts n1..n4 of the adjusted
  counts: ``Y = n1 / (n1 + 2 n2)``, ``Dk = k - (k + 1) Y n(k+1) / nk`` (Chen & Goodman eq. 26);
  when they cannot be estimated (tiny or artificial text) ``discount_fallback`` is used
  (default 0.5, 1, 1.5 like ``lmplz --discount_fallback``) with a warning;
* ``p(w|h) = (a(h w) - D(a)) / sum_x a(h x) + gamma(h) p(w|h')``, with
  ``gamma(h) = (D1 N1(h) + D2 N2(h) + D3 N3+(h)) / sum_x a(h x)``; unigrams interpolate with
  the uniform distribution over the vocabulary without ``<s>`` (``<unk>`` included, which
  so gets ``gamma / |V|`` when it was never seen);
* the interpolation is folded into the stored probabilities and ``gamma(h)`` is the stored
  backoff of ``h``, so the ARPA file is a proper backoff model whose conditional
  distributions sum to one (checked in ``tests/test_lm_build.py``);
* count pruning (``prune=[0, 0, 1]``: drop trigrams and above seen once) works on raw counts
  like lmplz: thresholds must be non-decreasing and the unigram threshold 0, so every kept
  n-gram keeps its prefix and its suffix; the probability mass of pruned n-grams (their whole
  adjusted count) moves to the backoff weight of their context, which keeps the model
  normalised.

Differences from lmplz, on purpose:

* ``<s>`` is written with log10 probability -99 (the SRILM convention; lmplz writes 0). It is
  never predicted, so no score changes.
* ``<unk>`` is an ordinary word: with ``vocab_limit`` the words outside the top N are
  replaced by ``<unk>`` *in the text*, and the n-grams with ``<unk>`` are estimated like any
  other (lmplz rejects ``<unk>`` in its input).
* arithmetic is in float64 (lmplz uses float32), so probabilities differ by ~1e-7 relative.
* empty sentences are skipped (lmplz counts ``<s> </s>``).

``method="witten_bell"`` (interpolated Witten-Bell on raw counts) and ``method="add_one"`` are
there for comparison. Add-one at every order: ``p(w|h) = (c(h w) + |V| p(w|h')) / (c(h) + |V|)``,
i.e. one pseudo-count per vocabulary word distributed like the lower order (exactly Laplace
for unigrams); plain Laplace at higher orders cannot be written as a backoff model.
"""
from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import EmptyInput, FormatError, InvalidArgument
from .text_normalize import DEFAULT_ALPHABET, FileError, Normalizer, iter_sentences

__all__ = [
    "METHODS",
    "MAX_ORDER",
    "BuildStats",
    "NgramLM",
    "estimate",
    "build_arpa",
    "load_arpa",
    "perplexity",
]

#: Discounting methods accepted by :func:`estimate` / :func:`build_arpa`.
METHODS = ("modified_kneser_ney", "witten_bell", "add_one")
#: Highest supported order (the C loader reads orders 1-6).
MAX_ORDER = 6
#: lmplz's ``--discount_fallback`` default: D1, D2, D3+.
DEFAULT_DISCOUNT_FALLBACK = (0.5, 1.0, 1.5)

UNK, BOS, EOS = 0, 1, 2
SPECIALS = ("<unk>", "<s>", "</s>")
#: log10 probability written for ``<s>``.
BOS_LOG10_PROB = -99.0

PathLike = Union[str, "os.PathLike[str]"]
Corpus = Union[PathLike, Iterable[PathLike], Iterable[str]]
_CHUNK_SENTENCES = 20000


@dataclass(frozen=True)
class BuildStats:
    """What an estimation produced. `counts[n-1]` is the number of n-grams written."""

    order: int
    method: str
    counts: Tuple[int, ...]
    counts_before_pruning: Tuple[int, ...]
    discounts: Tuple[Tuple[float, float, float], ...]  # (D1, D2, D3+) per order; MKN only
    vocab_size: int  # unigrams, including <unk>, <s>, </s>
    sentences: int
    tokens: int  # words, without <s> and </s>
    oov_tokens: int  # words replaced by <unk> because of vocab_limit
    seconds: Dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- the model


class NgramLM:
    """An n-gram backoff model held in numpy arrays (log10 probabilities and backoffs).

    Made by :func:`estimate` or :func:`load_arpa`. N-grams of order n are stored sorted by
    ``key = prefix_id * V + last_word`` where `prefix_id` indexes order n-1 (for unigrams the
    id *is* the word id). Scoring follows the ARPA backoff rule, like KenLM and SRILM:
    ``log p(w|h) = log p(h_m w) + sum of backoffs of the contexts longer than the match``.
    Unknown words score as ``<unk>``.
    """

    def __init__(self, vocab: Sequence[str], tables: List[Tuple[np.ndarray, np.ndarray, np.ndarray]],
                 stats: Optional[BuildStats] = None):
        # tables[n-1] = (keys int64 sorted, log10 prob float64, log10 backoff float64)
        self.vocab: List[str] = list(vocab)
        self.word_to_id: Dict[str, int] = {w: i for i, w in enumerate(self.vocab)}
        if self.vocab[:3] != list(SPECIALS):
            raise FormatError("the vocabulary must start with <unk>, <s>, </s>")
        self._tables = tables
        self.order = len(tables)
        self.stats = stats

    # -- basic properties
    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def counts(self) -> Tuple[int, ...]:
        return tuple(len(t[0]) for t in self._tables)

    def __contains__(self, word: str) -> bool:
        return word in self.word_to_id

    def _words(self, order: int) -> np.ndarray:
        """Word ids (rows) of all n-grams of `order`, in storage order."""
        V = self.vocab_size
        keys = self._tables[order - 1][0]
        if order == 1:
            return keys.reshape(-1, 1) % V
        prefix_words = self._words(order - 1)
        return np.concatenate([prefix_words[keys // V], (keys % V).reshape(-1, 1)], axis=1)

    def _lookup(self, order: int, prefix_ids: np.ndarray, words: np.ndarray) -> np.ndarray:
        keys = self._tables[order - 1][0]
        q = prefix_ids.astype(np.int64) * self.vocab_size + words
        idx = np.searchsorted(keys, q)
        idx_c = np.minimum(idx, len(keys) - 1)
        found = (idx < len(keys)) & (keys[idx_c] == q) & (prefix_ids >= 0)
        return np.where(found, idx_c, -1)

    def ids(self, words: Iterable[str]) -> np.ndarray:
        get = self.word_to_id.get
        return np.array([get(w, UNK) for w in words], dtype=np.int64)

    # -- scoring
    def _score_stream(self, T: np.ndarray) -> np.ndarray:
        """log10 p of every token of a <s> ... </s> stream (0 at the <s> positions)."""
        N = self.order
        L = len(T)
        is_bos = T == BOS
        starts = np.flatnonzero(is_bos)
        if len(starts) == 0 or starts[0] != 0:
            raise InvalidArgument("internal: stream must start with <s>")
        lengths = np.diff(np.append(starts, L))
        pos = np.arange(L) - np.repeat(starts, lengths)  # index inside the sentence
        G = [T.astype(np.int64)]  # G[k-1][t]: id of the k-gram ending at t, or -1
        for k in range(2, N + 1):
            g = np.full(L, -1, dtype=np.int64)
            t = np.flatnonzero(pos >= k - 1)
            t = t[G[k - 2][t - 1] >= 0]
            if len(t):
                g[t] = self._lookup(k, G[k - 2][t - 1], T[t])
            G.append(g)
        # longest match m[t]
        m = np.ones(L, dtype=np.int64)
        for k in range(2, N + 1):
            m[G[k - 1] >= 0] = k
        logp = np.zeros(L)
        for k in range(1, N + 1):
            sel = m == k
            logp[sel] = self._tables[k - 1][1][G[k - 1][sel]]
        # backoffs of the contexts h[-k:] for k >= m (length of context used is m - 1)
        for k in range(1, N):
            ctx = np.zeros(L, dtype=np.int64) - 1
            ctx[1:] = G[k - 1][:-1]
            sel = (ctx >= 0) & (k >= m) & (pos >= k)
            logp[sel] += self._tables[k - 1][2][ctx[sel]]
        logp[is_bos] = 0.0
        return logp

    def _stream(self, sentences: Iterable[Union[str, Sequence[str]]],
                eos: bool = True) -> Tuple[np.ndarray, np.ndarray]:
        parts = []
        mask = []
        get = self.word_to_id.get
        for s in sentences:
            words = s.split() if isinstance(s, str) else list(s)
            ids = [BOS] + [get(w, UNK) for w in words] + [EOS]
            parts.append(ids)
            keep = [False] + [True] * len(words) + [eos]
            mask.append(keep)
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, bool)
        T = np.fromiter((i for p in parts for i in p), dtype=np.int64)
        M = np.fromiter((b for p in mask for b in p), dtype=bool, count=len(T))
        return T, M

    def score(self, sentence: Union[str, Sequence[str]], eos: bool = True) -> float:
        """log10 probability of one sentence (words separated by spaces, already normalised),
        in the context of ``<s>``; with ``eos`` the ``</s>`` term is included."""
        T, M = self._stream([sentence], eos)
        return float(self._score_stream(T)[M].sum())

    def score_many(self, sentences: Iterable[Union[str, Sequence[str]]], eos: bool = True) -> np.ndarray:
        """log10 probability of each sentence (vectorised; fast for many sentences)."""
        sentences = list(sentences)
        T, M = self._stream(sentences, eos)
        if len(T) == 0:
            return np.zeros(0)
        lp = np.where(M, self._score_stream(T), 0.0)
        sent = np.cumsum(T == BOS) - 1
        return _bincount(sent, weights=lp, minlength=len(sentences))

    def logprob(self, word: str, context: Sequence[str] = ()) -> float:
        """log10 p(word | context) by the backoff rule; `context` is oldest first and may start
        with ``<s>``. Cheap scalar version (used for checks)."""
        ctx = [self.word_to_id.get(w, UNK) for w in context][-(self.order - 1):] if self.order > 1 else []
        w = self.word_to_id.get(word, UNK)
        if w == BOS:
            return BOS_LOG10_PROB
        # ids of the context suffixes h[-k:], k = 1..len(ctx)
        V = self.vocab_size
        total = 0.0
        for k in range(len(ctx), -1, -1):
            hist = ctx[len(ctx) - k:]
            # find the n-gram hist + w
            gid = self._find(hist + [w])
            if gid >= 0:
                return total + float(self._tables[k][1][gid])
            hid = self._find(hist) if k else -1
            if hid >= 0:
                total += float(self._tables[k - 1][2][hid])
        raise AssertionError("unreachable: every word is a unigram")

    def _find(self, words: List[int]) -> int:
        if not words:
            return -1
        gid = words[0]
        if gid < 0 or gid >= self.vocab_size:
            return -1
        for k in range(2, len(words) + 1):
            gid = int(self._lookup(k, np.array([gid]), np.array([words[k - 1]]))[0])
            if gid < 0:
                return -1
        return gid

    def perplexity(self, sentences: Iterable[Union[str, Sequence[str]]]) -> float:
        """Per-token perplexity over `sentences` (each word and each ``</s>`` is a token;
        unknown words are scored as ``<unk>`` and counted, as KenLM does)."""
        sentences = list(sentences)
        T, M = self._stream(sentences)
        if not M.any():
            raise EmptyInput("no sentences to compute a perplexity on")
        lp = self._score_stream(T)
        return float(10.0 ** (-lp[M].sum() / M.sum()))

    # -- output
    def write_arpa(self, path: PathLike) -> None:
        """Write the model as an ARPA file (log10 values; ``<s>`` with -99)."""
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as out:
                out.write("\\data\\\n")
                for n, c in enumerate(self.counts, 1):
                    out.write(f"ngram {n}={c}\n")
                out.write("\n")
                texts: List[str] = []
                V = self.vocab_size
                fmt = "{:.7g}".format
                for n in range(1, self.order + 1):
                    keys, lp, bo = self._tables[n - 1]
                    out.write(f"\\{n}-grams:\n")
                    keep_texts = n < self.order
                    new_texts: List[str] = []
                    voc = self.vocab
                    step = 1 << 17
                    for i in range(0, len(keys), step):
                        k = keys[i:i + step]
                        words = (k % V).tolist()
                        if n == 1:
                            chunk = [voc[w] for w in words]
                        else:
                            chunk = [texts[p] + " " + voc[w] for p, w in zip((k // V).tolist(), words)]
                        lp_s = map(fmt, np.minimum(lp[i:i + step], 0.0).tolist())
                        if n < self.order:
                            bo_s = map(fmt, (bo[i:i + step] + 0.0).tolist())
                            out.write("".join([f"{p}\t{t}\t{b}\n" for p, t, b in zip(lp_s, chunk, bo_s)]))
                        else:
                            out.write("".join([f"{p}\t{t}\n" for p, t in zip(lp_s, chunk)]))
                        if keep_texts:
                            new_texts.extend(chunk)
                    out.write("\n")
                    texts = new_texts
                out.write("\\end\\\n")
        except OSError as exc:
            raise FileError(f"cannot write {os.fspath(path)!r}: {exc.strerror or exc}") from exc


# --------------------------------------------------------------------------- reading text


def _is_path(x) -> bool:
    return isinstance(x, os.PathLike)


def _sentence_source(corpus: Corpus, normalize: bool, alphabet: str, text_mode: str) -> Iterator[str]:
    """Normalised sentences from paths or from an iterable of sentences."""
    if isinstance(corpus, (str, os.PathLike)):
        yield from iter_sentences([corpus], alphabet=alphabet, mode=text_mode)
        return
    if isinstance(corpus, (bytes, bytearray)):
        raise InvalidArgument("corpus must be a path, a list of paths or an iterable of str sentences")
    try:
        it = iter(corpus)
    except TypeError:
        raise InvalidArgument(
            f"corpus must be a path, a list of paths or an iterable of sentences, got {type(corpus).__name__}"
        ) from None
    norm = Normalizer(alphabet) if normalize else None
    for item in it:
        if _is_path(item):
            yield from iter_sentences([item], alphabet=alphabet, mode=text_mode)
        elif isinstance(item, str):
            s = norm(item) if norm is not None else " ".join(item.split())
            if s:
                yield s
        else:
            raise InvalidArgument(f"corpus items must be str sentences or os.PathLike paths, got {type(item).__name__}")


class _Vocab(dict):
    def __missing__(self, key):
        v = len(self)
        self[key] = v
        return v


def _read_tokens(sentences: Iterator[str]) -> Tuple[np.ndarray, List[str], int]:
    """Token stream (``<s> w.. </s>`` per sentence) as int32 ids in first-seen order."""
    vocab = _Vocab()
    for s in SPECIALS:
        vocab[s]
    chunks: List[np.ndarray] = []
    n_sent = 0
    buf: List[str] = []

    def flush():
        nonlocal buf
        if not buf:
            return
        joined = " </s> <s> ".join(buf)
        if "<s>" in "\n".join(buf) or "</s>" in "\n".join(buf):
            # Sentences carrying their own markers: drop them (like lmplz --skip_symbols).
            joined = " </s> <s> ".join(
                " ".join(w for w in s.split() if w not in ("<s>", "</s>")) for s in buf)
        toks = ("<s> " + joined + " </s>").split()
        chunks.append(np.fromiter(map(vocab.__getitem__, toks), dtype=np.int32, count=len(toks)))
        buf = []

    for s in sentences:
        buf.append(s)
        n_sent += 1
        if len(buf) >= _CHUNK_SENTENCES:
            flush()
    flush()
    T = np.concatenate(chunks) if chunks else np.zeros(0, np.int32)
    words = [None] * len(vocab)
    for w, i in vocab.items():
        words[i] = w
    return T, words, n_sent


# --------------------------------------------------------------------------- estimation


def _check_args(order, vocab_limit, prune, method):
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise InvalidArgument(f"order must be an integer, got {order!r}")
    if not 1 <= order <= MAX_ORDER:
        raise InvalidArgument(f"order must be between 1 and {MAX_ORDER}, got {order}")
    if method not in METHODS:
        raise InvalidArgument(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if vocab_limit is not None:
        if isinstance(vocab_limit, bool) or not isinstance(vocab_limit, (int, np.integer)) or vocab_limit < 1:
            raise InvalidArgument(f"vocab_limit must be a positive integer or None, got {vocab_limit!r}")
    thresholds = [0] * order
    if prune is not None:
        prune = list(prune)
        if not prune:
            prune = [0]
        if len(prune) > order:
            raise InvalidArgument(f"prune has {len(prune)} thresholds but the model has order {order}")
        for t in prune:
            if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
                raise InvalidArgument(f"prune thresholds must be non-negative integers, got {prune!r}")
        if prune[0] != 0:
            raise InvalidArgument("unigrams cannot be pruned (prune[0] must be 0); use vocab_limit instead")
        if any(b < a for a, b in zip(prune, prune[1:])):
            raise InvalidArgument(
                f"prune thresholds must be non-decreasing (got {prune}); otherwise the suffixes of "
                "kept n-grams would be removed")
        thresholds = [int(t) for t in prune] + [int(prune[-1])] * (order - len(prune))
    return thresholds


def _bincount(indices, **kwargs) -> np.ndarray:
    """np.bincount on indices of any integer dtype. On 32-bit platforms numpy refuses int64
    input (it may not cast safely to intp); the indices here are array positions, so they fit."""
    return np.bincount(np.asarray(indices).astype(np.intp, copy=False), **kwargs)


def _discounts(adjusted: np.ndarray, n: int, fallback) -> Tuple[float, float, float]:
    nk = _bincount(np.minimum(adjusted, 5), minlength=6)[1:5].astype(np.float64)  # n1..n4
    try:
        if (nk[:3] == 0).any():
            raise ValueError(f"no {n}-grams with adjusted count {1 + int(np.argmax(nk[:3] == 0))}")
        y = nk[0] / (nk[0] + 2.0 * nk[1])
        d = tuple(float(k - (k + 1) * y * nk[k] / nk[k - 1]) for k in (1, 2, 3))
        for k, dk in enumerate(d, 1):
            if not 0.0 <= dk <= k:
                raise ValueError(f"discount D{k}={dk:.4g} out of range")
        return d
    except ValueError as exc:
        if fallback is None:
            raise InvalidArgument(
                f"cannot estimate Kneser-Ney discounts for order {n}: {exc} (small or artificial "
                "text?); pass discount_fallback=(D1, D2, D3+)") from None
        warnings.warn(f"order {n}: {exc}; using fallback discounts {tuple(fallback)}", RuntimeWarning,
                      stacklevel=4)
        return tuple(float(x) for x in fallback)


def estimate(
    corpus: Corpus,
    order: int = 4,
    *,
    vocab_limit: Optional[int] = None,
    prune: Optional[Sequence[int]] = None,
    method: str = "modified_kneser_ney",
    normalize: bool = True,
    alphabet: str = DEFAULT_ALPHABET,
    text_mode: str = "auto",
    discount_fallback: Optional[Sequence[float]] = DEFAULT_DISCOUNT_FALLBACK,
    log: Optional[Callable[[str], None]] = None,
) -> NgramLM:
    """Estimate an n-gram LM and return it in memory (see :func:`build_arpa` for the arguments).

    The returned :class:`NgramLM` has a ``stats`` attribute (:class:`BuildStats`).
    """
    thresholds = _check_args(order, vocab_limit, prune, method)
    if discount_fallback is not None:
        discount_fallback = tuple(float(x) for x in discount_fallback)
        if len(discount_fallback) != 3:
            raise InvalidArgument("discount_fallback must be three numbers (D1, D2, D3+)")
    say = log or (lambda msg: None)
    secs: Dict[str, float] = {}
    t0 = time.perf_counter()

    # ---- text -> token ids
    T, words, n_sent = _read_tokens(_sentence_source(corpus, normalize, alphabet, text_mode))
    n_tokens = len(T) - 2 * n_sent
    if n_tokens <= 0:
        raise EmptyInput("the corpus holds no words (after normalisation)")
    secs["read"] = time.perf_counter() - t0
    say(f"read {n_sent} sentences, {n_tokens} words, {len(words) - 3} word types in {secs['read']:.1f} s")

    # ---- vocabulary: specials, then by descending count, ties alphabetical
    t1 = time.perf_counter()
    raw_vocab_counts = _bincount(T, minlength=len(words))
    order_idx = sorted(range(3, len(words)), key=lambda i: (-raw_vocab_counts[i], words[i]))
    if vocab_limit is not None:
        order_idx = order_idx[:vocab_limit]
    remap = np.full(len(words), UNK, dtype=np.int32)
    remap[:3] = np.arange(3)
    remap[np.array(order_idx, dtype=np.int64)] = np.arange(3, 3 + len(order_idx), dtype=np.int32)
    vocab = list(SPECIALS) + [words[i] for i in order_idx]
    T = remap[T]
    oov = int(raw_vocab_counts[3:].sum() - raw_vocab_counts[np.array(order_idx, dtype=np.int64)].sum()) \
        if order_idx else int(raw_vocab_counts[3:].sum())
    del words, raw_vocab_counts, remap
    V = len(vocab)
    secs["vocab"] = time.perf_counter() - t1

    # ---- count n-grams of every order
    t1 = time.perf_counter()
    L = len(T)
    starts = np.flatnonzero(T == BOS)
    lengths = np.diff(np.append(starts, L))
    rem = (np.repeat(starts + lengths, lengths) - np.arange(L)).astype(np.int32)  # tokens left
    del starts, lengths
    prefix: List[np.ndarray] = [np.zeros(V, np.int64)]  # per order: id of the prefix (order n-1)
    lastw: List[np.ndarray] = [np.arange(V, dtype=np.int64)]
    suffix: List[np.ndarray] = [np.zeros(V, np.int64)]  # id of the suffix (order n-1); unused for n=1
    raw: List[np.ndarray] = [_bincount(T, minlength=V).astype(np.int64)]
    bos_first: List[np.ndarray] = [np.arange(V) == BOS]
    ids_prev = T.astype(np.int32)
    for n in range(2, order + 1):
        pos = np.flatnonzero(rem >= n)
        key = ids_prev[pos].astype(np.int64) * V + T[pos + n - 1]
        uniq, inv = np.unique(key, return_inverse=True)
        inv = inv.reshape(-1).astype(np.int32)
        del key
        p = (uniq // V).astype(np.int32)
        prefix.append(p)
        lastw.append((uniq % V).astype(np.int32))
        raw.append(_bincount(inv, minlength=len(uniq)).astype(np.int64))
        suf = np.empty(len(uniq), np.int32)
        suf[inv] = ids_prev[pos + 1]
        suffix.append(suf)
        bos_first.append(bos_first[-1][p])
        ids_new = np.full(L, -1, np.int32)
        ids_new[pos] = inv
        ids_prev = ids_new
        del uniq, inv, pos, p
        say(f"counted {len(raw[-1])} {n}-grams")
    del ids_prev, rem, T
    secs["count"] = time.perf_counter() - t1
    counts_all = tuple(len(r) for r in raw)

    # ---- adjusted counts (MKN) or raw counts
    t1 = time.perf_counter()
    if method == "modified_kneser_ney":
        adj = []
        for n in range(1, order + 1):
            if n == order:
                a = raw[n - 1].copy()
            else:
                a = _bincount(suffix[n], minlength=counts_all[n - 1]).astype(np.int64)
                b = bos_first[n - 1]
                a[b] = raw[n - 1][b]
            adj.append(a)
        adj[0][BOS] = 0
    else:
        adj = [r.copy() for r in raw]
        adj[0][BOS] = 0
    kept = [np.ones(counts_all[0], bool)] + [raw[n - 1] > thresholds[n - 1] for n in range(2, order + 1)]

    # ---- discounts, uninterpolated probabilities and interpolation weights
    discounts: List[Tuple[float, float, float]] = []
    n_vocab_pred = V - 1  # |V| without <s>
    probs: List[np.ndarray] = []
    gammas: List[Optional[np.ndarray]] = []  # gammas[n-1]: backoff weight of each n-gram as a context
    for n in range(1, order + 1):
        a = adj[n - 1].astype(np.float64)
        if method == "modified_kneser_ney":
            d = _discounts(adj[n - 1], n, discount_fallback)
            discounts.append(d)
            D = np.array((0.0,) + d)[np.minimum(adj[n - 1], 3)]
            num = a - D
            mass = np.where(kept[n - 1], D, a)
            extra = 0.0
        else:
            num = a
            mass = np.where(kept[n - 1], 0.0, a)
        if n == 1:
            den = a.sum()
            if method == "modified_kneser_ney":
                g = mass.sum() / den
            elif method == "witten_bell":
                types = float(np.count_nonzero(adj[0]))
                den += types
                g = types / den
            else:  # add_one
                den += n_vocab_pred
                g = n_vocab_pred / den
            p1 = num / den + g / n_vocab_pred
            p1[BOS] = 0.0
            probs.append(p1)
            continue
        pre = prefix[n - 1]
        nctx = counts_all[n - 2]
        den = _bincount(pre, weights=a, minlength=nctx)
        gm = _bincount(pre, weights=mass, minlength=nctx)
        if method == "witten_bell":
            types = _bincount(pre, minlength=nctx).astype(np.float64)
            den = den + types
            gm = gm + types
        elif method == "add_one":
            has = den > 0
            den = den + np.where(has, n_vocab_pred, 0)
            gm = gm + np.where(has, n_vocab_pred, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            gamma = np.where(den > 0, gm / np.where(den > 0, den, 1.0), 1.0)
        gammas.append(gamma)  # for order n-1 contexts
        u = num / den[pre]
        probs.append(u + gamma[pre] * probs[n - 2][suffix[n - 1]])
    gammas.append(None)
    secs["estimate"] = time.perf_counter() - t1

    # ---- drop pruned n-grams and renumber
    t1 = time.perf_counter()
    tables = []
    new_id_prev = None
    for n in range(1, order + 1):
        k = kept[n - 1]
        new_id = np.cumsum(k, dtype=np.int64) - 1  # int64: the keys below exceed 2^31 (32-bit numpy)
        with np.errstate(divide="ignore"):
            lp = np.log10(probs[n - 1][k])
        if n == 1:
            lp[BOS] = BOS_LOG10_PROB
            keys = np.arange(V, dtype=np.int64)
        else:
            keys = new_id_prev[prefix[n - 1][k]] * V + lastw[n - 1][k].astype(np.int64)
        if n < order:
            with np.errstate(divide="ignore"):
                bo = np.log10(gammas[n - 1][k])
            bo[bo == 0] = 0.0  # no negative zeros
        else:
            bo = np.zeros(int(k.sum()))
        tables.append((keys, lp, bo))
        new_id_prev = new_id
    secs["prune"] = time.perf_counter() - t1
    secs["total"] = time.perf_counter() - t0
    stats = BuildStats(
        order=order, method=method, counts=tuple(len(t[0]) for t in tables),
        counts_before_pruning=counts_all, discounts=tuple(discounts), vocab_size=V,
        sentences=n_sent, tokens=n_tokens, oov_tokens=oov, seconds=secs)
    say(f"estimated in {secs['total']:.1f} s: " + ", ".join(f"{c} {n}-grams" for n, c in enumerate(stats.counts, 1)))
    return NgramLM(vocab, tables, stats)


def build_arpa(
    corpus: Corpus,
    out_path: PathLike,
    order: int = 4,
    *,
    vocab_limit: Optional[int] = None,
    prune: Optional[Sequence[int]] = None,
    method: str = "modified_kneser_ney",
    normalize: bool = True,
    alphabet: str = DEFAULT_ALPHABET,
    text_mode: str = "auto",
    discount_fallback: Optional[Sequence[float]] = DEFAULT_DISCOUNT_FALLBACK,
    log: Optional[Callable[[str], None]] = None,
) -> BuildStats:
    """Estimate an n-gram LM from text and write it to `out_path` as ARPA.

    corpus:  a text file path (``str`` or ``os.PathLike``), an iterable of ``os.PathLike``
             paths (use ``pathlib.Path`` objects), or an iterable of ``str`` sentences (one
             sentence per item). Files are read as UTF-8, normalised to `alphabet` and
             sentence-split (`text_mode`: ``"auto"``, ``"prose"`` or ``"lines"``, see
             :func:`edgestt.text_normalize.iter_sentences`). Sentence strings are normalised
             too unless ``normalize=False`` (then they are only split on whitespace).
    order:   1 to 6.
    vocab_limit: keep the N most frequent words; all others become ``<unk>`` in the text.
    prune:   raw-count thresholds per order, e.g. ``[0, 0, 1]`` drops trigrams and higher
             n-grams seen once; non-decreasing, first value 0, the last one repeats.
    method:  ``"modified_kneser_ney"`` (default), ``"witten_bell"`` or ``"add_one"``.
    discount_fallback: (D1, D2, D3+) used with a warning when MKN discounts cannot be
             estimated from the counts; ``None`` raises :class:`InvalidArgument` instead.
    log:     called with progress messages (for example ``print``); silent by default.

    Errors: :class:`InvalidArgument` for bad arguments, :class:`EmptyInput` for a corpus
    without words, ``FileError`` (an ``OSError``; ``ModelError`` where ``errors.FileError``
    does not exist) for unreadable input or unwritable output, :class:`FormatError` for a
    file that is not UTF-8.
    Returns the :class:`BuildStats` (n-gram counts, discounts, timings).
    """
    t0 = time.perf_counter()
    lm = estimate(corpus, order, vocab_limit=vocab_limit, prune=prune, method=method,
                  normalize=normalize, alphabet=alphabet, text_mode=text_mode,
                  discount_fallback=discount_fallback, log=log)
    t1 = time.perf_counter()
    lm.write_arpa(out_path)
    stats = lm.stats
    stats.seconds["write"] = time.perf_counter() - t1
    stats.seconds["total"] = time.perf_counter() - t0
    if log:
        log(f"wrote {os.fspath(out_path)} in {stats.seconds['write']:.1f} s")
    return stats


# --------------------------------------------------------------------------- ARPA reading


def load_arpa(path: PathLike) -> NgramLM:
    """Read an ARPA file into an :class:`NgramLM` (pure Python; for checks and perplexity).

    Every n-gram's prefix must be present (as in files written by lmplz, SRILM or this
    module); ``<unk>``, ``<s>`` and ``</s>`` are added with log10 probability -99 if missing.
    Raises :class:`FormatError` (with the line number) for malformed files and
    ``FileError`` if the file cannot be read.
    """
    try:
        f = open(path, "r", encoding="utf-8")
    except OSError as exc:
        raise FileError(f"cannot read ARPA file {os.fspath(path)!r}: {exc.strerror or exc}") from exc
    name = os.fspath(path)
    with f:
        lineno = 0
        declared: Dict[int, int] = {}
        line = ""

        def fail(msg):
            raise FormatError(f"{name} line {lineno}: {msg}")

        for line in f:
            lineno += 1
            if line.strip() == "\\data\\":
                break
        else:
            fail("no \\data\\ header")
        for line in f:
            lineno += 1
            s = line.strip()
            if not s:
                if declared:
                    break
                continue
            if not s.startswith("ngram "):
                fail(f"expected 'ngram N=count', got {s[:40]!r}")
            try:
                a, b = s[6:].split("=")
                declared[int(a)] = int(b)
            except ValueError:
                fail(f"bad count line {s[:40]!r}")
        order = max(declared) if declared else 0
        if order < 1 or sorted(declared) != list(range(1, order + 1)):
            fail("ngram counts must be given for orders 1..N")
        rows: List[List[Tuple[List[str], float, float]]] = []
        for n in range(1, order + 1):
            for line in f:
                lineno += 1
                s = line.strip()
                if s:
                    break
            if s != f"\\{n}-grams:":
                fail(f"expected \\{n}-grams:, got {s[:40]!r}")
            entries = []
            for line in f:
                lineno += 1
                parts = line.split()
                if not parts:
                    break
                if len(parts) == n + 1:
                    bo = 0.0
                elif len(parts) == n + 2:
                    try:
                        bo = float(parts[-1])
                    except ValueError:
                        fail(f"bad backoff {parts[-1]!r}")
                else:
                    fail(f"expected {n} words after the probability")
                try:
                    lp = float(parts[0])
                except ValueError:
                    fail(f"bad probability {parts[0]!r}")
                entries.append((parts[1:n + 1], lp, bo))
            if len(entries) != declared[n]:
                fail(f"{len(entries)} {n}-grams, header says {declared[n]}")
            rows.append(entries)
        rest = f.read().strip()
        if rest != "\\end\\":
            lineno += 1
            fail("missing \\end\\")
    # vocabulary: specials first, then the unigram order
    vocab = list(SPECIALS)
    seen = set(vocab)
    for w, _, _ in rows[0]:
        if w[0] not in seen:
            vocab.append(w[0])
            seen.add(w[0])
    w2i = {w: i for i, w in enumerate(vocab)}
    V = len(vocab)
    lp1 = np.full(V, -99.0)
    bo1 = np.zeros(V)
    for w, lp, bo in rows[0]:
        i = w2i[w[0]]
        lp1[i] = lp
        bo1[i] = bo
    tables = [(np.arange(V, dtype=np.int64), lp1, bo1)]
    for n in range(2, order + 1):
        entries = rows[n - 1]
        W = np.array([[w2i.get(x, -1) for x in e[0]] for e in entries], dtype=np.int64).reshape(-1, n)
        if (W < 0).any():
            bad = entries[int(np.flatnonzero((W < 0).any(axis=1))[0])][0]
            raise FormatError(f"{name}: {n}-gram {' '.join(bad)!r} has a word that is not a unigram")
        pid = W[:, 0]
        tmp = NgramLM(vocab, tables)
        for k in range(2, n):
            pid = tmp._lookup(k, pid, W[:, k - 1])
        if (pid < 0).any():
            bad = entries[int(np.flatnonzero(pid < 0)[0])][0]
            raise FormatError(f"{name}: the prefix of {n}-gram {' '.join(bad)!r} is missing")
        keys = pid * V + W[:, n - 1]
        lp = np.array([e[1] for e in entries])
        bo = np.array([e[2] for e in entries])
        srt = np.argsort(keys, kind="stable")
        keys, lp, bo = keys[srt], lp[srt], bo[srt]
        if len(keys) > 1 and (np.diff(keys) == 0).any():
            raise FormatError(f"{name}: duplicate {n}-gram")
        tables.append((keys, lp, bo))
    return NgramLM(vocab, tables)


def perplexity(lm: Union[NgramLM, PathLike], text: Corpus, *, normalize: bool = True,
               alphabet: str = DEFAULT_ALPHABET, text_mode: str = "auto") -> float:
    """Perplexity of `lm` (an :class:`NgramLM` or an ARPA path) on `text` (same forms as the
    `corpus` argument of :func:`build_arpa`)."""
    model = lm if isinstance(lm, NgramLM) else load_arpa(lm)
    return model.perplexity(list(_sentence_source(text, normalize, alphabet, text_mode)))
