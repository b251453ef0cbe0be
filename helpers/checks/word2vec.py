"""Visible checks for lesson 4, "word2vec from scratch".

Each `check_*` runs the student's function on the lesson's stored cases (helpers.checks.visible) and
compares with `ANSWERS`, the same comparison the grader makes outside the kernel. Nothing here
computes a right answer.

Three exercises have answers that are not one array to compare:

* `sample_negatives` is random: it has many right answers, so it is judged by properties
  (`NegativeSamples`). The procedure "draws" calls it once per seed of the case, each time with a new
  `np.random.default_rng(seed)`. The same seed must give the same negatives and different seeds
  different ones; no row may draw its own positive; the word frequencies must pass a χ² test against
  the noise distribution stored with the case, and two negatives of one row must be independent draws.
  Each statistical test rejects a correct sampler with probability about 10⁻⁶.
* `nearest_neighbours` and `analogy` return word indices. Words whose similarities tie (duplicated
  vectors, zero vectors) may come in either order, so an answer is compared with the stored
  similarities, not with one list of indices (`Ranking`).
* `embedding_forward` copies rows: an answer computed with arithmetic (one-hot vectors times W) turns
  a row of ±inf into NaN everywhere, and `Rows` names that mistake.
"""
from __future__ import annotations

from math import log as _log
from math import sqrt as _sqrt

from numpy import allclose as _allclose
from numpy import arange as _arange
from numpy import argsort as _argsort
from numpy import array_equal as _array_equal
from numpy import bincount as _bincount
from numpy import concatenate as _concatenate
from numpy import errstate as _errstate
from numpy import isnan as _isnan
from numpy import ndarray as _ndarray
from numpy import number as _number
from numpy import sort as _sort
from numpy import unique as _unique
from numpy.random import default_rng as _default_rng

from helpers.checks.answers import Answer, Array, Number, Parts
from helpers.checks.core import CheckFailed, expect_array
from helpers.checks.visible import checker

MODULE = "word2vec"

ALPHA = 1e-6            # how often each statistical test may reject a correct sampler


# ----- embedding_forward ---------------------------------------------------------------------------

class Rows(Array):
    """Rows of W, compared as an Array; a known mistake whose answer holds NaN (arithmetic on a row of
    ±inf: 0 × inf) is named when the student's NaNs are in the same places."""

    def check(self, got, want, what, mistakes=()):
        if type(got) is _ndarray and got.shape == want.shape and got.dtype.kind == "f" and _isnan(got).any():
            for explanation, wrong in mistakes:
                if type(wrong) is _ndarray and wrong.shape == got.shape and _array_equal(_isnan(got), _isnan(wrong)) \
                        and _allclose(got[~_isnan(got)], wrong[~_isnan(wrong)]):
                    raise CheckFailed(what, "is not right.", explanation)
        super().check(got, want, what, mistakes)


# ----- sample_negatives -----------------------------------------------------------------------------

def _draws(sample_negatives, counts, positives, k, seeds) -> dict:
    """Call sample_negatives once per seed, each time with a new np.random.default_rng(seed): what each call
    returned, and whether it drew from the generator it was given."""
    draws, used = [], []
    for seed in seeds:
        rng = _default_rng(seed)
        before = rng.bit_generator.state
        draws.append(sample_negatives(counts, positives, k, rng))
        used.append(rng.bit_generator.state != before)
    return {"draws": draws, "drew from rng": used}


PROCEDURES = {"draws": _draws}


def _chi2_limit(df: int) -> float:
    """The value a χ²(df) variable exceeds with probability about ALPHA = 1e-6 (Wilson–Hilferty; for df ≤ 2
    it lies a little above the exact value, so a correct sampler is, if anything, rejected less often)."""
    z = 4.753                                     # the standard normal's upper 1e-6 point
    return df * (1 - 2 / (9 * df) + z * _sqrt(2 / (9 * df))) ** 3


def _pearson(observed, expected) -> tuple[float, int]:
    """Pearson's χ² of word counts against expected counts, and its degrees of freedom. Words expected fewer
    than 5 times are pooled into one bin; a word drawn that cannot be drawn gives an infinite statistic."""
    if (observed[expected == 0] > 0).any():
        return float("inf"), 1
    small = expected < 5
    obs, exp = [float(o) for o in observed[~small]], [float(e) for e in expected[~small]]
    rest_o, rest_e = float(observed[small].sum()), float(expected[small].sum())
    if rest_e >= 5 or (rest_e > 0 and not exp):
        obs.append(rest_o)
        exp.append(rest_e)
    elif rest_e > 0:                              # too little to stand alone: join the smallest bin
        j = exp.index(min(exp))
        obs[j], exp[j] = obs[j] + rest_o, exp[j] + rest_e
    return sum((o - e) ** 2 / e for o, e in zip(obs, exp)), len(exp) - 1


def _row_distributions(p, positives, exclude: str):
    """The distribution each row's negatives follow: (Q: (G, V), group of each row: (B,)).

    exclude: "own" (each row leaves out its own positive) or "all" (every row leaves out every positive of
    the batch: a mistake's distribution, NaN when that leaves no word)."""
    values, rows = _unique(positives, return_inverse=True)
    Q = p[None, :].repeat(len(values), axis=0)
    if exclude == "own":
        Q[_arange(len(values)), values] = 0.0
    else:
        Q[:, values] = 0.0
    with _errstate(invalid="ignore"):
        return Q / Q.sum(axis=1, keepdims=True), rows.reshape(-1)


class NegativeSamples(Answer):
    """What the procedure "draws" sends: {"draws": one (B, k) array per seed, "drew from rng": [bool, ...]}.

    The answer to compare with describes the right distribution: {"p": the noise distribution (V,),
    "exclude": "own", "positives": (B,), "k", "seeds"}; a known mistake's answer gives its own "p" and
    "exclude"."""

    def check(self, got, want, what, mistakes=()):
        p, positives, k, seeds = want["p"], want["positives"], want["k"], list(want["seeds"])
        B, V = len(positives), len(p)
        if type(got) is not dict or set(got) != {"draws", "drew from rng"} or type(got["draws"]) is not list \
                or len(got["draws"]) != len(seeds):
            raise CheckFailed(what, "sent an answer the check cannot read.",
                              "Something in the notebook changed how answers are sent.")
        draws = got["draws"]
        unused = "" if all(flag is True for flag in got["drew from rng"]) else \
            " Your function never drew a number from the `rng` it was given."
        hints = {(B * k,): "Return one row of k negatives per positive: shape (B, k).",
                 (k, B): "One row per positive: shape (B, k), not (k, B)."}
        for drawn in draws:
            expect_array(drawn, (B, k), what, integer=True, shape_hints=hints)
            if drawn.size and (drawn.min() < 0 or drawn.max() >= V):
                raise CheckFailed(what, f"returned word indices from {drawn.min()} to {drawn.max()}; valid ones are "
                                        f"0..{V - 1}.",
                                  "Draw indices of words, e.g. rng.choice(V, size=(B, k), p=probabilities).")
            self._never_the_positive(drawn, positives, what)
        Q, rows = _row_distributions(p, positives, "own")
        for drawn in draws:
            impossible = Q[rows[:, None], drawn] == 0
            if impossible.any():
                word = int(drawn[impossible][0])
                raise CheckFailed(what, f"drew word {word}, whose count is 0.",
                                  "A word's probability is count**0.75 / Σ count**0.75, so a word never seen is "
                                  "never drawn.")
        self._reproducible(draws, seeds, Q, rows, k, what, unused)
        distinct = [drawn for i, drawn in enumerate(draws) if seeds[i] not in seeds[:i]]
        wrong = self._distribution(distinct, want, mistakes, what)
        if wrong is None:
            self._independent(distinct, Q, rows, k, what)
            return
        # The frequencies are wrong. If the words of one row are not independent draws (k distinct words, one
        # draw copied), say that: compared with how often the observed frequencies make two draws agree.
        self._independent(distinct, self._observed(distinct, rows, len(Q), V), rows, k, what)
        raise wrong

    @staticmethod
    def _never_the_positive(drawn, positives, what) -> None:
        hits = int((drawn == positives[:, None]).sum())
        if not hits:
            return
        hint = ("A negative must be a word other than the row's true context: it is labelled 0 while the same word "
                "is labelled 1. Redraw the negatives that equal their row's positive, until none does.")
        if (positives == positives[0]).all():
            raise CheckFailed(what, f"sampled the positive: {hits} of {drawn.size} negatives are the row's own "
                                    "positive word.", hint)
        raise CheckFailed(what, f"sampled the positive when the positives differ from row to row: {hits} of "
                                f"{drawn.size} negatives equal their own row's positive.",
                          "Compare each row of negatives with its own positive, negatives == positives[:, None], "
                          "and redraw those until none is left.")

    @staticmethod
    def _reproducible(draws, seeds, Q, rows, k, what, unused) -> None:
        for i in range(len(draws)):
            for j in range(i):
                if seeds[i] == seeds[j] and not _array_equal(draws[i], draws[j]):
                    raise CheckFailed(what, f"gives different negatives for the same seed: two calls, each with a new "
                                            f"np.random.default_rng({seeds[i]}), drew different words.",
                                      "Draw every random number from the `rng` argument (rng.choice, rng.random), "
                                      "never from np.random.choice or a generator of your own: then the same "
                                      "seed gives the same negatives, and a training run can be repeated." + unused)
        per_row = (Q ** 2).sum(axis=1)                      # P(two draws agree), for each group of rows
        same = k * sum(int(n) * _log(float(q)) for n, q in zip(_bincount(rows, minlength=len(Q)), per_row) if n)
        if same > _log(1e-12):                              # two calls may agree by chance
            return
        for i in range(len(draws)):
            for j in range(i):
                if seeds[i] != seeds[j] and _array_equal(draws[i], draws[j]):
                    raise CheckFailed(what, f"gives the same negatives for different seeds ({seeds[j]} and "
                                            f"{seeds[i]}).",
                                      "It does not use the `rng` argument: it ignores it, or makes a generator of "
                                      "its own with a fixed seed (np.random.default_rng(0) inside the function). "
                                      "Draw from the `rng` you are given." + unused)

    @staticmethod
    def _expected(distribution: dict, positives, calls: int, k: int):
        Q, rows = _row_distributions(distribution["p"], positives, distribution["exclude"])
        return calls * k * (_bincount(rows, minlength=len(Q)) @ Q)

    @staticmethod
    def _observed(distinct, rows, groups: int, V: int):
        """The observed frequency of every word in each group of rows (rows with the same positive): (G, V)."""
        counts = _bincount((rows[:, None] * V + _concatenate(distinct, axis=1)).reshape(-1),
                           minlength=groups * V).reshape(groups, V)
        return counts / counts.sum(axis=1, keepdims=True)

    def _distribution(self, distinct, want, mistakes, what) -> CheckFailed | None:
        """None if the frequencies pass the χ² test; a known mistake's explanation raised if they fit its
        distribution; else the failure to report."""

        positives, k = want["positives"], want["k"]
        observed = _bincount(_concatenate([d.reshape(-1) for d in distinct]), minlength=len(want["p"]))
        expected = self._expected(want, positives, len(distinct), k)
        statistic, df = _pearson(observed, expected)
        if df < 1 or statistic <= _chi2_limit(df):
            return None
        for explanation, wrong in mistakes:
            if type(wrong) is dict and set(wrong) >= {"p", "exclude"}:
                alternative = self._expected(wrong, positives, len(distinct), k)
                if (alternative >= 0).all() and abs(alternative.sum() - expected.sum()) < 1e-6 * expected.sum():
                    other, other_df = _pearson(observed, alternative)
                    if other_df >= 1 and other <= _chi2_limit(other_df):
                        raise CheckFailed(what, "draws from the wrong distribution.", explanation)
        n = observed.sum()
        worst = _argsort(-abs(observed - expected) / (expected + 1.0))[:6]
        table = ", ".join(f"word {w}: {observed[w] / n:.4f} (expected {expected[w] / n:.4f})" for w in sorted(worst))
        return CheckFailed(what, f"draws from the wrong distribution: a χ² test of the word frequencies rejects it "
                                f"(χ² = {statistic:.4g} on {df} degrees of freedom; a correct sampler stays below "
                                f"{_chi2_limit(df):.0f} with probability 1 − 10⁻⁶).",
                          "Each word w other than the row's positive must be drawn with probability proportional to "
                          f"count[w]**0.75. Frequencies that differ most: {table}.")

    @staticmethod
    def _independent(distinct, Q, rows, k, what) -> None:
        """The first two negatives of a row agree as often as two independent draws would (Hoeffding's bound)."""
        if k < 2:
            return
        n = len(distinct) * len(rows)
        same = sum(int((d[:, 0] == d[:, 1]).sum()) for d in distinct)
        expected = len(distinct) * float(_bincount(rows, minlength=len(Q)) @ (Q ** 2).sum(axis=1))
        if abs(same - expected) > _sqrt(n * _log(2 / ALPHA) / 2):
            raise CheckFailed(what, f"does not draw the negatives of a row independently: the first two negatives "
                                    f"of a row are the same word in {same} of {n} rows, where about {expected:.0f} "
                                    "are expected.",
                              "Each of the k negatives is a draw of its own, with replacement: the same word may "
                              "come twice in one row. Draw the whole (B, k) table at once (rng.choice(V, size=(B, k), "
                              "p=p)): neither k distinct words per row (replace=False) nor one draw copied.")


# ----- bce_with_logits --------------------------------------------------------------------------------

class PerScore(Array):
    """One loss per score: an Array; a single number (a mean or a sum) is named as such."""

    def check(self, got, want, what, mistakes=()):
        one = isinstance(got, (int, float, _number)) or (type(got) is _ndarray and got.ndim == 0)
        if want.ndim and one and type(got) is not bool:
            raise CheckFailed(what, "is a single number; expected one loss per score.",
                              "Return the elementwise losses (an array shaped like s), not their mean or sum: the "
                              "caller adds them up.")
        super().check(got, want, what, mistakes)


STABLE = ("For a score like s = 800 with label 0, exp(800) overflows (or σ(s) rounds to exactly 1, and log(1 − σ(s)) "
          "is log 0 = −inf). Use the stable form: loss = max(s, 0) − s·y + log(1 + exp(−|s|)) (np.log1p).")
STABLE_SIGMOID = ("Compute σ(s) so that np.exp only sees −|s|: 1 / (1 + e^(−s)) for s ≥ 0 and e^s / (1 + e^s) for "
                  "s < 0 (np.where picks one per element).")
SUMMED_LOSS = ("log σ(s) is −inf once σ(s) rounds to 0, and log(1 − σ(s)) once σ(s) rounds to 1 (|s| above about 37): "
               "compute the loss with your bce_with_logits, which is stable.")


# ----- nearest_neighbours and analogy ---------------------------------------------------------------

class Ranking(Answer):
    """k word indices, best first, judged by the similarities of the case: {"scores": (V,) with −inf for the
    words to leave out, "k", "tolerance"}. Words whose similarities agree within the tolerance may come in
    either order, and either may fill the last place."""

    def __init__(self, leave_out: str) -> None:
        self.leave_out = leave_out

    def check(self, got, want, what, mistakes=()):
        scores, k = want["scores"], want["k"]
        expect_array(got, (k,), what, integer=True, shape_hints={
            (len(scores),): f"Return only the k = {k} best indices (the first k after sorting)."})
        problem = self.problem(got, scores, k, want["tolerance"])
        if problem is None:
            return
        for explanation, wrong in mistakes:
            if type(wrong) is _ndarray and wrong.shape == got.shape and _array_equal(got, wrong):
                raise CheckFailed(what, "is not right.", explanation)
        raise CheckFailed(what, *problem)

    def problem(self, got, scores, k, tolerance) -> tuple[str, str] | None:
        """(what is wrong, a hint), or None for a right answer."""
        V = len(scores)
        if got.size and (got.min() < 0 or got.max() >= V):
            return f"holds index {got.min() if got.min() < 0 else got.max()}; word indices are 0..{V - 1}.", ""
        if len(set(got.tolist())) < len(got):
            return "lists a word more than once.", "Each word may appear once: take the first k of one sorted order."
        left_in = [int(j) for j in got if scores[j] == -float("inf")]
        if left_in:
            return (f"includes word {left_in[0]}, which must be left out.",
                    f"Leave out {self.leave_out}: give them a similarity of −inf before sorting. 0 is not low "
                    "enough when other similarities are negative, and they do not always rank first (a duplicate "
                    "vector ties with them; a vector of zeros has cosine 0, even with itself).")
        best = _sort(scores)[::-1][:k]
        mine = scores[got]
        if (abs(mine - best) <= tolerance).all():
            return None
        if (abs(_sort(mine)[::-1] - best) <= tolerance).all():
            return ("has the right words in the wrong order.",
                    "Best first: sort by similarity, descending (np.argsort(−similarities)). np.argpartition finds "
                    "the k best but leaves them in no particular order.")
        place = int(next(i for i in range(k) if abs(mine[i] - best[i]) > tolerance))
        return (f"is not the {k} most similar words, best first: in place {place} it has word {int(got[place])} "
                f"(similarity {mine[place]:.4g}), where the similarity in that place is {best[place]:.4g}.",
                "Rank every word by cosine similarity: divide each row by its length (a row of zeros has cosine 0 "
                "with every word), then sort the similarities in descending order.")


# ----- the answers -------------------------------------------------------------------------------------

ANSWERS = {
    "embedding_forward": Rows(),
    "embedding_backward": Array(),
    "sample_negatives": NegativeSamples(),
    "bce_with_logits": Parts(loss=PerScore(finite_hint=STABLE), grad=Array(finite_hint=STABLE_SIGMOID)),
    "sgns_pair_gradients": Parts(loss=Number(), grad_v=Array(), grad_u_o=Array(), grad_U_neg=Array()),
    "sgns_loss_and_grads": Parts(loss=Number(finite_hint=SUMMED_LOSS), dW_in=Array(), dW_out=Array()),
    "cbow_loss_and_grads": Parts(loss=Number(finite_hint=SUMMED_LOSS), dW_in=Array(), dW_out=Array()),
    "nearest_neighbours": Ranking("word i itself"),
    "analogy": Ranking("the question words a, b and c"),
}

check_embedding_forward = checker(MODULE, "embedding_forward")
check_embedding_backward = checker(MODULE, "embedding_backward")
check_sample_negatives = checker(MODULE, "sample_negatives")
check_bce_with_logits = checker(MODULE, "bce_with_logits")
check_sgns_pair_gradients = checker(MODULE, "sgns_pair_gradients")
check_sgns_loss_and_grads = checker(MODULE, "sgns_loss_and_grads")
check_cbow_loss_and_grads = checker(MODULE, "cbow_loss_and_grads")
check_nearest_neighbours = checker(MODULE, "nearest_neighbours")
check_analogy = checker(MODULE, "analogy")
