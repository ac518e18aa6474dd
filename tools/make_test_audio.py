#!/usr/bin/env python3
"""Synthesise the small speech fixtures in tests/data/ (committed; CI does not run this).

Needs Debian's espeak-ng and sox (`apt-get install espeak-ng sox`). Writes 16 kHz mono
int16 WAVs of public-domain sentences in several English voices. Deterministic for a given
espeak-ng version.

    python3 tools/make_test_audio.py [--out-dir tests/data]
"""
import argparse
import os
import subprocess
import tempfile

# (file name, espeak-ng voice, words per minute, pitch, sentence)
CLIPS = [
    ("synth_en_us.wav", "en-us", 160, 50, "The quick brown fox jumps over the lazy dog near the river bank."),
    ("synth_en_gb_f.wav", "en-gb+f3", 140, 70, "A golden fortune and a happy life were promised to the traveller."),
    ("synth_en_scotland.wav", "en-gb-scotland", 175, 40, "She had your dark suit in greasy wash water all year."),
]


def synthesise(voice, wpm, pitch, text, out_path):
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "espeak.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", raw, text], check=True)
        subprocess.run(["sox", raw, "-r", "16000", "-c", "1", "-b", "16", out_path], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=os.path.join(os.path.dirname(__file__), "..", "tests", "data"))
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for name, voice, wpm, pitch, text in CLIPS:
        path = os.path.join(args.out_dir, name)
        synthesise(voice, wpm, pitch, text, path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
