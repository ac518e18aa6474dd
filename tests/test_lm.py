"""The n-gram language model against kenlm (the oracle), and its handling of bad files."""
import itertools
import os
import random
import struct
import zlib
from pathlib import Path

import pytest

import edgestt
from edgestt import FileError, FormatError, LanguageModel, LMState, UnsupportedFormat

DATA = Path(__file__).parent / "data"
SMALL = DATA / "lm_small.arpa"
CORPUS = Path(os.environ.get("EDGESTT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))

HEADER = 512
SECTIONS = 144  # u64 [10][2] (offset, size)
HEADER_CRC = 508


def kenlm_model(path):
    kenlm = pytest.importorskip("kenlm")
    return kenlm.Model(str(path))


def random_arpa(rng, order, vocab=12, with_unk=True, crlf=False):
    """A random ARPA in KenLM's accepted shape: every context listed, some right-aligned lower
    n-grams pruned (KenLM then inserts blanks), back-offs missing, zero or set."""
    words = [f"w{i}" for i in range(vocab)]
    grams = [dict() for _ in range(order + 1)]
    grams[1] = {(w,): None for w in words + ["<s>", "</s>"] + (["<unk>"] if with_unk else [])}
    for n in range(2, order + 1):
        ctxs = [g for g in grams[n - 1] if g[-1] != "</s>"]
        for ctx in rng.sample(ctxs, min(len(ctxs), 25)):
            for w in rng.sample(words + ["</s>"], rng.randint(1, 4)):
                g = ctx + (w,)
                for m in range(n, 1, -1):  # suffix-closed, like real ARPA files
                    grams[m][g[n - m:]] = None
    # prune some right-aligned lower n-grams that are not contexts
    for n in range(2, order):
        contexts = {g[:-1] for g in grams[n + 1]}
        for g in list(grams[n]):
            if g not in contexts and rng.random() < 0.08:
                del grams[n][g]
    nl = "\r\n" if crlf else "\n"
    out = ["\\data\\"] + [f"ngram {n}={len(grams[n])}" for n in range(1, order + 1)]
    for n in range(1, order + 1):
        out += ["", f"\\{n}-grams:"]
        for g in grams[n]:
            p = -99.0 if g == ("<s>",) else -rng.uniform(0.05, 4.0)
            line = f"{p:.6g}\t{' '.join(g)}"
            r = rng.random()
            if n < order and r < 0.6:
                line += f"\t{-rng.uniform(0, 1.5):.6g}"
            elif n < order and r < 0.7:
                line += "\t0"
            out.append(line)
    out += ["", "\\end\\", ""]
    return nl.join(out), words


def random_sentences(rng, words, count):
    pool = words + ["</s>", "oov", "<unk>"]
    return [" ".join(rng.choice(pool) for _ in range(rng.randint(0, 9))) for _ in range(count)]


def assert_same_as_kenlm(lm, km, sentences):
    worst = 0.0
    for s in sentences:
        for bos, eos in ((True, True), (False, True), (True, False), (False, False)):
            worst = max(worst, abs(lm.score(s, bos=bos, eos=eos) - km.score(s, bos=bos, eos=eos)))
        ours, theirs = list(lm.full_scores(s)), list(km.full_scores(s))
        assert [x[1:] for x in ours] == [tuple(x[1:]) for x in theirs], s
        worst = max([worst] + [abs(a[0] - b[0]) for a, b in zip(ours, theirs)])
    assert worst <= 1e-5
    return worst


# ---------------------------------------------------------------- exactness


def test_small_fixture_equals_kenlm_on_every_short_sentence():
    km = kenlm_model(SMALL)
    with LanguageModel(SMALL) as lm:
        pool = ["the", "cat", "sat", "on", "mat", "dog", "</s>", "<s>", "<unk>"]
        sentences = [" ".join(t) for n in range(5) for t in itertools.product(pool, repeat=n)]
        assert assert_same_as_kenlm(lm, km, sentences) == 0.0
        assert lm.score("the cat sat") == pytest.approx(-1.15, abs=1e-6)
        assert lm.perplexity("the cat sat") == pytest.approx(km.perplexity("the cat sat"), rel=1e-6)


@pytest.mark.parametrize("order", [2, 3, 4, 5, 6])
@pytest.mark.parametrize("variant", ["plain", "no_unk_crlf"])
def test_random_arpa_equals_kenlm(tmp_path, order, variant):
    rng = random.Random(order * 7 + len(variant))
    text, words = random_arpa(rng, order, with_unk=variant == "plain", crlf=variant != "plain")
    path = tmp_path / "r.arpa"
    path.write_bytes(text.encode())
    km = kenlm_model(path)
    sentences = random_sentences(rng, words, 400)
    with LanguageModel(path) as lm:
        assert lm.order == order
        assert_same_as_kenlm(lm, km, sentences)
        lm.save(tmp_path / "r.eslm")
        lm.save(tmp_path / "q.eslm", quantize=True)
    with LanguageModel(tmp_path / "r.eslm", verify=True) as b:
        assert_same_as_kenlm(b, km, sentences)
    with LanguageModel(tmp_path / "q.eslm", verify=True) as q, LanguageModel(tmp_path / "r.eslm") as b:
        for s in sentences:
            for (p, n, o), (pq, nq, oq) in zip(b.full_scores(s), q.full_scores(s)):
                assert (n, o) == (nq, oq) and abs(p - pq) <= 0.05


@pytest.mark.parametrize("order", [3, 6])
def test_long_sentences_equal_kenlm(tmp_path, order):
    """Sentences longer than the C scorer's batch of 64 words: the context crosses batches."""
    rng = random.Random(order)
    text, words = random_arpa(rng, order)
    path = tmp_path / "r.arpa"
    path.write_bytes(text.encode())
    km = kenlm_model(path)
    pool = words + ["oov"]
    sentences = [" ".join(rng.choice(pool) for _ in range(n)) for n in (63, 64, 65, 127, 128, 129, 300)]
    with LanguageModel(path) as lm:
        assert_same_as_kenlm(lm, km, sentences)
        lm.save(tmp_path / "r.eslm")
    with LanguageModel(tmp_path / "r.eslm", verify=True) as b:
        assert_same_as_kenlm(b, km, sentences)


def test_state_api_matches_sentence_scores():
    with LanguageModel(SMALL) as lm:
        state = lm.bos_state()
        total = 0.0
        for w in "the cat sat on the mat".split() + ["</s>"]:
            p, state = lm.score_word(state, w)
            total += p
        assert total == pytest.approx(lm.score("the cat sat on the mat"), abs=1e-6)
        assert isinstance(state, LMState)
        with pytest.raises(Exception):
            state.raw = b""  # frozen
        a = lm.score_word(lm.bos_state(), "the")[1]
        b = lm.score_word(lm.bos_state(), lm.word_id("the"))[1]
        assert a == b and hash(a) == hash(b) and a.words == (lm.word_id("the"), 1)
        assert lm.null_state().length == 0
        assert "cat" in lm and "dog" not in lm and "<unk>" not in lm
        assert lm.is_word("cat") and not lm.is_word("</s>")
        assert lm.has_prefix("ca") and not lm.has_prefix("cx")
        assert lm.word(lm.word_id("mat")) == "mat" and len(lm) == lm.vocab_size == 8
        assert lm.counts == (8, 9, 5)
        assert lm.perplexity(["the cat sat", "on the mat"]) > 1.0


def test_splits_words_like_kenlm():
    km = kenlm_model(SMALL)
    with LanguageModel(SMALL) as lm:
        for s in ["the\u00a0cat\u2003sat", "the\x1ccat", "caf\u00e9 the", " the\tcat\r\n\x0bsat\x0c"]:
            assert lm.score(s) == pytest.approx(km.score(s), abs=1e-6)


def test_closed_model_raises():
    lm = LanguageModel(SMALL)
    lm.close()
    lm.close()
    with pytest.raises(edgestt.ClosedError):
        lm.score("the")


# ---------------------------------------------------------------- bad input


def test_missing_file():
    with pytest.raises(FileError) as e:
        LanguageModel("/nonexistent/lm.arpa")
    assert isinstance(e.value, OSError)


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(FileError, match="not a readable regular file"):
        LanguageModel(tmp_path)


@pytest.mark.parametrize("cut", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_truncated_arpa(tmp_path, cut):
    text = SMALL.read_bytes()
    path = tmp_path / "t.arpa"
    path.write_bytes(text[: int(len(text) * cut)])
    with pytest.raises(FormatError, match="ARPA line [0-9]+"):
        LanguageModel(path)


def test_bad_arpa_lines(tmp_path):
    text = SMALL.read_text()
    path = tmp_path / "b.arpa"
    path.write_text(text.replace("-0.7\tthe cat", "-0.7x\tthe cat"))
    with pytest.raises(FormatError, match=r"ARPA line 23: bad probability"):
        LanguageModel(path)
    path.write_text(text.replace("ngram 3=5", "ngram 3=6"))
    with pytest.raises(FormatError, match="entries but"):
        LanguageModel(path)
    path.write_text(text.replace("ngram 3=5", "ngram 7=5"))
    with pytest.raises(FormatError, match="consecutive"):
        LanguageModel(path)


@pytest.fixture
def binary(tmp_path):
    path = tmp_path / "lm.eslm"
    with LanguageModel(SMALL) as lm:
        lm.save(path)
    return path


def sections(data):
    return [struct.unpack_from("<QQ", data, SECTIONS + 16 * i) for i in range(10)]


def write_fixed_crc(path, data):
    data = bytearray(data)
    struct.pack_into("<I", data, HEADER_CRC, zlib.crc32(bytes(data[:HEADER_CRC])))
    path.write_bytes(bytes(data))


def test_binary_roundtrip_and_load_is_o1(binary):
    with LanguageModel(binary, verify=True) as b, LanguageModel(SMALL) as a:
        assert b.size_bytes == os.path.getsize(binary)
        for s in ["the cat sat", "dog on the mat", ""]:
            assert a.score(s) == b.score(s)


def test_binary_truncated_at_every_section_boundary(binary, tmp_path):
    data = binary.read_bytes()
    cuts = {0, 4, 8, 100, HEADER - 1, HEADER, len(data) - 1}
    for off, size in sections(data):
        cuts |= {off, off + 1, off + size // 2, max(off + size - 1, 0)}
    bad = tmp_path / "cut.eslm"
    for cut in sorted(c for c in cuts if c < len(data)):
        bad.write_bytes(data[:cut])
        with pytest.raises(FormatError):
            LanguageModel(bad)


def test_binary_flipped_bytes_are_detected(binary, tmp_path):
    data = binary.read_bytes()
    bad = tmp_path / "flip.eslm"
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0x10
        bad.write_bytes(bytes(flipped))
        with pytest.raises(FormatError):
            lm = LanguageModel(bad)
            lm.score("the cat sat on the mat")  # never a crash, even unverified
            lm.verify()


def test_binary_header_errors(binary, tmp_path):
    data = bytearray(binary.read_bytes())
    bad = tmp_path / "bad.eslm"
    # wrong magic: not our binary, so it is read as ARPA and refused with a line number
    bad.write_bytes(b"\x89ESLX" + bytes(data[5:]))
    with pytest.raises(FormatError, match="ARPA line"):
        LanguageModel(bad)
    for version in (1, 3):  # 1: the format before probes started at a hash of the words
        other = bytearray(data)
        struct.pack_into("<I", other, 8, version)
        write_fixed_crc(bad, other)
        with pytest.raises(UnsupportedFormat, match=f"version {version}; this library reads version 2"):
            LanguageModel(bad)
    be = bytearray(data)
    struct.pack_into(">I", be, 12, 0x01020304)
    write_fixed_crc(bad, be)
    with pytest.raises(UnsupportedFormat, match="byte order"):
        LanguageModel(bad)
    crc = bytearray(data)
    crc[HEADER_CRC] ^= 1
    bad.write_bytes(bytes(crc))
    with pytest.raises(FormatError, match="checksum"):
        LanguageModel(bad)
    counts = bytearray(data)
    struct.pack_into("<Q", counts, 48 + 8, 15)  # 15 bigram entries, the tables hold 10 (9 + a blank)
    write_fixed_crc(bad, counts)
    with pytest.raises(FormatError, match="counts do not match"):
        LanguageModel(bad)
    order7 = bytearray(data)
    struct.pack_into("<I", order7, 20, 7)
    write_fixed_crc(bad, order7)
    with pytest.raises(UnsupportedFormat, match="order 7"):
        LanguageModel(bad)


# ---------------------------------------------------------------- a real LM


def corpus_sentences(limit):
    import re

    files = sorted((CORPUS / "gutenberg").glob("*.txt"))
    out = []
    for f in files[-6:]:
        for s in re.split(r"(?<=[.!?])\s+", f.read_text(encoding="utf-8").lower()):
            s = " ".join(re.findall(r"[a-z']+", s))
            if s:
                out.append(s)
    return out[:limit]


def test_big_lm_from_corpus_equals_kenlm(tmp_path):
    """>= 1 million n-grams from the shared corpus, >= 10,000 held-out sentences."""
    km_mod = pytest.importorskip("kenlm")
    from edgestt.lm_build import build_arpa

    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    arpa = tmp_path / "big.arpa"
    train = sorted((CORPUS / "gutenberg").glob("*.txt"))[:5] + sorted((CORPUS / "commonvoice").glob("*.txt"))
    build_arpa(train, arpa, order=4)
    km = km_mod.Model(str(arpa))
    lm = LanguageModel(arpa)
    assert sum(lm.counts) >= 1_000_000
    lm.save(tmp_path / "big.eslm")
    lm.save(tmp_path / "bigq.eslm", quantize=True)
    b = LanguageModel(tmp_path / "big.eslm", verify=True)
    q = LanguageModel(tmp_path / "bigq.eslm", verify=True)
    assert q.size_bytes / sum(q.counts) <= 10.0
    sentences = corpus_sentences(12000)
    assert len(sentences) >= 10000
    worst = worst_q = 0.0
    for i, s in enumerate(sentences):
        worst = max(worst, abs(b.score(s) - km.score(s)), abs(lm.score(s) - km.score(s)))
        if i % 10 == 0:
            for (p, n, _), (pk, nk, _), (pq, _, _) in zip(b.full_scores(s), km.full_scores(s), q.full_scores(s)):
                assert n == nk
                worst = max(worst, abs(p - pk))
                worst_q = max(worst_q, abs(p - pq))
    assert worst <= 1e-5
    assert worst_q <= 0.05
