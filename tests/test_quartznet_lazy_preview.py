"""exact_final streams preview lazily: the short windows run only up to the audio where a
partial result is asked for, with the partials an eager preview gives, and bounded memory."""
from pathlib import Path

import numpy as np
import pytest

import edgestt
from edgestt.model import Model

pytest.importorskip("ai_edge_litert.interpreter", reason="the QuartzNet families need LiteRT")

from test_quartznet_model import long_recording  # noqa: E402  (11.5 s: longer than a 5 s window)

DATA = Path(__file__).parent / "data"
FIXTURES = ("quartznet_scribosermo_fixture.tflite", "quartznet_nemo_fixture.tflite", "edgestt_fixture.tflite")
#: A short one-shot schedule, so that a test stream of seconds crosses several one-shot windows.
SHORT_ONESHOT = {"oneshot_window_seconds": 8.0, "oneshot_hop_seconds": 6.0}


def partials_at(model, x, chunks, asks):
    """Feed x cut at `chunks` (sample offsets); ask partial_with_metadata(3) where the offset is
    in `asks`. Returns the partials and the final metadata."""
    got = []
    with model.stream() as s:
        for start, end in zip(chunks[:-1], chunks[1:]):
            s.feed(x[start:end])
            if end in asks:
                got.append(s.partial_with_metadata(3))
        return got, s.finish_with_metadata(3)


@pytest.mark.parametrize("name", FIXTURES)
def test_lazy_partials_equal_eager_ones(name):
    """The oracle: the same model with exact_final=False, whose stream feeds the same
    streaming windows eagerly at every feed and decodes its partials from them (the preview
    code path exact_final streams used before laziness). Partials asked at sparse, irregular
    points (several windows due at once) and at consecutive feeds are the same."""
    x = long_recording()
    rng = np.random.default_rng(7)
    chunks = sorted({0, x.size} | set(rng.integers(1, x.size, 60).tolist()))
    asks = {chunks[5], chunks[6], chunks[30], chunks[31], chunks[32], chunks[59]}
    with Model(DATA / name, num_threads=1, exact_final=False) as eager:
        eager.beam_width = 16
        want, _ = partials_at(eager, x, chunks, asks)
    with Model(DATA / name, num_threads=1) as lazy:
        lazy.beam_width = 16
        got, final = partials_at(lazy, x, chunks, asks)
        assert final == lazy.stt_with_metadata(x, 3)
    assert got == want and len(got) == len(asks) and got[-1].text


def test_no_partial_no_preview_run(monkeypatch):
    """Without partial requests an exact_final stream runs the model only on the one-shot
    schedule (once, at finish, for 11.5 s); the first partial catches up."""
    x = long_recording()
    with Model(DATA / "quartznet_nemo_fixture.tflite", num_threads=1) as m:
        m.beam_width = 16
        runs = []
        run = m._family.run
        monkeypatch.setattr(m._family, "run", lambda units, moments=None: runs.append(units.shape[0])
                            or run(units, moments))
        with m.stream() as s:
            for i in range(0, x.size, 1600):
                s.feed(x[i:i + 1600])
            assert runs == [] and s._session.windows_run == 0
            final = s.finish()
        assert len(runs) == 1 and final == m.stt(x)
        runs.clear()
        with m.stream() as s:
            s.feed(x)
            assert runs == []
            s.partial()
            assert s._session.windows_run == 7  # (11.5 s - 5 s window) / 1 s hop + 1
            assert len(runs) == s._session.windows_run + 1  # the windows due, then the pending run


def tiled(seconds):
    x = long_recording()
    n = int(seconds * 16000)
    return np.tile(x, -(-n // x.size))[:n]


def reference_partial(model, x, end, rebase_frame):
    """What a lazy stream's partial is once its preview was rebased at `rebase_frame`: the
    exact (one-shot schedule) frames before it, the streaming windows' final frames from it
    on, and the pending frames, decoded by a new search."""
    f = model._family
    exact = f.new_session(streaming=False)
    windows = f.new_session(streaming=True)
    try:
        exact_rows = exact.accept(x[:end])
        window_rows = windows.accept(x[:end])
        pending = windows.pending()
    finally:
        exact.close()
        windows.close()
    assert exact_rows.shape[0] >= rebase_frame
    frames = np.concatenate([exact_rows[:rebase_frame], window_rows[rebase_frame:], pending])
    with model._decoder_for_new_streams().stream() as search:
        search.feed(frames)
        return [r.text for r in search.beams(3)]


@pytest.mark.parametrize("name", ["quartznet_nemo_fixture.tflite", "quartznet_scribosermo_fixture.tflite"])
def test_memory_stays_bounded_and_a_late_first_partial_starts_from_the_exact_frames(name):
    """40 s with one-shot windows of 8 s every 6 s and no partial: the preview skips what the
    exact search made final, so it holds at most about one one-shot window of input. The
    first partial, asked late, decodes the exact frames before the skip point (as the final
    will), then the streaming windows; partials after it keep up (no more skipping)."""
    x = tiled(40.0)
    with Model(DATA / name, num_threads=1, **SHORT_ONESHOT) as m:
        m.beam_width = 16
        f = m._family
        bound = (8.0 + 5.0 + 1.0) / f.frame_seconds * f.units_per_frame  # one-shot window + window + hop
        biggest, asked = 0, []
        with m.stream() as s:
            for i in range(0, x.size, 4000):
                s.feed(x[i:i + 4000])
                biggest = max(biggest, s._session.units_buffered)
                end = i + 4000
                if end in (30 * 16000, 34 * 16000):
                    if not asked:
                        rebase = s._session.frames_emitted
                        assert s._exact[1].num_frames == rebase > 0
                    asked.append((end, [t.text for t in s.partial_with_metadata(3).transcripts]))
            final = s.finish_with_metadata(3)
        assert biggest <= bound
        assert final == m.stt_with_metadata(x, 3)
        for end, texts in asked:
            assert texts == reference_partial(m, x, end, rebase)


def test_memory_stays_bounded_after_an_early_partial():
    """Once a partial was asked for, the preview is eager again (its windows run in feed, so
    a partial costs what it did): its buffer stays bounded without more partial requests, and
    its partials stay the eager ones."""
    x = tiled(40.0)
    name = "quartznet_nemo_fixture.tflite"
    chunks = list(range(0, x.size, 4000)) + [x.size]
    asks = {8000, x.size}
    with Model(DATA / name, num_threads=1, exact_final=False, **SHORT_ONESHOT) as eager:
        eager.beam_width = 16
        want, _ = partials_at(eager, x, chunks, asks)
    with Model(DATA / name, num_threads=1, **SHORT_ONESHOT) as m:
        m.beam_width = 16
        f = m._family
        biggest = 0
        with m.stream() as s:
            for start, end in zip(chunks[:-1], chunks[1:]):
                s.feed(x[start:end])
                biggest = max(biggest, s._session.units_buffered)
                if end == 8000:
                    assert s._session.lazy
                    first = s.partial_with_metadata(3)
                    assert not s._session.lazy
            last = s.partial_with_metadata(3)
            final = s.finish()
        assert biggest <= (8.0 + 5.0 + 1.0) / f.frame_seconds * f.units_per_frame
        assert [first, last] == want and final == m.stt(x)


def test_exact_final_off_is_eager():
    """exact_final=False: the stream's windows run at every feed, as before."""
    x = long_recording()
    with Model(DATA / "quartznet_nemo_fixture.tflite", num_threads=1, exact_final=False) as m:
        with m.stream() as s:
            s.feed(x)
            assert not s._session.lazy and s._session.windows_run == 7  # (11.5 - 5) / 1 + 1


@pytest.mark.parametrize("name", ["quartznet_nemo_fixture.tflite", "quartznet_scribosermo_fixture.tflite"])
def test_lazy_session_catches_up_to_the_eager_frames(name):
    """BufferedSession(lazy): accept returns nothing; catch_up at sparse points returns the
    frames an eager session returned by then, and pending() then equals the eager one."""
    x = long_recording()
    with Model(DATA / name, num_threads=1) as m:
        f = m._family
        eager, lazy = f.new_session(), f.new_session(lazy=True)
        eager_rows, lazy_rows, checked = [], [], 0
        for i in range(0, x.size, 3000):
            eager_rows.append(eager.accept(x[i:i + 3000]))
            assert lazy.accept(x[i:i + 3000]).shape[0] == 0
            if i // 3000 in (3, 20, 21, 50):
                lazy_rows.append(lazy.catch_up())
                np.testing.assert_array_equal(np.concatenate(lazy_rows), np.concatenate(eager_rows))
                np.testing.assert_array_equal(lazy.pending(), eager.pending())
                checked += lazy.pending().shape[0] > 0
        if lazy.units_buffered >= f.schedule.window * f.units_per_frame:
            with pytest.raises(edgestt.StateError, match="catch_up"):
                lazy.pending()
        np.testing.assert_array_equal(np.concatenate(lazy_rows + [lazy.finish()]),
                                      np.concatenate(eager_rows + [eager.finish()]))
        assert checked == 4


@pytest.mark.parametrize("frame", [60, 130, 170, 400])
def test_skip_to_gives_the_eager_frames_from_there_on(frame):
    """skip_to(frame): the frames returned afterwards are the eager session's from `frame` on
    (a skip point inside a window's kept part keeps the rest of it)."""
    x = long_recording()
    with Model(DATA / "quartznet_nemo_fixture.tflite", num_threads=1) as m:
        f = m._family
        eager = f.new_session()
        want = np.concatenate([eager.accept(x), eager.finish()])
        lazy = f.new_session(lazy=True)
        lazy.accept(x[:150000])
        lazy.skip_to(frame)
        assert lazy.frames_emitted == frame
        got = np.concatenate([lazy.accept(x[150000:]), lazy.catch_up(), lazy.finish()])
        np.testing.assert_array_equal(got, want[frame:])
        assert lazy.windows_run == eager.windows_run


def test_a_reused_audio_buffer_does_not_change_what_was_fed():
    """Sessions hold the fed audio until a window runs; a caller reusing its buffer (as an
    audio callback does) must not change it."""
    x = long_recording()
    n = x.size // 8000 * 8000
    with Model(DATA / "quartznet_scribosermo_fixture.tflite", num_threads=1) as m:
        m.beam_width = 16
        buffer = np.empty(8000, np.float32)
        with m.stream() as s:
            for i in range(0, n, 8000):
                buffer[:] = x[i:i + 8000]
                s.feed(buffer)
                buffer[:] = 0
            got = s.finish()
        assert got and got == m.stt(x[:n])
