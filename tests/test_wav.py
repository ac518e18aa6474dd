"""The WAV reader against files written here byte by byte (struct + numpy) and by soundfile
(libsndfile), in every layout it claims; and its refusals."""
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, EVALDATA, read_wav_int16 as wave_module_int16
from edgestt import EdgeSTTError, FileError, FormatError, UnsupportedFormat
from edgestt.wav import read_wav, read_wav_frames, read_wav_int16, write_wav

GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


# ---------------------------------------------------------------- an independent writer


def chunk(tag: bytes, body: bytes, size=None) -> bytes:
    size = len(body) if size is None else size
    return tag + struct.pack("<I", size) + body + (b"\0" if len(body) % 2 else b"")


def fmt(code, channels, rate, bits, container=None, extensible=False, block_align=None):
    container = container or bits
    align = channels * container // 8 if block_align is None else block_align
    head = struct.pack("<HHIIHH", 0xFFFE if extensible else code, channels, rate, rate * align, align, container)
    if extensible:
        mask = (1 << channels) - 1
        return chunk(b"fmt ", head + struct.pack("<HHI", 22, bits, mask) + struct.pack("<H", code) + GUID_TAIL)
    return chunk(b"fmt ", head)


def riff(*chunks: bytes, size=None) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) if size is None else size) + body


def encode(values: np.ndarray, kind: str, container: int) -> bytes:
    """values: the stored integers (or floats), [frames, channels]."""
    if kind == "float":
        return values.astype("<f4" if container == 32 else "<f8").tobytes()
    if container == 8:
        return values.astype(np.uint8).tobytes()
    if container == 24:
        v = values.astype("<i4").reshape(-1)
        return np.stack([v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF], axis=1).astype(np.uint8).tobytes()
    return values.astype("<i2" if container == 16 else "<i4").tobytes()


# (kind, valid bits, container bits, lowest value, highest value, full scale, zero)
LAYOUTS = [
    ("pcm", 8, 8, 0, 255, 128.0, 128),
    ("pcm", 16, 16, -32768, 32767, 32768.0, 0),
    ("pcm", 24, 24, -(2**23), 2**23 - 1, 2.0**23, 0),
    ("pcm", 32, 32, -(2**31), 2**31 - 1, 2.0**31, 0),
    ("float", 32, 32, None, None, 1.0, 0),
    ("float", 64, 64, None, None, 1.0, 0),
]


def random_values(rng, layout, frames, channels):
    kind, _, _, lo, hi, _, _ = layout
    if kind == "float":
        return rng.uniform(-1, 1, (frames, channels))
    values = rng.integers(lo, hi, (frames, channels), endpoint=True)
    values[0, 0], values[-1, -1] = lo, hi  # the extremes must survive
    return values


def expected_mono(values, layout):
    kind, _, container, _, _, scale, zero = layout
    if kind == "float":
        stored = values.astype(np.float32 if container == 32 else np.float64).astype(np.float64)
        return stored.mean(axis=1).astype(np.float32)
    return ((values.astype(np.float64) - zero) / scale).mean(axis=1).astype(np.float32)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda l: f"{l[0]}{l[1]}")
@pytest.mark.parametrize("channels", [1, 2, 6])
@pytest.mark.parametrize("extensible", [False, True])
def test_every_layout_sample_exact(tmp_path, layout, channels, extensible):
    rng = np.random.default_rng(channels * 100 + layout[1])
    values = random_values(rng, layout, 1001, channels)
    code = 3 if layout[0] == "float" else 1
    path = tmp_path / "x.wav"
    path.write_bytes(riff(fmt(code, channels, 22050, layout[1], layout[2], extensible),
                          chunk(b"data", encode(values, layout[0], layout[2]))))
    frames, info = read_wav_frames(path)
    assert (info.sample_rate_hz, info.channels, info.num_frames, info.extensible) == (22050, channels, 1001, extensible)
    assert info.sample_format == layout[0] and info.container_bits == layout[2]
    mono, rate = read_wav(path)
    assert rate == 22050 and mono.dtype == np.float32 and mono.shape == (1001,)
    np.testing.assert_array_equal(mono, expected_mono(values, layout))
    if layout[0] == "pcm" and layout[1] < 32:
        assert mono.min() >= -1 and mono.max() < 1


def test_24_bit_in_32_bit_containers(tmp_path):
    """EXTENSIBLE with 24 valid bits left-justified in 32-bit containers scales like 32-bit."""
    values = np.array([[-(2**23)], [-1], [0], [1], [2**23 - 1]]) * 256
    (tmp_path / "x.wav").write_bytes(riff(fmt(1, 1, 48000, 24, 32, extensible=True),
                                          chunk(b"data", encode(values, "pcm", 32))))
    mono, _ = read_wav(tmp_path / "x.wav")
    np.testing.assert_array_equal(mono, (values[:, 0] / 2.0**31).astype(np.float32))
    assert read_wav_frames(tmp_path / "x.wav")[1].valid_bits == 24


def test_int16_exact_and_scaled_by_exactly_one_over_32768(tmp_path):
    pcm = np.arange(-32768, 32768, 7, dtype=np.int16)
    (tmp_path / "x.wav").write_bytes(riff(fmt(1, 1, 16000, 16), chunk(b"data", pcm.tobytes())))
    got, rate = read_wav_int16(tmp_path / "x.wav")
    np.testing.assert_array_equal(got, pcm)
    assert got.dtype == np.int16 and rate == 16000
    np.testing.assert_array_equal(read_wav(tmp_path / "x.wav")[0], pcm.astype(np.float64) / 32768)


@pytest.mark.parametrize("path", sorted(DATA.glob("synth_*.wav")) + [EVALDATA / "audio" / "LDC93S1_pcms16le_2_44100.wav"],
                         ids=lambda p: p.name)
def test_committed_and_real_files_match_the_wave_module(path):
    if not path.exists():
        pytest.skip(f"{path} missing")
    got, rate = read_wav_int16(path)
    want, want_rate = wave_module_int16(path)
    assert rate == want_rate
    if len(got) and read_wav_frames(path)[1].channels == 1:
        np.testing.assert_array_equal(got, want)
    else:  # the wave-module helper truncates the channel mean; we round
        assert np.abs(got.astype(int) - want).max() <= 1


SOUNDFILE_SUBTYPES = ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"]


@pytest.mark.parametrize("subtype", SOUNDFILE_SUBTYPES)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("container", ["WAV", "WAVEX"])
def test_files_written_by_libsndfile(tmp_path, subtype, channels, container):
    sf = pytest.importorskip("soundfile", reason="soundfile (libsndfile) is the second WAV oracle")
    rng = np.random.default_rng(7)
    data = rng.uniform(-0.99, 0.99, (777, channels))
    path = tmp_path / "x.wav"
    sf.write(path, data, 44100, subtype=subtype, format=container)
    want, rate = sf.read(path, dtype="float64", always_2d=True)
    mono, got_rate = read_wav(path)
    assert got_rate == rate == 44100
    np.testing.assert_array_equal(mono, want.mean(axis=1).astype(np.float32))
    assert read_wav_frames(path)[1].extensible == (container == "WAVEX")


def test_chunks_in_any_order_unknown_and_odd_chunks_skipped(tmp_path):
    pcm = np.array([1, -2, 3, -4, 5], np.int16)
    path = tmp_path / "x.wav"
    path.write_bytes(riff(chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00abcde"),  # odd inner size
                          chunk(b"junk", b"xyz"),                             # odd: padded
                          chunk(b"data", pcm.tobytes()),
                          chunk(b"fact", struct.pack("<I", 5)),
                          fmt(1, 1, 8000, 16)))                                # fmt after data
    np.testing.assert_array_equal(read_wav_int16(path)[0], pcm)

    odd = np.array([[10], [250], [128]], np.uint8)  # 3 bytes of 8-bit data: an odd data chunk
    path.write_bytes(riff(fmt(1, 1, 8000, 8), chunk(b"data", odd.tobytes()), chunk(b"cue ", b"\1\2\3\4")))
    np.testing.assert_array_equal(read_wav_frames(path)[0], odd)


@pytest.mark.parametrize("data_size,riff_size", [(0xFFFFFFFF, None), (0, 0), (0, 0xFFFFFFFF), (10**6, None)])
def test_data_size_past_the_end_reads_to_the_end(tmp_path, data_size, riff_size):
    pcm = np.arange(-50, 51, dtype=np.int16)
    body = pcm.tobytes() + b"\x07"  # and half a frame, dropped
    path = tmp_path / "x.wav"
    path.write_bytes(riff(fmt(1, 1, 16000, 16), b"data" + struct.pack("<I", data_size) + body, size=riff_size))
    np.testing.assert_array_equal(read_wav_int16(path)[0], pcm)


def test_empty_data_chunk_is_zero_samples(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(riff(fmt(1, 2, 16000, 16), chunk(b"data", b"")))
    mono, rate = read_wav(path)
    assert mono.shape == (0,) and mono.dtype == np.float32 and rate == 16000


CODECS = [(7, "mu-law"), (6, "A-law"), (2, "Microsoft ADPCM"), (0x11, "IMA ADPCM"), (0x55, "MP3"), (0x1234, "0x1234")]


@pytest.mark.parametrize("code,name", CODECS)
@pytest.mark.parametrize("extensible", [False, True])
def test_compressed_codecs_are_named(tmp_path, code, name, extensible):
    path = tmp_path / "x.wav"
    path.write_bytes(riff(fmt(code, 1, 8000, 8, extensible=extensible), chunk(b"data", b"\0" * 100)))
    with pytest.raises(UnsupportedFormat, match=name):
        read_wav(path)


def test_libsndfile_mu_law_is_refused_by_name(tmp_path):
    sf = pytest.importorskip("soundfile", reason="soundfile writes the real mu-law file")
    sf.write(tmp_path / "u.wav", np.zeros(100), 8000, subtype="ULAW", format="WAV")
    with pytest.raises(UnsupportedFormat, match="mu-law"):
        read_wav(tmp_path / "u.wav")


def bad_files():
    good_fmt = fmt(1, 1, 16000, 16)
    data = chunk(b"data", b"\0\0" * 10)
    ext = fmt(1, 1, 16000, 16, extensible=True)
    return [
        ("empty", b"", FormatError, "truncated"),
        ("eight_bytes", b"RIFF\0\0\0\0", FormatError, "truncated"),
        ("not_riff", b"OggS" + b"\0" * 40, FormatError, "not a RIFF"),
        ("avi", b"RIFF\0\0\0\0AVI " + b"\0" * 20, FormatError, "not a RIFF"),
        ("rf64", b"RF64\xff\xff\xff\xffWAVE" + good_fmt + data, UnsupportedFormat, "RF64"),
        ("no_fmt", riff(data), FormatError, "no fmt"),
        ("no_data", riff(good_fmt), FormatError, "no data"),
        ("header_only", riff(), FormatError, "no fmt"),
        ("short_fmt", riff(chunk(b"fmt ", b"\1\0\1\0"), data), FormatError, "fmt chunk"),
        ("cut_fmt", riff(good_fmt)[:30], FormatError, "truncated fmt"),
        ("zero_channels", riff(fmt(1, 0, 16000, 16, block_align=2), data), FormatError, "zero channels"),
        ("zero_rate", riff(fmt(1, 1, 0, 16), data), FormatError, "sample rate 0"),
        ("bad_block_align", riff(fmt(1, 2, 16000, 16, block_align=3), data), FormatError, "inconsistent"),
        ("zero_bits", riff(fmt(1, 1, 16000, 0, block_align=2), data), FormatError, "inconsistent"),
        ("float16", riff(fmt(3, 1, 16000, 16), data), UnsupportedFormat, "16-bit float"),
        ("pcm48", riff(fmt(1, 1, 16000, 48), data), UnsupportedFormat, "48-bit PCM"),
        ("short_extensible", riff(ext[:8 + 18].replace(struct.pack("<I", 40), struct.pack("<I", 18), 1), data),
         FormatError, "EXTENSIBLE"),
        ("unknown_guid", riff(ext[:-14] + b"\x11" * 14, data), UnsupportedFormat, "GUID"),
    ]


@pytest.mark.parametrize("name,content,error,match", bad_files(), ids=[b[0] for b in bad_files()])
def test_bad_files_give_specific_errors(tmp_path, name, content, error, match):
    path = tmp_path / f"{name}.wav"
    path.write_bytes(content)
    with pytest.raises(error, match=match):
        read_wav(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileError, match="no such file"):
        read_wav(tmp_path / "missing.wav")
    with pytest.raises(FileError, match="directory"):
        read_wav(tmp_path)


def test_int16_reader_refuses_other_layouts(tmp_path):
    (tmp_path / "x.wav").write_bytes(riff(fmt(3, 1, 16000, 32), chunk(b"data", b"\0" * 8)))
    with pytest.raises(UnsupportedFormat, match="32-bit float"):
        read_wav_int16(tmp_path / "x.wav")


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 200), flips=st.lists(st.tuples(st.integers(0, 199), st.integers(0, 255)), max_size=6))
def test_damaged_files_never_crash(tmp_path_factory, cut, flips):
    """Any truncation or byte damage: a result or an edgestt error, nothing else."""
    good = bytearray(riff(chunk(b"LIST", b"abc"), fmt(1, 2, 16000, 16, extensible=True),
                          chunk(b"data", np.arange(40, dtype=np.int16).tobytes())))
    for pos, value in flips:
        if pos < len(good):
            good[pos] = value
    path = tmp_path_factory.mktemp("d") / "x.wav"
    path.write_bytes(bytes(good[:cut]))
    try:
        mono, rate = read_wav(path)
    except EdgeSTTError:
        return
    assert mono.dtype == np.float32 and mono.ndim == 1 and rate > 0


def test_writer_round_trips_through_libsndfile(tmp_path):
    sf = pytest.importorskip("soundfile", reason="soundfile reads what write_wav wrote")
    pcm = np.array([[0, 1], [-32768, 32767], [5, -5]], np.int16)
    write_wav(tmp_path / "i.wav", pcm, 8000)
    got, rate = sf.read(tmp_path / "i.wav", dtype="int16", always_2d=True)
    assert rate == 8000
    np.testing.assert_array_equal(got, pcm)
    x = np.array([0.5, -0.25, 1e-8], np.float32)
    write_wav(tmp_path / "f.wav", x, 16000)
    np.testing.assert_array_equal(sf.read(tmp_path / "f.wav", dtype="float32")[0], x)
    np.testing.assert_array_equal(read_wav(tmp_path / "f.wav")[0], x)
