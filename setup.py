"""Build edgestt: the Python package plus the cffi extension edgestt._native (csrc/*.c)."""
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildPyWithModels(build_py):
    """Also install the shipped default model: every file models/MANIFEST.sha256 lists, and the
    manifest, go to edgestt/models/ in the package (where Model() looks first)."""

    def run(self):
        super().run()
        manifest = Path("models") / "MANIFEST.sha256"
        if not manifest.is_file():
            return
        target = Path(self.build_lib) / "edgestt" / "models"
        target.mkdir(parents=True, exist_ok=True)
        names = [line.split()[1].lstrip("*") for line in manifest.read_text().splitlines() if line.strip()]
        for name in names + [manifest.name]:
            shutil.copyfile(Path("models") / name, target / name)


try:
    from wheel.bdist_wheel import bdist_wheel

    class LimitedApiWheel(bdist_wheel):
        """Tag the wheel abi3: the extension uses only the limited API (one wheel per architecture)."""

        def finalize_options(self):
            super().finalize_options()
            self.py_limited_api = "cp39"

    cmdclass = {"bdist_wheel": LimitedApiWheel, "build_py": BuildPyWithModels}
except ImportError:  # wheel absent: plain installs still work
    cmdclass = {"build_py": BuildPyWithModels}

setup(
    name="edgestt",
    version="0.1.0",
    description="Offline speech-to-text for the Raspberry Pi: a C core with a Python API",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    package_dir={"": "src"},
    packages=find_packages("src"),
    package_data={"edgestt": ["py.typed"]},
    setup_requires=["cffi>=1.15"],
    cffi_modules=["src/edgestt/_build_ffi.py:ffibuilder"],
    install_requires=[
        "cffi>=1.15",
        "numpy>=1.21",
        # The model runtime, where LiteRT publishes wheels (64-bit x86 and ARM); on 32-bit ARM
        # install tflite-runtime (needs numpy < 2) or tensorflow yourself.
        'ai-edge-litert; platform_machine == "x86_64" or platform_machine == "aarch64" or platform_machine == "arm64"',
    ],
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6", "ai-edge-litert", "librosa", "kenlm", "pyaudio", "webrtcvad-wheels",
                 "scipy", "soundfile"],
        # Live dictation (edgestt.listen, Microphone): PortAudio via pyaudio (Debian: portaudio19-dev), webrtcvad.
        "mic": ["pyaudio", "webrtcvad-wheels"],
        "bench": ["librosa", "python_speech_features", "ai-edge-litert", "kenlm"],
    },
    entry_points={"console_scripts": ["edgestt=edgestt.cli:main"]},
    cmdclass=cmdclass,
    zip_safe=False,
)
