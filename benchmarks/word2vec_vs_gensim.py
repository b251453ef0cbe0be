"""Lesson 4's table: the course's NumPy word2vec trainers against gensim's Word2Vec (C, one worker).

"ours" is the course's fast trainer (helpers.word2vec.train); "lesson loop" (skip-gram only) is the loop
the lesson trains with (helpers.skipgram_training.train_skipgram) running the reference answers in place
of the student's sample_negatives and sgns_loss_and_grads: the speed a student whose functions are right
gets. All train on the shipped Wikipedia sample with the same settings (dimension, window, negatives,
epochs, min_count, subsampling) in the same run, once per seed, alternating; the table gives training
words per second over all runs (corpus tokens × epochs / training seconds, vocabulary building
excluded) by the clock and per CPU second (which other programs on a busy machine disturb less),
their ratios to gensim, and the mean WordSim-353 Spearman ρ and analogy accuracy of each (scored by the
same code, helpers.word_eval). On 450,000 tokens ρ moves by a few hundredths from seed to seed,
so one run of each would not tell the two apart. Writes benchmarks/results/word2vec_vs_gensim.json.

    python benchmarks/word2vec_vs_gensim.py [--quick] [--mode skipgram|cbow|both] [--seeds N]
"""
from __future__ import annotations

import argparse
import platform
import time
from contextlib import contextmanager

import numpy as np

from helpers import corpus, word2vec, word_eval
from helpers.benchmarking import save_report
from helpers.skipgram_training import LESSON_SETTINGS, train_skipgram


@contextmanager
def clocks(times: dict[str, float]):
    """Fill `times` with the wall-clock and CPU seconds (all threads of this process) of the block."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    times.update(seconds=time.perf_counter() - wall, cpu_seconds=time.process_time() - cpu)


def train_gensim(sentences: list[list[str]], mode: str, settings: dict) -> tuple[np.ndarray, dict[str, int], dict]:
    """gensim's Word2Vec with one worker: (vectors, word → row, training times)."""
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=settings["dim"], window=settings["window"], negative=settings["negative"],
                     min_count=settings["min_count"], sample=settings["sample"], sg=int(mode == "skipgram"),
                     workers=1, seed=settings["seed"], hs=0)
    model.build_vocab(sentences)
    times: dict[str, float] = {}
    with clocks(times):
        model.train(sentences, total_examples=len(sentences), epochs=settings["epochs"])
    return model.wv.vectors, dict(model.wv.key_to_index), times


def train_ours(sentences: list[list[str]], mode: str, settings: dict) -> tuple[np.ndarray, dict[str, int], dict]:
    """The course's trainer: (vectors, word → row, training times)."""
    vocab = corpus.build_vocabulary(sentences, settings["min_count"])
    ids, sent = corpus.encode(sentences, vocab)
    times: dict[str, float] = {}
    with clocks(times):
        model = word2vec.train(ids, sent, vocab.counts, vocab.words, mode=mode, dim=settings["dim"],
                               window=settings["window"], negative=settings["negative"], epochs=settings["epochs"],
                               sample=settings["sample"], seed=settings["seed"], progress=False)
    return model.vectors, model.index, times


def train_lesson(sentences: list[list[str]], mode: str, settings: dict) -> tuple[np.ndarray, dict[str, int], dict]:
    """The lesson's loop with the reference answers as the student's functions (skip-gram only; lr 0.025,
    word2vec's and gensim's, so that all three trainers run the same settings)."""
    vocab = corpus.build_vocabulary(sentences, settings["min_count"])
    ids, sent = corpus.encode(sentences, vocab)
    times: dict[str, float] = {}
    with clocks(times):
        trained = train_skipgram(ids, sent, vocab.counts, word2vec.sample_negatives, word2vec.sgns_loss_and_grads,
                                 dim=settings["dim"], window=settings["window"], negative=settings["negative"],
                                 epochs=settings["epochs"], sample=settings["sample"], seed=settings["seed"],
                                 lr=0.025, batch=LESSON_SETTINGS["batch"], progress=False)
    return trained.vectors, vocab.index, times


def score(vectors: np.ndarray, index: dict[str, int], questions: list, pairs: list) -> dict:
    rho, pairs_used = word_eval.wordsim_spearman(vectors, index, pairs)
    accuracy, questions_used = word_eval.analogy_accuracy(vectors, index, questions)
    return {"wordsim_rho": rho, "wordsim_pairs": pairs_used, "analogy_accuracy": accuracy,
            "analogy_questions": questions_used}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a 60,000-token slice, 1 epoch, 1 seed (for the test suite)")
    parser.add_argument("--mode", choices=["skipgram", "cbow", "both"], default="both")
    parser.add_argument("--seeds", type=int, help="training runs of each trainer (default 3; 1 with --quick)")
    args = parser.parse_args(argv)
    seeds = list(range(1, 1 + (args.seeds or (1 if args.quick else 3))))
    sentences = corpus.load_wiki_sample()
    if args.quick:
        sentences = sentences[:1200]
    settings = {"dim": 100, "window": 5, "negative": 5, "epochs": 1 if args.quick else 5, "min_count": 5,
                "sample": 1e-3}
    tokens = sum(map(len, sentences))
    questions = [q for section in corpus.load_analogies().values() for q in section]
    pairs = corpus.load_wordsim353()
    rows = []
    for mode in (["skipgram", "cbow"] if args.mode == "both" else [args.mode]):
        trainers = {"gensim": train_gensim, "ours": train_ours}
        if mode == "skipgram":
            trainers["lesson loop"] = train_lesson
        runs: dict[str, list[dict]] = {name: [] for name in trainers}
        for seed in seeds:
            for name, trainer in trainers.items():
                vectors, index, times = trainer(sentences, mode, {**settings, "seed": seed})
                runs[name].append({"seed": seed, **times, **score(vectors, index, questions, pairs)})
        row = {"mode": mode}
        for name, each in runs.items():
            words = tokens * settings["epochs"] * len(each)
            row[name] = {"words_per_second": words / sum(run["seconds"] for run in each),
                         "words_per_cpu_second": words / sum(run["cpu_seconds"] for run in each),
                         "wordsim_rho": float(np.mean([run["wordsim_rho"] for run in each])),
                         "analogy_accuracy": float(np.mean([run["analogy_accuracy"] for run in each])), "runs": each}
        for name in trainers:
            row[name]["speed_ratio"] = row[name]["words_per_second"] / row["gensim"]["words_per_second"]
            row[name]["cpu_speed_ratio"] = row[name]["words_per_cpu_second"] / row["gensim"]["words_per_cpu_second"]
        row["speed_ratio"], row["cpu_speed_ratio"] = row["ours"]["speed_ratio"], row["ours"]["cpu_speed_ratio"]
        row["rho_difference"] = row["ours"]["wordsim_rho"] - row["gensim"]["wordsim_rho"]
        rows.append(row)
    report = {"benchmark": "word2vec_vs_gensim", "quick": args.quick, "tokens": tokens, "settings": settings,
              "seeds": seeds, "rows": rows, "numpy": np.__version__, "machine": platform.machine()}

    print(f"word2vec on {tokens:,} tokens × {settings['epochs']} epochs (D={settings['dim']}, window "
          f"{settings['window']}, {settings['negative']} negatives, min_count {settings['min_count']}, "
          f"sample {settings['sample']}), seeds {seeds}; gensim with workers=1, measured in the same run.")
    print(f"{'mode':>9} {'trainer':>11} {'words/s':>10} {'ratio':>6} {'per CPU s':>10} {'ratio':>6} {'WS-353 ρ':>9} "
          f"{'(each seed)':>20} {'analogy acc':>12}")
    for row in rows:
        for name in [key for key in row if isinstance(row[key], dict)]:
            r = row[name]
            ratios = (r["speed_ratio"], r["cpu_speed_ratio"])
            each = " ".join(f"{run['wordsim_rho']:.3f}" for run in r["runs"])
            print(f"{row['mode']:>9} {name:>11} {r['words_per_second']:>10,.0f} {ratios[0]:>5.2f}x "
                  f"{r['words_per_cpu_second']:>10,.0f} {ratios[1]:>5.2f}x {r['wordsim_rho']:>9.3f} {each:>20} "
                  f"{r['analogy_accuracy']:>12.3f}")
    save_report(report)
    return report


if __name__ == "__main__":
    main()
