"""The labelled window data set of lesson 2: is the centre word of a five-word window a LOCATION?

Everything is made here, from sentence templates and word lists written for this course, with word
vectors drawn from a seeded generator, so the data set regenerates exactly:

    python -m helpers.ner_windows            # rewrites helpers/data/ner_windows.npz

Some words name both a person and a place ("florence", "jordan", ...). They get a vector halfway
between the two kinds, so only the context (the words around them) tells the two uses apart: that is
why the classifier looks at a window and not at one word.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DATA_FILE = Path(__file__).resolve().parent / "data" / "ner_windows.npz"
SEED = 2
DIM = 8                  # dimension of each word vector
WINDOW = 2               # words on each side of the centre word
N_SENTENCES = 600
TEST_FRACTION = 0.2      # the last sentences are the test set; they also use words training never saw
PAD = "<pad>"

PLACES = ["paris", "london", "seoul", "rome", "cairo", "lima", "oslo", "tokyo", "madrid", "berlin",
          "nairobi", "dublin", "vienna", "lisbon", "prague", "busan", "quito", "hanoi", "athens", "delhi",
          "boston", "denver", "geneva", "kyoto"]
PEOPLE = ["alice", "bob", "kim", "maria", "omar", "lena", "yuki", "tom", "priya", "jonas", "ana", "david",
          "mina", "pedro", "sara", "ivan", "chen", "nora", "felix", "aisha", "hugo", "rosa", "ali", "emma"]
BOTH = ["florence", "jordan", "georgia", "victoria", "sydney", "austin", "chelsea", "adelaide"]
OBJECTS = ["piano", "bicycle", "ticket", "camera", "lamp", "guitar", "kettle", "umbrella", "book", "map",
           "chair", "phone", "ladder", "basket", "coat", "clock", "mirror", "rug", "wallet", "helmet"]

# {place}, {person} and {object} are slots; every other word is context.
TEMPLATES = [
    "{person} flew to {place} on monday",
    "we moved from {place} to {place} last year",
    "the {object} in {place} was expensive",
    "{person} bought a {object} near {place}",
    "{person} said that {place} is lovely in spring",
    "she met {person} in {place}",
    "{person} and {person} visited {place} together",
    "{place} is busy in summer",
    "{person} is busy on monday",
    "the train from {place} was late",
    "{person} lent {person} a {object}",
    "they drove across {place} with {person}",
    "i asked {person} about the {object}",
    "{person} told me that {person} lives in {place}",
    "a {object} from {place} arrived today",
    "{person} sold the old {object} to {person}",
    "the museums of {place} are free",
    "our hotel outside {place} had a {object}",
    "{person} thanked {person} for the {object}",
    "you can walk around {place} in a day",
    "{person} lost a {object} in {place}",
    "{place} and {place} are far apart",
    "{person} wrote to {person} from {place}",
    "the {object} belongs to {person}",
]


def _fillers(words: list[str], train: bool) -> list[str]:
    """Training sentences use the first 80% of a word list; test sentences may use any word."""
    return words[:int(len(words) * (1 - TEST_FRACTION))] if train else words


def _sentences(rng: np.random.Generator) -> list[tuple[list[str], list[int], bool]]:
    """(words, label of each word: 1 for a place, is it a test sentence) for every sentence."""
    n_train = int(N_SENTENCES * (1 - TEST_FRACTION))
    out = []
    for i in range(N_SENTENCES):
        train = i < n_train
        words, labels = [], []
        for token in TEMPLATES[rng.integers(len(TEMPLATES))].split():
            if token in ("{place}", "{person}"):
                pool = _fillers(PLACES if token == "{place}" else PEOPLE, train)
                ambiguous = rng.random() < 0.3
                words.append(str(rng.choice(_fillers(BOTH, train) if ambiguous else pool)))
                labels.append(int(token == "{place}"))
            elif token == "{object}":
                words.append(str(rng.choice(_fillers(OBJECTS, train))))
                labels.append(0)
            else:
                words.append(token)
                labels.append(0)
        out.append((words, labels, not train))
    return out


def generate(seed: int = SEED) -> dict[str, np.ndarray]:
    """The whole data set as arrays.

    vocab: (V,) words, index 0 the padding word; vectors: (V, DIM), row 0 zeros;
    windows: (N, 2·WINDOW+1) word indices, centre in the middle; labels: (N,) 1 = LOCATION;
    is_test: (N,) True for windows of the held-out sentences.
    """
    rng = np.random.default_rng(seed)
    sentences = _sentences(rng)
    context = sorted({w for t in TEMPLATES for w in t.split() if not w.startswith("{")})
    vocab = [PAD] + PLACES + PEOPLE + BOTH + OBJECTS + context
    index = {w: i for i, w in enumerate(vocab)}

    place, person, thing = rng.normal(size=(3, DIM))
    centres = ([place] * len(PLACES) + [person] * len(PEOPLE) + [(place + person) / 2] * len(BOTH)
               + [thing] * len(OBJECTS) + [np.zeros(DIM)] * len(context))
    vectors = np.vstack([np.zeros(DIM), np.array(centres) + 0.5 * rng.normal(size=(len(vocab) - 1, DIM))])

    windows, labels, is_test = [], [], []
    for words, word_labels, test in sentences:
        padded = [0] * WINDOW + [index[w] for w in words] + [0] * WINDOW
        for t, label in enumerate(word_labels):
            windows.append(padded[t:t + 2 * WINDOW + 1])
            labels.append(label)
            is_test.append(test)
    return {"vocab": np.array(vocab), "vectors": vectors, "windows": np.array(windows, dtype=np.int32),
            "labels": np.array(labels, dtype=np.int8), "is_test": np.array(is_test)}


def save(path: Path = DATA_FILE, seed: int = SEED) -> None:
    """Generate the data set and write it, compressed, to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **generate(seed))


def load(path: Path = DATA_FILE) -> dict[str, np.ndarray]:
    """The stored data set: the arrays `generate` makes (vocab, vectors, windows, labels, is_test)."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def window_inputs(windows: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The classifier's inputs: each window's word vectors concatenated. windows: (N, 5) → (N, 5·DIM)."""
    return vectors[windows].reshape(len(windows), -1)


def window_text(window: np.ndarray, vocab: np.ndarray) -> str:
    """A window as words with the centre in brackets: 'flew to [paris] on monday'."""
    words = [str(vocab[i]) for i in window]
    centre = len(words) // 2
    words[centre] = f"[{words[centre]}]"
    return " ".join(w for w in words if w != PAD)


if __name__ == "__main__":
    save(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_FILE)
