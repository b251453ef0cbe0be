"""Build lesson 4's offline data in helpers/data/ from the test data that ships with gensim.

gensim's installed test data holds a shortened English Wikipedia dump (the first pages of
enwiki-latest-pages-articles1, 2017; text CC BY-SA 3.0), the WordSim-353 word-similarity set and the
word2vec analogy questions. This script turns them into three small gzip files:

* enwiki_sample.txt.gz: the articles' plain text, lower-cased, one paragraph per line, tokens
  separated by single spaces (gensim's wiki-markup filter and tokenizer: letters only);
* wordsim353.tsv.gz: word 1, word 2, human score (0–10), tab-separated, comments dropped;
* questions-words.txt.gz: the analogy questions, unchanged.

gzip is written with a zero timestamp and no file name inside, so the output is byte-for-byte
reproducible (tests/test_word2vec_data.py checks that). gensim is needed only here, never by a student.

    python scripts/make_word2vec_data.py [--out helpers/data]
"""
from __future__ import annotations

import argparse
import bz2
import gzip
from pathlib import Path

from gensim.corpora.wikicorpus import extract_pages, filter_wiki
from gensim.test.utils import datapath
from gensim.utils import tokenize

WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
OUT = Path(__file__).resolve().parents[1] / "helpers" / "data"
MIN_TOKENS = 5  # shorter lines are headings, captions and list debris


def write_gzip(path: Path, text: str) -> None:
    """Write `text` as UTF-8 gzip with no timestamp or name inside, so equal text gives equal bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=9) as out:
        out.write(text.encode("utf-8"))


def wiki_paragraphs() -> list[str]:
    """Tokenized paragraphs of the article pages (namespace 0), redirects skipped."""
    lines = []
    with bz2.open(datapath(WIKI)) as dump:
        for _title, text, _pageid in extract_pages(dump, filter_namespaces=("0",)):
            if text.lstrip().lower().startswith("#redirect"):
                continue
            for paragraph in filter_wiki(text).split("\n"):
                tokens = list(tokenize(paragraph, lower=True))
                if len(tokens) >= MIN_TOKENS:
                    lines.append(" ".join(tokens))
    return lines


def wordsim_rows() -> list[str]:
    rows = Path(datapath("wordsim353.tsv")).read_text(encoding="utf-8").splitlines()
    return [row.strip() for row in rows if row.strip() and not row.startswith("#")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: helpers/data)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paragraphs = wiki_paragraphs()
    write_gzip(args.out / "enwiki_sample.txt.gz", "\n".join(paragraphs) + "\n")
    write_gzip(args.out / "wordsim353.tsv.gz", "\n".join(wordsim_rows()) + "\n")
    write_gzip(args.out / "questions-words.txt.gz",
               Path(datapath("questions-words.txt")).read_text(encoding="utf-8"))
    tokens = sum(len(p.split()) for p in paragraphs)
    print(f"wrote {len(paragraphs)} paragraphs, {tokens} tokens, to {args.out}")


if __name__ == "__main__":
    main()
