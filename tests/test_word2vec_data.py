"""Lesson 4's data: the shipped files load as documented, the build script reproduces them byte for
byte, and the text8 loader checks its file (tested on a local zip: no network)."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

from helpers import corpus, word_eval
from tests.notebooks import ROOT


def test_wiki_sample_is_a_few_hundred_thousand_lowercase_tokens():
    sentences = corpus.load_wiki_sample()
    tokens = [t for s in sentences for t in s]
    assert len(sentences) == 8599 and len(tokens) == 453519
    assert all(t.isalpha() and t == t.lower() for t in tokens[:5000])


def test_vocabulary_and_encoding():
    sentences = [["b", "a", "b", "c"], ["a", "b", "zz"]]
    vocab = corpus.build_vocabulary(sentences, min_count=2)
    assert vocab.words == ["b", "a"] and vocab.counts.tolist() == [3, 2] and len(vocab) == 2
    ids, sent = corpus.encode(sentences, vocab)
    assert ids.tolist() == [0, 1, 0, 1, 0] and sent.tolist() == [0, 0, 0, 1, 1]
    assert ids.dtype == sent.dtype == np.int32


def test_evaluation_sets_load():
    pairs = corpus.load_wordsim353()
    assert len(pairs) == 353 and pairs[0] == ("love", "sex", 6.77)
    sections = corpus.load_analogies()
    assert len(sections) == 14 and sum(map(len, sections.values())) == 19544
    assert sections["capital-common-countries"][0] == ("athens", "greece", "baghdad", "iraq")


def test_spearman_agrees_with_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 6, size=50).astype(float), rng.normal(size=50)  # x has ties
    assert np.isclose(word_eval.spearman(x, y), stats.spearmanr(x, y).statistic)
    np.testing.assert_allclose(word_eval.ranks(np.array([3.0, 1.0, 3.0, 2.0])), [3.5, 1, 3.5, 2])


def test_scores_of_made_up_vectors():
    index = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4}
    E = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 1, 1], [1, 1, 0]])
    questions = [("a", "b", "c", "d"), ("a", "b", "c", "e"), ("x", "a", "b", "c")]
    assert word_eval.analogy_accuracy(E, index, questions) == (0.5, 2)
    pairs = [("a", "e", 9.0), ("a", "b", 1.0), ("b", "e", 5.0), ("a", "q", 3.0)]
    rho, used = word_eval.wordsim_spearman(E, index, pairs)
    assert used == 3 and np.isclose(rho, np.sqrt(3) / 2)       # cosine ranks (2.5, 1, 2.5) against (3, 1, 2)


def _fake_text8(path, n_tokens):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("text8", " " + " ".join(f"w{i % 7}" for i in range(n_tokens)))
    return corpus.sha256_of(path)


def test_text8_loader_reads_a_checked_local_file(tmp_path):
    path = tmp_path / "text8.zip"
    digest = _fake_text8(path, 2500)
    sentences = corpus.load_text8(path, sha256=digest)
    assert [len(s) for s in sentences] == [1000, 1000, 500] and sentences[0][:3] == ["w0", "w1", "w2"]


def test_text8_loader_refuses_a_file_with_the_wrong_checksum(tmp_path):
    path = tmp_path / "text8.zip"
    _fake_text8(path, 10)
    with pytest.raises(ValueError, match="SHA-256"):
        corpus.load_text8(path)                       # the real text8.zip checksum, not this file's
    with pytest.raises(FileNotFoundError, match="download=True"):
        corpus.load_text8(tmp_path / "missing.zip")
    assert len(corpus.TEXT8_SHA256) == 64 and int(corpus.TEXT8_SHA256, 16) >= 0


def test_the_build_script_reproduces_the_shipped_files(tmp_path):
    pytest.importorskip("gensim")
    from scripts.make_word2vec_data import main

    main(["--out", str(tmp_path)])
    for name in ("enwiki_sample.txt.gz", "wordsim353.tsv.gz", "questions-words.txt.gz"):
        assert (tmp_path / name).read_bytes() == (ROOT / "helpers" / "data" / name).read_bytes(), name
