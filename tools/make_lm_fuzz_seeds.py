"""Writes the seed corpora of the LM fuzz harnesses (tests/fuzz/seeds_arpa, seeds_binary).

Needs the installed package (pip install -e .). Run: python3 tools/make_lm_fuzz_seeds.py
"""
from pathlib import Path

import edgestt

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "lm_small.arpa"
ARPA = ROOT / "tests" / "fuzz" / "seeds_arpa"
BINARY = ROOT / "tests" / "fuzz" / "seeds_binary"


def main():
    ARPA.mkdir(parents=True, exist_ok=True)
    BINARY.mkdir(parents=True, exist_ok=True)
    text = SMALL.read_text()
    (ARPA / "small.arpa").write_text(text)
    (ARPA / "small_crlf_no_unk.arpa").write_bytes(
        text.replace("ngram 1=8", "ngram 1=7").replace("-1.5\t<unk>\n", "").replace("\n", "\r\n").encode())
    (ARPA / "bigram.arpa").write_text(
        "\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-99\t<s>\t-0.5\n-1\t</s>\n-1.2\ta\t-0.1\n-1.5\t<unk>\n\n"
        "\\2-grams:\n-0.3\t<s> a\n-0.2\ta </s>\n\n\\end\\\n")
    with edgestt.LanguageModel(SMALL) as lm:
        lm.save(BINARY / "small.eslm")
        lm.save(BINARY / "small_q8.eslm", quantize=True)


if __name__ == "__main__":
    main()
