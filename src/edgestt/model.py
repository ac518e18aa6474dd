"""Speech to text with a .tflite acoustic model: the Model and Stream API.

    import edgestt
    with edgestt.Model("deepspeech-0.9.3-models.tflite", scorer="lm.eslm") as model:
        print(model.stt("speech.wav"))                   # or an int16 / float32 numpy array
        meta = model.stt_with_metadata(audio, num_results=3)
        for word in meta.transcripts[0].words:
            print(word.text, word.start_time, word.end_time)
        with model.stream() as stream:
            for chunk in chunks:                          # int16 or float32 at model.sample_rate
                stream.feed(chunk)
                print(stream.partial())
            print(stream.finish())

Behaviour follows DeepSpeech's C API (specs/deepspeech.md §6) with Python names: a stream
copies the model's decoder settings (beam width, scorer, alpha/beta, hot words) when it is
created, so later changes affect only streams created later; stt() is a stream fed at once,
so streaming and one-shot results are the same. Streams of one model may run in different
threads (each takes an interpreter from the model's pool per call); one stream is not
thread-safe.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from . import constants, errors
from ._ffi import as_audio
from .decoder import CTCDecoder, DecoderStream, Result
from .families import AcousticFamily, detect
from .audio import load_audio
from .default_model import default_model_path, default_scorer_path
from .lm import LanguageModel
from .resample import resample
from .runtime import Runtime

Audio = Union[np.ndarray, str, "os.PathLike[str]"]


# ---- results (DeepSpeech's Metadata, CandidateTranscript, TokenMetadata, plus words)
@dataclass(frozen=True)
class TokenMetadata:
    """One label of a transcript: its text, the frame at which the best path emitted it
    (timestep) and that frame's time in seconds."""

    text: str
    timestep: int
    start_time: float


@dataclass(frozen=True)
class Word:
    """A word: its text, the time of its first label and the end of its last (seconds: the
    frame after it), and a confidence in [0, 1] (the probability the model gave its least
    certain label where the best path emitted it; None when not known)."""

    text: str
    start_time: float
    end_time: float
    confidence: Optional[float] = None


@dataclass(frozen=True)
class CandidateTranscript:
    """One hypothesis: text, DeepSpeech's confidence (the beam's natural-log score, LM terms
    included; not a probability), its labels with times, and its words."""

    text: str
    confidence: float
    tokens: Tuple[TokenMetadata, ...]
    words: Tuple[Word, ...]


@dataclass(frozen=True)
class Metadata:
    """Up to num_results transcripts, best first."""

    transcripts: Tuple[CandidateTranscript, ...]

    @property
    def text(self) -> str:
        """The best transcript's text ("" when there is none)."""
        return self.transcripts[0].text if self.transcripts else ""


def _phrase(word) -> str:
    """A hot word's key: its words joined by one space (as the decoder keys them)."""
    if not isinstance(word, str) or not word.split():
        raise errors.InvalidArgument(f"a hot word must be a non-empty string, got {word!r}")
    return " ".join(word.split())


class Model:
    """An acoustic model (.tflite of a known family) with its decoder settings.

    path: the .tflite file; None uses the default model (default_model_path()) and, unless a
    scorer is given, the language model shipped beside it (disable_scorer() turns it off).
    scorer: an edgestt language model (binary or ARPA path, or a LanguageModel) fused by the
    beam search, as DeepSpeech's external scorer, with the LM weight and word bonus tuned for
    the model when its metadata has them ("lm_alpha_beta"), else DeepSpeech 0.9.3's (change
    them with set_scorer_alpha_beta). num_threads: interpreter threads.
    mode: "reference" (default: the reference client's arithmetic) or "fast" (XNNPACK).
    resample: resample audio files at another rate to the model's (else InvalidAudio).
    family_options: per-family settings, e.g. final_window="zeros" for DeepSpeech models.
    """

    def __init__(self, path=None, scorer=None, *, num_threads: Optional[int] = None,
                 mode: Optional[str] = None, resample: bool = True, **family_options):
        if path is None:
            path = default_model_path()
            if path is None:
                raise errors.ModelError(
                    "no default model is installed: give the path of a .tflite model "
                    f"(or set EDGESTT_MODEL, or put {constants.DEFAULT_MODEL_FILENAME} in models/)"
                )
            if scorer is None:
                scorer = default_scorer_path(path)
        self._runtime = Runtime(path, num_threads=num_threads, mode=mode)
        metadata = self._read_metadata()
        self._family: AcousticFamily = detect(self._runtime, metadata, **family_options)
        # The LM weights tuned for this model (metadata "lm_alpha_beta"), else the decoder's defaults.
        tuned = (metadata or {}).get("lm_alpha_beta")
        self._tuned_alpha_beta: Optional[Tuple[float, float]] = (float(tuned[0]), float(tuned[1])) if tuned else None
        self.resample = bool(resample)
        self._lock = threading.Lock()
        self._beam_width: Optional[int] = self._family.default_beam_width
        self._lm: Optional[LanguageModel] = None
        self._owns_lm = False
        self._alpha: Optional[float] = None
        self._beta: Optional[float] = None
        self._hot_words: Dict[str, float] = {}
        self._decoder: Optional[CTCDecoder] = None
        self._closed = False
        if scorer is not None:
            self.enable_scorer(scorer)

    def _read_metadata(self) -> Optional[dict]:
        from .tflite_metadata import read_edgestt_metadata

        try:
            return read_edgestt_metadata(self._runtime.model_bytes)
        except errors.EdgeSTTError as exc:
            raise errors.ModelError(f"{self._runtime.name}: unreadable edgestt metadata: {exc}") from None

    # ---- what the model is
    @property
    def sample_rate(self) -> int:
        """The rate (Hz) the model's audio must have."""
        return self._family.sample_rate

    @property
    def family(self) -> str:
        """The model family: "deepspeech", "quartznet_signal", ..."""
        return self._family.name

    @property
    def mode(self) -> str:
        return self._runtime.mode

    @property
    def num_threads(self) -> Optional[int]:
        return self._runtime.num_threads

    @property
    def labels(self) -> Tuple[str, ...]:
        """The output labels (class order, blank excluded)."""
        return tuple(self._family.labels)

    def info(self) -> dict:
        """The family's description of the model (rate, alphabet, sizes, runtime)."""
        info = dict(self._family.describe())
        info.update(path=self._runtime.name, runtime=self._runtime.runtime_name, beam_width=self.beam_width,
                    scorer=self._lm is not None)
        return info

    # ---- decoder settings (apply to streams created afterwards)
    @property
    def beam_width(self) -> int:
        return self._decoder_for_new_streams().beam_width

    @beam_width.setter
    def beam_width(self, width: int) -> None:
        if not isinstance(width, (int, np.integer)) or isinstance(width, bool) or width < 1:
            raise errors.InvalidArgument(f"beam_width must be a positive integer, got {width!r}")
        self._change(_beam_width=int(width))

    def enable_scorer(self, scorer) -> None:
        """Fuse an n-gram language model: an edgestt binary LM or an ARPA file (path), or a
        LanguageModel (shared, not closed by the model)."""
        if isinstance(scorer, LanguageModel):
            lm, owned = scorer, False
        else:
            try:
                lm, owned = LanguageModel(scorer), True
            except errors.FormatError as exc:
                raise errors.FormatError(
                    f"{exc} (edgestt reads ARPA files and its own binary LMs, not DeepSpeech .scorer packages; "
                    "build one with `edgestt lm compile LM.arpa -o LM.eslm`)", code=exc.code
                ) from None
        old, old_owned = self._lm, self._owns_lm
        try:
            # A new scorer starts from the default weights (the model's tuned ones, if it has
            # them), as DS_EnableExternalScorer starts from the scorer package's.
            self._change(_lm=lm, _owns_lm=owned, _alpha=None, _beta=None)
        except Exception:
            if owned:
                lm.close()
            raise
        if old_owned and old is not lm:
            old.close()

    def disable_scorer(self) -> None:
        old, owned = self._lm, self._owns_lm
        self._change(_lm=None, _owns_lm=False)
        if owned:
            old.close()

    def set_scorer_alpha_beta(self, alpha: float, beta: float) -> None:
        """The LM weight and the word insertion bonus for streams created afterwards."""
        if self._lm is None:
            raise errors.StateError("set_scorer_alpha_beta needs a scorer: call enable_scorer first")
        self._change(_alpha=float(alpha), _beta=float(beta))

    @property
    def scorer_alpha_beta(self) -> Optional[Tuple[float, float]]:
        """(alpha, beta) in effect, None without a scorer."""
        if self._lm is None:
            return None
        decoder = self._decoder_for_new_streams()
        return decoder.alpha, decoder.beta

    def add_hot_word(self, word: str, boost: float) -> None:
        """Boost (boost > 0) or suppress (< 0) a word or phrase, in the LM's vocabulary or
        not, with or without a scorer (see CTCDecoder.add_hot_word for the units). Adding it
        again replaces its boost. Applies to streams created afterwards."""
        hot = dict(self._hot_words)
        hot[_phrase(word)] = boost
        self._change(_hot_words=hot)

    def erase_hot_word(self, word: str) -> None:
        """Remove a hot word; InvalidArgument when it is not one."""
        key = _phrase(word)
        if key not in self._hot_words:
            raise errors.InvalidArgument(f"{word!r} is not a hot word")
        hot = dict(self._hot_words)
        del hot[key]
        self._change(_hot_words=hot)

    def clear_hot_words(self) -> None:
        self._change(_hot_words={})

    @property
    def hot_words(self) -> Dict[str, float]:
        """A copy of the hot words: phrase (words joined by one space) -> boost."""
        return self._decoder_for_new_streams().hot_words

    def _change(self, **settings) -> None:
        """Apply new decoder settings; the decoder is rebuilt (and validated) now."""
        with self._lock:
            self._live()
            saved = {name: getattr(self, name) for name in settings}
            for name, value in settings.items():
                setattr(self, name, value)
            try:
                decoder = self._build_decoder()
            except Exception:
                for name, value in saved.items():
                    setattr(self, name, value)
                raise
            old, self._decoder = self._decoder, decoder
        if old is not None:
            old.close()

    def _build_decoder(self) -> CTCDecoder:
        f = self._family
        decoder = CTCDecoder(
            f.labels, blank_index=f.blank_index, beam_width=self._beam_width, input=f.output,
            frame_seconds=f.frame_seconds,
            lm=self._lm, alpha=self._scorer_weight(0, self._alpha), beta=self._scorer_weight(1, self._beta),
        )
        for word, boost in self._hot_words.items():
            decoder.add_hot_word(word, boost)
        return decoder

    def _scorer_weight(self, index: int, chosen: Optional[float]) -> Optional[float]:
        """alpha (index 0) or beta (1) for the decoder: the one set by the caller, else the
        model's tuned one, else None (the decoder's default); None without a scorer."""
        if self._lm is None:
            return None
        if chosen is not None:
            return chosen
        return self._tuned_alpha_beta[index] if self._tuned_alpha_beta else None

    def _decoder_for_new_streams(self) -> CTCDecoder:
        with self._lock:
            self._live()
            if self._decoder is None:
                self._decoder = self._build_decoder()
            return self._decoder

    # ---- audio
    def load_audio(self, audio: Audio, *, sample_rate: Optional[int] = None) -> np.ndarray:
        """Audio as the model takes it: float32 mono samples at model.sample_rate, from a WAV
        path or an int16/float array (at sample_rate when given, else at the model's rate)."""
        return self._samples(audio, sample_rate)

    def _samples(self, audio: Audio, sample_rate: Optional[int] = None, what: str = "audio") -> np.ndarray:
        """float32 mono samples at the model's rate from a path or an int16/float array."""
        rate = self.sample_rate
        if isinstance(audio, (str, os.PathLike)):
            return self._load_file(audio)
        if not isinstance(audio, np.ndarray):
            raise errors.InvalidAudio(
                f"{what} must be a numpy array (int16 or float32) or the path of a WAV file, got {type(audio).__name__}"
            )
        if audio.ndim == 1 and not audio.flags.c_contiguous:
            audio = np.ascontiguousarray(audio)
        audio = as_audio(audio, what)
        samples = audio.astype(np.float32) * np.float32(1.0 / 32768.0) if audio.dtype == np.int16 else audio
        if sample_rate is not None and int(sample_rate) != rate:
            if not self.resample:
                raise errors.InvalidAudio(f"{what} is at {sample_rate} Hz; the model needs {rate} Hz "
                                          "(resampling is disabled)")
            samples = resample(samples, int(sample_rate), rate)
        return samples

    def _load_file(self, path) -> np.ndarray:
        if not os.path.isfile(path):
            raise errors.FileError(f"{os.fspath(path)}: no such audio file")
        return load_audio(path, self.sample_rate, allow_resample=self.resample)

    # ---- recognition
    def stream(self) -> "Stream":
        """A new stream with the model's current decoder settings."""
        return Stream(self)

    def stt(self, audio: Audio, *, sample_rate: Optional[int] = None) -> str:
        """The transcript of one utterance: a WAV path, or int16/float32 samples at
        model.sample_rate (or at sample_rate, then resampled)."""
        return self.stt_with_metadata(audio, 1, sample_rate=sample_rate).text

    def stt_with_metadata(self, audio: Audio, num_results: int = 1, *,
                          sample_rate: Optional[int] = None) -> Metadata:
        """Up to num_results transcripts with label and word times, best first."""
        samples = self._samples(audio, sample_rate)
        if samples.size == 0:
            raise errors.EmptyInput("the audio holds no samples")
        with Stream(self, streaming=False) as stream:
            stream._feed_samples(samples)
            return stream.finish_with_metadata(num_results)

    # ---- lifetime
    def _live(self) -> None:
        if self._closed:
            raise errors.ClosedError("this Model is closed")

    def close(self) -> None:
        """Free the interpreters, the decoder and the scorer the model loaded (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            decoder, self._decoder = self._decoder, None
        if decoder is not None:
            decoder.close()
        if self._owns_lm and self._lm is not None:
            self._lm.close()
        self._lm = None
        self._runtime.close()

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Model({self._runtime.name!r}, family={self.family!r}, mode={self.mode!r})"


class Stream:
    """Streaming recognition: feed() audio as it arrives, partial() at any time, finish()
    once. Made by Model.stream(); a context manager. Not thread-safe (one stream, one thread)."""

    def __init__(self, model: Model, *, streaming: bool = True):
        decoder = model._decoder_for_new_streams()
        self._model = model
        self._family = model._family
        self._decoder = decoder
        self._search: Optional[DecoderStream] = decoder.stream()
        # With exact_final the streaming session only previews (partial results), so it starts
        # lazy: its windows run from the first partial on, not for audio nobody previewed.
        self._preview_lazy = streaming and self._family.exact_final
        self._session = (self._family.new_session(streaming=True, lazy=True) if self._preview_lazy
                         else self._family.new_session(streaming=streaming))
        self._preview_skipped = False  # the lazy preview skipped frames the exact search holds
        # Families with tentative frames: a partial copies the live search into this scratch
        # stream (made at the first such partial, reused) and decodes the pending frames there,
        # at a cost bounded by the decoder's pools, not by the stream's length.
        self._scratch: Optional[DecoderStream] = None
        # Families whose streaming windows cannot equal a whole-recording run (QuartzNet): the
        # audio also goes through a one-shot session and a second search, whose result finish()
        # returns, so a stream's final transcript is exactly stt()'s.
        self._exact: Optional[Tuple[object, DecoderStream]] = None
        if streaming and self._family.exact_final:
            self._exact = (self._family.new_session(streaming=False), decoder.stream())
        self._fed = 0
        self._finished = False

    # ---- input
    def feed(self, audio: np.ndarray, *, sample_rate: Optional[int] = None) -> None:
        """Add int16 or float32 samples at the model's rate (any chunk size, empty allowed)."""
        self._check_open("feed")
        self._feed_samples(self._model._samples(audio, sample_rate, "pcm"))

    def _feed_samples(self, samples: np.ndarray) -> None:
        self._check_open("feed")
        if samples.size == 0:
            return
        self._model._live()
        rows = self._session.accept(samples)
        self._fed += samples.size
        self._decode(rows)
        if self._exact is not None:
            exact_rows = self._exact[0].accept(samples)
            if exact_rows.shape[0]:
                self._exact[1].feed(exact_rows)
                self._bound_preview()

    def _bound_preview(self) -> None:
        """The exact search just got final frames. A lazy preview (nobody asked for a partial
        yet) skips them, so the audio it holds stays bounded by about one one-shot window; its
        first partial will decode them from the exact search's state (see _catch_up)."""
        exact_frames = self._exact[1].num_frames
        if self._preview_lazy and self._session.frames_emitted < exact_frames:
            self._session.skip_to(exact_frames)
            self._preview_skipped = True

    def _decode(self, rows: np.ndarray) -> None:
        if rows.shape[0]:
            self._search.feed(rows)

    # ---- results
    def partial(self) -> str:
        """The best transcript of the audio decoded so far (frames still buffered by the
        model are not included, as DeepSpeech's intermediate decode)."""
        return self.partial_with_metadata(1).text

    def partial_with_metadata(self, num_results: int = 1) -> Metadata:
        self._check_open("partial")
        if self._preview_lazy:
            self._catch_up()
        pending = self._session.pending()
        if pending is None or pending.shape[0] == 0:
            if self._search.num_frames == 0:
                return Metadata(())
            return self._metadata(self._search.beams(num_results))
        if self._scratch is None:
            self._scratch = self._decoder.stream()
        self._search.copy_to(self._scratch)
        self._scratch.feed(pending)
        return self._metadata(self._scratch.beams(num_results))

    def _catch_up(self) -> None:
        """At the first partial: bring the lazy preview to the audio fed so far (the search and
        session an eager preview would have now, or, for frames it skipped, the exact search's
        state: both searches come from one decoder, so the state copies), then keep it eager:
        the windows run in feed() again, so a partial costs what it did (pending frames and a
        search copy), which listen() relies on to space its partials."""
        if self._preview_skipped:
            self._exact[1].copy_to(self._search)
            self._preview_skipped = False
        self._decode(self._session.catch_up())
        self._session.lazy = self._preview_lazy = False

    def finish(self) -> str:
        """End of the utterance: the best transcript. The stream cannot be fed afterwards."""
        return self.finish_with_metadata(1).text

    def finish_with_metadata(self, num_results: int = 1) -> Metadata:
        """End of the utterance: up to num_results transcripts with times, best first.
        EmptyInput when no audio was fed."""
        self._check_open("finish")
        if not isinstance(num_results, (int, np.integer)) or num_results < 1:
            raise errors.InvalidArgument(f"num_results must be a positive integer, got {num_results!r}")
        if self._fed == 0:
            self._finished = True
            self._release()
            raise errors.EmptyInput("finish: no audio was fed to the stream")
        self._model._live()
        self._finished = True
        try:
            if self._exact is not None:
                session, search = self._exact
                rows = session.finish()
                if rows.shape[0]:
                    search.feed(rows)
                search.finish()
                return self._metadata(search.beams(num_results))
            self._decode(self._session.finish())
            self._search.finish()
            return self._metadata(self._search.beams(num_results))
        finally:
            self._release()

    def _metadata(self, results: List[Result]) -> Metadata:
        step = np.float32(self._family.frame_seconds)
        label = [self._decoder.text((k,)) for k in range(self._decoder.num_classes)]
        transcripts = []
        for r in results:
            times = (np.asarray(r.timesteps, dtype=np.float32) * step).tolist()
            tokens = tuple(TokenMetadata(label[t], int(s), time) for t, s, time in zip(r.tokens, r.timesteps, times))
            words = tuple(Word(w.text, w.start_time, w.end_time, w.confidence) for w in r.words)
            transcripts.append(CandidateTranscript(r.text, float(r.log_prob), tokens, words))
        return Metadata(tuple(transcripts))

    # ---- lifetime
    def _check_open(self, what: str) -> None:
        if self._finished:
            raise errors.StateError(f"{what} after finish: this stream is finished; create a new one")
        if self._search is None:
            raise errors.ClosedError(f"{what}: this stream is closed")

    def _release(self) -> None:
        if self._search is not None:
            self._search.close()
            self._search = None
        if self._session is not None and hasattr(self._session, "close"):
            self._session.close()
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None
        if self._exact is not None:
            session, search = self._exact
            search.close()
            if hasattr(session, "close"):
                session.close()
            self._exact = None

    def close(self) -> None:
        """Discard the stream without decoding (idempotent), as DS_FreeStream."""
        self._release()

    @property
    def finished(self) -> bool:
        return self._finished

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
