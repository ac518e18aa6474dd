"""LM estimation from text (edgestt.lm_build) and text normalisation (edgestt.text_normalize).

Oracles, all independent of the code under test:
* a dict-based ARPA backoff scorer written here (sum-to-one checks, perplexities, kenlm);
* a brute-force modified Kneser-Ney estimator written here from Chen & Goodman's formulas and
  lmplz's documented choices (adjusted counts, <s> n-grams keep raw counts, 3 discounts);
* the `kenlm` Python package (skipped visibly when missing);
* KenLM's `lmplz` binary when it is on PATH or in $LMPLZ (usually not; skipped visibly).
"""
import math
import os
import shutil
import subprocess
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from edgestt.errors import EdgeSTTError, EmptyInput, FormatError, InvalidArgument
from edgestt.lm_build import (
    build_arpa,
    estimate,
    load_arpa,
    perplexity,
)
from edgestt.text_normalize import (
    FileError,
    Normalizer,
    iter_sentences,
    normalize_corpus,
    normalize_text,
    split_sentences,
)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
BOOKS = sorted((CORPUS / "gutenberg").glob("*.txt")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(len(BOOKS) < 10, reason=f"text corpus not found at {CORPUS}")


# --------------------------------------------------------------------------- oracles


class ArpaScorer:
    """Minimal ARPA backoff scorer: dicts of word tuples, nothing shared with lm_build."""

    def __init__(self, path):
        self.prob, self.bo, self.order = {}, {}, 0
        n = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line.startswith("\\") and line.endswith("-grams:"):
                    n = int(line[1:line.index("-")])
                    self.order = max(self.order, n)
                    continue
                if not n or not line or line.startswith("\\"):
                    continue
                parts = line.split()
                words = tuple(parts[1:1 + n])
                self.prob[words] = float(parts[0])
                if len(parts) == n + 2:
                    self.bo[words] = float(parts[-1])
        self.vocab = [w for (w,) in (k for k in self.prob if len(k) == 1)]

    def logp(self, word, context=()):
        if (word,) not in self.prob:
            word = "<unk>"
        context = tuple(w if (w,) in self.prob else "<unk>" for w in context)
        context = context[max(0, len(context) - (self.order - 1)):] if self.order > 1 else ()
        total = 0.0
        for i in range(len(context) + 1):
            h = context[i:]
            if h + (word,) in self.prob:
                return total + self.prob[h + (word,)]
            total += self.bo.get(h, 0.0)
        raise AssertionError("word missing from the unigrams")

    def sentence(self, words, eos=True):
        ctx = ("<s>",)
        total = 0.0
        for w in list(words) + (["</s>"] if eos else []):
            total += self.logp(w, ctx)
            ctx = ctx + (w,)
        return total


def brute_force_mkn(sentences, order):
    """Interpolated modified Kneser-Ney, straight from the formulas; returns
    {ngram tuple: (p, backoff gamma)} as plain probabilities."""
    counts = [Counter() for _ in range(order + 1)]
    for s in sentences:
        toks = ["<s>"] + s.split() + ["</s>"]
        for n in range(1, order + 1):
            for i in range(len(toks) - n + 1):
                counts[n][tuple(toks[i:i + n])] += 1
    adj = [Counter() for _ in range(order + 1)]
    for n in range(1, order + 1):
        for g, c in counts[n].items():
            if n == order or g[0] == "<s>":
                adj[n][g] = c
        if n < order:
            for g in counts[n + 1]:
                if g[1:][0] != "<s>":
                    adj[n][g[1:]] += 1
    adj[1][("<s>",)] = 0
    adj[1].setdefault(("<unk>",), 0)
    disc = {}
    for n in range(1, order + 1):
        nk = Counter(v for v in adj[n].values() if 1 <= v <= 4)
        y = nk[1] / (nk[1] + 2 * nk[2])
        disc[n] = [0.0] + [k - (k + 1) * y * nk[k + 1] / nk[k] for k in (1, 2, 3)]
    vocab = [g[0] for g in adj[1] if g[0] != "<s>"]
    model = {}
    den = defaultdict(float)
    gam = defaultdict(float)
    for n in range(1, order + 1):
        for g, a in adj[n].items():
            if g == ("<s>",):
                continue
            den[(n, g[:-1])] += a
            gam[(n, g[:-1])] += disc[n][min(a, 3)]
    for n in range(1, order + 1):
        for g, a in sorted(adj[n].items()):
            if g == ("<s>",):
                model[g] = [1.0, 0.0]
                continue
            d = den[(n, g[:-1])]
            u = (a - disc[n][min(a, 3)]) / d
            lower = 1.0 / len(vocab) if n == 1 else model[g[1:]][0]
            model[g] = [u + gam[(n, g[:-1])] / d * lower, 0.0]
    for (n, ctx), d in den.items():
        if n >= 2:
            model[ctx][1] = gam[(n, ctx)] / d
    return model, disc


def synthetic_sentences(n_sent, vocab_size, seed):
    """Sentences from a random bigram-ish process over a Zipfian vocabulary."""
    rng = np.random.default_rng(seed)
    # letters only: the corpus normalisation drops digits, which would make "w1", "w2"... all "w"
    words = ["w" + "".join(chr(ord("a") + int(d)) for d in str(i)) for i in range(vocab_size)]
    zipf = 1.0 / np.arange(1, vocab_size + 1)
    zipf /= zipf.sum()
    out = []
    for _ in range(n_sent):
        length = int(rng.integers(1, 12))
        ids = rng.choice(vocab_size, size=length, p=zipf)
        # some structure: repeat a word's "successor" often
        ids = np.where(rng.random(length) < 0.3, (np.roll(ids, 1) + 1) % vocab_size, ids)
        out.append(" ".join(words[i] for i in ids))
    return out


def first_sentences(path, n):
    out = []
    for s in iter_sentences(path):
        out.append(s)
        if len(out) == n:
            break
    return out


@pytest.fixture(scope="module")
def book_text():
    """~25,000 normalised sentences (about 2.5 MB) from 6 books, and held-out sentences from
    2 other books."""
    if len(BOOKS) < 10:
        pytest.skip(f"text corpus not found at {CORPUS}")
    train = [s for b in BOOKS[:6] for s in iter_sentences(b)]
    held = first_sentences(BOOKS[7], 800) + first_sentences(BOOKS[8], 800)
    return train, held


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Hello, World!", "hello world"),
        ("“Don’t go,” said Mr. Brown—twice.", "don't go said mr brown twice"),
        ("It was _very_ odd; 42 of them, in 1865.", "it was very odd of them in"),
        ("'Tis the O’Neill’s café, naïve Zoë", "tis the o'neill's cafe naive zoe"),
        ("‘Well,’ she said, ‘I never!’", "well she said i never"),
        ("rock 'n' roll at five o'clock, fishin'", "rock n roll at five o'clock fishin"),
        ("ﬁne ﬂour\tand\u00a0tabs\n", "fine flour and tabs"),
        ("--- ... !!!", ""),
        ("", ""),
    ],
)
def test_normalize_text_examples(raw, expected):
    assert normalize_text(raw) == expected


def test_custom_alphabet():
    assert normalize_text("Don't stop 2 BELIEVE", alphabet="abcdefghijklmnopqrstuvwxyz") == "don t stop believe"
    assert normalize_text("Señor Müller, 3 Äpfel", alphabet="abcdefghijklmnopqrstuvwxyzäöüñ") == "señor müller äpfel"
    assert normalize_text("ABC abc", alphabet="ABCabc") == "ABC abc"
    assert normalize_text("a1b2 c3", alphabet="abc0123456789") == "a1b2 c3"
    with pytest.raises(InvalidArgument):
        Normalizer("   ")


def test_split_sentences_gutenberg_prose():
    text = (
        "CHAPTER I.\n\nIt was a dark and stormy night. Mr. Smith, who lived at\n"
        "No. 4 St. James Street, said “Hello!” Then he left. J. R. Brown\n"
        "stayed; he was tired? Yes! “Why?” asked she. 'Because.' He\nwent home.\n\n"
        "    Contents\n    I. Beginnings\n    II. Endings\n\nThe end. 1865 was a year."
    )
    assert split_sentences(text) == [
        "CHAPTER I.",
        "It was a dark and stormy night.",
        "Mr. Smith, who lived at No. 4 St. James Street, said “Hello!”",
        "Then he left.",
        "J. R. Brown stayed; he was tired?",
        "Yes!",
        "“Why?” asked she.",
        "'Because.'",
        "He went home.",
        "Contents",
        "I. Beginnings",
        "II. Endings",
        "The end.",
        "1865 was a year.",
    ]


def test_iter_sentences_modes(tmp_path):
    prose = tmp_path / "book.txt"
    prose.write_text("First one. Second\none.\n\nThird one!\n", encoding="utf-8")
    lines = tmp_path / "list.txt"
    lines.write_text("no final stop here\nAnother one. With two\n", encoding="utf-8")
    assert list(iter_sentences(prose)) == ["first one", "second one", "third one"]
    assert list(iter_sentences(lines)) == ["no final stop here", "another one with two"]
    assert list(iter_sentences([lines], mode="prose")) == ["no final stop here another one", "with two"]
    out = tmp_path / "norm.txt"
    assert normalize_corpus([prose, lines], out) == 5
    assert out.read_text().splitlines()[-1] == "another one with two"
    with pytest.raises(InvalidArgument):
        list(iter_sentences(prose, mode="poetry"))


# --------------------------------------------------------------------------- exactness of the method


def test_mkn_matches_brute_force_formulas(tmp_path):
    sents = synthetic_sentences(1500, 500, seed=1)
    arpa = tmp_path / "lm.arpa"
    stats = build_arpa(sents, arpa, order=3, normalize=False)
    want, disc = brute_force_mkn(sents, 3)
    got = ArpaScorer(arpa)
    assert set(got.prob) == set(want)
    for n in (1, 2, 3):
        assert stats.discounts[n - 1] == pytest.approx(disc[n][1:], abs=1e-12)
    for g, (p, gamma) in want.items():
        if g == ("<s>",):
            assert got.prob[g] == -99.0
        else:
            assert got.prob[g] == pytest.approx(math.log10(p), abs=1e-5), g
        if len(g) < 3:
            assert got.bo[g] == pytest.approx(math.log10(gamma) if gamma > 0 else 0.0, abs=1e-5), g
    assert stats.counts == tuple(sum(1 for g in want if len(g) == n) for n in (1, 2, 3))


def _sample_contexts(scorer, rng, per_order=4):
    """Seen contexts of every length (incl. ones starting with <s>), unseen and OOV ones."""
    by_len = defaultdict(list)
    for g in scorer.prob:
        if g[-1] != "</s>" and len(g) < scorer.order:
            by_len[len(g)].append(g)
    ctxs = [()]
    for n, grams in sorted(by_len.items()):
        grams.sort()
        bos = [g for g in grams if g[0] == "<s>"]
        for pool in (grams, bos):
            if pool:
                for i in rng.choice(len(pool), size=min(per_order, len(pool)), replace=False):
                    ctxs.append(pool[i])
    words = [w for w in scorer.vocab if w not in ("<s>",)]
    for n in range(1, scorer.order):
        ctxs.append(tuple(words[i] for i in rng.choice(len(words), size=n)))  # most likely unseen
    ctxs.append(("zzznotaword",))
    ctxs.append(("<s>", "zzznotaword", words[0]))
    return ctxs


@pytest.mark.parametrize(
    "method, order, prune, vocab_limit",
    [
        ("modified_kneser_ney", 4, None, None),
        ("modified_kneser_ney", 4, [0, 0, 1, 1], None),
        ("modified_kneser_ney", 5, [0, 1, 1, 2, 2], 300),
        ("modified_kneser_ney", 1, None, None),
        ("witten_bell", 4, [0, 0, 1], None),
        ("add_one", 3, None, 500),
    ],
)
def test_conditional_probabilities_sum_to_one(tmp_path, method, order, prune, vocab_limit):
    if BOOKS:
        sents = first_sentences(BOOKS[0], 1500) + synthetic_sentences(300, 50, seed=2)
    else:
        sents = synthetic_sentences(3000, 400, seed=2)
    arpa = tmp_path / "lm.arpa"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # fallback discounts on tiny orders
        build_arpa(sents, arpa, order=order, method=method, prune=prune, vocab_limit=vocab_limit)
    sc = ArpaScorer(arpa)
    events = [w for w in sc.vocab if w != "<s>"]  # every word, </s> and <unk>
    assert "</s>" in events and "<unk>" in events
    if vocab_limit:  # the limit, or every word when the text has fewer (the synthetic fallback)
        distinct = len({w for sentence in sents for w in sentence.lower().split()})
        assert len(sc.vocab) == min(vocab_limit, distinct) + 3
    rng = np.random.default_rng(order)
    worst = 0.0
    for ctx in _sample_contexts(sc, rng):
        total = sum(10.0 ** sc.logp(w, ctx) for w in events)
        worst = max(worst, abs(total - 1.0))
        assert total == pytest.approx(1.0, abs=1e-4), (ctx, total)
    print(f"{method} order {order} prune {prune}: max |sum - 1| = {worst:.2e}")


# --------------------------------------------------------------------------- perplexity


def test_heldout_perplexity_mkn_beats_witten_bell_and_add_one(book_text, tmp_path):
    train, held = book_text
    ppl = {}
    for method in ("modified_kneser_ney", "witten_bell", "add_one"):
        lm = estimate(train, order=4, method=method, normalize=False)
        ppl[method] = lm.perplexity(held)
        if method == "modified_kneser_ney":
            # our vectorised scorer equals the independent one on the written ARPA
            lm.write_arpa(tmp_path / "mkn.arpa")
            sc = ArpaScorer(tmp_path / "mkn.arpa")
            sub = held[:150]
            ref = [sc.sentence(s.split()) for s in sub]
            np.testing.assert_allclose(lm.score_many(sub), ref, atol=1e-4)
            tokens = sum(len(s.split()) + 1 for s in sub)
            assert lm.perplexity(sub) == pytest.approx(10 ** (-sum(ref) / tokens), rel=1e-4)
    print("held-out perplexity (order 4): " + ", ".join(f"{k} {v:.1f}" for k, v in ppl.items()))
    assert ppl["modified_kneser_ney"] < ppl["witten_bell"] < ppl["add_one"]
    assert ppl["modified_kneser_ney"] < 0.95 * ppl["witten_bell"]


# --------------------------------------------------------------------------- vocabulary and pruning


def test_vocab_limit_maps_rare_words_to_unk(tmp_path):
    sents = ["a a a b b c", "a b d", "a e", "b a"]
    lm = estimate(sents, order=2, vocab_limit=2, discount_fallback=(0.5, 1.0, 1.5))
    assert lm.vocab == ["<unk>", "<s>", "</s>", "a", "b"]
    assert lm.stats.oov_tokens == 3
    assert "c" not in lm and "a" in lm
    # the words outside the vocabulary became <unk> in the text: "<unk> </s>" is a bigram
    arpa = tmp_path / "v.arpa"
    lm.write_arpa(arpa)
    sc = ArpaScorer(arpa)
    assert ("<unk>", "</s>") in sc.prob and ("b", "<unk>") in sc.prob
    assert sc.logp("c", ("b",)) == sc.logp("<unk>", ("b",)) == sc.logp("zzz", ("b",))
    assert lm.logprob("d", ["<s>", "b"]) == pytest.approx(sc.logp("<unk>", ("<s>", "b")), abs=1e-6)


def test_pruning_drops_exactly_the_low_count_ngrams(tmp_path):
    sents = synthetic_sentences(2000, 80, seed=3)
    raw = Counter()
    for s in sents:
        toks = ["<s>"] + s.split() + ["</s>"]
        for n in (1, 2, 3, 4):
            for i in range(len(toks) - n + 1):
                raw[tuple(toks[i:i + n])] += 1
    full, pruned = tmp_path / "full.arpa", tmp_path / "pruned.arpa"
    s_full = build_arpa(sents, full, order=4, normalize=False)
    s_pruned = build_arpa(sents, pruned, order=4, normalize=False, prune=[0, 1, 2])
    a, b = ArpaScorer(full), ArpaScorer(pruned)
    thresholds = {1: 0, 2: 1, 3: 2, 4: 2}  # the last threshold repeats
    expected = {g for g in a.prob if raw[g] > thresholds[len(g)] or len(g) == 1}
    assert set(b.prob) == expected
    assert s_pruned.counts == tuple(sum(1 for g in expected if len(g) == n) for n in (1, 2, 3, 4))
    assert s_pruned.counts_before_pruning == s_full.counts
    # a proper ARPA: every kept n-gram's prefix and suffix are kept
    for g in b.prob:
        if len(g) > 1:
            assert g[:-1] in b.prob and g[1:] in b.prob
    # discounts do not change with pruning (lmplz: estimated before pruning)
    assert s_pruned.discounts == s_full.discounts
    # pruned-away mass moved to the context's backoff: sums stay at one
    events = [w for w in b.vocab if w != "<s>"]
    for ctx in [("<s>",), ("w0",), ("w0", "w1"), ("<s>", "w1", "w2"), ("w3", "w0", "w1")]:
        assert sum(10 ** b.logp(w, ctx) for w in events) == pytest.approx(1.0, abs=1e-4)


def test_discount_fallback_on_tiny_text(tmp_path):
    with pytest.warns(RuntimeWarning, match="fallback discounts"):
        stats = build_arpa(["a b c", "a b"], tmp_path / "t.arpa", order=2)
    assert stats.discounts[0] == (0.5, 1.0, 1.5)
    with pytest.raises(InvalidArgument, match="discount"):
        build_arpa(["a b c", "a b"], tmp_path / "t.arpa", order=2, discount_fallback=None)


def test_load_arpa_roundtrip_and_paths(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text("\n\n".join(
        f"The {a} saw the {b}. It was {c} and\nthe {a} ran." for a, b, c in
        zip(["cat", "dog", "fox", "owl"] * 30, ["dog", "fox", "owl", "cat"] * 30, ["late", "early", "dark"] * 40)
    ), encoding="utf-8")
    arpa = tmp_path / "lm.arpa"
    stats = build_arpa(book, arpa, order=3)
    stats2 = build_arpa([book], tmp_path / "lm2.arpa", order=3)
    assert (tmp_path / "lm2.arpa").read_text() == arpa.read_text()
    assert stats.sentences == 240 and stats.tokens == 120 * 12
    lm = load_arpa(arpa)
    assert lm.order == 3 and lm.counts == stats.counts
    sc = ArpaScorer(arpa)
    for s in ["the cat saw the dog", "it was dark and the owl ran", "the zebra ran"]:
        assert lm.score(s) == pytest.approx(sc.sentence(s.split()), abs=1e-6)
        assert lm.score(s, eos=False) == pytest.approx(sc.sentence(s.split(), eos=False), abs=1e-6)
    assert lm.logprob("ran", ["the", "cat"]) == pytest.approx(sc.logp("ran", ("the", "cat")), abs=1e-6)
    assert perplexity(arpa, book) == pytest.approx(perplexity(lm, [book]), rel=1e-12)


# --------------------------------------------------------------------------- bad input


def test_bad_input(tmp_path):
    good = ["a b c"] * 5
    for order in (0, 7, -1, 2.5, True, "3"):
        with pytest.raises(InvalidArgument):
            build_arpa(good, tmp_path / "x.arpa", order=order)
    with pytest.raises(EmptyInput):
        build_arpa([], tmp_path / "x.arpa", order=3)
    with pytest.raises(EmptyInput):
        build_arpa(["", "!!! ...", "42"], tmp_path / "x.arpa", order=3)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(EmptyInput):
        build_arpa(empty, tmp_path / "x.arpa")
    with pytest.raises(FileError) as e:  # errors.FileError, or ModelError where it is missing
        build_arpa(tmp_path / "missing.txt", tmp_path / "x.arpa")
    assert isinstance(e.value, OSError) and isinstance(e.value, EdgeSTTError) and "missing.txt" in str(e.value)
    with pytest.raises(FileError):
        build_arpa(tmp_path, tmp_path / "x.arpa")  # a directory
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("café au lait\n".encode("latin-1"))
    with pytest.raises(FormatError, match="UTF-8"):
        build_arpa(latin, tmp_path / "x.arpa")
    with pytest.raises(FileError):
        build_arpa(good, tmp_path / "no" / "such" / "dir.arpa", discount_fallback=(0.5, 1, 1.5))
    for prune in ([1, 1], [0, 2, 1], [0, -1], [0, 0, 0, 0, 0], [0, 0.5]):
        with pytest.raises(InvalidArgument):
            build_arpa(good, tmp_path / "x.arpa", order=4, prune=prune)
    for kwargs in ({"method": "katz"}, {"vocab_limit": 0}, {"discount_fallback": (1, 2)}):
        with pytest.raises(InvalidArgument):
            build_arpa(good, tmp_path / "x.arpa", order=2, **kwargs)
    with pytest.raises(InvalidArgument):
        build_arpa(42, tmp_path / "x.arpa")
    with pytest.raises(InvalidArgument):
        build_arpa([b"bytes"], tmp_path / "x.arpa")


def test_load_arpa_bad_files(tmp_path):
    lm = estimate(synthetic_sentences(300, 20, seed=4), order=3, normalize=False)
    good = tmp_path / "good.arpa"
    lm.write_arpa(good)
    text = good.read_text()
    lines = text.splitlines(keepends=True)
    cases = {
        "truncated": "".join(lines[: len(lines) // 2]),
        "no_end": text.replace("\\end\\", ""),
        "bad_count": text.replace("ngram 2=", "ngram 2=1", 1),
        "no_header": text.replace("\\data\\", "", 1),
        "bad_prob": text.replace("\\2-grams:\n", "\\2-grams:\nx\tw0 w1\t0\n", 1),
    }
    for name, body in cases.items():
        p = tmp_path / f"{name}.arpa"
        p.write_text(body)
        with pytest.raises(FormatError):
            load_arpa(p)
    with pytest.raises(FileError):
        load_arpa(tmp_path / "missing.arpa")


# --------------------------------------------------------------------------- external oracles


def test_kenlm_scores_equal_ours(book_text, tmp_path):
    kenlm = pytest.importorskip("kenlm")
    train, held = book_text
    train = train[:12000]
    for name, kwargs in {"plain": {}, "pruned_unk": {"prune": [0, 0, 1], "vocab_limit": 3000}}.items():
        arpa = tmp_path / f"{name}.arpa"
        lm = estimate(train, order=4, normalize=False, **kwargs)
        lm.write_arpa(arpa)
        k = kenlm.Model(str(arpa))
        assert k.order == 4
        sub = held[:400]
        ours = lm.score_many(sub)
        sc = ArpaScorer(arpa)
        theirs = np.array([k.score(s, bos=True, eos=True) for s in sub])
        np.testing.assert_allclose(ours, theirs, atol=1e-4)
        np.testing.assert_allclose([sc.sentence(s.split()) for s in sub[:100]], theirs[:100], atol=1e-4)
        # per word, including OOVs and every backoff depth
        for s in sub[:30]:
            words = s.split()
            ctx = ["<s>"]
            for (lp, _, _), w in zip(k.full_scores(s), words + ["</s>"]):
                assert lm.logprob(w, ctx) == pytest.approx(lp, abs=1e-4)
                ctx.append(w)


def _lmplz():
    exe = os.environ.get("LMPLZ") or shutil.which("lmplz")
    return exe if exe and os.access(exe, os.X_OK) else None


@pytest.mark.skipif(_lmplz() is None, reason="KenLM's lmplz binary not available (set $LMPLZ)")
@pytest.mark.parametrize("prune", [None, [0, 0, 1, 1]])
def test_matches_lmplz(book_text, tmp_path, prune):
    train, _ = book_text
    text = tmp_path / "train.txt"
    text.write_text("\n".join(train[:8000]) + "\n")
    theirs = tmp_path / "lmplz.arpa"
    cmd = [_lmplz(), "-o", "4", "-S", "10%", "-T", str(tmp_path), "--text", str(text), "--arpa", str(theirs)]
    if prune:
        cmd += ["--prune"] + [str(t) for t in prune]
    subprocess.run(cmd, check=True, capture_output=True)
    ours = tmp_path / "ours.arpa"
    build_arpa(text, ours, order=4, normalize=False, text_mode="lines", prune=prune)
    a, b = ArpaScorer(ours), ArpaScorer(theirs)
    assert set(a.prob) == set(b.prob)
    dp = max(abs(a.prob[g] - b.prob[g]) for g in a.prob if g != ("<s>",))
    db = max(abs(a.bo.get(g, 0.0) - b.bo.get(g, 0.0)) for g in a.prob)
    print(f"lmplz: max |d log10 p| = {dp:.2e}, max |d log10 backoff| = {db:.2e}")
    assert dp < 1e-5 and db < 1e-5
