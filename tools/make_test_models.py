#!/usr/bin/env python3
"""Build the fixture acoustic models in tests/data/ (committed; CI never runs this).

  tests/data/deepspeech_fixture.tflite
      A DeepSpeech 0.9.x / graph-version-6 model (specs/deepspeech.md section 1) with the
      real tensor names, shapes (n_hidden narrowed to N_HIDDEN), dtypes and op kinds, in one
      subgraph as the 0.9.3 client expects:
        input_samples[512] -> RESHAPE -> AudioSpectrogram -> Mfcc -> RESHAPE -> mfccs[1,26]
        input_node[1,16,19,26], previous_state_c/h[1,H]
          -> 3x FULLY_CONNECTED(+RELU) + MINIMUM(20)
          -> LSTM unrolled over 16 steps (STRIDED_SLICE, CONCATENATION, FULLY_CONNECTED,
             SPLIT, LOGISTIC, TANH, MUL, ADD; gate order i, j, f, o; forget_bias 0)
          -> FULLY_CONNECTED(+RELU) + MINIMUM(20) -> FULLY_CONNECTED -> SOFTMAX
          -> logits[16,29] (probabilities), new_state_c/h[1,H]
        metadata_version=6, metadata_sample_rate=16000, metadata_feature_win_len=32,
        metadata_feature_win_step=20, metadata_beam_width=BEAM_WIDTH (int32 [1]) and
        metadata_alphabet (string [1], the serialised English alphabet of section 5.5),
        each produced by a RESHAPE of a constant.
      The FULLY_CONNECTED weights are int8 dynamic-range ("hybrid") quantised, per tensor,
      with symmetric input quantisation: what TF 1.15's converter wrote for the release.

  tests/data/quartznet_*.tflite, tests/data/edgestt_fixture.tflite
      built by build_quartznet_fixtures(out_dir) in tools/make_quartznet_models.py (a
      separate script); skipped with a note when that file is absent.

Requirements: TensorFlow in a venv of its own (the project does not depend on it), e.g.
/work/venvs/tf with TensorFlow 2.21.0, and the committed tests/data/synth_*.wav (the weight
calibration reads them). Run from the repo root:

    /work/venvs/tf/bin/python tools/make_test_models.py [--out-dir tests/data]

How the graph is made: a TF1-style graph (tf.compat.v1 placeholders and constants, the
same ops as DeepSpeech's train.py create_inference_graph with tflite=True) converted with
TFLiteConverter.from_session, optimizations=[DEFAULT] and allow_custom_ops=True. The
tensor names are the graph's node names. Then make_loadable_by_0_9_3() rewrites three
things the 0.9.3 client (TensorFlow r2.3 runtime) cannot read in today's converter output;
tests/data/ORACLES.md explains each and why it is safe. Per-channel weight scales are
avoided by the converter flag _experimental_disable_per_channel (FULLY_CONNECTED version
12 needs per-channel support that r2.3 lacks).

Weights: seeded Gaussian (numpy default_rng(SEED)), then scaled layer by layer on the
features of the synth_*.wav clips plus noise and silence (a data-dependent "LSUV"-style
initialisation): the first layer whitens each MFCC coefficient with its mean and std over
those clips; every layer's gain is set so its pre-activations have a standard deviation of
PREACT_STD; the output layer gets a logit std of LOGIT_STD (peaky softmax), a bias that
centres every class's logit over the clips (so no letter wins everywhere), and a blank bias
that makes blank the top class on about BLANK_SHARE of the frames. So the output is peaky,
the top class changes with the audio, and transcripts are non-empty and audio-dependent.
The script prints these statistics and the greedy transcripts of the clips as a self-check.
"""

import argparse
import importlib
import os
import struct
import sys
import wave
from collections import Counter

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
from tensorflow.lite.python import schema_py_generated as schema_fb  # noqa: E402
from tensorflow.lite.tools import flatbuffer_utils  # noqa: E402

tf1 = tf.compat.v1

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

SEED = 20261122
SAMPLE_RATE = 16000
WIN_LEN_MS, WIN_STEP_MS = 32, 20
WINDOW, STEP = 512, 320
N_INPUT, N_CONTEXT, N_STEPS = 26, 9, 16
N_HIDDEN = 256
RELU_CLIP = 20.0
GRAPH_VERSION = 6
# DeepSpeech's export default is 500; a smaller width keeps the parity tests fast (the
# 29-class beam search is O(width) per frame) and still exceeds 29, so the beam does
# more than greedy search.
BEAM_WIDTH = 100
PREACT_STD = 2.0
LOGIT_STD = 8.0
BLANK_SHARE = 0.5

# DeepSpeech's data/alphabet.txt: space, a-z, apostrophe; blank is class 28 (last).
ALPHABET = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
N_CLASSES = len(ALPHABET) + 1


def serialise_alphabet(labels):
    """Alphabet::Serialize (specs/deepspeech.md 5.5): uint16 count, then (uint16 label,
    uint16 byte length, UTF-8 bytes) per entry, little-endian. 0.9.3 writes the entries in
    unordered_map order, which is not ascending; descending order here so that readers
    which assume sorted entries fail on the fixture."""
    out = [struct.pack("<H", len(labels))]
    for label in sorted(range(len(labels)), reverse=True):
        text = labels[label].encode("utf-8")
        out.append(struct.pack("<HH", label, len(text)) + text)
    return b"".join(out)


# ----------------------------------------------------------------------------
# Weights


def read_wav_int16(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == SAMPLE_RATE, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def calibration_audio(data_dir):
    rng = np.random.default_rng(SEED)
    clips = {}
    for name in sorted(os.listdir(data_dir)):
        if name.startswith("synth_") and name.endswith(".wav"):
            clips[name] = read_wav_int16(os.path.join(data_dir, name))
    if not clips:
        sys.exit(f"no synth_*.wav in {data_dir}: run tools/make_test_audio.py first")
    clips["noise"] = np.clip(rng.normal(0, 3000, 32000), -32768, 32767).astype(np.int16)
    clips["silence"] = np.zeros(16000, np.int16)
    return clips


def clip_features(pcm):
    """Whole-clip MFCCs with the graph's own ops, as frames [F, 26] (full windows only)."""
    x = tf.constant((pcm.astype(np.float32) * np.float32(1 / 32768)).reshape(-1, 1))
    spec = tf.raw_ops.AudioSpectrogram(input=x, window_size=WINDOW, stride=STEP, magnitude_squared=True)
    mfcc = tf.raw_ops.Mfcc(spectrogram=spec, sample_rate=tf.constant(SAMPLE_RATE, tf.int32),
                           upper_frequency_limit=SAMPLE_RATE / 2, lower_frequency_limit=20.0,
                           filterbank_channel_count=40, dct_coefficient_count=N_INPUT)
    return mfcc.numpy().reshape(-1, N_INPUT)


def context_windows(feats):
    """[F, 26] -> [F, 19*26]: 9 zero frames either side, as the streaming client does."""
    pad = np.zeros((N_CONTEXT, N_INPUT), np.float32)
    padded = np.concatenate([pad, feats, pad])
    width = 2 * N_CONTEXT + 1
    return np.stack([padded[t:t + width].reshape(-1) for t in range(len(feats))])


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def make_weights(clips):
    """Seeded Gaussian weights, each layer scaled on the calibration clips (see docstring)."""
    rng = np.random.default_rng(SEED)
    windows = [context_windows(clip_features(pcm)) for pcm in clips.values()]
    x_all = np.concatenate(windows)
    mean, std = x_all.mean(0), x_all.std(0) + 1e-3
    H = N_HIDDEN
    w = {}

    def gaussian_layer(name, x, n_out, whiten=None):
        W = rng.standard_normal((x.shape[1], n_out))
        if whiten is not None:  # divide each input column by its std, centre with the bias
            W = W / whiten[1][:, None]
            b = -whiten[0] @ W
        else:
            b = np.zeros(n_out)
        pre = x @ W + b
        gain = PREACT_STD / pre.std()
        w[name] = ((W * gain).astype(np.float32), (b * gain).astype(np.float32))
        return np.minimum(np.maximum(pre * gain, 0), RELU_CLIP)

    a1 = gaussian_layer("layer_1", x_all, H, whiten=(mean, std))
    a2 = gaussian_layer("layer_2", a1, H)
    a3 = gaussian_layer("layer_3", a2, H)

    # LSTM kernel [a3 ; h] -> [i, j, f, o]: gain from the input half on the clips.
    kernel = rng.standard_normal((2 * H, 4 * H))
    kernel *= PREACT_STD / (a3 @ kernel[:H]).std()
    w["lstm"] = (kernel.astype(np.float32), np.zeros(4 * H, np.float32))

    def lstm(x):
        c = np.zeros(H)
        h = np.zeros(H)
        out = []
        for xt in x:
            z = np.concatenate([xt, h]) @ w["lstm"][0]
            i, j, f, o = np.split(z, 4)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(j)
            h = sigmoid(o) * np.tanh(c)
            out.append(h)
        return np.array(out)

    offsets = np.cumsum([0] + [len(win) for win in windows])
    h_all = np.concatenate([lstm(a3[offsets[k]:offsets[k + 1]]) for k in range(len(windows))])
    a5 = gaussian_layer("layer_5", h_all, H)

    W6 = rng.standard_normal((H, N_CLASSES))
    W6 *= LOGIT_STD / (a5 @ W6).std()
    # Centre each class's logit over the clips, so that no label wins everywhere.
    b6 = -(a5 @ W6).mean(0)
    y = a5 @ W6 + b6
    # Blank bias: blank wins where its logit beats the best label by -bias.
    margin = y[:, -1] - y[:, :-1].max(1)
    b6[-1] -= np.quantile(margin, 1 - BLANK_SHARE)
    w["layer_6"] = (W6.astype(np.float32), b6.astype(np.float32))
    return w, {name: a5[offsets[k]:offsets[k + 1]] @ W6 + b6 for k, name in enumerate(clips)}


def greedy_text(logits):
    best = logits.argmax(1)
    out, prev = [], -1
    for k in best:
        if k != prev and k != N_CLASSES - 1:
            out.append(ALPHABET[k])
        prev = k
    return "".join(out)


# ----------------------------------------------------------------------------
# Graph (mirrors DeepSpeech 0.9.3 train.py create_inference_graph(tflite=True))


def build_graph(w):
    graph = tf.Graph()
    with graph.as_default():
        input_samples = tf1.placeholder(tf.float32, [WINDOW], "input_samples")
        samples = tf.expand_dims(input_samples, -1)
        spec = tf.raw_ops.AudioSpectrogram(input=samples, window_size=WINDOW, stride=STEP, magnitude_squared=True)
        mfcc = tf.raw_ops.Mfcc(spectrogram=spec, sample_rate=tf.constant(SAMPLE_RATE, tf.int32),
                               upper_frequency_limit=SAMPLE_RATE / 2, lower_frequency_limit=20.0,
                               filterbank_channel_count=40, dct_coefficient_count=N_INPUT)
        mfccs = tf.identity(tf.reshape(mfcc, [-1, N_INPUT]), name="mfccs")

        width = 2 * N_CONTEXT + 1
        input_node = tf1.placeholder(tf.float32, [1, N_STEPS, width, N_INPUT], "input_node")
        state_c = tf1.placeholder(tf.float32, [1, N_HIDDEN], "previous_state_c")
        state_h = tf1.placeholder(tf.float32, [1, N_HIDDEN], "previous_state_h")

        def dense(name, x, relu=True):
            W, b = w[name]
            y = tf.nn.bias_add(tf.matmul(x, tf.constant(W, name=name + "/weights")), tf.constant(b, name=name + "/bias"))
            return tf.minimum(tf.nn.relu(y), RELU_CLIP) if relu else y

        x = tf.transpose(input_node, [1, 0, 2, 3])  # time major
        x = tf.reshape(x, [-1, width * N_INPUT])
        x = dense("layer_3", dense("layer_2", dense("layer_1", x)))
        x = tf.reshape(x, [-1, 1, N_HIDDEN])

        kernel, bias = w["lstm"]
        kernel = tf.constant(kernel, name="cudnn_compatible_lstm_cell/kernel")
        bias = tf.constant(bias, name="cudnn_compatible_lstm_cell/bias")
        c, h = state_c, state_h
        outputs = []
        for t in range(N_STEPS):  # static_rnn over x[t], LSTMCell with forget_bias 0
            z = tf.nn.bias_add(tf.matmul(tf.concat([x[t], h], 1), kernel), bias)
            i, j, f, o = tf.split(z, 4, axis=1)
            c = c * tf.sigmoid(f + 0.0) + tf.sigmoid(i) * tf.tanh(j)
            h = tf.tanh(c) * tf.sigmoid(o)
            outputs.append(h)
        x = tf.reshape(tf.concat(outputs, 0), [-1, N_HIDDEN])
        x = dense("layer_6", dense("layer_5", x), relu=False)
        x = tf.reshape(x, [-1, 1, N_CLASSES])
        logits = tf.nn.softmax(tf.squeeze(x, [1]), name="logits")
        new_c = tf.identity(c, name="new_state_c")
        new_h = tf.identity(h, name="new_state_h")

        metadata = [
            tf.constant([GRAPH_VERSION], name="metadata_version"),
            tf.constant([SAMPLE_RATE], name="metadata_sample_rate"),
            tf.constant([WIN_LEN_MS], name="metadata_feature_win_len"),
            tf.constant([WIN_STEP_MS], name="metadata_feature_win_step"),
            tf.constant([BEAM_WIDTH], name="metadata_beam_width"),
            tf.constant([serialise_alphabet(ALPHABET)], name="metadata_alphabet"),
        ]
        inputs = [input_node, state_c, state_h, input_samples]
        outputs = [logits, new_c, new_h, mfccs] + metadata
        with tf1.Session(graph=graph) as sess:
            converter = tf1.lite.TFLiteConverter.from_session(sess, inputs, outputs)
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.allow_custom_ops = True  # AudioSpectrogram, Mfcc (BuiltinOpResolver has them)
            converter._experimental_disable_per_channel = True  # per-tensor scales, as TF 1.15 wrote
            return converter.convert()


# ----------------------------------------------------------------------------
# Post-processing for the 0.9.3 client (TensorFlow r2.3 runtime)

OP_NAMES = {v: k for k, v in vars(schema_fb.BuiltinOperator).items() if not k.startswith("_")}
TYPE_NAMES = {v: k for k, v in vars(schema_fb.TensorType).items() if not k.startswith("_")}
# FULLY_CONNECTED with float input, int8 weights, float output and symmetric input
# quantisation is version 3 in TFLite's op_version rules (9 = asymmetric, 12 = per-channel).
HYBRID_FC_VERSION = 3


def op_name(model, op):
    code = model.operatorCodes[op.opcodeIndex]
    if code.customCode:
        return code.customCode.decode()
    return OP_NAMES[max(code.builtinCode, code.deprecatedBuiltinCode)]


def opcode_index(model, builtin, version):
    for k, code in enumerate(model.operatorCodes):
        if not code.customCode and max(code.builtinCode, code.deprecatedBuiltinCode) == builtin and code.version == version:
            return k
    code = schema_fb.OperatorCodeT()
    code.builtinCode = builtin
    code.deprecatedBuiltinCode = min(builtin, 127)
    code.version = version
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def add_buffer(model, data):
    buf = schema_fb.BufferT()
    buf.data = np.frombuffer(data, np.uint8).copy() if data is not None else None
    model.buffers.append(buf)
    return len(model.buffers) - 1


def add_tensor(subgraph, name, shape, dtype, buffer):
    t = schema_fb.TensorT()
    t.name, t.shape, t.type, t.buffer = name.encode(), np.array(shape, np.int32), dtype, buffer
    subgraph.tensors.append(t)
    return len(subgraph.tensors) - 1


def make_loadable_by_0_9_3(model_bytes):
    """Rewrite what TensorFlow r2.3's interpreter (inside libdeepspeech 0.9.3) cannot use.

    1. Hybrid FULLY_CONNECTED: asymmetric_quantize_inputs -> false and version 9 -> 3.
       r2.3 registers FULLY_CONNECTED only up to a version below 9 ("Didn't find op for
       builtin opcode 'FULLY_CONNECTED' version '9'"); TF 1.15 files (the release) use
       symmetric input quantisation anyway. The weights (int8, per-tensor) are untouched;
       both runtimes read the flag, so LiteRT and r2.3 compute the same arithmetic.
    2. Each constant metadata_* output gets a producing RESHAPE (constant value, new shape
       [1]) whose output is the named output tensor: the client builds its metadata plan
       from the first producing node of each output and has no code path for a constant.
       RESHAPE keeps the bytes (string tensors too), so the value read is the same.
    Returns (new bytes, list of change descriptions).
    """
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    assert len(model.subgraphs) == 1, "DeepSpeech keeps everything in one subgraph"
    sg = model.subgraphs[0]
    changes = []

    fc_changed = 0
    for op in sg.operators:
        code = model.operatorCodes[op.opcodeIndex]
        if op_name(model, op) != "FULLY_CONNECTED":
            continue
        weights = sg.tensors[op.inputs[1]]
        assert weights.type == schema_fb.TensorType.INT8, "expected hybrid int8 weights"
        assert len(weights.quantization.scale) == 1, "expected per-tensor scales"
        assert not op.builtinOptions.keepNumDims
        if op.builtinOptions.asymmetricQuantizeInputs or code.version != HYBRID_FC_VERSION:
            op.builtinOptions.asymmetricQuantizeInputs = False
            op.opcodeIndex = opcode_index(model, schema_fb.BuiltinOperator.FULLY_CONNECTED, HYBRID_FC_VERSION)
            fc_changed += 1
    if fc_changed:
        changes.append(f"{fc_changed} hybrid FULLY_CONNECTED: asymmetric_quantize_inputs=false, version {HYBRID_FC_VERSION}")
    # Drop operator codes no operator uses any more (r2.3 would still try to resolve them).
    used = sorted({op.opcodeIndex for op in sg.operators})
    remap = {old: new for new, old in enumerate(used)}
    model.operatorCodes = [model.operatorCodes[k] for k in used]
    for op in sg.operators:
        op.opcodeIndex = remap[op.opcodeIndex]

    produced = {t for op in sg.operators for t in op.outputs}
    reshape = None
    for out in sg.outputs:
        tensor = sg.tensors[out]
        name = tensor.name.decode()
        if not name.startswith("metadata_") or out in produced:
            continue
        if reshape is None:
            reshape = opcode_index(model, schema_fb.BuiltinOperator.RESHAPE, 1)
        value = add_tensor(sg, name + "/value", tensor.shape, tensor.type, tensor.buffer)
        shape = add_tensor(sg, name + "/shape", [1], schema_fb.TensorType.INT32, add_buffer(model, struct.pack("<i", 1)))
        tensor.buffer = add_buffer(model, None)
        op = schema_fb.OperatorT()
        op.opcodeIndex = reshape
        op.inputs = np.array([value, shape], np.int32)
        op.outputs = np.array([out], np.int32)
        op.builtinOptionsType = schema_fb.BuiltinOptions.ReshapeOptions
        op.builtinOptions = schema_fb.ReshapeOptionsT()
        op.builtinOptions.newShape = [1]
        sg.operators.append(op)
        changes.append(f"{name} ({TYPE_NAMES[tensor.type]}): producing RESHAPE added")
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), changes


# ----------------------------------------------------------------------------
# Description and self-check


def describe(model_bytes):
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    sg = model.subgraphs[0]
    ops = Counter(f"{op_name(model, op)}/v{model.operatorCodes[op.opcodeIndex].version}" for op in sg.operators)
    print("  ops:", dict(sorted(ops.items(), key=lambda kv: -kv[1])))
    for kind, idx in (("in", sg.inputs), ("out", sg.outputs)):
        for i in idx:
            t = sg.tensors[i]
            print(f"  {kind:3} {t.name.decode():28} {TYPE_NAMES[t.type]:8} {list(t.shape)}")


def self_check(model_bytes, clips, expected_logits):
    """Run the .tflite like the streaming client does (per-window mfccs, 16-step batches)."""
    interp = tf.lite.Interpreter(
        model_content=model_bytes,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interp.allocate_tensors()
    by_name = {d["name"]: d["index"] for d in interp.get_input_details() + interp.get_output_details()}
    interp.invoke()  # computes the metadata too
    meta = {n: interp.get_tensor(i) for n, i in by_name.items() if n.startswith("metadata_")}
    print("  metadata:", {n: (v.tolist() if v.dtype != object else f"{len(v[0])} bytes") for n, v in meta.items()})
    for name, pcm in clips.items():
        x = pcm.astype(np.float32) * np.float32(1 / 32768)
        feats = []
        for start in range(0, len(x) - WINDOW + 1, STEP):
            interp.set_tensor(by_name["input_samples"], x[start:start + WINDOW])
            interp.invoke()
            feats.append(interp.get_tensor(by_name["mfccs"])[0].copy())
        windows = context_windows(np.array(feats, np.float32))
        c = np.zeros((1, N_HIDDEN), np.float32)
        h = np.zeros((1, N_HIDDEN), np.float32)
        probs = []
        for start in range(0, len(windows), N_STEPS):
            batch = np.zeros((N_STEPS, windows.shape[1]), np.float32)
            n = min(N_STEPS, len(windows) - start)
            batch[:n] = windows[start:start + n]
            interp.set_tensor(by_name["input_node"], batch.reshape(1, N_STEPS, 2 * N_CONTEXT + 1, N_INPUT))
            interp.set_tensor(by_name["previous_state_c"], c)
            interp.set_tensor(by_name["previous_state_h"], h)
            interp.invoke()
            probs.append(interp.get_tensor(by_name["logits"])[:n].copy())
            c = interp.get_tensor(by_name["new_state_c"]).copy()
            h = interp.get_tensor(by_name["new_state_h"]).copy()
        probs = np.concatenate(probs)
        top = probs.max(1)
        blank = (probs.argmax(1) == N_CLASSES - 1).mean()
        agree = (probs.argmax(1) == expected_logits[name].argmax(1)).mean()
        print(f"  {name:24} frames {len(probs):4}  median top p {np.median(top):.3f}  blank {blank:.2f}  "
              f"argmax agrees with float calibration {agree:.2f}  greedy {greedy_text(probs)!r}")


def build_deepspeech_fixture(out_dir):
    clips = calibration_audio(os.path.join(REPO, "tests", "data"))
    weights, float_logits = make_weights(clips)
    converted = build_graph(weights)
    fixed, changes = make_loadable_by_0_9_3(converted)
    path = os.path.join(out_dir, "deepspeech_fixture.tflite")
    with open(path, "wb") as f:
        f.write(fixed)
    print(f"wrote {path} ({len(fixed):,} bytes); converter output {len(converted):,} bytes; changes:")
    for change in changes:
        print("  -", change)
    describe(fixed)
    self_check(fixed, clips, float_logits)


def build_other_fixtures(out_dir):
    sys.path.insert(0, HERE)
    try:
        quartznet = importlib.import_module("make_quartznet_models")
    except ModuleNotFoundError:
        print("note: tools/make_quartznet_models.py is absent; the QuartzNet fixtures were not built")
        return
    quartznet.build_quartznet_fixtures(out_dir)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=os.path.join(REPO, "tests", "data"))
    parser.add_argument("--only-deepspeech", action="store_true", help="skip the QuartzNet fixtures")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    build_deepspeech_fixture(args.out_dir)
    if not args.only_deepspeech:
        build_other_fixtures(args.out_dir)


if __name__ == "__main__":
    main()
