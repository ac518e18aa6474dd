"""The default English model shipped with edgestt: where it is found, and its integrity.

The files live in the repository's models/ directory and, once installed, in the package's
edgestt/models/ (setup.py copies every file the manifest lists). models/MANIFEST.sha256
holds one `<sha256>  <file name>` line per shipped file, as `sha256sum` writes them.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Dict, Optional

from . import constants, errors

MANIFEST_NAME = "MANIFEST.sha256"


def model_folders() -> tuple:
    """Where shipped models are looked for: the installed package's folder, then the source tree's."""
    here = Path(__file__).resolve().parent
    return (here / "models", here.parent.parent / "models")


def default_model_path() -> Optional[Path]:
    """Where Model(None) finds its model: $EDGESTT_MODEL, else the package's or the source
    tree's models/ directory; None when no default model is installed."""
    env = os.environ.get("EDGESTT_MODEL")
    if env:
        return Path(env)
    for folder in model_folders():
        candidate = folder / constants.DEFAULT_MODEL_FILENAME
        if candidate.is_file():
            return candidate
    return None


def default_scorer_path(model_path: Path) -> Optional[Path]:
    """The language model that goes with a default model: the file named
    DEFAULT_SCORER_FILENAME beside it, or None."""
    candidate = Path(model_path).parent / constants.DEFAULT_SCORER_FILENAME
    return candidate if candidate.is_file() else None


def read_manifest(folder: Path) -> Dict[str, str]:
    """{file name: sha256 hex} from folder/MANIFEST.sha256; {} when there is no manifest."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return {}
    entries = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64 or any(c not in "0123456789abcdef" for c in parts[0]):
            raise errors.ModelError(f"{path}:{number}: expected '<sha256 hex>  <file name>', got {line!r}")
        name = parts[1].lstrip("*")  # sha256sum marks binary mode with '*'
        if "/" in name or name in (".", ".."):
            raise errors.ModelError(f"{path}:{number}: {name!r} is not a plain file name")
        entries[name] = parts[0]
    return entries


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_folder(folder: Path) -> Dict[str, str]:
    """Check every file the folder's manifest lists against its sha256; returns the manifest.
    Raises ModelError naming the first missing or altered file."""
    folder = Path(folder)
    entries = read_manifest(folder)
    for name, expected in entries.items():
        path = folder / name
        if not path.is_file():
            raise errors.ModelError(f"{path}: listed in {MANIFEST_NAME} but missing")
        actual = sha256_of(path)
        if actual != expected:
            raise errors.ModelError(f"{path}: sha256 {actual} differs from {MANIFEST_NAME}'s {expected}: "
                                    "the file is damaged or was replaced")
    return entries
