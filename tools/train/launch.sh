#!/usr/bin/env bash
# Start one recipe stage detached, at lowest CPU priority, logging to TRAIN_ROOT/logs/<stage>.log.
# Re-running it resumes the stage; it refuses to start a second copy of a stage still running.
#   tools/train/launch.sh synth [--workers N]      (train venv)
#   tools/train/launch.sh train [--config ...]      (TF venv)
#   tools/train/launch.sh lm    [--order 4 ...]     (LM for evaluation; pause synth meanwhile, see README)
#   tools/train/launch.sh status
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${EDGESTT_TRAIN_ROOT:-/work/train}"
mkdir -p "$ROOT/logs"
stage="${1:?usage: launch.sh synth|train|status [args]}"; shift || true

running() { [[ -f "$ROOT/logs/$1.pid" ]] && kill -0 "$(cat "$ROOT/logs/$1.pid")" 2>/dev/null; }

case "$stage" in
  synth) py=/work/venvs/train/bin/python; script="$HERE/synth.py" ;;
  train) py=/work/venvs/tf/bin/python;    script="$HERE/train.py" ;;
  lm)    py=python3;                      script="$HERE/build_lm.py" ;;
  status)
    for s in synth train lm; do
      if running "$s"; then echo "$s: running, pid $(cat "$ROOT/logs/$s.pid")"; else echo "$s: not running"; fi
    done
    exit 0 ;;
  *) echo "unknown stage $stage" >&2; exit 2 ;;
esac

if running "$stage"; then
  echo "$stage already running (pid $(cat "$ROOT/logs/$stage.pid"))"; exit 0
fi
# TF and onnxruntime: at most 2 threads in all (the machine has 2 cores shared with others).
export OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=${TF_NUM_INTRAOP_THREADS:-2} TF_NUM_INTEROP_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2
setsid nohup nice -n 19 "$py" "$script" "$@" >> "$ROOT/logs/$stage.log" 2>&1 < /dev/null &
echo $! > "$ROOT/logs/$stage.pid"
echo "$stage started, pid $!, log $ROOT/logs/$stage.log"
