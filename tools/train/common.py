"""Shared paths and helpers of the training recipe (tools/train/).

All state (sentences, audio, manifests, checkpoints, logs) lives under TRAIN_ROOT, outside
the repository, so a later session can resume by re-running the same commands.
"""
from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRAIN_ROOT = Path(os.environ.get("EDGESTT_TRAIN_ROOT", "/work/train"))
TEXT_DIR = TRAIN_ROOT / "text"
PLAN_DIR = TRAIN_ROOT / "plan"
AUDIO_DIR = TRAIN_ROOT / "audio"
MANIFEST_DIR = TRAIN_ROOT / "manifests"
LOG_DIR = TRAIN_ROOT / "logs"
RUNS_DIR = TRAIN_ROOT / "runs"
LIB_DIR = TRAIN_ROOT / "lib"          # frozen copy of the edgestt package the recipe uses

SAMPLE_RATE = 16000
# Model alphabet: index 0 = space, 1..26 = a..z, 27 = apostrophe; blank = 28 (last).
ALPHABET = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
BLANK = len(ALPHABET)


def use_edgestt(prefer_repo: bool = False):
    """Import edgestt from the frozen copy in TRAIN_ROOT/lib (made by `snapshot_edgestt`), so a
    background job is not broken by work in progress in the repository; fall back to the repo.
    Export and evaluation (short, interactive) prefer the repository's newer modules."""
    if "edgestt" in sys.modules:
        return sys.modules["edgestt"]
    for path in ((REPO / "src", LIB_DIR) if prefer_repo else (LIB_DIR, REPO / "src")):
        if (path / "edgestt" / "__init__.py").exists():
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
            break
    import edgestt  # noqa: F401  (imported for its side effect on sys.modules)
    return edgestt


def snapshot_edgestt() -> str:
    """Copy the repository's built edgestt package into TRAIN_ROOT/lib; returns the commit."""
    src = REPO / "src" / "edgestt"
    if not list(src.glob("_native*.so")):
        raise SystemExit("build edgestt first: cd %s && python3 setup.py build_ext --inplace -q" % REPO)
    dst = LIB_DIR / "edgestt"
    tmp = LIB_DIR / "edgestt.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    (LIB_DIR / "COMMIT").write_text(commit + "\n")
    return commit


def stable_hash(text: str) -> int:
    """Process-independent hash (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")


def read_tsv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None))


def write_tsv_atomic(path: Path, rows: list[dict], fields: list[str]) -> None:
    """Write then rename, so a killed job never leaves a half-written file that looks done."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp%d" % os.getpid())
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None,
                           lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def log(msg: str, file=None) -> None:
    line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
    print(line, flush=True, file=file or sys.stdout)
