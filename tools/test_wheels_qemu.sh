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
#      on aarch64 ai-edge-litert is pip-installed too, so the LiteRT oracle tests run there.
# Each step's time goes to the summary at the end (and to $CACHE/qemu-roots/last-run.txt).
#
# Usage: tools/test_wheels_qemu.sh [--ref REV | --tree] [--wheels DIR] [--no-litert] [ARCH ...]
#   ARCH         aarch64 armv7l (default: both)
#   --ref/--tree which tests and C sources to use (as in build_wheels.sh; default HEAD)
#   --wheels DIR where the wheels are (default: dist/); build them with tools/build_wheels.sh
#   --no-litert  skip pip-installing ai-edge-litert on aarch64 (it needs PyPI)
# Environment: EDGESTT_CACHE (default /work/cache) holds the roots (qemu-roots/bookworm-<arch>);
#   EDGESTT_MIRROR (default http://deb.debian.org/debian) for debootstrap.
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

# in_root ROOT CMD...: runs CMD in the chroot with /proc mounted (unmounted after).
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
  in_root "$1" /opt/edgestt/venv/bin/pip install -q --disable-pip-version-check "/opt/edgestt/$(basename "$2")" &&
  in_root "$1" /opt/edgestt/venv/bin/python -c \
    'import sys, platform, cffi, numpy, edgestt; print("  ", platform.machine(), sys.version.split()[0], "cffi", cffi.__version__, "numpy", numpy.__version__, "edgestt", edgestt.__version__, edgestt.__file__)'
}

pytest_in_root() {  # pytest_in_root ROOT: the repo's tests/, against the installed wheel
  # The tests sit at /opt/edgestt/tests with no src/ beside them, so `import edgestt` can only
  # find the wheel. shared/evaldata and shared/corpus beside the repo (as in CI), when there,
  # are copied to /opt/shared: the real recordings and the text corpus some tests use.
  rm -rf "$1/opt/edgestt/tests" "$1/opt/shared"
  cp -r "$SRC/tests" "$1/opt/edgestt/tests" || return 1
  mkdir -p "$1/opt/shared"
  for d in evaldata corpus; do
    [ -d "$REPO/../shared/$d" ] && cp -r "$REPO/../shared/$d" "$1/opt/shared/"
  done
  in_root "$1" sh -c 'cd /opt/edgestt && venv/bin/python -m pytest -p no:cacheprovider -ra -q tests' 2>&1 |
    tail -25
  return "${PIPESTATUS[0]}"
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
  step "$arch: install $(basename "$wheel")"
  timed "$arch: pip install the wheel into a venv" install_wheel "$root" "$wheel"
  if [ "$arch" = aarch64 ] && [ "$LITERT" = 1 ]; then
    step "$arch: pip install ai-edge-litert"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # The host's CA bundle, in case the way out goes through a TLS-inspecting proxy.
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/edgestt-host-ca.crt"
    # It brings numpy 2 from PyPI into the venv (over Debian's 1.24), as a plain pip install would.
    timed "$arch: pip install ai-edge-litert" in_root "$root" env PIP_CERT=/etc/ssl/certs/edgestt-host-ca.crt \
      /opt/edgestt/venv/bin/pip install -q --disable-pip-version-check ai-edge-litert
  fi
  if [ "$arch" = aarch64 ] && [ "$LITERT" = 1 ]; then
    if [ ! -s "$ROOTS/transcripts-x86_64/${TRANSCRIBE_MODELS[0]}.txt" ]; then
      step "x86_64 (host): edgestt transcribe with the x86_64 wheel"
      timed "x86_64: transcribe the fixtures (host)" host_transcripts
    fi
    step "$arch: edgestt transcribe, compared with x86_64"
    timed "$arch: transcribe the fixtures, = x86_64" compare_transcripts "$arch" "$root"
  fi
  step "$arch: pytest in the chroot"
  timed "$arch: Python tests (pytest, all of tests/)" pytest_in_root "$root"
done

step "summary"
{
  echo "edgestt wheels under qemu, $(date -u +%Y-%m-%dT%H:%MZ), host $(nproc) cores"
  printf '%s\n' "${SUMMARY[@]}"
  printf '%-44s %5ss\n' "total" "$((SECONDS - T0))"
} | tee "$ROOTS/last-run.txt"
exit $FAILED
