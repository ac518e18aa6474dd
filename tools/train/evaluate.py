"""Stage 6c: WER/CER and real-time factor of an exported model, beside pocketsphinx 5.

    /work/venvs/tf/bin/python tools/train/evaluate.py --model M.tflite [--lm /work/train/lm/en.eslm]
        [--sets heldout seen real] [--limit 200] [--beam 256] [--alpha 0.93] [--beta 1.18] [--out R.json]

Sets: `heldout` = held-out sentences spoken by held-out voices, `seen` = held-out sentences
spoken by training voices, `kokoro` = held-out sentences spoken by the held-out neural Kokoro
speaker (TRAIN_ROOT/manifests/eval_*), `real` = the recordings in
/work/shared/evaldata marked use_for_wer (measured only: never tune anything on them).
Systems: ours greedy, ours with the LM (edgestt's CTC beam search; alpha/beta are
DeepSpeech's defaults unless given; tune them on `seen` only), and pocketsphinx 5 with the
English model it ships (pip install pocketsphinx in this venv). Both run one thread; the
real-time factor is processing time / audio time (features + network + decoding for ours;
all of pocketsphinx's decoding). Scores: corpus WER/CER after normalising both sides to
a-z, apostrophe and space.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import ALPHABET, BLANK, log, use_edgestt  # noqa: E402
from common import use_edgestt  # noqa: E402
use_edgestt(prefer_repo=True)      # before data.py imports it: the repo has the newest modules
import data as D  # noqa: E402
from metrics import ErrorRate, greedy_decode  # noqa: E402

EVALDATA = Path("/work/shared/evaldata")


def load_16k(path: str) -> np.ndarray:
    """16 kHz mono float32; other rates and channel counts through sox."""
    import wave
    with wave.open(path, "rb") as w:
        ok = w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
    if ok:
        return D.load_wav(path)
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["sox", "-q", path, "-r", "16000", "-c", "1", "-b", "16", tmp.name], check=True)
        return D.load_wav(tmp.name)


def eval_items(name: str, limit: int) -> list[dict]:
    if name in ("heldout", "seen", "kokoro"):
        rows = D.load_manifests("eval_%s_*.tsv" % name)[:limit]
        return [{"path": r["path"], "ref": r["transcript"], "duration": r["duration"]} for r in rows]
    if name == "real":
        use_edgestt()
        from edgestt.text_normalize import normalize_text
        with open(EVALDATA / "MANIFEST.tsv", newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f, delimiter="\t") if r["use_for_wer"] == "yes"]
        return [{"path": str(EVALDATA / "audio" / r["file"]), "ref": normalize_text(r["transcript_normalized"]),
                 "duration": float(r["duration_s"])} for r in rows][:limit]
    raise ValueError(name)


class Ours:
    def __init__(self, model_path: Path, lm_path: Path | None, beam: int, alpha: float, beta: float):
        import tensorflow as tf
        use_edgestt()
        from edgestt.decoder import CTCDecoder
        from edgestt.lm import LanguageModel
        from edgestt.tflite_metadata import read_edgestt_metadata
        self.meta = read_edgestt_metadata(str(model_path))
        self.fm = D.FeatureMaker(self.meta["feature_config"])
        self.interp = tf.lite.Interpreter(model_path=str(model_path), num_threads=1)
        self.inp = self.interp.get_input_details()[0]
        self.out = self.interp.get_output_details()[0]
        self.lm = LanguageModel(str(lm_path)) if lm_path else None
        self.decoder = None
        if self.lm is not None:
            self.decoder = CTCDecoder(ALPHABET, blank_index=BLANK, beam_width=beam, input="log_probs",
                                      lm=self.lm, alpha=alpha, beta=beta)

    def scores(self, audio: np.ndarray) -> np.ndarray:
        f = self.fm(audio)
        self.interp.resize_tensor_input(self.inp["index"], [1, f.shape[1], f.shape[0]])
        self.interp.allocate_tensors()
        self.interp.set_tensor(self.inp["index"], f.T[None].astype(np.float32))
        self.interp.invoke()
        return self.interp.get_tensor(self.out["index"])[0]


class PocketSphinx:
    def __init__(self):
        from pocketsphinx import Decoder
        self.decoder = Decoder(loglevel="FATAL")

    def __call__(self, audio: np.ndarray) -> str:
        use_edgestt()
        from edgestt.text_normalize import normalize_text
        pcm = (np.clip(audio, -1, 32767 / 32768) * 32768).astype("<i2").tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return normalize_text(hyp.hypstr) if hyp else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--lm", type=Path)
    ap.add_argument("--sets", nargs="*", default=["heldout", "seen", "kokoro", "real"])
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--beam", type=int, default=256)
    ap.add_argument("--alpha", type=float, default=0.931289039105002)
    ap.add_argument("--beta", type=float, default=1.1834137581510284)
    ap.add_argument("--no-pocketsphinx", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--show", type=int, default=3, help="print this many transcripts per set")
    args = ap.parse_args()

    ours = Ours(args.model, args.lm, args.beam, args.alpha, args.beta)
    ps = None
    if not args.no_pocketsphinx:
        try:
            ps = PocketSphinx()
        except ImportError:
            log("pocketsphinx not installed in this venv: pip install pocketsphinx (skipped)")
    results = {}
    for name in args.sets:
        items = eval_items(name, args.limit)
        er = {"greedy": ErrorRate(), "lm": ErrorRate(), "pocketsphinx": ErrorRate()}
        secs = {"greedy": 0.0, "lm": 0.0, "pocketsphinx": 0.0}
        audio_s = 0.0
        for k, it in enumerate(items):
            audio = load_16k(it["path"])
            audio_s += len(audio) / 16000
            t0 = time.perf_counter()
            s = ours.scores(audio)
            hyp_g = greedy_decode(s)
            t1 = time.perf_counter()
            secs["greedy"] += t1 - t0
            er["greedy"].add(it["ref"], hyp_g)
            hyp_l = hyp_p = None
            if ours.decoder is not None:
                hyp_l = ours.decoder.decode(s).text
                secs["lm"] += (t1 - t0) + time.perf_counter() - t1
                er["lm"].add(it["ref"], hyp_l)
            if ps is not None:
                t2 = time.perf_counter()
                hyp_p = ps(audio)
                secs["pocketsphinx"] += time.perf_counter() - t2
                er["pocketsphinx"].add(it["ref"], hyp_p)
            if k < args.show:
                log("[%s] REF %s\n  greedy %s\n  lm     %s\n  psphx  %s" % (name, it["ref"], hyp_g, hyp_l, hyp_p))
        results[name] = {sys_: {"utterances": e.utterances, "wer": round(e.wer, 4), "cer": round(e.cer, 4),
                                "rtf": round(secs[sys_] / max(audio_s, 1e-9), 4)}
                         for sys_, e in er.items() if e.utterances}
        results[name]["audio_seconds"] = round(audio_s, 1)
    report = {"model": str(args.model), "metadata_version": ours.meta.get("version"), "lm": str(args.lm),
              "beam": args.beam, "alpha": args.alpha, "beta": args.beta, "results": results}
    print(json.dumps(report, indent=1))
    print("\n| set | system | utts | WER | CER | RTF |\n|---|---|---|---|---|---|")
    for name, res in results.items():
        for sys_, r in res.items():
            if isinstance(r, dict):
                print("| %s | %s | %d | %.1f%% | %.1f%% | %.3f |" % (name, sys_, r["utterances"], 100 * r["wer"],
                                                                 100 * r["cer"], r["rtf"]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
