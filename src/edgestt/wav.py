"""WAV files: a reader for every uncompressed layout, and a small writer.

    samples, rate = read_wav("x.wav")        # float32 mono, channels averaged
    pcm, rate = read_wav_int16("x.wav")      # the exact int16 samples of a 16-bit file
    frames, info = read_wav_frames("x.wav")  # [frames, channels] in the stored dtype

Read: PCM 8-bit unsigned, 16/24/32-bit signed (any valid-bit count in those containers), IEEE
float 32/64, WAVE_FORMAT_EXTENSIBLE with the PCM or float sub-format; RIFF chunks in any
order, unknown chunks skipped, odd-sized chunks padded; a data chunk whose size runs past the
end of the file (streaming writers leave 0 or 0xFFFFFFFF there) is read to the end.
Compressed codecs (mu-law, A-law, ADPCM, MP3 ...) are refused with UnsupportedFormat naming them.
(Python's `wave` module reads only integer PCM, hence this reader.)
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from . import errors

PCM, IEEE_FLOAT, EXTENSIBLE = 0x0001, 0x0003, 0xFFFE

# The sub-format GUID of WAVE_FORMAT_EXTENSIBLE is the format code followed by these 14 bytes.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"

# Codecs a WAV may hold that this reader refuses, by format code (for a useful message).
_CODEC_NAMES = {
    0x0002: "Microsoft ADPCM", 0x0006: "A-law", 0x0007: "mu-law", 0x0011: "IMA ADPCM",
    0x0016: "ITU G.723 ADPCM", 0x0031: "GSM 6.10", 0x0040: "G.721 ADPCM", 0x0050: "MPEG",
    0x0055: "MP3", 0x0092: "Dolby AC-3", 0x00FF: "AAC", 0x1610: "HE-AAC", 0x2000: "AC-3",
    0xF1AC: "FLAC",
}

# Full-scale divisor per PCM container width: int16 / 32768 etc. (exact in float32 and float64).
_FULL_SCALE = {1: 128.0, 2: 32768.0, 3: 8388608.0, 4: 2147483648.0}


@dataclass(frozen=True)
class WavInfo:
    """What the fmt chunk says. `sample_format` is "pcm" or "float"; `container_bits` is the
    storage per sample (8/16/24/32/64), `valid_bits` the meaningful part of it."""

    sample_rate_hz: int
    channels: int
    sample_format: str
    container_bits: int
    valid_bits: int
    num_frames: int
    extensible: bool


def _codec_name(code: int) -> str:
    return f"{_CODEC_NAMES.get(code, 'unknown codec')} (format code 0x{code:04X})"


def _parse_fmt(body: bytes, where: str) -> Tuple[int, int, int, int, int, bool]:
    """(format code, channels, rate, block_align, valid bits, extensible), EXTENSIBLE
    resolved to its sub-format."""
    if len(body) < 16:
        raise errors.FormatError(f"{where}: fmt chunk of {len(body)} bytes (at least 16 needed)")
    code, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body, 0)
    extensible = code == EXTENSIBLE
    if extensible:
        if len(body) < 40:
            raise errors.FormatError(f"{where}: WAVE_FORMAT_EXTENSIBLE fmt chunk of {len(body)} bytes (40 needed)")
        valid_bits = struct.unpack_from("<H", body, 18)[0]
        guid = body[24:40]
        if guid[2:] != _GUID_TAIL:
            raise errors.UnsupportedFormat(f"{where}: WAVE_FORMAT_EXTENSIBLE with unknown sub-format GUID {guid.hex()}")
        code = struct.unpack_from("<H", guid, 0)[0]
        bits = valid_bits or bits
    if code not in (PCM, IEEE_FLOAT):
        raise errors.UnsupportedFormat(f"{where}: compressed audio, {_codec_name(code)}; only PCM and float are read")
    if channels == 0:
        raise errors.FormatError(f"{where}: zero channels")
    if rate == 0:
        raise errors.FormatError(f"{where}: sample rate 0")
    return code, channels, rate, block_align, bits, extensible


def _chunks(data: bytes, where: str):
    """(id, body offset, body size) of each chunk; the last may claim more than the file holds."""
    if len(data) < 12:
        raise errors.FormatError(f"{where}: truncated ({len(data)} bytes; a WAV header has 12)")
    riff, riff_size, wave = struct.unpack_from("<4sI4s", data, 0)
    if riff == b"RF64":
        raise errors.UnsupportedFormat(f"{where}: RF64 (64-bit WAV) is not supported")
    if riff != b"RIFF" or wave != b"WAVE":
        raise errors.FormatError(f"{where}: not a RIFF/WAVE file (starts with {data[:12]!r})")
    streamed = riff_size in (0, 0xFFFFFFFF)
    pos = 12
    while pos + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if chunk_id == b"data" and (size > len(data) - body or (size == 0 and streamed)):
            size = len(data) - body  # streamed or cut: the samples run to the end of the file
        yield chunk_id, body, size
        pos = body + size + (size & 1)  # chunks are padded to an even size


def read_wav_frames(path) -> Tuple[np.ndarray, WavInfo]:
    """All frames as a [frames, channels] array in the stored type: uint8 (8-bit PCM),
    int16, int32 (24-bit PCM sign-extended into the top 24 bits, so it scales like 32-bit),
    int32, float32 or float64."""
    where = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.FileError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise errors.FileError(f"{where}: is a directory, not a WAV file") from None
    except OSError as exc:
        raise errors.FileError(f"{where}: cannot read ({exc.strerror or exc})") from None

    fmt = None
    samples = None
    for chunk_id, body, size in _chunks(data, where):
        if chunk_id == b"fmt " and fmt is None:
            if body + size > len(data):
                raise errors.FormatError(f"{where}: truncated fmt chunk")
            fmt = _parse_fmt(data[body : body + size], where)
        elif chunk_id == b"data" and samples is None:
            samples = (body, size)
    if fmt is None:
        raise errors.FormatError(f"{where}: no fmt chunk (truncated, or not a WAV file)")
    if samples is None:
        raise errors.FormatError(f"{where}: no data chunk (truncated?)")
    code, channels, rate, block_align, bits, extensible = fmt

    # The container is what each sample occupies (block_align / channels); `bits` may be less
    # (20-bit audio in 24-bit containers, left-justified, so it scales like the container).
    width = block_align // channels
    container = 8 * width
    if block_align != width * channels or not 0 < bits <= container:
        raise errors.FormatError(f"{where}: inconsistent fmt chunk: {channels} channels, block of {block_align} "
                                 f"bytes, {container}-bit containers, {bits} valid bits")
    if code == IEEE_FLOAT and width not in (4, 8):
        raise errors.UnsupportedFormat(f"{where}: {container}-bit float samples (32 or 64 are read)")
    if code == PCM and width not in (1, 2, 3, 4):
        raise errors.UnsupportedFormat(f"{where}: {container}-bit PCM samples (8, 16, 24 or 32 are read)")

    body, size = samples
    frames = size // block_align
    raw = np.frombuffer(data, dtype=np.uint8, count=frames * block_align, offset=body)
    if code == IEEE_FLOAT:
        out = raw.view("<f4" if width == 4 else "<f8").astype(np.float32 if width == 4 else np.float64)
    elif width == 1:
        out = raw.copy()
    elif width == 3:
        # Little-endian 3-byte samples into the top of an int32: the sign comes for free.
        wide = np.zeros((raw.size // 3, 4), dtype=np.uint8)
        wide[:, 1:] = raw.reshape(-1, 3)
        out = wide.reshape(-1).view("<i4").astype(np.int32)
    else:
        out = raw.view("<i2" if width == 2 else "<i4").astype(np.int16 if width == 2 else np.int32)
    info = WavInfo(rate, channels, "float" if code == IEEE_FLOAT else "pcm", container, bits, frames, extensible)
    return out.reshape(frames, channels), info


def _to_unit_scale(frames: np.ndarray, info: WavInfo) -> np.ndarray:
    """Samples in [-1, 1): PCM divided by its full scale (24-bit sits in int32), float as is."""
    if info.sample_format == "float":
        return frames
    if frames.dtype == np.uint8:
        return (frames.astype(np.float64) - 128.0) / 128.0
    scale = _FULL_SCALE[4 if frames.dtype == np.int32 else 2]
    return frames / scale


def read_wav(path) -> Tuple[np.ndarray, int]:
    """(float32 mono samples, sample rate). PCM is divided by its full scale, into [-1, 1)
    (16-bit: x / 32768 exactly; 32-bit values round to float32's 24 bits, so 2^31 - 1 becomes
    1.0); float is kept as stored; channels are averaged (in float64)."""
    frames, info = read_wav_frames(path)
    if info.channels == 1 and frames.dtype == np.int16:
        # The common case, exact and cheap: int16 * 2^-15 is exact in float32.
        mono = frames[:, 0].astype(np.float32) * np.float32(1.0 / 32768.0)
    else:
        mono = _to_unit_scale(frames, info).mean(axis=1, dtype=np.float64)
    return np.ascontiguousarray(mono, dtype=np.float32), info.sample_rate_hz


def read_wav_int16(path) -> Tuple[np.ndarray, int]:
    """(int16 mono samples, sample rate) of a 16-bit PCM file; several channels are averaged
    and rounded to the nearest integer (halves to even)."""
    frames, info = read_wav_frames(path)
    if frames.dtype != np.int16:
        raise errors.UnsupportedFormat(f"{os.fspath(path)}: {info.valid_bits}-bit {info.sample_format} samples; "
                                       "the exact int16 samples exist only for 16-bit PCM (use read_wav)")
    if info.channels == 1:
        return np.ascontiguousarray(frames[:, 0]), info.sample_rate_hz
    return frames.mean(axis=1).round().astype(np.int16), info.sample_rate_hz


#: The name the command line used for read_wav_int16 before the full reader existed.
read_pcm16 = read_wav_int16


def write_wav(path, samples: np.ndarray, sample_rate_hz: int) -> None:
    """Write int16 samples as 16-bit PCM, float32 as 32-bit IEEE float; 1-D is mono,
    [frames, channels] is interleaved."""
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        code, dtype = PCM, "<i2"
    elif samples.dtype == np.float32:
        code, dtype = IEEE_FLOAT, "<f4"
    else:
        raise errors.InvalidAudio(f"write_wav writes int16 or float32 samples, got dtype {samples.dtype}")
    frames = samples.reshape(len(samples), -1) if samples.ndim <= 2 else None
    if frames is None or frames.shape[1] == 0:
        raise errors.InvalidAudio(f"write_wav needs [frames] or [frames, channels], got shape {samples.shape}")
    channels, width = frames.shape[1], frames.dtype.itemsize
    payload = np.ascontiguousarray(frames, dtype=dtype).tobytes()
    fmt = struct.pack("<HHIIHH", code, channels, int(sample_rate_hz), int(sample_rate_hz) * channels * width,
                      channels * width, 8 * width)
    with open(path, "wb") as f:
        f.write(struct.pack("<4sI4s", b"RIFF", 4 + 8 + len(fmt) + 8 + len(payload), b"WAVE"))
        f.write(struct.pack("<4sI", b"fmt ", len(fmt)) + fmt)
        f.write(struct.pack("<4sI", b"data", len(payload)) + payload)
