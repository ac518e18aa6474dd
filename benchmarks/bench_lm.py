#!/usr/bin/env python3
"""The n-gram LM against KenLM (the `kenlm` PyPI package), on the same ARPA, in one run.

    python benchmarks/bench_lm.py [--arpa LM.arpa] [--sentences 10000] [--repeats 5] [--json out.json]

Without --arpa, an order-4 LM is estimated from ../shared/corpus with `edgestt.lm_build`
(cached in benchmarks/.cache/). Reported, side by side:

- file size and bytes per n-gram: edgestt binary (exact and 8-bit quantised) vs the ARPA
  kenlm loads (the pip package cannot write KenLM binaries);
- load time (median over fresh processes): edgestt binary, edgestt ARPA, kenlm ARPA;
- resident memory after loading and scoring every sentence (VmRSS growth, fresh process);
- queries per second from C (benchmarks/c/bench_lm_query.c), and word queries per second
  through each package's Python state API;
- sentences per second from Python: LanguageModel.score vs kenlm.Model.score;
- agreement: max |log10 difference| of sentence scores against kenlm.

Targets (issue 3): binary load < 10 ms whatever the size, <= 10 bytes per n-gram
quantised, Python sentence scoring at least as fast as kenlm. Not a timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
CACHE = Path(__file__).resolve().parent / ".cache"


def corpus_sentences(limit):
    """The first `limit` normalised sentences of three or more words from the corpus."""
    from edgestt import text_normalize

    out = []
    for sentence in text_normalize.iter_sentences(sorted(CORPUS.rglob("*.txt"))):
        if len(sentence.split()) >= 3:
            out.append(sentence)
            if len(out) >= limit:
                break
    return out


def default_arpa():
    from edgestt import lm_build

    CACHE.mkdir(exist_ok=True)
    arpa = CACHE / "corpus_order4.arpa"
    if not arpa.exists():
        print(f"estimating an order-4 LM from {CORPUS} (cached in {arpa}) ...", flush=True)
        start = time.perf_counter()
        lm_build.build_arpa(sorted(CORPUS.rglob("*.txt")), arpa, order=4)
        print(f"  took {time.perf_counter() - start:.0f} s", flush=True)
    return arpa


def in_fresh_process(code, *args):
    """Run python code in a new interpreter; it prints one JSON object."""
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


LOAD_CODE = r"""
import json, sys, time
kind, path = sys.argv[1], sys.argv[2]
if kind == "kenlm":
    import kenlm
    t = time.perf_counter(); m = kenlm.Model(path); dt = time.perf_counter() - t
else:
    import edgestt
    t = time.perf_counter(); m = edgestt.LanguageModel(path); dt = time.perf_counter() - t
print(json.dumps({"seconds": dt}))
"""

RSS_CODE = r"""
import json, sys
def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
kind, path, sentences = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().splitlines()
if kind == "kenlm":
    import kenlm
    before = rss_kib(); m = kenlm.Model(path)
else:
    import edgestt
    before = rss_kib(); m = edgestt.LanguageModel(path)
total = sum(m.score(s, bos=True, eos=True) for s in sentences)
print(json.dumps({"rss_growth_mib": (rss_kib() - before) / 1024, "total": total}))
"""


def alternating_rates(functions, items, repeats):
    """items per second of each function: median over repeats, the functions taking turns."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: items / statistics.median(t) for name, t in times.items()}


def build_c_bench(workdir):
    exe = Path(workdir) / "bench_lm_query"
    sources = sorted(str(p) for p in (REPO / "csrc").glob("*.c"))
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=c99", "-O3", "-I", str(REPO / "csrc" / "include"), "-I", str(REPO / "csrc"),
                    str(REPO / "benchmarks" / "c" / "bench_lm_query.c"), *sources, "-lm", "-o", str(exe)],
                   check=True)
    return exe


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arpa", type=Path, help="ARPA LM (default: order 4 estimated from the corpus)")
    parser.add_argument("--sentences", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import kenlm

    import edgestt

    arpa = args.arpa or default_arpa()
    sentences = corpus_sentences(args.sentences)
    results = {"arpa": str(arpa), "sentences": len(sentences)}
    with tempfile.TemporaryDirectory() as tmp:
        sent_file = Path(tmp) / "sentences.txt"
        sent_file.write_text("\n".join(sentences) + "\n")
        exact, quant = Path(tmp) / "lm.eslm", Path(tmp) / "lm.q8.eslm"
        with edgestt.LanguageModel(arpa) as lm:
            lm.save(exact)
            lm.save(quant, quantize=True)
            ngrams = sum(lm.ngram_count(n) for n in range(1, lm.order + 1))
            results["order"], results["ngrams"] = lm.order, ngrams
        sizes = {"ARPA (kenlm)": arpa.stat().st_size, "edgestt exact": exact.stat().st_size,
                 "edgestt 8-bit": quant.stat().st_size}
        results["bytes_per_ngram"] = {k: v / ngrams for k, v in sizes.items()}

        loads = {
            "edgestt exact binary": ("edgestt", exact, args.repeats),
            "edgestt 8-bit binary": ("edgestt", quant, args.repeats),
            "edgestt ARPA": ("edgestt", arpa, 1),
            "kenlm ARPA": ("kenlm", arpa, 1),
        }
        results["load_seconds"] = {
            name: statistics.median(in_fresh_process(LOAD_CODE, kind, path)["seconds"] for _ in range(reps))
            for name, (kind, path, reps) in loads.items()
        }
        results["rss_growth_mib"] = {
            "edgestt exact binary": in_fresh_process(RSS_CODE, "edgestt", exact, sent_file)["rss_growth_mib"],
            "edgestt 8-bit binary": in_fresh_process(RSS_CODE, "edgestt", quant, sent_file)["rss_growth_mib"],
            "kenlm ARPA": in_fresh_process(RSS_CODE, "kenlm", arpa, sent_file)["rss_growth_mib"],
        }

        exe = build_c_bench(tmp)
        results["c_queries_per_second"] = {}
        for name, path in (("edgestt exact", exact), ("edgestt 8-bit", quant)):
            out = subprocess.run([str(exe), str(path), str(sent_file), str(args.repeats)], capture_output=True,
                                 text=True, check=True)
            results["c_queries_per_second"][name] = json.loads(out.stdout)["queries_per_second"]

        ken = kenlm.Model(str(arpa))
        ours = edgestt.LanguageModel(exact)
        ours_q = edgestt.LanguageModel(quant)
        words = [s.split() for s in sentences]
        n_words = sum(len(w) + 1 for w in words)

        def ken_states():
            a, b = kenlm.State(), kenlm.State()
            for ws in words:
                ken.BeginSentenceWrite(a)
                for w in ws + ["</s>"]:
                    ken.BaseScore(a, w, b)
                    a, b = b, a

        def our_states():
            for ws in words:
                state = ours.bos_state()
                for w in ws + ["</s>"]:
                    _, state = ours.score_word(state, w)

        # Alternate the implementations within each repeat, so that load from other work on
        # the machine falls on all of them alike; report medians.
        word_rates = alternating_rates({"edgestt": our_states, "kenlm": ken_states}, n_words, args.repeats)
        results["python_word_queries_per_second"] = word_rates
        results["python_sentences_per_second"] = alternating_rates(
            {
                "edgestt exact": lambda: [ours.score(s) for s in sentences],
                "edgestt 8-bit": lambda: [ours_q.score(s) for s in sentences],
                "kenlm": lambda: [ken.score(s) for s in sentences],
            },
            len(sentences),
            args.repeats,
        )
        diffs = [abs(ours.score(s) - ken.score(s)) for s in sentences]
        qdiffs = [abs(ours_q.score(s) - ours.score(s)) / (len(s.split()) + 1) for s in sentences]
        results["max_abs_diff_vs_kenlm"] = max(diffs)
        results["quantised_mean_abs_diff_per_word"] = statistics.mean(qdiffs)
        results["quantised_max_abs_diff_per_word"] = max(qdiffs)

    print(f"LM: {arpa} (order {results['order']}, {results['ngrams']:,} n-grams); {len(sentences):,} sentences")
    print("\nsize                      bytes/n-gram")
    for k, v in results["bytes_per_ngram"].items():
        print(f"  {k:24s}{v:10.2f}")
    print("\nload (median, fresh process)")
    for k, v in results["load_seconds"].items():
        print(f"  {k:24s}{v * 1e3:10.2f} ms")
    print("\nresident memory growth after scoring every sentence")
    for k, v in results["rss_growth_mib"].items():
        print(f"  {k:24s}{v:10.1f} MiB")
    print("\nqueries per second")
    for k, v in results["c_queries_per_second"].items():
        print(f"  C, {k:21s}{v:14,.0f}")
    for k, v in results["python_word_queries_per_second"].items():
        print(f"  Python state API, {k:7s}{v:14,.0f}")
    print("\nsentences per second from Python (score)")
    sps = results["python_sentences_per_second"]
    for k, v in sps.items():
        print(f"  {k:24s}{v:12,.0f}")
    print(f"\nmax |log10 diff| vs kenlm over {len(sentences):,} sentences: {results['max_abs_diff_vs_kenlm']:.2e}")
    print(f"8-bit vs exact, per word: mean {results['quantised_mean_abs_diff_per_word']:.4f}, "
          f"max {results['quantised_max_abs_diff_per_word']:.4f}")
    load = results["load_seconds"]
    print("\ntargets:")
    print(f"  binary load < 10 ms: exact {load['edgestt exact binary'] * 1e3:.2f} ms, "
          f"8-bit {load['edgestt 8-bit binary'] * 1e3:.2f} ms")
    print(f"  <= 10 bytes per n-gram quantised: {results['bytes_per_ngram']['edgestt 8-bit']:.2f}")
    print(f"  Python scoring >= kenlm: {sps['edgestt exact'] / sps['kenlm']:.2f}x kenlm")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
