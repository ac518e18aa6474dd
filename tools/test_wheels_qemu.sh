#!/usr/bin/env bash
# Test the ARM wheels from tools/build_wheels.sh under qemu user-mode emulation, on an x86_64
# Debian bookworm host, in Debian bookworm arm64 / armhf roots made with debootstrap.
#
# For each architecture:
#   1. a bookworm root (cached: made once, about 6-13 min each) with python3, venv, pip and
#      Debian's numpy, cffi, pytest and hypothesis;
#   2. the C tests, cross-built with cmake/toolchain-*.cmake (-Werror), run by ctest through
#      qemu-<arch>-static -L <root>;
#   3. the wheel installed with pip into a venv (--system-site-packages: Debian's numpy and
#      cffi satisfy its requirements, as `apt install python3-numpy python3-cffi` would on a
#      Pi) inside the root, then the Python test suite run against it in the chroot;
#      on aarch64 ai-edge-litert is pip-installed too, so the LiteRT oracle tests run there, and
#      webrtcvad-wheels on both (test_vad, test_listen);
#   4. on aarch64, `edgestt transcribe` of the committed WAVs with the fixture models, compared
#      with the x86_64 wheel's output on the host;
#   5. a selection of tests/ (Hypothesis capped, the slowest tests deselected: DESELECT below),
#      with the 30 slowest tests listed.
# Each step's time and the test counts go to the summary at the end, also written to
# tools/wheels/last-run.txt (committed after a release run) and $CACHE/qemu-roots/last-run.txt.
#
# Usage: tools/test_wheels_qemu.sh [--ref REV | --tree] [--wheels DIR] [--no-litert] [ARCH ...]
#   ARCH         aarch64 armv7l (default: both)
#   --ref/--tree which tests and C sources to use (as in build_wheels.sh; default HEAD)
#   --wheels DIR where the wheels are (default: dist/); build them with tools/build_wheels.sh
#   --no-litert  skip the ai-edge-litert step and the transcription check on aarch64 (the wheel
#                itself depends on ai-edge-litert on aarch64, so its install still needs PyPI)
# Environment: EDGESTT_CACHE (default /work/cache) holds the roots (qemu-roots/bookworm-<arch>);
#   EDGESTT_MIRROR (default http://deb.debian.org/debian) for debootstrap.
#   EDGESTT_SHARED (default: shared/ beside the repo) for evaldata/ and corpus/ (tests skip without);
#   EDGESTT_HYPOTHESIS_MAX_EXAMPLES (default 10) caps every Hypothesis test in the chroot runs.
#
# Emulation: the chroot needs binfmt_misc. The script mounts it when it is missing and enables
# Debian's qemu-user-static entries, which carry the F (fix-binary) flag, so the kernel keeps
# the interpreter open and nothing has to be copied into the root. This works as root in the
# sandbox this was written in. Where binfmt_misc cannot be registered, only the C tests can
# run (ctest calls qemu-<arch>-static -L <root> explicitly); the script says so and stops.
# Needs root (debootstrap, chroot, mount).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${EDGESTT_CACHE:-/work/cache}
MIRROR=${EDGESTT_MIRROR:-http://deb.debian.org/debian}
SHARED=${EDGESTT_SHARED:-$REPO/../shared}
REF=HEAD
USE_TREE=0
WHEELS=$REPO/dist
LITERT=1
ARCHS=()
while [ $# -gt 0 ]; do
  case $1 in
    --ref) REF=$2; shift ;;
    --tree) USE_TREE=1 ;;
    --wheels) WHEELS=$2; shift ;;
    --no-litert) LITERT=0 ;;
    aarch64|armv7l) ARCHS+=("$1") ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#ARCHS[@]} -gt 0 ] || ARCHS=(aarch64 armv7l)
WHEELS=$(cd "$WHEELS" && pwd)
ROOTS=$CACHE/qemu-roots
mkdir -p "$ROOTS"
SUMMARY=()
FAILED=0
T0=$SECONDS
step() { printf '== [%4ss] %s\n' "$((SECONDS - T0))" "$*"; }
# timed NAME CMD...: runs CMD, records "NAME: Ns ok|FAILED" for the summary.
timed() {
  local name=$1 s=$SECONDS rc=0
  shift
  "$@" || rc=$?
  local r="ok"; [ $rc = 0 ] || { r="FAILED (exit $rc)"; FAILED=1; }
  SUMMARY+=("$(printf '%-44s %5ss  %s' "$name" "$((SECONDS - s))" "$r")")
  return 0
}

deb_arch() { case $1 in aarch64) echo arm64 ;; armv7l) echo armhf ;; esac; }
qemu_name() { case $1 in aarch64) echo aarch64 ;; armv7l) echo arm ;; esac; }
toolchain() { case $1 in aarch64) echo cmake/toolchain-aarch64.cmake ;; armv7l) echo cmake/toolchain-armv7.cmake ;; esac; }
triplet() { case $1 in aarch64) echo aarch64-linux-gnu ;; armv7l) echo arm-linux-gnueabihf ;; esac; }

step "host packages: qemu-user-static, binfmt-support, debootstrap, cross compilers"
pkgs=(qemu-user-static binfmt-support debootstrap cmake)
for a in "${ARCHS[@]}"; do pkgs+=("gcc-$(triplet "$a")"); done
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq || echo "apt-get update reported errors; carrying on"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

step "binfmt_misc"
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
BINFMT=1
for a in "${ARCHS[@]}"; do
  q=$(qemu_name "$a")
  [ -e "/proc/sys/fs/binfmt_misc/qemu-$q" ] || update-binfmts --enable "qemu-$q" >/dev/null 2>&1 || true
  if grep -q '^flags:.*F' "/proc/sys/fs/binfmt_misc/qemu-$q" 2>/dev/null; then
    echo "   qemu-$q: registered, $(grep ^interpreter "/proc/sys/fs/binfmt_misc/qemu-$q"), $(grep ^flags "/proc/sys/fs/binfmt_misc/qemu-$q")"
  else
    echo "   qemu-$q: binfmt_misc entry missing or without the F flag: the chroot steps cannot run"
    BINFMT=0
  fi
done

# The source of the C tests and the Python tests.
if [ "$USE_TREE" = 1 ]; then
  SRC=$REPO
else
  SRC=$CACHE/qemu-src
  rev=$(git -C "$REPO" rev-parse --verify "$REF^{commit}")
  rm -rf "$SRC" && mkdir -p "$SRC"
  git -C "$REPO" archive "$rev" | tar -x -C "$SRC"
  mkdir -p "$SRC/cmake" && cp -n "$REPO"/cmake/toolchain-*.cmake "$SRC/cmake/" 2>/dev/null || true
  step "source: $(git -C "$REPO" log -1 --format='%h %s' "$rev")"
fi

make_root() {  # make_root ARCH ROOT
  local d tmp
  d=$(deb_arch "$1"); tmp=$2.tmp
  rm -rf "$tmp"
  # --include cannot resolve virtual packages (python3-pycparser needs python3-ply-lex-3.10),
  # so debootstrap makes the base and apt-get inside the root installs Python.
  debootstrap --arch="$d" --variant=minbase --include=ca-certificates bookworm "$tmp" "$MIRROR" \
    >"$ROOTS/debootstrap-$d.log" 2>&1 || { tail -20 "$ROOTS/debootstrap-$d.log"; return 1; }
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  in_root "$tmp" apt-get update -qq || return 1
  in_root "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3 python3-venv python3-pip python3-numpy python3-cffi python3-pytest python3-hypothesis \
    >"$ROOTS/apt-$d.log" 2>&1 || { tail -20 "$ROOTS/apt-$d.log"; return 1; }
  in_root "$tmp" apt-get clean || return 1
  touch "$tmp/.edgestt-root-ok"
  mv "$tmp" "$2"
}

# in_root ROOT CMD...: runs CMD in the chroot with /proc mounted (unmounted after). Never /sys:
# with it, LiteRT's cpuinfo segfaults the interpreter under qemu-aarch64; without, it only warns.
in_root() {
  local root=$1 rc=0
  shift
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 "$@" || rc=$?
  umount "$root/proc" 2>/dev/null || true
  return $rc
}

ctest_under_qemu() {  # ctest_under_qemu ARCH ROOT
  local b=$CACHE/qemu-ctest-$1 rc=0
  rm -rf "$b"
  cmake -S "$SRC" -B "$b" -DCMAKE_BUILD_TYPE=Release -DEDGESTT_WERROR=ON \
    -DCMAKE_TOOLCHAIN_FILE="$SRC/$(toolchain "$1")" -DEDGESTT_QEMU_ROOT="$2" >"$b.log" 2>&1 &&
    cmake --build "$b" -j "$(nproc)" >>"$b.log" 2>&1 || { tail -30 "$b.log"; return 1; }
  (cd "$b" && ctest --output-on-failure --timeout 3000 >"$b/ctest.log" 2>&1) || rc=$?
  sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: /   /p; /tests passed/p' "$b/ctest.log"
  return $rc
}

install_wheel() {  # install_wheel ROOT WHEEL
  rm -rf "$1/opt/edgestt" && mkdir -p "$1/opt/edgestt" && cp "$2" "$1/opt/edgestt/" &&
  in_root "$1" python3 -m venv --system-site-packages /opt/edgestt/venv &&
  in_root "$1" env PIP_CERT=/etc/ssl/certs/edgestt-host-ca.crt /opt/edgestt/venv/bin/pip install -q \
    --disable-pip-version-check "/opt/edgestt/$(basename "$2")" &&
  in_root "$1" /opt/edgestt/venv/bin/python -c \
    'import sys, platform, cffi, numpy, edgestt; print("  ", platform.machine(), sys.version.split()[0], "cffi", cffi.__version__, "numpy", numpy.__version__, "edgestt", edgestt.__version__, edgestt.__file__)'
}

# The test selection under emulation. The whole tests/ runs on x86_64 (tools/test.sh, CI); under
# qemu it takes well over an hour per architecture, so Hypothesis tests are capped at
# $HYPOTHESIS_CAP examples (tools/wheels/hypothesis_cap.py) and the tests below are deselected,
# each "covered on x86_64; too slow under emulation". Every module family keeps tests here:
# features, LM (query and build), decoder, resample, wav, VAD/listen, and model loading with
# LiteRT on aarch64. The figures are from `pytest --durations=30` under qemu (see
# tools/wheels/README.md); a deselected test is still collected, so it is counted as deselected.
HYPOTHESIS_CAP=${EDGESTT_HYPOTHESIS_MAX_EXAMPLES:-10}
DESELECT=(
  # Feature oracles: the LiteRT feature graphs over a minute of audio (aarch64: > 900 s for the
  # file); the DeepSpeech and NeMo numpy references stay, and test_features_api runs whole.
  'test_features_oracles.py::test_the_audio_covers_more_than_a_minute_of_every_kind'
  'test_features_oracles.py::test_deepspeech_matches_litert_mfcc_ops'
  'test_features_oracles.py::test_scribosermo_matches_litert_graph'
  'test_features_oracles.py::test_scribosermo_matches_numpy_reference'
  'test_features_oracles.py::test_nemo_matches_a_librosa_pipeline'
  'test_features_oracles.py::test_nemo_matches_torch_stft_when_installed'
  'test_deepspeech_fixture.py::test_feature_subgraph_equals_edgestt_deepspeech_preset'
  # QuartzNet through LiteRT (aarch64: test_quartznet 596 s, test_quartznet_model 773 s):
  # long inputs and the second family's repeats go; each test keeps at least one family.
  'test_quartznet.py::test_scribosermo_one_shot_equals_the_interpreter[16161]'
  'test_quartznet.py::test_scribosermo_one_shot_equals_the_interpreter[40000]'
  'test_quartznet.py::test_nemo_one_shot_equals_the_interpreter_on_the_c_features[16160]'
  'test_quartznet.py::test_nemo_one_shot_equals_the_interpreter_on_the_c_features[40000]'
  'test_quartznet.py::test_frame_count_equals_one_shot_at_window_boundaries[scribosermo-80320]'
  'test_quartznet.py::test_frame_count_equals_one_shot_at_window_boundaries[scribosermo-95999]'
  'test_quartznet.py::test_frame_count_equals_one_shot_at_window_boundaries[scribosermo-96001]'
  'test_quartznet.py::test_frame_count_equals_one_shot_at_window_boundaries[scribosermo-144000]'
  'test_quartznet.py::test_frame_count_equals_one_shot_at_window_boundaries[scribosermo-150001]'
  'test_quartznet.py::test_frame_count_equals_one_shot_at_window_boundaries[nemo-'
  'test_quartznet.py::test_stream_follows_the_window_schedule[nemo]'
  'test_quartznet.py::test_every_frame_once[nemo]'
  'test_quartznet.py::test_agreement_with_one_shot_on_long_audio[nemo]'
  'test_quartznet.py::test_pending_covers_the_audio_so_far[nemo]'
  'test_quartznet.py::test_one_shot_session[nemo]'
  'test_quartznet.py::test_chunking_does_not_matter'
  'test_quartznet.py::test_one_shot_cuts_long_recordings_into_long_windows'
  'test_quartznet.py::test_other_window_sizes'
  'test_quartznet.py::test_sessions_in_threads'
  'test_quartznet_model.py::test_long_audio_stream[quartznet_nemo_fixture.tflite]'
  'test_quartznet_model.py::test_long_audio_stream[edgestt_fixture.tflite]'
  'test_quartznet_model.py::test_long_audio_stt_is_one_shot[quartznet_nemo_fixture.tflite]'
  'test_quartznet_model.py::test_long_audio_stt_is_one_shot[quartznet_scribosermo_fixture.tflite]'
  'test_quartznet_model.py::test_partial_equals_decoding_all_final_frames_and_pending[quartznet_nemo_fixture.tflite'
  'test_quartznet_model.py::test_partial_equals_decoding_all_final_frames_and_pending[edgestt_fixture.tflite-True]'
  'test_quartznet_model.py::test_partial_equals_decoding_all_final_frames_and_pending[quartznet_scribosermo_fixture.tflite-True]'
  'test_quartznet_model.py::test_streamed_final_equals_stt_on_a_long_recording[quartznet_nemo_fixture.tflite'
  'test_quartznet_model.py::test_streamed_final_equals_stt_on_a_long_recording[edgestt_fixture.tflite-oneshot1]'
  'test_quartznet_model.py::test_streamed_final_equals_stt_on_a_long_recording[quartznet_scribosermo_fixture.tflite-oneshot1]'
  'test_quartznet_model.py::test_windowed_final_when_exact_final_is_off[quartznet_nemo_fixture.tflite]'
  'test_quartznet_model.py::test_windowed_final_when_exact_final_is_off[edgestt_fixture.tflite]'
  'test_quartznet_lazy_preview.py::test_memory_stays_bounded_and_a_late_first_partial_starts_from_the_exact_frames'
  'test_quartznet_lazy_preview.py::test_memory_stays_bounded_after_an_early_partial'
  'test_quartznet_lazy_preview.py::test_lazy_session_catches_up_to_the_eager_frames[quartznet_nemo_fixture.tflite]'
  'test_quartznet_lazy_preview.py::test_skip_to_gives_the_eager_frames_from_there_on[170]'
  'test_quartznet_lazy_preview.py::test_skip_to_gives_the_eager_frames_from_there_on[400]'
  # The DeepSpeech reference client over every clip (its one-shot transcripts are a module
  # fixture); edgestt's own ARM transcripts are compared with x86_64's by the transcribe step.
  'test_deepspeech_fixture.py::test_reference_client_transcribes_audio_dependent_text'
  'test_deepspeech_fixture.py::test_reference_client_streaming_equals_one_shot'
  'test_reference_parity.py::test_the_clips_give_varied_non_empty_transcripts'
  'test_reference_parity.py::test_one_shot_equals_the_reference'
  'test_reference_parity.py::test_streaming_in_random_chunks_equals_the_reference'
  # LM building (armv7l: test_lm_build 860 s, 627 s of it the held-out perplexity test): the
  # big orders and prunings go; the brute-force MKN check and two normalisation sums stay.
  # The kenlm and lmplz comparisons would skip in the roots, after building their LM.
  'test_lm_build.py::test_heldout_perplexity_mkn_beats_witten_bell_and_add_one'
  'test_lm_build.py::test_conditional_probabilities_sum_to_one[modified_kneser_ney-4-'
  'test_lm_build.py::test_conditional_probabilities_sum_to_one[modified_kneser_ney-5-'
  'test_lm_build.py::test_conditional_probabilities_sum_to_one[witten_bell-4-'
  'test_lm_build.py::test_kenlm_scores_equal_ours'
  'test_lm_build.py::test_matches_lmplz'
  'test_lm.py::test_binary_flipped_bytes_are_detected'
  # Decoder: thirty minutes of frames, and the repeats of parametrised beam-score checks.
  'test_decoder_long.py::test_thirty_minutes_in_chunks_keep_the_pools_bounded'
  'test_decoder_lm.py::test_zero_weights_without_lexicon_equal_the_plain_decoder[2]'
  'test_decoder_lm.py::test_zero_weights_without_lexicon_equal_the_plain_decoder[3]'
  'test_decoder_lm.py::test_zero_weights_without_lexicon_equal_the_plain_decoder[4]'
  'test_decoder_lm.py::test_zero_weights_without_lexicon_equal_the_plain_decoder[5]'
  'test_decoder_lm.py::test_zero_weights_without_lexicon_equal_the_plain_decoder[6]'
  'test_decoder_lm.py::test_zero_weights_without_lexicon_equal_the_plain_decoder[7]'
  'test_decoder_hotwords.py::test_every_beam_score_is_the_plain_score_plus_the_hot_word_score[2]'
  'test_decoder_hotwords.py::test_every_beam_score_is_the_plain_score_plus_the_hot_word_score[3]'
  'test_decoder_hotwords.py::test_every_beam_score_is_the_plain_score_plus_the_hot_word_score[4]'
  'test_decoder_hotwords.py::test_every_beam_score_is_the_plain_score_plus_the_hot_word_score[5]'
  # listen: wall-clock replays and the examples run as subprocesses (a fresh interpreter and
  # model each); the listener, its Ctrl-C handling and the real model on a fake microphone stay.
  'test_listen.py::test_real_time_replay_never_runs_ahead_of_the_clock'
  'test_listen.py::test_cli_on_real_portaudio_stops_cleanly_on_sigint'
  'test_listen.py::test_the_mic_dictation_example_on_a_fake_pyaudio'
  'test_listen.py::test_the_stream_file_example'
)
DESELECT_ARGS=()
for t in "${DESELECT[@]}"; do DESELECT_ARGS+=(--deselect "tests/$t"); done

copy_tests() {  # copy_tests ROOT: tests/ and tools/ to /opt/edgestt, the shared data to /opt/shared
  # The tests sit at /opt/edgestt/tests with no src/ beside them, so `import edgestt` can only
  # find the wheel. tools/ goes beside them (tests/reference_client.py imports
  # tools/deepspeech_reference.py; the Hypothesis cap plugin is tools/wheels/hypothesis_cap.py).
  # $SHARED/evaldata and $SHARED/corpus (shared/ beside the repo, as in CI), when there, go to
  # /opt/shared: the real recordings and the text corpus some tests use.
  rm -rf "$1/opt/edgestt/tests" "$1/opt/edgestt/tools" "$1/opt/shared"
  cp -r "$SRC/tests" "$1/opt/edgestt/tests" && cp -r "$SRC/tools" "$1/opt/edgestt/tools" || return 1
  mkdir -p "$1/opt/shared"
  for d in evaldata corpus; do
    if [ -d "$SHARED/$d" ]; then cp -r "$SHARED/$d" "$1/opt/shared/" || return 1; fi
  done
}

pytest_in_root() {  # pytest_in_root ARCH ROOT: the selection of tests/, against the installed wheel
  local root=$2 log=$ROOTS/pytest-$1.log rc=0
  in_root "$root" env PYTHONPATH=/opt/edgestt/tools/wheels EDGESTT_HYPOTHESIS_MAX_EXAMPLES="$HYPOTHESIS_CAP" \
    sh -c 'cd /opt/edgestt && exec venv/bin/python -m pytest -p no:cacheprovider -p hypothesis_cap -ra -q \
      --durations=30 --junitxml=/opt/edgestt/junit.xml "$@" tests' pytest "${DESELECT_ARGS[@]}" >"$log" 2>&1 || rc=$?
  cp "$root/opt/edgestt/junit.xml" "$ROOTS/pytest-$1.xml" 2>/dev/null || true  # every test's time
  # The failures and skips (-ra), the 30 slowest tests and the counts; the whole log stays in $log.
  sed -n '/short test summary info/,$p; /slowest 30 durations/,/^$/p' "$log" | grep -v '^$' | head -80
  COUNTS+=("$(printf '%-8s %s' "$1:" "$(tail -1 "$log" | tr -d '=' | sed 's/^ *//; s/ *$//')")")
  return $rc
}

ensure_webrtcvad() {  # ensure_webrtcvad ARCH ROOT: webrtcvad-wheels into the venv, its wheel cached in the root
  # test_vad and test_listen need webrtcvad (edgestt[mic]). PyPI has an aarch64 wheel of
  # webrtcvad-wheels; on armv7l pip builds it from source, so gcc and python3-dev go into the
  # root once. The built (or downloaded) wheel is kept in /opt/wheelhouse, outside the venv.
  local root=$2
  if ! ls "$root"/opt/wheelhouse/webrtcvad*.whl >/dev/null 2>&1; then
    if [ "$1" = armv7l ] && ! { [ -x "$root/usr/bin/gcc" ] && ls "$root"/usr/include/python3*/Python.h >/dev/null 2>&1; }; then
      in_root "$root" apt-get update -qq &&
      in_root "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        gcc libc6-dev python3-dev >"$ROOTS/apt-webrtcvad-$1.log" 2>&1 || { tail -20 "$ROOTS/apt-webrtcvad-$1.log"; return 1; }
      in_root "$root" apt-get clean
    fi
    mkdir -p "$root/opt/wheelhouse"
    in_root "$root" env PIP_CERT=/etc/ssl/certs/edgestt-host-ca.crt \
      /opt/edgestt/venv/bin/pip wheel -q --disable-pip-version-check --no-deps -w /opt/wheelhouse webrtcvad-wheels || return 1
  fi
  in_root "$root" /opt/edgestt/venv/bin/pip install -q --disable-pip-version-check --no-index \
    --find-links /opt/wheelhouse webrtcvad-wheels &&
  in_root "$root" /opt/edgestt/venv/bin/python -c 'import webrtcvad; webrtcvad.Vad(3); print("   webrtcvad", webrtcvad.__file__)'
}

# The transcription check: `edgestt transcribe` of every committed tests/data/synth_*.wav with
# each fixture model, run in tests/ so the printed paths match. The host side uses the x86_64
# wheel in a venv ($CACHE/qemu-host-venv; numpy, cffi and ai-edge-litert from the host Python).
TRANSCRIBE_MODELS=(deepspeech_fixture quartznet_scribosermo_fixture quartznet_nemo_fixture edgestt_fixture)
transcripts() {  # transcripts RUN DIR: RUN CMD... runs a command; writes DIR/<model>.txt
  local run=$1 dir=$2 m wavs
  mkdir -p "$dir"
  wavs=$(cd "$SRC/tests" && ls data/synth_*.wav | tr '\n' ' ')
  for m in "${TRANSCRIBE_MODELS[@]}"; do
    "$run" "edgestt transcribe $wavs --model data/$m.tflite" >"$dir/$m.txt" 2>"$dir/$m.err" ||
      { tail -5 "$dir/$m.err"; echo "   $m: transcribe failed" >&2; return 1; }
  done
}
run_host() { (cd "$SRC/tests" && "$CACHE/qemu-host-venv/bin/edgestt" ${1#edgestt }); }
run_in_root() { in_root "$TR_ROOT" sh -c "cd /opt/edgestt/tests && /opt/edgestt/venv/bin/$1"; }
host_transcripts() {
  local wheel venv=$CACHE/qemu-host-venv
  wheel=$(ls "$WHEELS"/edgestt-*-cp39-abi3-*_x86_64.whl 2>/dev/null | head -1 || true)
  [ -n "$wheel" ] || { echo "   no x86_64 wheel in $WHEELS: run tools/build_wheels.sh x86_64" >&2; return 1; }
  [ -x "$venv/bin/python" ] || python3 -m venv --system-site-packages "$venv" || return 1
  "$venv/bin/pip" install -q --no-deps --force-reinstall --disable-pip-version-check "$wheel" || return 1
  # The venv's own site-packages come first, so an editable edgestt of the host Python cannot win.
  "$venv/bin/python" -c "import edgestt, sys; f = edgestt.__file__; print('  ', f); sys.exit(not f.startswith('$venv/'))" || return 1
  transcripts run_host "$ROOTS/transcripts-x86_64"
}
compare_transcripts() {  # compare_transcripts ARCH ROOT
  local m rc=0
  TR_ROOT=$2 && transcripts run_in_root "$ROOTS/transcripts-$1" || return 1
  for m in "${TRANSCRIBE_MODELS[@]}"; do
    if cmp -s "$ROOTS/transcripts-x86_64/$m.txt" "$ROOTS/transcripts-$1/$m.txt" && [ -s "$ROOTS/transcripts-$1/$m.txt" ]; then
      echo "   $m: $(wc -l <"$ROOTS/transcripts-$1/$m.txt") transcripts, equal to x86_64"
    else
      echo "   $m: DIFFERENT from x86_64:"; diff "$ROOTS/transcripts-x86_64/$m.txt" "$ROOTS/transcripts-$1/$m.txt" | sed 's/^/     /'
      rc=1
    fi
  done
  sed 's/^/     /' "$ROOTS/transcripts-$1/${TRANSCRIBE_MODELS[0]}.txt"
  return $rc
}

rm -rf "$ROOTS"/transcripts-*
COUNTS=()
for arch in "${ARCHS[@]}"; do
  d=$(deb_arch "$arch")
  root=$ROOTS/bookworm-$d
  wheel=$(ls "$WHEELS"/edgestt-*-cp39-abi3-*_"$arch".whl 2>/dev/null | head -1 || true)
  [ -n "$wheel" ] || { echo "no $arch wheel in $WHEELS: run tools/build_wheels.sh" >&2; exit 1; }

  if [ ! -f "$root/.edgestt-root-ok" ]; then
    step "$arch: debootstrap bookworm $d root -> $root"
    timed "$arch: make the bookworm root (debootstrap)" make_root "$arch" "$root"
  else
    SUMMARY+=("$(printf '%-44s %5s   %s' "$arch: bookworm root" "-" "cached ($root)")")
  fi
  [ -f "$root/.edgestt-root-ok" ] || { echo "no root for $arch" >&2; exit 1; }

  step "$arch: C tests under qemu-$(qemu_name "$arch")-static -L $root"
  timed "$arch: C tests (cross-build + ctest under qemu)" ctest_under_qemu "$arch" "$root"

  [ "$BINFMT" = 1 ] || { echo "binfmt_misc unavailable: skipping the Python steps for $arch" >&2; FAILED=1; continue; }
  # pip inside the root reaches PyPI (the wheel's ai-edge-litert dependency on aarch64,
  # webrtcvad-wheels) with the host's resolver and CA bundle, in case the way out goes through
  # a TLS-inspecting proxy.
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/edgestt-host-ca.crt"
  step "$arch: install $(basename "$wheel")"
  timed "$arch: pip install the wheel into a venv" install_wheel "$root" "$wheel"
  if [ "$arch" = aarch64 ] && [ "$LITERT" = 1 ]; then
    step "$arch: pip install ai-edge-litert"
    # It brings numpy 2 from PyPI into the venv (over Debian's 1.24), as a plain pip install would.
    timed "$arch: pip install ai-edge-litert" in_root "$root" env PIP_CERT=/etc/ssl/certs/edgestt-host-ca.crt \
      /opt/edgestt/venv/bin/pip install -q --disable-pip-version-check ai-edge-litert
  fi
  step "$arch: webrtcvad (edgestt[mic]) into the venv"
  timed "$arch: pip install webrtcvad-wheels" ensure_webrtcvad "$arch" "$root"
  timed "$arch: copy tests/ and tools/ into the root" copy_tests "$root"
  if [ "$arch" = aarch64 ] && [ "$LITERT" = 1 ]; then
    if [ ! -s "$ROOTS/transcripts-x86_64/${TRANSCRIBE_MODELS[0]}.txt" ]; then
      step "x86_64 (host): edgestt transcribe with the x86_64 wheel"
      timed "x86_64: transcribe the fixtures (host)" host_transcripts
    fi
    step "$arch: edgestt transcribe, compared with x86_64"
    timed "$arch: transcribe the fixtures, = x86_64" compare_transcripts "$arch" "$root"
  fi
  step "$arch: pytest in the chroot (Hypothesis capped at $HYPOTHESIS_CAP examples, ${#DESELECT[@]} deselected)"
  timed "$arch: Python tests (pytest, selected)" pytest_in_root "$arch" "$root"
done

step "summary"
# The summary is also written to tools/wheels/last-run.txt in the repository (committed after a
# release run) and $ROOTS/last-run.txt.
{
  echo "edgestt wheels under qemu, $(date -u +%Y-%m-%dT%H:%MZ), host $(nproc) cores, $(qemu-aarch64-static --version | head -1)"
  [ "$USE_TREE" = 1 ] && echo "source: working tree of $(git -C "$REPO" log -1 --format=%h)" ||
    echo "source: $(git -C "$REPO" log -1 --format='%h %s' "$rev")"
  for w in "$WHEELS"/edgestt-*.whl; do echo "wheel: $(basename "$w") $(sha256sum "$w" | cut -c1-16)"; done
  echo
  printf '%s\n' "${SUMMARY[@]}"
  printf '%-44s %5ss\n' "total" "$((SECONDS - T0))"
  echo
  echo "pytest (Hypothesis capped at $HYPOTHESIS_CAP examples; ${#DESELECT[@]} node ids deselected, see DESELECT in the script):"
  printf '   %s\n' "${COUNTS[@]}"
  for d in "$ROOTS"/transcripts-*; do
    [ -d "$d" ] && [ "$d" != "$ROOTS/transcripts-x86_64" ] || continue
    echo
    echo "edgestt transcribe on ${d##*-} vs x86_64 (tests/data/synth_*.wav x ${#TRANSCRIBE_MODELS[@]} fixture models):"
    for m in "${TRANSCRIBE_MODELS[@]}"; do
      if cmp -s "$ROOTS/transcripts-x86_64/$m.txt" "$d/$m.txt" && [ -s "$d/$m.txt" ]; then
        echo "   $m: $(wc -l <"$d/$m.txt") of $(wc -l <"$ROOTS/transcripts-x86_64/$m.txt") identical"
      else
        echo "   $m: DIFFERENT"
      fi
    done
  done
} | tee "$ROOTS/last-run.txt" "$REPO/tools/wheels/last-run.txt"
exit $FAILED
