"""helpers.char_text as lesson 6 reads it: the shipped Wikipedia sample as characters (LINES), windows with their next
characters, and the previous-character (bigram) yardstick."""
import gzip

import numpy as np
import pytest

from helpers import char_text


def test_the_sample_becomes_ids_of_its_alphabet_characters_in_order():
    ids = char_text.load_ids()
    assert ids.ndim == 1 and ids.min() == 0 and ids.max() == len(char_text.LINES) - 1
    with gzip.open(char_text.DATA / "enwiki_sample.txt.gz", "rt", encoding="utf-8") as f:
        text = f.read()
    kept = "".join(ch for ch in text if ch in char_text.LINES.symbols)
    assert len(ids) == len(kept) and len(text) - len(kept) < len(text) / 1000
    assert char_text.LINES.decode(ids[:40]) == kept[:40] == "anarchism is a political philosophy that"
    assert char_text.LINES.decode(ids[-100:]) == kept[-100:]


def test_encode_and_decode_are_inverse_and_unknown_characters_are_named():
    assert char_text.LINES.decode(char_text.LINES.encode("the cat\nsat")) == "the cat\nsat"
    with pytest.raises(ValueError, match="got '!T'"):
        char_text.LINES.encode("The end!")


def test_windows_pair_every_character_with_the_next_one():
    ids = np.arange(100) % 28
    x, y = char_text.windows(ids, np.random.default_rng(0), 6, 10)
    assert x.shape == y.shape == (6, 10)
    assert (y[:, :-1] == x[:, 1:]).all() and ((y - x) % 28 == 1).all()
    with pytest.raises(ValueError, match="T=10"):
        char_text.windows(ids[:10], np.random.default_rng(0), 2, 10)


def test_bigram_cross_entropy_is_the_mean_negative_log_of_smoothed_pair_frequencies():
    train, test = np.array([0, 1, 0, 1, 0, 2]), np.array([0, 1, 2])
    counts = np.ones((3, 3))
    for a, b in zip(train[:-1], train[1:]):
        counts[a, b] += 1
    P = counts / counts.sum(axis=1, keepdims=True)
    want = -(np.log(P[0, 1]) + np.log(P[1, 2])) / 2
    assert char_text.bigram_cross_entropy(train, test, vocab=3) == pytest.approx(want)
    repeating = np.tile([0, 1, 2], 10000)
    assert char_text.bigram_cross_entropy(repeating, repeating, vocab=3) < 1e-3
