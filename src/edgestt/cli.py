"""The `edgestt` command line."""
from __future__ import annotations

import argparse
import sys

import numpy as np

from . import __version__, constants, errors
from .features import Features
from .wav import read_pcm16


def features_command(args) -> int:
    feats = Features(args.preset)
    rate = feats.config.sample_rate_hz
    for path in args.files:
        pcm, file_rate = read_pcm16(path)
        if file_rate != rate:
            raise errors.InvalidArgument(f"{path}: {file_rate} Hz audio; the {args.preset} preset needs {rate:g} Hz")
        out = feats.compute(pcm)
        if args.output:
            np.save(args.output if len(args.files) == 1 else f"{path}.{args.preset}.npy", out)
        mean, std = float(out.mean()), float(out.std())
        print(f"{path}: {out.shape[0]} frames x {out.shape[1]} {args.preset} features "
              f"({len(pcm) / file_rate:.2f} s), mean {mean:.3f}, std {std:.3f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edgestt", description="Offline speech-to-text for the Raspberry Pi.")
    parser.add_argument("--version", action="version", version=f"edgestt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    feat = sub.add_parser("features", help="compute MFCC / log-mel features of 16-bit WAV files")
    feat.add_argument("files", nargs="+", help="16-bit PCM WAV files at the preset's sample rate")
    feat.add_argument("--preset", choices=constants.FEATURE_PRESETS, default=constants.DEFAULT_FEATURE_PRESET)
    feat.add_argument("-o", "--output", help="save the features as .npy (FILE.PRESET.npy per file when several)")
    feat.set_defaults(run=features_command)
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
