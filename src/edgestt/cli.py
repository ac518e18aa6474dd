"""The `edgestt` command line."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import __version__, constants, errors
from .audio import load_audio
from .features import Features
from .wav import read_wav_int16


def _samples_for_features(path, rate: int) -> np.ndarray:
    """A 16-bit file at the preset's rate stays int16, so the preset's own int16 scale applies
    (Scribosermo divides by 32767); any other WAV is read as float and resampled to `rate`."""
    try:
        pcm, file_rate = read_wav_int16(path)
        if file_rate == rate:
            return pcm
    except errors.UnsupportedFormat:
        pass  # not 16-bit PCM: load_audio reads it, or names what it cannot read
    return load_audio(path, rate)


def features_command(args) -> int:
    feats = Features(args.preset)
    rate = int(feats.config.sample_rate_hz)
    for path in args.files:
        samples = _samples_for_features(path, rate)
        out = feats.compute(samples)
        if args.output:
            np.save(args.output if len(args.files) == 1 else f"{path}.{args.preset}.npy", out)
        mean, std = float(out.mean()), float(out.std())
        print(f"{path}: {out.shape[0]} frames x {out.shape[1]} {args.preset} features "
              f"({len(samples) / rate:.2f} s), mean {mean:.3f}, std {std:.3f}")
    return 0


def lm_build_command(args) -> int:
    from . import lm_build

    if args.prune is not None and len(args.prune) == 0:
        raise errors.InvalidArgument("--prune needs at least one count threshold")
    stats = lm_build.build_arpa(
        [Path(p) for p in args.corpus], args.output, order=args.order, vocab_limit=args.vocab_limit,
        prune=args.prune, method=args.method, text_mode=args.text_mode,
        log=(lambda message: print(message, file=sys.stderr)) if args.verbose else None,
    )
    counts = " ".join(f"{n + 1}-grams {c:,}" for n, c in enumerate(stats.counts))
    print(f"{args.output}: order {args.order}, {stats.sentences:,} sentences, {stats.tokens:,} words, "
          f"vocabulary {stats.vocab_size:,}; {counts}; {sum(stats.seconds.values()):.1f} s")
    return 0


def lm_compile_command(args) -> int:
    from .lm import LanguageModel

    with LanguageModel(args.arpa) as lm:
        lm.save(args.output, quantize=args.quantize)
        total = sum(lm.counts)
    size = Path(args.output).stat().st_size
    kind = "8-bit quantised" if args.quantize else "exact"
    print(f"{args.output}: {kind}, {total:,} n-grams, {size:,} bytes ({size / total:.2f} bytes per n-gram)")
    return 0


def _sentences(args):
    """Sentences from the command line, else one per line from standard input."""
    if args.sentences:
        return args.sentences
    return (line.strip() for line in sys.stdin if line.strip())


def lm_query_command(args) -> int:
    from .lm import LanguageModel

    with LanguageModel(args.lm) as lm:
        for sentence in _sentences(args):
            if args.words:
                words = sentence.split() + ["</s>"]
                for word, (log10_prob, ngram_length, oov) in zip(words, lm.full_scores(sentence)):
                    print(f"{word}\t{log10_prob:.6f}\t{ngram_length}-gram{' OOV' if oov else ''}")
            print(f"{lm.score(sentence):.6f}\t{sentence}")
    return 0


def lm_perplexity_command(args) -> int:
    from . import text_normalize
    from .lm import LanguageModel

    with LanguageModel(args.lm) as lm:
        sentences = list(text_normalize.iter_sentences([Path(p) for p in args.text], mode=args.text_mode))
        if not sentences:
            raise errors.EmptyInput("no sentences in the text")
        print(f"perplexity {lm.perplexity(sentences):.3f} over {len(sentences):,} sentences")
    return 0


def _add_lm_parser(sub) -> None:
    lm = sub.add_parser("lm", help="build, compile and query n-gram language models")
    lm_sub = lm.add_subparsers(dest="lm_command", required=True)

    build = lm_sub.add_parser("build", help="estimate an ARPA LM from text (interpolated modified Kneser-Ney)")
    build.add_argument("corpus", nargs="+", help="UTF-8 text files (books or one sentence per line)")
    build.add_argument("-o", "--output", required=True, help="the ARPA file to write")
    build.add_argument("--order", type=int, default=4)
    build.add_argument("--vocab-limit", type=int, help="keep the N most frequent words; others become <unk>")
    build.add_argument("--prune", type=int, nargs="*",
                       help="count thresholds per order, as lmplz: 0 0 1 drops singleton 3-grams and above")
    build.add_argument("--method", default="modified_kneser_ney",
                       choices=("modified_kneser_ney", "witten_bell", "add_one"))
    build.add_argument("--text-mode", default="auto", choices=("auto", "prose", "lines"))
    build.add_argument("-v", "--verbose", action="store_true", help="progress on standard error")
    build.set_defaults(run=lm_build_command)

    comp = lm_sub.add_parser("compile", help="ARPA to edgestt's memory-mapped binary format")
    comp.add_argument("arpa")
    comp.add_argument("-o", "--output", required=True)
    comp.add_argument("--quantize", action="store_true", help="8-bit probabilities and back-offs (smaller)")
    comp.set_defaults(run=lm_compile_command)

    query = lm_sub.add_parser("query", help="log10 score of sentences (arguments, or one per line on stdin)")
    query.add_argument("lm", help="ARPA or binary LM")
    query.add_argument("sentences", nargs="*")
    query.add_argument("--words", action="store_true", help="also each word's log10 probability and n-gram length")
    query.set_defaults(run=lm_query_command)

    ppl = lm_sub.add_parser("perplexity", help="perplexity of text files (normalised like lm build)")
    ppl.add_argument("lm", help="ARPA or binary LM")
    ppl.add_argument("text", nargs="+")
    ppl.add_argument("--text-mode", default="auto", choices=("auto", "prose", "lines"))
    ppl.set_defaults(run=lm_perplexity_command)


# ---- transcribe
def _hot_word(text: str):
    """"word:boost" (a phrase may contain spaces) -> (word, boost)."""
    word, sep, boost = text.rpartition(":")
    try:
        value = float(boost)
    except ValueError:
        value = None
    if not sep or not word.strip() or value is None:
        raise argparse.ArgumentTypeError(f"expected WORD:BOOST (e.g. friend:1.5), got {text!r}")
    return word, value


def _audio_files(inputs):
    """The files to transcribe: each file as given, each directory's *.wav (recursively, sorted)."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() == ".wav" and p.is_file())
        else:
            yield path


class _Progress:
    """A one-line progress bar on standard error."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.done = total, enabled and total > 0, 0

    def step(self, name: str) -> None:
        self.done += 1
        if self.enabled:
            filled = 30 * self.done // self.total
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {name[-40:]:<40}",
                  end="" if self.done < self.total else "\n", file=sys.stderr, flush=True)


def transcribe_command(args) -> int:
    import json

    from .model import Model

    files = list(_audio_files(args.inputs))
    if not files:
        raise errors.EmptyInput("no audio files: the directories hold no .wav files")
    model = Model(args.model, args.scorer, num_threads=args.threads, mode=args.mode)
    with model:
        if args.beam is not None:
            model.beam_width = args.beam
        for word, boost in args.hot_word or ():
            model.add_hot_word(word, boost)
        progress = _Progress(len(files), args.progress or sys.stderr.isatty())
        failed = 0
        for path in files:
            try:
                meta = model.stt_with_metadata(path, args.candidates)
            except (errors.EdgeSTTError, OSError) as exc:
                failed += 1
                where = "" if str(path) in str(exc) else f"{path}: "
                print(f"{chr(10) if progress.enabled else ''}edgestt: error: {where}{exc}", file=sys.stderr)
                progress.step(str(path))
                continue
            if args.json:
                best = meta.transcripts[0] if meta.transcripts else None
                record = {
                    "file": str(path),
                    "text": meta.text,
                    "confidence": best.confidence if best else None,
                    "words": [{"word": w.text, "start_time": round(w.start_time, 3), "end_time": round(w.end_time, 3)}
                              for w in (best.words if best else ())],
                }
                if args.candidates > 1:
                    record["candidates"] = [{"text": t.text, "confidence": t.confidence} for t in meta.transcripts]
                print(json.dumps(record, ensure_ascii=False), flush=True)
            elif len(files) == 1:
                print(meta.text, flush=True)
            else:
                print(f"{path}: {meta.text}", flush=True)
            progress.step(str(path))
    if failed:
        print(f"edgestt: {failed} of {len(files)} files failed", file=sys.stderr)
        return 1
    return 0


def _add_transcribe_parser(sub) -> None:
    from .runtime import MODES

    tr = sub.add_parser("transcribe", help="speech to text of WAV files with a .tflite model")
    tr.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR", help="WAV files, or directories of them")
    tr.add_argument("--model", help="the .tflite acoustic model (default: the installed default model)")
    tr.add_argument("--scorer", help="an edgestt language model (binary or ARPA) fused by the beam search (default: without --model, the LM shipped with the default model)")
    tr.add_argument("--beam", type=int, help="beam width (default: the model's)")
    tr.add_argument("--hot-word", type=_hot_word, action="append", metavar="WORD:BOOST",
                    help="boost a word or phrase, in or out of the LM's vocabulary (natural-log units; repeatable)")
    tr.add_argument("--json", action="store_true", help="one JSON object per file, with words and times")
    tr.add_argument("--candidates", type=int, default=1, help="transcripts per file in --json output")
    tr.add_argument("--threads", type=int, help="interpreter threads")
    tr.add_argument("--mode", choices=MODES, default=constants.DEFAULT_RUNTIME_MODE,
                    help="reference: the reference client's arithmetic (default); fast: XNNPACK")
    tr.add_argument("--progress", action="store_true", help="show the progress bar even when stderr is not a terminal")
    tr.set_defaults(run=transcribe_command)


# ---- listen
class _LiveLine:
    """Partial results on one line rewritten in place (a terminal only), finals on their own."""

    def __init__(self, stream, live: bool):
        self.stream, self.live, self.shown = stream, live, 0

    def partial(self, text: str) -> None:
        import shutil

        text = text[-(shutil.get_terminal_size().columns - 1):]  # \r cannot climb back over a wrapped line
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown = len(text)

    def final(self, line: str) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.shown = 0
        self.stream.write(line + "\n")
        self.stream.flush()


class _OverrunWarnings:
    """Overrun events to standard error, at most one line per interval with what was lost since
    (a device far ahead of recognition reports a loss at every chunk)."""

    def __init__(self, interval_s: float = 2.0):
        self.interval_s, self.last, self.lost, self.count = interval_s, None, 0, 0

    def add(self, event) -> None:
        import time

        self.lost += event.lost_samples
        self.count += 1
        now = time.monotonic()
        if self.last is None or now - self.last >= self.interval_s:
            more = f" ({self.count} reports, {self.lost} samples lost in all)" if self.count > 1 else ""
            print(f"edgestt: warning: {event.message}{more}", file=sys.stderr, flush=True)
            self.last, self.lost, self.count = now, 0, 0


def _final_line(event, args) -> str:
    import json

    if args.json:
        return json.dumps({"text": event.text, "start_time": round(event.start_time, 3),
                           "end_time": round(event.end_time, 3), "reason": event.reason,
                           "confidence": event.confidence,
                           "words": [{"word": w.text, "start_time": round(w.start_time, 3),
                                      "end_time": round(w.end_time, 3)} for w in event.words]}, ensure_ascii=False)
    if args.timestamps:
        return f"[{event.start_time:7.2f} - {event.end_time:7.2f}] {event.text}"
    return event.text


def _print_devices() -> int:
    from .sources import list_devices

    devices = list_devices()
    if not devices:
        print("edgestt: no audio input devices (no sound card, or no permission: is the user in group 'audio'?)",
              file=sys.stderr)
        return 1
    for d in devices:
        print(f"{d.index:3d}{'*' if d.is_default else ' '} {d.name}  ({d.host_api}, {d.max_input_channels} channel(s), "
              f"default {d.default_sample_rate:g} Hz)")
    return 0


def listen_command(args) -> int:
    from .listen import Final, Overrun, Partial, listen
    from .model import Model
    from .sources import Microphone, WavFileSource

    if args.list_devices:
        return _print_devices()
    if args.realtime and not args.file:
        raise errors.InvalidArgument("--realtime applies to --file")
    if args.file and args.device is not None:
        raise errors.InvalidArgument("--device and --file exclude each other")
    try:
        with Model(args.model, args.scorer, num_threads=args.threads, mode=args.mode) as model:
            if args.file:
                source = WavFileSource(args.file, model.sample_rate, realtime=args.realtime)
            else:
                source = Microphone(args.device, model.sample_rate, on_overrun="report")
                print(f"edgestt: listening on {source.device.name!r} at {source.capture_rate} Hz "
                      "(Ctrl-C to stop)", file=sys.stderr)
            live, overruns = _LiveLine(sys.stdout, sys.stdout.isatty()), _OverrunWarnings()
            listener = listen(model, source, aggressiveness=args.vad_aggressiveness,
                              end_silence_ms=args.end_silence_ms, max_utterance_seconds=args.max_utterance_seconds,
                              partial_interval_ms=constants.LISTEN_PARTIAL_INTERVAL_MS if live.live else None)
            with listener:
                for event in listener:
                    if isinstance(event, Partial):
                        live.partial(event.text)
                    elif isinstance(event, Final):
                        if event.text or args.json:
                            live.final(_final_line(event, args))
                    elif isinstance(event, Overrun):
                        overruns.add(event)
            return 130 if listener.interrupted else 0
    except KeyboardInterrupt:  # Ctrl-C while the model loads
        return 130


def _add_listen_parser(sub) -> None:
    from .runtime import MODES

    li = sub.add_parser("listen", help="live dictation from the microphone (or a WAV file), cut by voice activity")
    li.add_argument("--model", help="the .tflite acoustic model (default: the installed default model)")
    li.add_argument("--scorer", help="an edgestt language model (binary or ARPA) fused by the beam search (default: without --model, the LM shipped with the default model)")
    li.add_argument("--device", help="input device: index or (part of) a name, see --list-devices (default: the system's)")
    li.add_argument("--list-devices", action="store_true", help="list the audio input devices and exit")
    li.add_argument("--file", help="listen to a WAV file instead of the microphone")
    li.add_argument("--realtime", action="store_true", help="with --file: deliver the audio at real time, as a microphone")
    li.add_argument("--vad-aggressiveness", type=int, choices=(0, 1, 2, 3), default=constants.VAD_AGGRESSIVENESS,
                    help="webrtcvad: 0 keeps most audio as speech, 3 filters most non-speech")
    li.add_argument("--end-silence-ms", type=int, default=constants.VAD_END_SILENCE_MS,
                    help="silence that ends an utterance")
    li.add_argument("--max-utterance-seconds", type=float, default=constants.VAD_MAX_UTTERANCE_SECONDS)
    li.add_argument("--timestamps", action="store_true", help="start and end time (s) before each final")
    li.add_argument("--json", action="store_true", help="one JSON object per utterance, with words and times")
    li.add_argument("--threads", type=int, help="interpreter threads")
    li.add_argument("--mode", choices=MODES, default=constants.DEFAULT_RUNTIME_MODE,
                    help="reference: the reference client's arithmetic (default); fast: XNNPACK")
    li.set_defaults(run=listen_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edgestt", description="Offline speech-to-text for the Raspberry Pi.")
    parser.add_argument("--version", action="version", version=f"edgestt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    feat = sub.add_parser("features", help="compute MFCC / log-mel features of WAV files")
    feat.add_argument("files", nargs="+", help="WAV files (PCM or float, any rate: resampled to the preset's)")
    feat.add_argument("--preset", choices=constants.FEATURE_PRESETS, default=constants.DEFAULT_FEATURE_PRESET)
    feat.add_argument("-o", "--output", help="save the features as .npy (FILE.PRESET.npy per file when several)")
    feat.set_defaults(run=features_command)
    _add_lm_parser(sub)
    _add_transcribe_parser(sub)
    _add_listen_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (errors.EdgeSTTError, OSError) as exc:
        print(f"edgestt: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
