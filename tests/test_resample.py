"""The C resampler against scipy.signal.resample_poly and against the analytic signal.

Two oracles. resample_poly with scipy's own filter (Kaiser beta 5, cutoff at the lower Nyquist)
has a passband ripple of about 2e-3 and a wide transition band, so against it the tolerance is
that ripple, on content below 0.7 of the lower Nyquist. resample_poly run with a filter that
scipy.signal.firwin designs from edgestt's documented specification (Kaiser, cutoff midway
between 0.9 and 1.0 of the lower Nyquist, beta for 100 dB, half-width = the latency) is the
tight oracle: the same mathematics computed independently, agreeing to float32 rounding on
any signal, speech included.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, EVALDATA
from edgestt import ClosedError, InvalidArgument, InvalidAudio, InvalidConfig, NonFiniteInput
from edgestt.resample import Resampler, resample
from edgestt.wav import read_wav

signal = pytest.importorskip("scipy.signal", reason="scipy is the resampling oracle")

PAIRS = [(44100, 16000), (48000, 16000), (8000, 16000), (22050, 16000), (16000, 8000), (16000, 44100),
         (11025, 16000), (32000, 16000), (96000, 16000), (44101, 16000)]


def default_poly(x, from_hz, to_hz):
    g = math.gcd(from_hz, to_hz)
    return signal.resample_poly(x.astype(np.float64), to_hz // g, from_hz // g)


def spec_poly(x, from_hz, to_hz):
    """resample_poly with a firwin filter built from edgestt's documented design."""
    g = math.gcd(from_hz, to_hz)
    up, down = to_hz // g, from_hz // g
    half = Resampler(from_hz, to_hz).latency
    lower_nyquist = 0.5 * min(1.0, up / down)  # cycles per input sample
    beta = 0.1102 * (100.0 - 8.7)
    h = signal.firwin(2 * half * up + 1, 0.95 * lower_nyquist, window=("kaiser", beta), fs=up)
    return signal.resample_poly(x.astype(np.float64), up, down, window=h)


def tone(freqs, rate, seconds=1.0, amplitude=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return sum(amplitude * np.sin(2 * np.pi * f * t + i) for i, f in enumerate(freqs)).astype(np.float32)


def chirp(rate, top_hz, seconds=1.0):
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * signal.chirp(t, 20, seconds, top_hz)).astype(np.float32)


def middle(y, fraction=10):
    m = len(y) // fraction
    return y[m : len(y) - m]


def run(resampler, x):
    """One stream through a reusable resampler (flush starts the next)."""
    return np.concatenate([resampler.process(x), resampler.flush()])


@pytest.mark.parametrize("from_hz,to_hz", PAIRS)
def test_length_is_ceil_like_resample_poly(from_hz, to_hz):
    r = Resampler(from_hz, to_hz)
    for n in (0, 1, 2, 3, 17, 441, 1000, 4410):
        x = np.ones(n, np.float32)
        assert len(run(r, x)) == math.ceil(n * to_hz / from_hz) == r.output_length(n)
    assert len(resample(x, from_hz, to_hz)) == len(default_poly(x, from_hz, to_hz))


@pytest.mark.parametrize("from_hz,to_hz", PAIRS)
def test_sines_keep_amplitude_and_phase(from_hz, to_hz):
    """Output k is the input at time k / to_hz: no delay, no gain error."""
    lower = min(from_hz, to_hz) / 2
    freqs = [97.0, 0.41 * lower, 0.88 * lower]
    y = resample(tone(freqs, from_hz), from_hz, to_hz)
    t = np.arange(len(y)) / to_hz
    want = sum(0.5 * np.sin(2 * np.pi * f * t + i) for i, f in enumerate(freqs))
    ours = np.abs(middle(y - want)).max()
    theirs = np.abs(middle(default_poly(tone(freqs, from_hz), from_hz, to_hz) - want)).max()
    assert ours < 2e-5, ours
    assert ours < theirs  # more accurate than scipy's default design near the band edge


@pytest.mark.parametrize("from_hz,to_hz", PAIRS)
def test_matches_default_resample_poly_below_its_transition_band(from_hz, to_hz):
    lower = min(from_hz, to_hz) / 2
    for x in (tone([50.0, 0.3 * lower, 0.7 * lower], from_hz, amplitude=0.3), chirp(from_hz, 0.7 * lower)):
        diff = np.abs(middle(resample(x, from_hz, to_hz) - default_poly(x, from_hz, to_hz))).max()
        assert diff <= 2.5e-3, diff  # scipy's own passband ripple (Kaiser beta 5) is ~2e-3


def _speech():
    paths = sorted(DATA.glob("synth_*.wav"))
    for name in ("LJ001-0001.wav", "LDC93S1_pcms16le_2_44100.wav", "LDC93S1_pcms16le_1_8000.wav"):
        if (EVALDATA / "audio" / name).exists():
            paths.append(EVALDATA / "audio" / name)
    return [pytest.param(*read_wav(p), id=p.name) for p in paths]


@pytest.mark.parametrize("x,from_hz", _speech())
@pytest.mark.parametrize("to_hz", [8000, 16000, 44100])
def test_speech_matches_resample_poly_with_the_specified_filter(x, from_hz, to_hz):
    x = x[: 3 * from_hz]
    y = resample(x, from_hz, to_hz)
    z = spec_poly(x, from_hz, to_hz)
    assert len(y) == len(z)
    assert np.abs(y - z).max() <= 1e-5  # float32 arithmetic over a few hundred taps


def test_real_recordings_present_or_visibly_skipped():
    if not (EVALDATA / "audio" / "LJ001-0001.wav").exists():
        pytest.skip(f"real recordings missing from {EVALDATA}; speech checked on synthetic clips only")


def _gain_db(y, rate, freq):
    """Amplitude of the `freq` component of y (least squares), in dB re the input's 1.0."""
    t = np.arange(len(y)) / rate
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    coef = np.linalg.lstsq(basis, y, rcond=None)[0]
    return 20 * np.log10(np.hypot(*coef)), y - basis @ coef


@pytest.mark.parametrize("from_hz,to_hz", [(44100, 16000), (48000, 16000), (22050, 16000), (44101, 16000)])
def test_stopband_attenuation_above_the_new_nyquist(from_hz, to_hz):
    """Sines from the new Nyquist up: whatever comes out is aliasing, to be >= 80 dB down."""
    t = np.arange(from_hz) / from_hz
    worst = -np.inf
    r = Resampler(from_hz, to_hz)
    for f in np.linspace(to_hz / 2, min(from_hz / 2, 3 * to_hz / 2), 25)[:-1]:
        y = middle(run(r, np.sin(2 * np.pi * f * t).astype(np.float32)).astype(np.float64))
        worst = max(worst, 20 * np.log10(np.sqrt(np.mean(y**2) * 2) + 1e-30))
    assert worst <= -80, worst


@pytest.mark.parametrize("from_hz,to_hz", [(8000, 16000), (16000, 44100), (44100, 16000)])
def test_passband_flat_and_images_rejected(from_hz, to_hz):
    lower = min(from_hz, to_hz) / 2
    gains, residual = [], -np.inf
    t = np.arange(from_hz) / from_hz
    r = Resampler(from_hz, to_hz)
    for f in np.linspace(40, 0.9 * lower, 25):
        y = middle(run(r, np.sin(2 * np.pi * f * t).astype(np.float32)).astype(np.float64))
        gain, rest = _gain_db(y, to_hz, f)
        gains.append(gain)
        residual = max(residual, 20 * np.log10(np.sqrt(np.mean(rest**2) * 2)))
    assert max(gains) - min(gains) < 1e-3  # dB of ripple over 0 .. 0.9 of the lower Nyquist
    assert residual < -80  # images (upsampling) or aliases: all that is not the sine


def test_identity_is_an_exact_copy():
    x = np.random.default_rng(1).uniform(-1, 1, 5000).astype(np.float32)
    np.testing.assert_array_equal(resample(x, 16000, 16000), x)
    pcm = np.array([-32768, -1, 0, 1, 32767], np.int16)
    np.testing.assert_array_equal(resample(pcm, 16000, 16000), pcm.astype(np.float64) / 32768)
    with Resampler(16000, 16000) as r:
        assert r.latency == 0 and r.taps == 0


@settings(max_examples=60, deadline=None)
@given(
    pair=st.sampled_from(PAIRS + [(16001, 16000), (8000, 48000)]),
    n=st.integers(0, 6000),
    chunks=st.lists(st.integers(0, 3000), min_size=1, max_size=12).filter(lambda c: sum(c) > 0),  # 0: empty calls
    seed=st.integers(0, 2**32 - 1),
)
def test_streaming_equals_one_shot_bit_for_bit(pair, n, chunks, seed):
    from_hz, to_hz = pair
    x = np.random.default_rng(seed).uniform(-1, 1, n).astype(np.float32)
    whole = resample(x, from_hz, to_hz)
    r = Resampler(from_hz, to_hz)
    parts, pos, i = [], 0, 0
    while pos < n:
        size = chunks[i % len(chunks)]
        parts.append(r.process(x[pos : pos + size]))
        pos, i = pos + size, i + 1
    parts.append(r.flush())
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    # flush started a new stream: the same input gives the same output again
    np.testing.assert_array_equal(np.concatenate([r.process(x), r.flush()]), whole)


def test_non_finite_input_is_refused_and_nothing_consumed():
    x = tone([440.0], 48000, seconds=0.2)
    whole = resample(x, 48000, 16000)
    r = Resampler(48000, 16000)
    first = r.process(x[:3000])
    for bad in (np.nan, np.inf, -np.inf):
        chunk = x[3000:].copy()
        chunk[100] = bad
        with pytest.raises(NonFiniteInput):
            r.process(chunk)
    np.testing.assert_array_equal(np.concatenate([first, r.process(x[3000:]), r.flush()]), whole)


def test_reset_and_close():
    x = tone([300.0], 22050, seconds=0.1)
    r = Resampler(22050, 16000)
    r.process(x[:1000])
    r.reset()
    np.testing.assert_array_equal(np.concatenate([r.process(x), r.flush()]), resample(x, 22050, 16000))
    assert r.latency > 0 and r.taps == 2 * r.latency
    r.close()
    r.close()
    with pytest.raises(ClosedError):
        r.process(x)


@pytest.mark.parametrize("args,error,match", [
    ((0, 16000), InvalidConfig, "from_hz"),
    ((44100, 999), InvalidConfig, "to_hz 999"),
    ((800000, 16000), InvalidConfig, "from_hz 800000"),
    ((768000, 8000), InvalidConfig, "factor"),
    ((44100.5, 16000), InvalidArgument, "whole number"),
    (("44100", 16000), InvalidArgument, "integer"),
    ((True, 16000), InvalidArgument, "integer"),
])
def test_bad_rates(args, error, match):
    with pytest.raises(error, match=match):
        Resampler(*args)


def test_bad_filter_settings():
    with pytest.raises(InvalidConfig, match="passband_edge"):
        Resampler(44100, 16000, passband_edge=1.0)
    with pytest.raises(InvalidConfig, match="stopband_edge"):
        Resampler(44100, 16000, stopband_edge=1.5)
    with pytest.raises(InvalidConfig, match="attenuation"):
        Resampler(44100, 16000, stopband_attenuation_db=10)


def test_bad_audio():
    with pytest.raises(InvalidAudio, match="1-D"):
        resample(np.zeros((100, 2), np.float32), 44100, 16000)
    with pytest.raises(InvalidAudio, match="dtype"):
        resample(np.zeros(100, np.int32), 44100, 16000)
    with pytest.raises(InvalidAudio):
        resample([0.0, 1.0], 44100, 16000)


@settings(max_examples=25, deadline=None)
@given(from_hz=st.integers(1000, 96000), to_hz=st.integers(1000, 96000), seed=st.integers(0, 1000))
def test_any_rate_pair(from_hz, to_hz, seed):
    """Arbitrary rates (tiny gcds: the interpolated table): count, alignment, chunking."""
    if max(from_hz, to_hz) > 64 * min(from_hz, to_hz):
        with pytest.raises(InvalidConfig, match="factor"):
            Resampler(from_hz, to_hz)
        return
    f = 0.3 * min(from_hz, to_hz) / 2
    x = tone([f], from_hz, seconds=0.5)
    r = Resampler(from_hz, to_hz)
    y = run(r, x)
    assert len(y) == math.ceil(len(x) * to_hz / from_hz)
    want = 0.5 * np.sin(2 * np.pi * f * np.arange(len(y)) / to_hz)
    assert np.abs(middle(y - want, 4)).max() < 1e-4
    step = int(np.random.default_rng(seed).integers(1, 2000))
    parts = [r.process(x[i : i + step]) for i in range(0, len(x), step)] + [r.flush()]
    np.testing.assert_array_equal(np.concatenate(parts), y)
