"""Text normalisation to a model alphabet, and sentence splitting for book text.

Used to prepare language-model training text (see :mod:`edgestt.lm_build`) and to put
transcripts into the same form as the model's output.

The default alphabet is that of the English DeepSpeech / QuartzNet models: ``a``-``z`` and
the apostrophe. Normalising a piece of text means:

* Unicode compatibility decomposition with the accents stripped (``café`` -> ``cafe``,
  ``ﬁ`` -> ``fi``) when the alphabet is plain ASCII; NFKC otherwise;
* curly and other look-alike apostrophes (``’ ‘ ʼ ′ ´``) become ``'``;
* lower-casing (unless the alphabet itself has upper-case letters);
* every character outside the alphabet becomes a space (digits, punctuation, ``_italics_``
  underscores, dashes ...);
* apostrophes are kept only inside words (``don't``, ``o'clock``); leading and trailing ones,
  which in book text are nearly always single quotation marks, are dropped;
* runs of spaces collapse, so the result is words separated by single spaces.

Sentence splitting (:func:`split_sentences`, :func:`iter_sentences`) understands Project
Gutenberg prose: paragraphs are separated by blank lines and wrapped over several lines;
indented lines (tables of contents, verse, letters) stay lines of their own; a sentence ends
at ``.``, ``!`` or ``?`` (plus closing quotes or brackets) followed by a capital letter, a
digit or an opening quote, except after common abbreviations (``Mr.``, ``Dr.``, ``St.`` ...)
and single-letter initials. Files with no blank lines at all (Common Voice sentence lists)
are read as one sentence per line.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator, List, Sequence, Union

from . import errors as _errors
from .errors import EmptyInput, FormatError, InvalidArgument

#: Raised for files that cannot be read or written: ``errors.FileError`` (an ``OSError``)
#: where it exists, else its closest older relative ``errors.ModelError`` (also an ``OSError``).
FileError = getattr(_errors, "FileError", _errors.ModelError)

__all__ = [
    "DEFAULT_ALPHABET",
    "Normalizer",
    "normalize_text",
    "split_sentences",
    "iter_sentences",
    "read_text_file",
    "normalize_corpus",
]

#: Letters of the default English model alphabet (the space is implicit).
DEFAULT_ALPHABET = "abcdefghijklmnopqrstuvwxyz'"

PathLike = Union[str, "os.PathLike[str]"]

# Characters that stand for an apostrophe in real text.
_APOSTROPHES = "\u2019\u2018\u02bc\u2032\u00b4\u0060\u02b9\u201b\uff07"
_APOSTROPHE_RE = re.compile("[" + _APOSTROPHES + "]")

# Abbreviations after which a full stop does not end a sentence (lower-case, no dot).
_ABBREVIATIONS = frozenset(
    """mr mrs ms messrs mme mlle mm dr st jr sr prof capt col gen lieut lt sgt rev hon esq
    gov sen rep maj adm cmdr cpl pvt fr bros co inc ltd vs viz cf ibid vol vols ch chap
    no nos fig figs pp ed eds univ dept ft mt ave rd jan feb mar apr jun jul aug sep sept
    oct nov dec""".split()
)

# Candidate sentence boundary: terminal punctuation, optional closing quotes/brackets,
# whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(
    r"""([.!?]+)(["'\u201d\u2019)\]]*)(\s+)(?=["'\u201c\u2018(\[_]*[A-Z0-9])"""
)
_ROMAN = re.compile(r"[IVXLCDM]+")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)$")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


class Normalizer:
    """Maps text to the model alphabet. Build once, call many times (it is picklable).

    `alphabet`: the characters a word may contain (the space is always the separator and
    need not be listed). Raises :class:`InvalidArgument` for an empty alphabet.
    """

    def __init__(self, alphabet: str = DEFAULT_ALPHABET):
        if not isinstance(alphabet, str):
            raise InvalidArgument(f"alphabet must be a str, got {type(alphabet).__name__}")
        chars = "".join(sorted(set(alphabet) - {" ", "\t", "\n", "\r"}))
        if not chars:
            raise InvalidArgument("alphabet must contain at least one non-space character")
        self.alphabet = chars
        self._ascii = all(ord(c) < 128 for c in chars)
        self._lower = not any(c.isupper() for c in chars)
        self._apostrophe = "'" in chars
        self._outside = re.compile("[^" + re.escape(chars) + "\n]+")
        letters = re.escape(chars.replace("'", "")) or "a"
        # Apostrophes not between two word characters.
        # (written to start with the literal, which the regex engine scans for quickly)
        self._edge_apostrophes = re.compile(f"'(?:(?<![{letters}]')|(?![{letters}]))'*")

    def _map_characters(self, text: str) -> str:
        """Everything but the final whitespace clean-up; newlines survive."""
        if self._ascii:
            text = unicodedata.normalize("NFKD", text)
            if not text.isascii():
                text = _COMBINING.sub("", text)
        else:
            text = unicodedata.normalize("NFKC", text)
        if self._apostrophe:
            text = _APOSTROPHE_RE.sub("'", text)
        if self._lower:
            text = text.lower()
        text = self._outside.sub(" ", text)
        if self._apostrophe:
            text = self._edge_apostrophes.sub(" ", text)
        return text

    def __call__(self, text: str) -> str:
        """One piece of text -> words of the alphabet separated by single spaces."""
        return " ".join(self._map_characters(text).split())

    def lines(self, text: str) -> List[str]:
        """Normalise every line of `text` (one sentence per line); empty results are dropped."""
        out = []
        for line in self._map_characters(text).split("\n"):
            words = line.split()
            if words:
                out.append(" ".join(words))
        return out


_default_normalizer = Normalizer()


def normalize_text(text: str, alphabet: str = DEFAULT_ALPHABET) -> str:
    """Normalise one piece of text (for example a sentence or a transcript) to the alphabet.

    >>> normalize_text("“Don’t go,” said Mr. Brown—twice!")
    "don't go said mr brown twice"
    """
    norm = _default_normalizer if alphabet == DEFAULT_ALPHABET else Normalizer(alphabet)
    return norm(text)


def _ends_with_abbreviation(prefix: str, punct: str) -> bool:
    if punct != ".":
        return False
    m = _WORD_BEFORE.search(prefix)
    if not m:
        return False
    word = m.group(1)
    if len(word) == 1 and word.isupper():  # an initial: "J. Smith", "U.S.A."
        return True
    if _ROMAN.fullmatch(word):  # "II. Endings", "CHAPTER XIV. The Trial"
        return True
    return word.lower() in _ABBREVIATIONS


def _split_paragraph(par: str) -> List[str]:
    """Sentence-split one paragraph whose line breaks were already resolved."""
    pieces = []
    start = 0
    for m in _BOUNDARY.finditer(par):
        if _ends_with_abbreviation(par[max(start, m.start() - 24):m.start()], m.group(1)):
            continue
        end = m.start(3)
        pieces.append(par[start:end])
        start = m.end()
    pieces.append(par[start:])
    return [p.strip() for p in pieces if p.strip()]


def split_sentences(text: str) -> List[str]:
    """Split book text (Project Gutenberg style) into sentences; the text is not normalised.

    Paragraphs are separated by blank lines. Inside a paragraph, a wrapped line continues the
    previous one unless it is indented (tables of contents, verse, addresses keep their lines).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sentences: List[str] = []
    for par in _PARAGRAPH_BREAK.split(text):
        # Join wrapped lines; an indented line starts a new unit.
        units: List[str] = []
        for line in par.split("\n"):
            if not line.strip():
                continue
            if units and not line[:1].isspace():
                units[-1] = units[-1] + " " + line.strip()
            else:
                units.append(line.strip())
        for unit in units:
            sentences.extend(_split_paragraph(unit))
    return sentences


def read_text_file(path: PathLike) -> str:
    """Read a UTF-8 text file; OS problems raise ``FileError`` (an ``OSError``),
    undecodable bytes raise :class:`FormatError`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FileError(f"cannot read text file {os.fspath(path)!r}: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{os.fspath(path)!r} is not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "convert it with iconv first"
        ) from exc


def _looks_like_line_list(text: str) -> bool:
    """True for one-sentence-per-line files (no blank line in the text)."""
    return _PARAGRAPH_BREAK.search(text.strip("\n")) is None


def iter_sentences(
    source: Union[PathLike, Iterable[PathLike]],
    *,
    alphabet: str = DEFAULT_ALPHABET,
    mode: str = "auto",
) -> Iterator[str]:
    """Normalised sentences (non-empty strings of space-separated words) from text files.

    `source`: a path or an iterable of paths. `mode`: ``"prose"`` (paragraphs, sentence
    splitting), ``"lines"`` (one sentence per line), or ``"auto"`` (``lines`` when the file has
    no blank line, else ``prose``).
    """
    if mode not in ("auto", "prose", "lines"):
        raise InvalidArgument(f"mode must be 'auto', 'prose' or 'lines', got {mode!r}")
    norm = _default_normalizer if alphabet == DEFAULT_ALPHABET else Normalizer(alphabet)
    paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    for path in paths:
        text = read_text_file(path)
        file_mode = mode
        if file_mode == "auto":
            file_mode = "lines" if _looks_like_line_list(text) else "prose"
        if file_mode == "prose":
            text = "\n".join(split_sentences(text))
        yield from norm.lines(text)


def normalize_corpus(
    sources: Union[PathLike, Iterable[PathLike]],
    out_path: PathLike,
    *,
    alphabet: str = DEFAULT_ALPHABET,
    mode: str = "auto",
) -> int:
    """Write the normalised sentences of `sources` to `out_path`, one per line.

    Returns the number of sentences written; raises :class:`EmptyInput` if there were none.
    """
    n = 0
    try:
        with open(out_path, "w", encoding="utf-8") as out:
            for sentence in iter_sentences(sources, alphabet=alphabet, mode=mode):
                out.write(sentence)
                out.write("\n")
                n += 1
    except OSError as exc:
        if isinstance(exc, FileError):
            raise
        raise FileError(f"cannot write {os.fspath(out_path)!r}: {exc.strerror or exc}") from exc
    if n == 0:
        raise EmptyInput("the corpus holds no words of the alphabet")
    return n


def _as_sentences(items: Sequence[str], alphabet: str = DEFAULT_ALPHABET) -> List[str]:
    norm = _default_normalizer if alphabet == DEFAULT_ALPHABET else Normalizer(alphabet)
    return [s for s in (norm(x) for x in items) if s]
