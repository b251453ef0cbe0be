"""Text corpora for lesson 4: the shipped Wikipedia sample, its vocabulary, and text8 for those online.

The shipped files live in helpers/data/ (made by scripts/make_word2vec_data.py; see README there).
Nothing here touches the network unless you call `load_text8` without a local copy.
"""
from __future__ import annotations

import gzip
import hashlib
import urllib.request
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
TEXT8_URL = "http://mattmahoney.net/dc/text8.zip"
TEXT8_SHA256 = "a6640522afe85d1963ad56c05b0ede0a0c000dddc9671758a6cc09b7a38e5232"  # of text8.zip
TEXT8_SENTENCE = 1000  # text8 has no punctuation; cut it into "sentences" of this many tokens, as gensim does


def load_wiki_sample() -> list[list[str]]:
    """The shipped English Wikipedia sample: ~450,000 lower-case tokens, one list per paragraph."""
    with gzip.open(DATA / "enwiki_sample.txt.gz", "rt", encoding="utf-8") as f:
        return [line.split() for line in f if line.strip()]


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_text8(path: str | Path | None = None, *, sha256: str = TEXT8_SHA256,
               download: bool = False) -> list[list[str]]:
    """text8 (the first 10⁸ bytes of a 2006 English Wikipedia, cleaned: ~17 million tokens).

    path: the text8.zip file (default: helpers/data/text8.zip). If it is missing and `download` is
    True it is fetched from mattmahoney.net first. The zip's SHA-256 must equal `sha256`, otherwise
    ValueError (a truncated or different file). Returns "sentences" of 1000 tokens each.
    """
    path = Path(path) if path is not None else DATA / "text8.zip"
    if not path.exists():
        if not download:
            raise FileNotFoundError(f"{path} not found: pass download=True to fetch {TEXT8_URL} (31 MB)")
        urllib.request.urlretrieve(TEXT8_URL, path)
    found = sha256_of(path)
    if found != sha256:
        raise ValueError(f"{path} has SHA-256 {found}, expected {sha256}: the file is damaged or not text8.zip")
    with zipfile.ZipFile(path) as archive:
        tokens = archive.read(archive.namelist()[0]).decode("ascii").split()
    return [tokens[i:i + TEXT8_SENTENCE] for i in range(0, len(tokens), TEXT8_SENTENCE)]


@dataclass
class Vocabulary:
    """Words kept (count ≥ min_count), most frequent first, with their counts."""
    words: list[str]
    counts: np.ndarray

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)


def build_vocabulary(sentences: list[list[str]], min_count: int = 5) -> Vocabulary:
    """Count every token; keep words seen at least min_count times, most frequent first (ties A–Z)."""
    counts = Counter(token for sentence in sentences for token in sentence)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return Vocabulary(kept, np.array([counts[w] for w in kept], dtype=np.int64))


def encode(sentences: list[list[str]], vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of the in-vocabulary words, and the sentence each belongs to (unknown words dropped).

    Returns (ids (T,), sentence (T,)), both int32.
    """
    ids, sentence = [], []
    for s, tokens in enumerate(sentences):
        kept = [vocab.index[t] for t in tokens if t in vocab.index]
        ids.extend(kept)
        sentence.extend([s] * len(kept))
    return np.array(ids, dtype=np.int32), np.array(sentence, dtype=np.int32)


def load_wordsim353() -> list[tuple[str, str, float]]:
    """WordSim-353: (word 1, word 2, mean human similarity 0–10) for 353 pairs."""
    with gzip.open(DATA / "wordsim353.tsv.gz", "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return [(a.lower(), b.lower(), float(score)) for a, b, score in rows]


def load_analogies() -> dict[str, list[tuple[str, str, str, str]]]:
    """The word2vec analogy questions by section: (a, b, c, d) meaning a : b = c : d, lower-cased."""
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    with gzip.open(DATA / "questions-words.txt.gz", "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith(":"):
                current = sections.setdefault(line[1:].strip(), [])
            elif line.strip():
                current.append(tuple(line.lower().split()))
    return sections
