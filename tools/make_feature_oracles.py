#!/usr/bin/env python3
"""Build the two TFLite "feature oracle" models used as references by the tests.

Outputs (committed to the repo; CI never runs this script, it only loads the
.tflite files with the TFLite/LiteRT interpreter):

  tests/data/oracle_deepspeech_features.tflite
      input  float32 [N] (dynamic; resize with interpreter.resize_tensor_input)
      output float32 [1, F, 26], F = 1 + (N - 512) // 320 (0 if N < 512)
      AudioSpectrogram(window_size=512, stride=320, magnitude_squared=True)
      -> Mfcc(sample_rate=16000, upper=8000, lower=20, 40 channels, 26 coeffs),
      i.e. the DeepSpeech 0.9.x feature graph (specs/deepspeech.md section 2).
      The two ops are the TFLite custom ops "AudioSpectrogram" and "Mfcc"
      that the stock BuiltinOpResolver registers.

  tests/data/oracle_scribosermo_features.tflite
      input  float32 [1, N] (dynamic)
      output float32 [1, F, 64], F = 1 + (N - 320) // 160 (0 if N < 320)
      Steps 1-9 of specs/quartznet.md section 4.5 (Scribosermo in-graph
      features): pre-emphasis 0.97, frame 320/160, periodic Hann, right pad to
      512, DFT by float32 cos/sin matrices, magnitude, HTK mel (64, 20-8000 Hz,
      tf.signal.linear_to_mel_weight_matrix), log(mel + 1e-6), per-feature
      normalisation over all frames with population std.

Requirements: TensorFlow, in a venv of its own, outside the repo (the project
itself does not depend on TensorFlow):

    python3 -m venv /work/venvs/tf
    /work/venvs/tf/bin/pip install tensorflow numpy

Run from the repo root:

    /work/venvs/tf/bin/python tools/make_feature_oracles.py [--out-dir tests/data]

The script converts both graphs with allow_custom_ops=True (TF 2.21 then
emits AudioSpectrogram/Mfcc as custom ops whose flexbuffer custom_options
already hold the node attributes the TFLite kernels read; fix_custom_ops()
checks them and would rewrite them, via flatbuffer_utils, if absent), then
runs each .tflite in TensorFlow's own interpreter next to the TF graph and
prints the max abs difference as a self-check.  Last made with TensorFlow 2.21.0.

Size note: the Scribosermo DFT matrices ([512, 257] float32 cos and sin) would
take ~1 MB as constants.  Instead the graph stores a 512-entry cos/sin table
and gathers the matrices at run time with index (n*k) mod 512.  The gathered
matrices equal float32(Re/Im of exp(2*pi*i*n*k/512)) computed in float64 (what
Scribosermo embeds) in every entry except those whose exact value is 0, where
the float64 round-off differs (|values| < 2e-13 in either version; checked
below).  The self-check prints the output difference against a variant with
the plain constant matrices (0 in every case with TF 2.21).
"""

import argparse
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
from tensorflow.lite.tools import flatbuffer_utils  # noqa: E402

from tensorflow.lite.python import schema_py_generated as schema_fb  # noqa: E402

try:  # the flatbuffers package comes with tensorflow
    from flatbuffers import flexbuffers
except ImportError:  # pragma: no cover
    flexbuffers = None

SR = 16000

# ----------------------------------------------------------------------------
# DeepSpeech 0.9.x features


DS_SPEC_ATTRS = {"window_size": 512, "stride": 320, "magnitude_squared": True}
DS_MFCC_ATTRS = {
    "upper_frequency_limit": 8000,
    "lower_frequency_limit": 20,
    "filterbank_channel_count": 40,
    "dct_coefficient_count": 26,
}


@tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="signal")])
def deepspeech_features(signal):
    x = tf.reshape(signal, [-1, 1])  # [N, 1] = [samples, channels]
    spec = tf.raw_ops.AudioSpectrogram(input=x, **DS_SPEC_ATTRS)  # [1, F, 257]
    mfcc = tf.raw_ops.Mfcc(
        spectrogram=spec,
        sample_rate=tf.constant(SR, tf.int32),
        upper_frequency_limit=8000.0,
        lower_frequency_limit=20.0,
        filterbank_channel_count=40,
        dct_coefficient_count=26,
    )  # [1, F, 26]
    return {"mfcc": mfcc}


# ----------------------------------------------------------------------------
# Scribosermo in-graph features (quartznet.md 4.5 steps 1-9)

FRAME, STEP, NFFT, NBINS, NMEL = 320, 160, 512, 257, 64

# Step 4: float64 arange(0, 1, 1/320) periodic Hann, cast to float32.
HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(0, 1.0, 1.0 / FRAME))).astype(np.float32)
assert HANN.shape == (FRAME,)


def dft_matrices_reference():
    """Scribosermo-style DFT matrices [512, 257]: float32 of Re/Im of exp(2 pi i n k / 512)."""
    omega = 1j * 2.0 * np.pi / float(NFFT)
    m = np.exp(omega * np.outer(np.arange(NFFT), np.arange(NFFT)))[: NBINS, :].T
    return np.real(m).astype(np.float32), np.imag(m).astype(np.float32)


def dft_tables():
    """512-entry tables: table[(n*k) % 512] ~ DFT matrix value at (n, k)."""
    re_ref, im_ref = dft_matrices_reference()
    omega = 1j * 2.0 * np.pi / float(NFFT)
    t = np.exp(omega * np.arange(NFFT))
    cos_t, sin_t = np.real(t).astype(np.float32), np.imag(t).astype(np.float32)
    idx = np.outer(np.arange(NFFT), np.arange(NBINS)) % NFFT
    ok = True
    for tab, ref in ((cos_t, re_ref), (sin_t, im_ref)):
        diff = tab[idx] != ref
        # Only the exact zeros (cos(pi/2) etc.) may differ, by float64 round-off.
        ok &= bool(np.all(np.abs(ref[diff]) < 2e-13) and np.all(np.abs(tab[idx][diff]) < 2e-13))
    return cos_t, sin_t, ok


COS_T, SIN_T, _TABLES_OK = dft_tables()
MEL_W = tf.signal.linear_to_mel_weight_matrix(NMEL, NBINS, SR, 20.0, 8000.0).numpy()  # [257, 64]


def scribosermo_graph(x, dft_re, dft_im):
    a = x[0]  # step 1
    p = tf.concat([a[:1], a[1:] - 0.97 * a[:-1]], axis=0)  # step 2
    frames = tf.signal.frame(p, FRAME, STEP)  # step 3, [F, 320], no pad_end
    frames = frames * tf.reshape(tf.constant(HANN), [1, FRAME])  # step 4
    frames = tf.pad(frames, [[0, 0], [0, NFFT - FRAME]])  # step 5, [F, 512]
    re = tf.matmul(frames, dft_re)
    im = tf.matmul(frames, dft_im)
    mag = tf.sqrt(re * re + im * im)  # step 6
    mag = tf.expand_dims(mag, 0)  # [1, F, 257]
    mel = tf.tensordot(mag, tf.constant(MEL_W), 1)  # step 7, [1, F, 64]
    feats = tf.math.log(mel + 1e-6)[0]  # step 8, [F, 64]
    mean = tf.math.reduce_mean(feats, axis=0)  # step 9
    std = tf.math.reduce_std(feats, axis=0)
    z = (feats - mean) / (std + 1e-7)
    return {"features": tf.expand_dims(z, 0)}  # [1, F, 64]


SIG_SCRIBO = [tf.TensorSpec([1, None], tf.float32, name="signal")]


@tf.function(input_signature=SIG_SCRIBO)
def scribosermo_features(x):
    # Gather the DFT matrices from 512-entry tables.  The index matrix is
    # multiplied by a run-time 1 (min(N, 1); N is the dynamic signal length) so
    # that the converter cannot fold the matrices into two 0.5 MB constants.
    one = tf.minimum(tf.shape(x)[1], 1)
    n = tf.reshape(tf.range(NFFT, dtype=tf.int32), [NFFT, 1]) * one
    k = tf.reshape(tf.range(NBINS, dtype=tf.int32), [1, NBINS])
    idx = tf.math.floormod(n * k, NFFT)  # [512, 257]
    dft_re = tf.gather(tf.constant(COS_T), idx)
    dft_im = tf.gather(tf.constant(SIN_T), idx)
    return scribosermo_graph(x, dft_re, dft_im)


@tf.function(input_signature=SIG_SCRIBO)
def scribosermo_features_const(x):
    """Same graph with the DFT matrices as plain constants (self-check only)."""
    re_ref, im_ref = dft_matrices_reference()
    return scribosermo_graph(x, tf.constant(re_ref), tf.constant(im_ref))


# ----------------------------------------------------------------------------
# Conversion helpers


def convert(fn):
    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    conv.allow_custom_ops = True
    return conv.convert()


def flex_map(d):
    b = flexbuffers.Builder()
    with b.Map():
        for key, val in d.items():
            if isinstance(val, bool):
                b.Bool(key, val)
            elif isinstance(val, int):
                b.Int(key, val)
            else:
                b.Float(key, float(val))
    return bytes(b.Finish())


def fix_custom_ops(model_bytes, wanted):
    """Check the custom ops and (re)write their custom_options if they lack a key.

    wanted: {custom_code: {attr: value}}.  Returns (bytes, report lines)."""
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    report = []
    changed = False
    for sg in model.subgraphs:
        for op in sg.operators:
            oc = model.operatorCodes[op.opcodeIndex]
            code = oc.customCode.decode() if oc.customCode else None
            if code is None:
                continue
            if code not in wanted:
                raise RuntimeError("unexpected custom op %r" % code)
            opts = bytes(op.customOptions) if op.customOptions is not None else b""
            have = flexbuffers.Loads(opts) if opts else {}
            need = wanted[code]
            ok = all(k in have and float(have[k]) == float(v) for k, v in need.items())
            report.append("%s: converter custom_options %r -> %s" % (code, have, "kept" if ok else "rewritten"))
            if not ok:
                op.customOptions = np.frombuffer(flex_map(need), dtype=np.uint8)
                op.customOptionsFormat = schema_fb.CustomOptionsFormat.FLEXBUFFERS
                changed = True
    if changed:
        model_bytes = bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    return model_bytes, report


def run_tflite(model_bytes, x):
    interp = tf.lite.Interpreter(model_content=model_bytes)
    inp = interp.get_input_details()[0]
    interp.resize_tensor_input(inp["index"], list(x.shape))
    interp.allocate_tensors()
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def describe(model_bytes):
    interp = tf.lite.Interpreter(model_content=model_bytes)
    lines = []
    for kind, dets in (("input", interp.get_input_details()), ("output", interp.get_output_details())):
        for d in dets:
            lines.append(
                "  %s %d %r shape_signature=%s" % (kind, d["index"], d["name"], list(d["shape_signature"]))
            )
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    ops = []
    for op in model.subgraphs[0].operators:
        oc = model.operatorCodes[op.opcodeIndex]
        if oc.customCode:
            ops.append(oc.customCode.decode())
        else:
            code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
            ops.append(next(k for k, v in vars(schema_fb.BuiltinOperator).items() if v == code))
    lines.append("  ops: " + ", ".join(ops))
    return lines


def test_signals():
    rng = np.random.default_rng(1234)
    n = 48000
    noise = rng.standard_normal(n).astype(np.float32)
    # crude speech-like noise: AR(1) coloured noise with a syllable envelope
    col = np.zeros(n, np.float32)
    for i in range(1, n):
        col[i] = 0.9 * col[i - 1] + noise[i]
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(n) / SR)
    speech = (0.05 * col * env).astype(np.float32)
    square = np.where(np.sin(2 * np.pi * 440 * np.arange(n) / SR) >= 0, 1.0, -1.0).astype(np.float32)
    return {"speech": speech, "silence": np.zeros(n, np.float32), "square": square}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(os.path.dirname(__file__), "..", "tests", "data"))
    args = ap.parse_args()
    if flexbuffers is None:
        sys.exit("needs the 'flatbuffers' package (installed with tensorflow)")
    if not _TABLES_OK:
        sys.exit("gathered DFT matrices differ from the float32 reference matrices")
    os.makedirs(args.out_dir, exist_ok=True)
    print("TensorFlow", tf.__version__)

    ds = convert(deepspeech_features)
    ds, rep = fix_custom_ops(ds, {"AudioSpectrogram": DS_SPEC_ATTRS, "Mfcc": DS_MFCC_ATTRS})
    sc = convert(scribosermo_features)
    sc, rep2 = fix_custom_ops(sc, {})
    sc_const = convert(scribosermo_features_const)

    for name, data in (("oracle_deepspeech_features.tflite", ds), ("oracle_scribosermo_features.tflite", sc)):
        path = os.path.join(args.out_dir, name)
        with open(path, "wb") as f:
            f.write(data)
        print("wrote %s (%d bytes)" % (path, len(data)))
        print("\n".join(describe(data)))
    print("\n".join(rep + rep2))

    # Self-check: .tflite in TF's interpreter vs the TF graph.
    for sig_name, sig in test_signals().items():
        for n in (512, 513, 16000, 48000):
            x = sig[:n]
            ref = deepspeech_features(tf.constant(x))["mfcc"].numpy()
            got = run_tflite(ds, x)
            d1 = float(np.max(np.abs(got - ref))) if ref.size else 0.0
            x2 = x[None, :]
            ref2 = scribosermo_features(tf.constant(x2))["features"].numpy()
            got2 = run_tflite(sc, x2)
            got3 = run_tflite(sc_const, x2)
            d2 = float(np.max(np.abs(got2 - ref2))) if ref2.size else 0.0
            d3 = float(np.max(np.abs(got2 - got3))) if ref2.size else 0.0
            print(
                "self-check %-7s N=%5d  ds %s maxabs(tflite-tf)=%.3g   scribo %s maxabs(tflite-tf)=%.3g"
                " maxabs(gathered-vs-const DFT)=%.3g" % (sig_name, n, got.shape, d1, got2.shape, d2, d3)
            )


if __name__ == "__main__":
    main()
