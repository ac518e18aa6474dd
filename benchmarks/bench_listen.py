#!/usr/bin/env python3
"""Live dictation (edgestt.listen): latency from the end of speech to the final result, and the
CPU share of listening while nobody speaks, with audio delivered at real time.

    python3 benchmarks/bench_listen.py                        # the fixture models in tests/data
    python3 benchmarks/bench_listen.py --model my.tflite --runs 5 --idle-seconds 20

There is no sound card on the machines this runs on in CI, so the audio comes from the fake
PortAudio of the tests (tests/fake_pyaudio.py): a callback thread delivering 20 ms blocks on
the audio clock, into the same Microphone code (ring buffer, resampling when needed, VAD,
model stream) a real device feeds. Its own cost is measured separately ("capture only").

Latency, per utterance of three synthetic-speech clips separated by pauses:
- speech end -> final: from the end of the last voiced VAD frame (on the audio clock) to the
  moment the Final event is in the caller's hands. It includes the end-of-utterance silence
  the endpointer waits for (--end-silence-ms), so it is reported per setting;
- endpoint -> final: from the end of that silence to the Final: the model's finish() (flush,
  last batch, beam search), i.e. the cost of the result itself.
CPU share: process CPU time (all threads) / wall time, while silence or quiet noise is fed for
--idle-seconds, and while the speech is being recognised. Medians over the runs.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
sys.path.insert(0, str(REPO / "tests"))

import edgestt  # noqa: E402
from conftest import read_wav_int16  # noqa: E402
from fake_pyaudio import FakePyAudioModule  # noqa: E402
from edgestt.default_model import default_model_path, default_scorer_path  # noqa: E402

RATE = 16000
DEFAULT_MODELS = [DATA / "deepspeech_fixture.tflite", DATA / "quartznet_scribosermo_fixture.tflite",
                  REPO / "benchmarks" / ".cache" / "ds2048" / "deepspeech_fixture.tflite"]


def speech_with_pauses():
    clips = [read_wav_int16(p)[0] for p in sorted(DATA.glob("synth_*.wav"))]
    gap = lambda s: np.zeros(int(s * RATE), np.int16)  # noqa: E731
    return np.concatenate([gap(1.0), clips[0], gap(1.5), clips[1], gap(1.2), clips[2], gap(1.5)])


def microphone(audio, speed=1.0, device_rate=RATE):
    """A Microphone on the fake device; a device_rate other than 16 kHz makes it resample (audio is
    then stretched to the same duration at that rate: zeros or noise, nothing to keep exact)."""
    if device_rate != RATE:
        audio = np.resize(audio, len(audio) * device_rate // RATE)
    fake = FakePyAudioModule(audio, rates=(device_rate,), speed=speed)
    return fake, edgestt.Microphone(pyaudio_module=fake, sample_rate=RATE, max_seconds=len(audio) / device_rate,
                                    on_overrun="report")


def latency_run(model, audio, end_silence_ms):
    fake, mic = microphone(audio)
    cpu0, wall0 = time.process_time(), time.monotonic()
    rows = []
    for event in edgestt.listen(model, mic, end_silence_ms=end_silence_ms):
        if isinstance(event, edgestt.Final):
            now = time.monotonic() - fake.streams[0].started_at
            rows.append((now - event.end_time, now - event.audio_end, event.reason))
        elif isinstance(event, edgestt.Overrun):
            print(f"  overrun: {event.message}", file=sys.stderr)
    share = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    return rows, share


def idle_share(model, seconds, noise_level, device_rate=RATE):
    rng = np.random.default_rng(0)
    audio = np.clip(rng.normal(0, noise_level, int(seconds * RATE)), -32768, 32767).astype(np.int16) \
        if noise_level else np.zeros(int(seconds * RATE), np.int16)
    fake, mic = microphone(audio, device_rate=device_rate)
    cpu0, wall0 = time.process_time(), time.monotonic()
    events = list(edgestt.listen(model, mic)) if model is not None else list(mic)
    assert model is None or not events, f"the idle audio produced events: {events[:3]}"
    return (time.process_time() - cpu0) / (time.monotonic() - wall0)


def pct(x):
    return f"{100 * x:.1f} %"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="*", help="models (default: the fixtures in tests/data, and "
                                                    "benchmarks/.cache/ds2048 if bench_e2e.py --full built it)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--end-silence-ms", type=int, nargs="*", default=[300, 500, 700])
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--scorer", help="language model for every --model (default: none; the installed "
                                         "default model, benchmarked when no --model is given, uses its own)")
    args = parser.parse_args()
    if args.model:
        models = [(Path(m), args.scorer) for m in args.model]
    else:
        models = [(m, None) for m in DEFAULT_MODELS if m.is_file()]
        default = default_model_path()
        if default is not None:
            models.append((default, default_scorer_path(default)))
    audio = speech_with_pauses()
    print(f"edgestt {edgestt.__version__}; audio at real time through the fake PortAudio; {args.runs} runs; "
          f"{args.threads} interpreter thread(s); speech: {len(audio) / RATE:.1f} s with 3 utterances; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start (wall-clock latencies "
          "grow with the load; CPU shares much less)\n")

    for device_rate in (RATE, 48000):
        capture = [idle_share(None, args.idle_seconds, 0, device_rate) for _ in range(args.runs)]
        resampling = "" if device_rate == RATE else ", resampled in C to 16 kHz"
        print(f"capture only (fake device at {device_rate} Hz{resampling} + Microphone, no VAD, no model), "
              f"{args.idle_seconds:g} s of silence: CPU {pct(statistics.median(capture))}")
    print()
    print("| model | end silence | speech end -> final (median, max) | endpoint -> final (median, max) "
          "| CPU while speaking | CPU idle, silence | CPU idle, quiet noise |")
    print("|---|---|---|---|---|---|---|")
    for path, scorer in models:
        with edgestt.Model(path, scorer, num_threads=args.threads) as model:
            idle = [idle_share(model, args.idle_seconds, 0) for _ in range(args.runs)]
            noisy = [idle_share(model, args.idle_seconds, 100) for _ in range(args.runs)]
            for silence in args.end_silence_ms:
                total, finish, shares = [], [], []
                for _ in range(args.runs):
                    rows, share = latency_run(model, audio, silence)
                    assert len(rows) == 3 and all(r == "silence" for *_, r in rows), rows
                    total += [r[0] for r in rows]
                    finish += [r[1] for r in rows]
                    shares.append(share)
                name = path.name if path.resolve().parent == DATA else str(path)
                lm = f" + LM {Path(scorer).name}" if scorer else ""
                print(f"| {name} ({model.family}){lm} | {silence} ms "
                      f"| {1000 * statistics.median(total):.0f} ms ({1000 * max(total):.0f}) "
                      f"| {1000 * statistics.median(finish):.0f} ms ({1000 * max(finish):.0f}) "
                      f"| {pct(statistics.median(shares))} | {pct(statistics.median(idle))} "
                      f"| {pct(statistics.median(noisy))} |", flush=True)


if __name__ == "__main__":
    main()
