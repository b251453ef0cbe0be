"""Measure what lesson 4's ending sets the student's own vectors beside; write helpers/data/word2vec_comparison.json.

On the shipped Wikipedia sample, over several seeds, with helpers.word_eval's scores (WordSim-353 Spearman ρ,
accuracy on the analogy questions):

* "lesson loop": helpers.skipgram_training.train_skipgram at the lesson's settings, with the reference
  answers (helpers.word2vec) standing in for the student's sample_negatives and sgns_loss_and_grads:
  what a student whose functions are right gets, seed for seed;
* "course trainer": helpers.word2vec.train (the fast NumPy trainer) at the same settings but 10 epochs at
  lr 0.025: at lr 0.15 it diverges (its k negatives are shared by all of a centre's contexts and weigh
  as many times as it has contexts, up to 2 × window), and 10 epochs take it less CPU time than the
  lesson loop's two;
* "gensim": gensim's Word2Vec (C, one worker) at the same settings; "gensim, default settings"
  (5 epochs, lr 0.025, sample 1e-3, D = 100, the settings the lesson used before); and
  "gensim, 20 epochs" (the lesson's settings with 20 epochs at lr 0.025: what gensim's speed buys);
* "PPMI + SVD": helpers.ppmi at the same window and dimension (randomized SVD: the seed matters little).

Then the corpus curve: the same lesson loop and PPMI + SVD on 1/8, 1/4, 1/2 and all of the paragraphs
(nested random subsets), scored on the WordSim-353 pairs whose words every subset keeps.
Training times are CPU seconds of this process. gensim is needed here only, never by a student.

    python scripts/make_word2vec_comparison.py [--seeds 5] [--curve-seeds 3] [--part table|curve|both] [--only ROW]
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from helpers import corpus, ppmi, word2vec, word_eval
from helpers.skipgram_training import LESSON_SETTINGS, train_skipgram

OUT = Path(__file__).resolve().parents[1] / "helpers" / "data" / "word2vec_comparison.json"
FRACTIONS = (0.125, 0.25, 0.5, 1.0)


def cpu_timed(fn, *args, **kwargs):
    start = time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - start


def lesson_loop(ids, sent, vocab, seed, **settings):
    trained = train_skipgram(ids, sent, vocab.counts, word2vec.sample_negatives, word2vec.sgns_loss_and_grads,
                             seed=seed, progress=False, **settings)
    return trained.vectors, vocab.index


def course_trainer(ids, sent, vocab, seed, *, dim, window, negative, epochs, lr, sample, batch):
    model = word2vec.train(ids, sent, vocab.counts, vocab.words, dim=dim, window=window, negative=negative,
                           epochs=epochs, lr=lr, sample=sample, seed=seed, progress=False)
    return model.vectors, model.index


def gensim(sentences, seed, *, dim, window, negative, epochs, lr, sample, batch=None):
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=dim, window=window, negative=negative, min_count=5, sample=sample, sg=1, hs=0,
                     alpha=lr, epochs=epochs, workers=1, seed=seed)
    model.build_vocab(sentences)
    model.train(sentences, total_examples=len(sentences), epochs=epochs)
    return model.wv.vectors, dict(model.wv.key_to_index)


def counting(ids, sent, vocab, seed, *, dim, window, **_):
    return ppmi.ppmi_svd_vectors(ids, sent, len(vocab), window=window, dim=dim, seed=seed), vocab.index


def summary(runs: list[dict]) -> dict:
    out = {"runs": runs}
    for key in ("wordsim_rho", "analogy_accuracy", "cpu_seconds"):
        values = np.array([run[key] for run in runs])
        out[key] = {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--curve-seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--part", choices=["table", "curve", "both"], default="both",
                        help="measure one part only and merge it into --out (two processes can share the work)")
    parser.add_argument("--only", action="append", help="with --part table: measure only this row (repeatable)")
    args = parser.parse_args(argv)
    sentences = corpus.load_wiki_sample()
    vocab = corpus.build_vocabulary(sentences, 5)
    ids, sent = corpus.encode(sentences, vocab)
    pairs, questions = corpus.load_wordsim353(), [q for s in corpus.load_analogies().values() for q in s]
    settings = dict(LESSON_SETTINGS)
    default = dict(dim=100, window=5, negative=5, epochs=5, lr=0.025, sample=1e-3)
    longer = {**settings, "epochs": 20, "lr": 0.025}
    fast = {**settings, "epochs": 10, "lr": 0.025}

    def score(vectors, index, seconds, seed):
        rho, used = word_eval.wordsim_spearman(vectors, index, pairs)
        accuracy, asked = word_eval.analogy_accuracy(vectors, index, questions)
        return {"seed": seed, "wordsim_rho": rho, "wordsim_pairs": used, "analogy_accuracy": accuracy,
                "analogy_questions": asked, "cpu_seconds": seconds}

    methods = {
        "lesson loop": lambda seed: lesson_loop(ids, sent, vocab, seed, **settings),
        "course trainer": lambda seed: course_trainer(ids, sent, vocab, seed, **fast),
        "gensim": lambda seed: gensim(sentences, seed, **settings),
        "gensim, default settings": lambda seed: gensim(sentences, seed, **default),
        "gensim, 20 epochs": lambda seed: gensim(sentences, seed, **longer),
        "PPMI + SVD": lambda seed: counting(ids, sent, vocab, seed, **settings),
    }
    report = json.loads(args.out.read_text()) if args.part != "both" and args.out.exists() else {}
    table = report.get("table", {}) if args.part == "curve" or args.only else {}
    for name, run in methods.items() if args.part != "curve" else ():
        if args.only and name not in args.only:
            continue
        runs = []
        for seed in range(1, args.seeds + 1):
            (vectors, index), seconds = cpu_timed(run, seed)
            runs.append(score(vectors, index, seconds, seed))
            print(f"{name:>26} seed {seed}: ρ {runs[-1]['wordsim_rho']:.3f}  analogies "
                  f"{runs[-1]['analogy_accuracy']:.3f}  {seconds:.1f} CPU s", flush=True)
        table[name] = summary(runs)

    order = np.random.default_rng(0).permutation(len(sentences))
    subsets = {f: [sentences[i] for i in np.sort(order[:round(f * len(sentences))])] for f in FRACTIONS}
    vocabs = {f: corpus.build_vocabulary(s, 5) for f, s in subsets.items()}
    common = [p for p in pairs if all(w in vocabs[FRACTIONS[0]].index for w in p[:2])]
    curve = {"fractions": list(FRACTIONS), "wordsim_pairs": len(common), "pairs": common, "tokens": [],
             "lesson loop": [], "PPMI + SVD": []}
    if args.part == "table":
        curve = report.get("curve", {})
    for f in FRACTIONS if args.part != "table" else ():
        sub_ids, sub_sent = corpus.encode(subsets[f], vocabs[f])
        curve["tokens"].append(int(sum(map(len, subsets[f]))))
        for name, run in (("lesson loop", lesson_loop), ("PPMI + SVD", counting)):
            rhos = [word_eval.wordsim_spearman(*run(sub_ids, sub_sent, vocabs[f], seed, **settings), common)[0]
                    for seed in range(1, args.curve_seeds + 1)]
            curve[name].append({"mean": float(np.mean(rhos)), "sd": float(np.std(rhos, ddof=1)), "each": rhos})
            print(f"fraction {f}: {name} ρ {np.mean(rhos):.3f} ± {np.std(rhos, ddof=1):.3f} on {len(common)} pairs",
                  flush=True)

    if args.part != "both" and args.out.exists():       # the other part may have finished meanwhile
        report = json.loads(args.out.read_text())
    report.update({"made_by": "scripts/make_word2vec_comparison.py", "settings": settings, "default_settings": default,
                   "twenty_epochs": longer, "course_trainer": fast, "numpy": np.__version__,
                   "machine": platform.machine()})
    if args.part != "curve":
        report.update(table=table, seeds=args.seeds)
    if args.part != "table":
        report.update(curve=curve, curve_seeds=args.curve_seeds)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
