"""cffi build script (API mode): compiles csrc/*.c into edgestt._native.

The cdef is sliced from the public headers (csrc/include/edgestt*.h, edgestt.h first)
between their cffi:begin / cffi:end markers, so the declarations Python sees are the
headers themselves, never a hand-made copy.
"""
import glob
import os
import sys

import cffi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CSRC = os.path.join(ROOT, "csrc")
INCLUDE = os.path.join(CSRC, "include")


def public_headers():
    """edgestt.h (statuses and shared types) first, then one header per module."""
    others = sorted(p for p in glob.glob(os.path.join(INCLUDE, "edgestt_*.h")))
    return [os.path.join(INCLUDE, "edgestt.h")] + others


def public_declarations(header_path):
    text = open(header_path, encoding="utf-8").read()
    begin, end = "/* cffi:begin */", "/* cffi:end */"
    if begin not in text or end not in text:
        raise RuntimeError(f"{header_path} lacks the {begin} / {end} markers")
    return text.split(begin, 1)[1].split(end, 1)[0]


def c_sources():
    # Relative to the build directory: keeps absolute build paths out of the objects.
    return sorted(os.path.relpath(p) for p in glob.glob(os.path.join(CSRC, "*.c")))


ffibuilder = cffi.FFI()
ffibuilder.cdef("\n".join(public_declarations(h) for h in public_headers()))
extra_compile_args = [] if sys.platform == "win32" else ["-std=c99", "-O3", "-Wall", "-Wextra"]
ffibuilder.set_source(
    "edgestt._native",
    "\n".join(f'#include "{os.path.basename(h)}"' for h in public_headers()),
    sources=c_sources(),
    include_dirs=[os.path.relpath(INCLUDE), os.path.relpath(CSRC)],
    extra_compile_args=extra_compile_args,
    libraries=[] if sys.platform == "win32" else ["m"],
    py_limited_api=True,
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
