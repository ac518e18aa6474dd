"""Stage 5a: a small QuartzNet-style CTC acoustic model in Keras.

QuartzNet BxR (see /work/shared/specs/quartznet.md §0.4) scaled down for a Raspberry Pi:
C1 separable conv (stride 2) -> B blocks of R separable-conv sub-blocks with a 1x1-conv+BN
residual -> C2 separable conv (dilation 2) -> C3 1x1 conv -> 1x1 decoder to 29 classes
(blank last). 'same' padding everywhere, so T_out = ceil(T_in / 2). Layout inside Keras is
[batch, time, features]; the exported model takes NeMo's [1, 64, T] (see export.py).
"""
from __future__ import annotations

import keras
from keras import layers

BN_EPS = 1e-3


def default_hparams() -> dict:
    return {
        "num_features": 64,
        "num_classes": 29,
        # Kernels a third of QuartzNet's (33..87): on this data the long kernels sat on the CTC
        # plateau (loss 2.8 nats/char after 400 steps) where these reached 1.9 (tools/train/README.md).
        "c1": {"channels": 256, "kernel": 11, "stride": 2},
        "blocks": [{"channels": 256, "kernel": 11}, {"channels": 256, "kernel": 13},
                   {"channels": 256, "kernel": 15}, {"channels": 320, "kernel": 17},
                   {"channels": 320, "kernel": 21}],
        "repeat": 3,
        "c2": {"channels": 384, "kernel": 29, "dilation": 2},
        "c3": {"channels": 512},
        "dropout": 0.05,
    }


def _sep_conv_bn(x, channels, kernel, name, stride=1, dilation=1):
    x = layers.DepthwiseConv1D(kernel, strides=stride, dilation_rate=dilation, padding="same", use_bias=False,
                               name=name + "_dw")(x)
    x = layers.Conv1D(channels, 1, use_bias=False, name=name + "_pw")(x)
    return layers.BatchNormalization(epsilon=BN_EPS, name=name + "_bn")(x)


def build_model(hp: dict) -> keras.Model:
    inp = keras.Input(shape=(None, hp["num_features"]), name="features")
    c1 = hp["c1"]
    x = _sep_conv_bn(inp, c1["channels"], c1["kernel"], "c1", stride=c1["stride"])
    x = layers.ReLU()(x)
    x = layers.Dropout(hp["dropout"])(x)
    for b, blk in enumerate(hp["blocks"]):
        res = layers.Conv1D(blk["channels"], 1, use_bias=False, name="b%d_res" % b)(x)
        res = layers.BatchNormalization(epsilon=BN_EPS, name="b%d_res_bn" % b)(res)
        y = x
        for r in range(hp["repeat"]):
            y = _sep_conv_bn(y, blk["channels"], blk["kernel"], "b%d_r%d" % (b, r))
            if r < hp["repeat"] - 1:
                y = layers.ReLU()(y)
                y = layers.Dropout(hp["dropout"])(y)
        x = layers.ReLU()(layers.Add()([y, res]))
        x = layers.Dropout(hp["dropout"])(x)
    c2 = hp["c2"]
    x = layers.ReLU()(_sep_conv_bn(x, c2["channels"], c2["kernel"], "c2", dilation=c2["dilation"]))
    x = layers.Dropout(hp["dropout"])(x)
    x = layers.Conv1D(hp["c3"]["channels"], 1, use_bias=False, name="c3")(x)
    x = layers.ReLU()(layers.BatchNormalization(epsilon=BN_EPS, name="c3_bn")(x))
    x = layers.Dropout(hp["dropout"])(x)
    logits = layers.Conv1D(hp["num_classes"], 1, use_bias=True, name="decoder")(x)
    return keras.Model(inp, logits, name="edgestt_quartznet")


def output_frames(input_frames: int, hp: dict) -> int:
    stride = hp["c1"]["stride"]
    return (input_frames + stride - 1) // stride
