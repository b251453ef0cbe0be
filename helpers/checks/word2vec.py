"""Visible checks for lesson 4, "word2vec from scratch".

Each `check_*` runs the student's function on small seeded inputs, compares it with a plain
loop-based reference written here, and names the mistake when the answer is wrong.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any, Callable

import numpy as np

from helpers.checks.core import CheckFailed, call_student, expect_array, expect_close, expect_finite, passed
from helpers.checks.loops import expect_no_loops

LOST_REPEATS = ("Some rows appear more than once in the indices, and your gradient keeps only one of their "
                "contributions: `dW[idx] = g` and `dW[idx] += g` write a repeated row once (only one of the "
                "writes survives, and NumPy does not promise which), so gradient is silently lost. "
                "Accumulate with np.add.at(dW, idx, g).")


# ----- small tools ------------------------------------------------------------------------------

def expect_row_selection(fn: Callable) -> None:
    """Fail if `fn` builds one-hot vectors (np.eye / np.identity) or multiplies matrices to look rows up."""
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(fn)))
    for node in ast.walk(ast.parse(source)):
        name = ""
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        matmul = isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)
        if matmul or name in {"eye", "identity", "matmul", "dot", "einsum"}:
            raise CheckFailed(f"`{fn.__name__}`", "multiplies by one-hot vectors to pick rows.",
                              "The numbers are right, but a one-hot (N, V) matrix times W costs N·V·D "
                              "multiply-adds and N·V memory: for V = 100,000 words that is most of the "
                              "work for nothing. Select the rows directly: W[idx].")


def _tuple(value: Any, n: int, what: str, names: str) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise CheckFailed(what, f"returned {type(value).__name__}; expected a tuple of {n}: {names}.",
                          f"End the function with `return {names}`.")
    return tuple(value)


def _scalar(value: Any, what: str, hint: str) -> float:
    if isinstance(value, np.ndarray) and value.shape != ():
        raise CheckFailed(what, f"is an array of shape {value.shape}; expected one number.", hint)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CheckFailed(what, f"is {type(value).__name__}; expected one number.", hint) from None


def _expect_scalar_close(got: float, want: float, what: str, mistakes: list[tuple[str, float]]) -> None:
    if np.isclose(got, want, rtol=1e-6, atol=1e-9):
        return
    for explanation, wrong in mistakes:
        if np.isclose(got, wrong, rtol=1e-6, atol=1e-9):
            raise CheckFailed(what, "is not right.", explanation)
    raise CheckFailed(what, "differs from the expected answer.", f"Got {got:.6g}, expected {want:.6g}.")


def _expect_indices(got: Any, want: np.ndarray, what: str, mistakes: list[tuple[str, np.ndarray]]) -> None:
    expect_array(got, want.shape, what, integer=True)
    if np.array_equal(got, want):
        return
    for explanation, wrong in mistakes:
        if np.array_equal(got, wrong):
            raise CheckFailed(what, "is not right.", explanation)
    raise CheckFailed(what, "differs from the expected answer.", f"Got {got.tolist()}, expected {want.tolist()}.")


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


# ----- embedding layer --------------------------------------------------------------------------

def check_embedding_forward(embedding_forward: Callable) -> None:
    what = "`embedding_forward(W, idx)`"
    W = np.random.default_rng(0).normal(size=(7, 5))
    idx = np.array([2, 4, 2, 0])
    out = call_student(embedding_forward, W, idx)
    expect_array(out, (4, 5), what, shape_hints={
        (7, 4): "You picked columns (W[:, idx]): each word's vector is a row of W, so pick rows: W[idx]."})
    expect_close(out, np.array([W[i] for i in idx]), what)
    idx2 = np.array([[1, 6, 1], [3, 0, 4]])
    out = call_student(embedding_forward, W, idx2)
    expect_array(out, (2, 3, 5), what, shape_hints={
        (6, 5): "Keep the index's shape: a (B, C) array of indices gives (B, C, D) vectors. W[idx] does that."})
    expect_close(out, np.array([[W[i] for i in row] for row in idx2]), what)
    expect_row_selection(embedding_forward)
    expect_no_loops(embedding_forward)
    passed(what)


def _last_write_wins(grad: np.ndarray, idx: np.ndarray, V: int) -> np.ndarray:
    dW = np.zeros((V, grad.shape[-1]))
    for i, g in zip(idx.reshape(-1), grad.reshape(-1, grad.shape[-1])):
        dW[i] = g
    return dW


def check_embedding_backward(embedding_backward: Callable) -> None:
    what = "`embedding_backward(grad_out, idx, V)`"
    rng = np.random.default_rng(1)
    V, D = 8, 3
    for idx in (np.array([6, 1, 3]), np.array([2, 5, 2, 0, 2])):
        grad = rng.normal(size=(len(idx), D))
        out = call_student(embedding_backward, grad, idx, V)
        expect_array(out, (V, D), what, shape_hints={
            (len(idx), D): "dW has one row per word of the vocabulary, shape (V, D), like W itself: "
                           "row i is the sum of the gradients of every lookup of word i."})
        want = np.zeros((V, D))
        for i, g in zip(idx, grad):
            want[i] += g
        expect_close(out, want, what, mistakes=[(LOST_REPEATS, _last_write_wins(grad, idx, V))])
    idx2 = np.array([[1, 4], [4, 4]])
    grad2 = rng.normal(size=(2, 2, D))
    out = call_student(embedding_backward, grad2, idx2, V)
    expect_array(out, (V, D), what)
    want = np.zeros((V, D))
    want[1] = grad2[0, 0]
    want[4] = grad2[0, 1] + grad2[1, 0] + grad2[1, 1]
    expect_close(out, want, what, mistakes=[(LOST_REPEATS, _last_write_wins(grad2, idx2, V))])
    expect_no_loops(embedding_backward)
    passed(what)


# ----- negative sampling ------------------------------------------------------------------------

def _chi2_critical(df: int, z: float = 3.719) -> float:
    """Upper critical value of χ²(df) at p ≈ 1e-4 (Wilson–Hilferty approximation)."""
    return df * (1 - 2 / (9 * df) + z * np.sqrt(2 / (9 * df))) ** 3


def _chi2(observed: np.ndarray, expected_p: np.ndarray, n: int) -> float:
    expected = expected_p * n
    keep = expected > 0
    return float(((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum())


def check_sample_negatives(sample_negatives: Callable) -> None:
    what = "`sample_negatives(counts, positives, k, rng)`"
    counts = np.array([900, 400, 150, 60, 25, 10, 4, 1])
    V, B, k = len(counts), 4000, 5
    positives = np.zeros(B, dtype=np.int64)                 # word 0 (the most frequent) is every positive
    out = call_student(sample_negatives, counts, positives, k, np.random.default_rng(2))
    expect_array(out, (B, k), what, integer=True, shape_hints={
        (B * k,): "Return one row of k negatives per positive: shape (B, k)."})
    if out.min() < 0 or out.max() >= V:
        raise CheckFailed(what, f"returned word indices from {out.min()} to {out.max()}; valid ones are 0..{V - 1}.",
                          "Draw indices of words, e.g. rng.choice(V, size=(B, k), p=probabilities).")
    hits = int((out == positives[:, None]).sum())
    if hits:
        raise CheckFailed(what, f"sampled the positive: {hits} of {B * k} negatives are the row's own positive word.",
                          "A negative must be a word other than the true context: it is labelled 0 while the "
                          "same word is labelled 1. Redraw the negatives that equal their row's positive.")
    observed = np.bincount(out.reshape(-1), minlength=V).astype(float)
    n, limit = B * k, _chi2_critical(V - 2)

    def without_positive(weights: np.ndarray) -> np.ndarray:
        p = weights.astype(float).copy()
        p[0] = 0.0
        return p / p.sum()

    if _chi2(observed, without_positive(counts ** 0.75), n) > limit:
        table = "  ".join(f"{w}: {o / n:.3f}/{e:.3f}" for w, (o, e)
                          in enumerate(zip(observed, without_positive(counts ** 0.75))))
        for explanation, weights in [
            ("You forgot the 0.75: you sampled in proportion to the counts themselves. Raise the counts to "
             "the power 0.75 before normalising, so rare words are drawn a little more often.", counts),
            ("This is a uniform sampler: every word is equally likely. Draw words with probability "
             "proportional to count**0.75 (rng.choice(V, ..., p=...)).", np.ones(V)),
        ]:
            if _chi2(observed, without_positive(weights), n) <= limit:
                raise CheckFailed(what, "draws from the wrong distribution.", explanation)
        raise CheckFailed(what, "draws from the wrong distribution (a χ² test rejects it).",
                          "Each word should be drawn with probability count**0.75 / sum(count**0.75). "
                          f"Observed/expected frequencies per word: {table}")
    mixed = np.random.default_rng(3).integers(0, V, size=300)
    out = call_student(sample_negatives, counts, mixed, k, np.random.default_rng(4))
    expect_array(out, (300, k), what, integer=True)
    if (out == mixed[:, None]).any():
        raise CheckFailed(what, "sampled the positive when the positives differ from row to row.",
                          "Compare each row of negatives with its own positive: negatives == positives[:, None].")
    passed(what)


# ----- the logistic loss ------------------------------------------------------------------------

def check_bce_with_logits(bce_with_logits: Callable) -> None:
    what = "`bce_with_logits(s, y)`"
    s = np.array([-3.0, -0.5, 0.0, 0.7, 2.5, 4.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    loss, grad = _tuple(call_student(bce_with_logits, s, y), 2, what, "loss, grad")
    sig = 1 / (1 + np.exp(-s))
    want = np.array([-np.log(p) if t else -np.log(1 - p) for p, t in zip(sig, y)])
    if type(loss) is not np.ndarray and np.ndim(loss) == 0:
        raise CheckFailed(f"The loss of {what}", "is a single number; expected one loss per score.",
                          "Return the elementwise losses (an array shaped like s), not their mean or sum: "
                          "the caller adds them up.")
    expect_array(loss, s.shape, f"The loss of {what}", shape_hints={
        (): "Return one loss per score (elementwise), not their mean or sum: the caller adds them up."})
    expect_close(loss, want, f"The loss of {what}", mistakes=[
        ("The loss must be positive: it is −log of a probability. Check the signs of both terms.", -want)])
    expect_array(grad, s.shape, f"The gradient of {what}")
    expect_close(grad, sig - y, f"The gradient of {what}", mistakes=[
        ("The gradient has the wrong sign: ∂loss/∂s = σ(s) − y (the loss falls as s moves toward the label).",
         y - sig),
        ("There is an extra factor σ(s)(1 − σ(s)): the log in the cross-entropy cancels the sigmoid's "
         "derivative, leaving ∂loss/∂s = σ(s) − y.", (sig - y) * sig * (1 - sig)),
        ("The label is missing: ∂loss/∂s = σ(s) − y.", sig),
    ])
    big = np.array([800.0, -800.0, 50.0])
    labels = np.array([0.0, 1.0, 1.0])
    loss, grad = _tuple(call_student(bce_with_logits, big, labels), 2, what, "loss, grad")
    expect_array(loss, big.shape, f"The loss of {what}")
    expect_finite(loss, f"The loss of {what}",
                  "For s = 800 with label 0, exp(800) overflows (or σ(s) rounds to exactly 1 and log(1 − σ) "
                  "is log 0). Use the stable form: loss = max(s, 0) − s·y + log(1 + exp(−|s|)) (np.log1p).")
    expect_close(loss, np.array([800.0, 800.0, np.log1p(np.exp(-50.0))]), f"The loss of {what}", rtol=1e-6, atol=1e-12)
    expect_array(grad, big.shape, f"The gradient of {what}")
    expect_finite(grad, f"The gradient of {what}", "Compute σ(s) without overflow: for s < 0 use e^s / (1 + e^s).")
    expect_no_loops(bce_with_logits)
    passed(what)


# ----- the gradients of one pair, derived by hand --------------------------------------------------

def _pair_loss(v, u_o, U_neg) -> float:
    return float(-_log_sigmoid(v @ u_o) - sum(_log_sigmoid(-(v @ u)) for u in U_neg))


def _central_differences(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences, entry by entry: the definition of the derivative, no formula."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def _pair_mistakes(v, u_o, U_neg) -> dict[str, tuple[str, np.ndarray]]:
    """The gradients that typical slips in the derivation give, as (explanation, grad_v, grad_u_o, grad_U_neg)."""
    sig_o, sig_n = _sigmoid(v @ u_o), _sigmoid(U_neg @ v)                  # scalar, (k,)
    return {
        "positive as negative": (
            "The true context is treated like a negative: for it ∂ℓ/∂s_o = σ(s_o) − 1 (negative, so a step "
            "against the gradient raises v·u_o), not σ(s_o).",
            sig_o * u_o + sig_n @ U_neg, sig_o * v, sig_n[:, None] * v),
        "negatives labelled one": (
            "The negatives are treated as true contexts: the derivative of −log σ(−s_j) is +σ(s_j), not "
            "σ(s_j) − 1. A step against the gradient must push v·u_neg down.",
            (sig_o - 1) * u_o + (sig_n - 1) @ U_neg, (sig_o - 1) * v, (sig_n - 1)[:, None] * v),
        "inner minus": (
            "The minus inside σ(−s_j) is lost in the chain rule: d/ds [−log σ(−s)] = (1 − σ(−s))·(+1) = σ(s). "
            "Your negatives' gradients have the opposite sign.",
            (sig_o - 1) * u_o - sig_n @ U_neg, (sig_o - 1) * v, -sig_n[:, None] * v),
        "one minus sigma": (
            "For a negative you used 1 − σ(s_j) = σ(−s_j); the derivative of −log σ(−s_j) with respect to s_j "
            "is σ(s_j).",
            (sig_o - 1) * u_o + (1 - sig_n) @ U_neg, (sig_o - 1) * v, (1 - sig_n)[:, None] * v),
        "swapped vectors": (
            "The chain rule's last factor is the other vector: ∂(v·u)/∂v = u and ∂(v·u)/∂u = v. The gradient "
            "for u_o and the negatives is a multiple of v, the centre's vector.",
            (sig_o - 1) * u_o + sig_n @ U_neg, (sig_o - 1) * u_o, sig_n[:, None] * U_neg),
    }


def check_sgns_pair_gradients(sgns_pair_gradients: Callable) -> None:
    what = "`sgns_pair_gradients(v, u_o, U_neg)`"
    rng = np.random.default_rng(8)
    cases = [(rng.normal(size=3), rng.normal(size=3), rng.normal(size=(2, 3))),
             (rng.normal(size=4) * 0.7, rng.normal(size=4) * 0.7, None)]
    cases[1] = (cases[1][0], cases[1][1], rng.normal(size=(3, 4))[[0, 1, 0]])   # a negative drawn twice
    for v, u_o, U_neg in cases:
        k, D = U_neg.shape
        result = _tuple(call_student(sgns_pair_gradients, v, u_o, U_neg), 4, what,
                        "loss, grad_v, grad_u_o, grad_U_neg")
        loss = _scalar(result[0], f"The loss of {what}", "Return ℓ for this one pair: one number.")
        want_loss = _pair_loss(v, u_o, U_neg)
        sig_o, sig_n = _sigmoid(v @ u_o), _sigmoid(U_neg @ v)
        _expect_scalar_close(loss, want_loss, f"The loss of {what}", [
            ("The loss must be positive: it is −log of probabilities. Put a minus in front of each log.", -want_loss),
            ("The negatives' terms are −log σ(−v·u_neg) (the probability of answering \"no\"), not −log σ(v·u_neg).",
             float(-np.log(sig_o) - np.log(sig_n).sum())),
            ("The loss is missing the negatives' terms −Σ_j log σ(−v·u_neg_j).", float(-np.log(sig_o))),
        ])
        numeric = [_central_differences(lambda x: _pair_loss(x, u_o, U_neg), v),
                   _central_differences(lambda x: _pair_loss(v, x, U_neg), u_o),
                   _central_differences(lambda x: _pair_loss(v, u_o, x), U_neg)]
        mistakes = _pair_mistakes(v, u_o, U_neg)
        for n, (name, shape) in enumerate([("grad_v", (D,)), ("grad_u_o", (D,)), ("grad_U_neg", (k, D))]):
            label = f"`{name}` of {what}"
            expect_array(result[n + 1], shape, label, shape_hints={
                (D,): "Each negative gets its own gradient row, σ(s_j)·v: shape (k, D), one row per row of U_neg.",
                (k,): "A gradient with respect to a vector is a vector: keep the factor v or u from the chain rule.",
                (): "A gradient with respect to a vector is a vector of the same shape, not a number."})
            wrongs = [(explanation, answer[n]) for explanation, *answer in mistakes.values()]
            if name == "grad_v":
                wrongs.append(("grad_v is missing the negatives' part: v is in every score, so it also gets "
                               "Σ_j σ(s_j)·u_neg_j.", (sig_o - 1) * u_o))
            expect_close(result[n + 1], numeric[n], label, mistakes=wrongs, rtol=1e-5, atol=1e-7)
    passed(what, " (compared with central differences of the loss)")


# ----- skip-gram and CBOW with negative sampling --------------------------------------------------

def _log_sigmoid(x: float) -> float:
    return -np.logaddexp(0.0, -x)


def _sgns_reference(W_in, W_out, centres, contexts, negatives, *, negative_label=0):
    """Loss and gradients pair by pair. negative_label=1 gives the 'negatives pulled closer' mistake."""
    loss, dW_in, dW_out = 0.0, np.zeros_like(W_in), np.zeros_like(W_out)
    for c, o, negs in zip(centres, contexts, negatives):
        v = W_in[c]
        for w, label in [(o, 1)] + [(n, negative_label) for n in negs]:
            s = v @ W_out[w]
            loss -= _log_sigmoid(s) if label else _log_sigmoid(-s)
            g = _sigmoid(s) - label
            dW_in[c] += g * W_out[w]
            dW_out[w] += g * v
    return loss, dW_in, dW_out


def _sgns_without_negatives_in_v(W_in, W_out, centres, contexts, negatives):
    dW_in = np.zeros_like(W_in)
    for c, o in zip(centres, contexts):
        dW_in[c] += (_sigmoid(W_in[c] @ W_out[o]) - 1) * W_out[o]
    return dW_in


def _sgns_case(rng, V, D, B, k, distinct):
    W_in, W_out = rng.normal(size=(V, D)) * 0.5, rng.normal(size=(V, D)) * 0.5
    if distinct:
        centres = rng.permutation(V)[:B]
        targets = rng.permutation(V)[:B * (1 + k)].reshape(B, 1 + k)
        return W_in, W_out, centres, targets[:, 0].copy(), targets[:, 1:].copy()
    return (W_in, W_out, np.array([1, 3, 1, 0, 1]), np.array([2, 2, 4, 1, 0]),
            np.array([[4, 0], [2, 4], [0, 2], [4, 4], [3, 3]]))


def check_sgns_loss_and_grads(sgns_loss_and_grads: Callable) -> None:
    what = "`sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives)`"
    rng = np.random.default_rng(5)
    for distinct in (True, False):
        W_in, W_out, c, o, n = _sgns_case(rng, 12 if distinct else 5, 3, 3 if distinct else 5, 2, distinct)
        V, D, B = W_in.shape[0], W_in.shape[1], len(c)
        result = _tuple(call_student(sgns_loss_and_grads, W_in, W_out, c, o, n), 3, what, "loss, dW_in, dW_out")
        loss = _scalar(result[0], f"The loss of {what}",
                       "Return the loss summed over all pairs: one number (a float).")
        want_loss, want_in, want_out = _sgns_reference(W_in, W_out, c, o, n)
        wrong_loss, wrong_in, wrong_out = _sgns_reference(W_in, W_out, c, o, n, negative_label=1)
        negatives_label_one = ("The negatives are treated as true contexts (label 1): their term must push "
                               "their score down, −log σ(−v·u_neg), so their gradient is σ(s)·v, not (σ(s) − 1)·v.")
        _expect_scalar_close(loss, want_loss, f"The loss of {what}", [
            (negatives_label_one, wrong_loss),
            (f"You averaged over the batch; return the sum over the {B} pairs (the trainer scales by the "
             "learning rate).", want_loss / B),
            ("The loss is missing the negatives' terms −Σ log σ(−v·u_neg).",
             -sum(_log_sigmoid(W_in[ci] @ W_out[oi]) for ci, oi in zip(c, o))),
        ])
        for got, want, wrong, name in [(result[1], want_in, wrong_in, "dW_in"),
                                       (result[2], want_out, wrong_out, "dW_out")]:
            label = f"`{name}` of {what}"
            expect_array(got, (V, D), label, shape_hints={
                (B, D): f"{name} is the gradient of a whole matrix: shape (V, D). Scatter the per-pair "
                        "gradients into the rows they came from with np.add.at."})
            mistakes = [(negatives_label_one, wrong)]
            if name == "dW_in":
                mistakes.append(("dW_in is missing the negatives' part: the centre vector v also gets "
                                 "Σ σ(v·u_neg)·u_neg from its negatives.",
                                 _sgns_without_negatives_in_v(W_in, W_out, c, o, n)))
            if not distinct:
                mistakes.append(_lost_repeats_in(got, want))
            expect_close(got, want, label, mistakes=[m for m in mistakes if m[1] is not None])
    expect_no_loops(sgns_loss_and_grads)
    passed(what)


def _lost_repeats_in(got: np.ndarray, want: np.ndarray) -> tuple[str, np.ndarray | None]:
    """The lost-repeats mistake, if `got` is right on some rows and wrong on others (the repeated ones)."""
    right_rows = np.isclose(got, want, rtol=1e-6, atol=1e-9).all(axis=1)
    return (LOST_REPEATS, got) if right_rows.any() and not right_rows.all() else (LOST_REPEATS, None)


def _cbow_reference(W_in, W_out, contexts, centres, negatives, *, average=True, share=True):
    """CBOW loss and gradients example by example.

    average=False: h is the sum of the context vectors. share=False: each context word makes its own
    prediction (the 'trained one by one' mistake)."""
    loss, dW_in, dW_out = 0.0, np.zeros_like(W_in), np.zeros_like(W_out)
    for ctx, c, negs in zip(contexts, centres, negatives):
        groups = [list(ctx)] if share else [[w] for w in ctx]
        for group in groups:
            h = sum(W_in[w] for w in group) / (len(group) if average else 1)
            dh = np.zeros_like(h)
            for w, label in [(c, 1)] + [(n, 0) for n in negs]:
                s = h @ W_out[w]
                loss -= _log_sigmoid(s) if label else _log_sigmoid(-s)
                g = _sigmoid(s) - label
                dh += g * W_out[w]
                dW_out[w] += g * h
            for w in group:
                dW_in[w] += dh / (len(group) if average else 1)
    return loss, dW_in, dW_out


def check_cbow_loss_and_grads(cbow_loss_and_grads: Callable) -> None:
    what = "`cbow_loss_and_grads(W_in, W_out, contexts, centres, negatives)`"
    rng = np.random.default_rng(6)
    V, D, C = 14, 3, 4
    W_in, W_out = rng.normal(size=(V, D)) * 0.5, rng.normal(size=(V, D)) * 0.5
    cases = [(rng.permutation(V)[:8].reshape(2, C), np.array([8, 9]), np.array([[10, 11], [12, 13]])),
             (np.array([[1, 2, 1, 3], [2, 2, 0, 4]]), np.array([5, 1]), np.array([[0, 5], [3, 3]]))]
    for distinct, (ctx, c, n) in zip((True, False), cases):
        B = len(c)
        result = _tuple(call_student(cbow_loss_and_grads, W_in, W_out, ctx, c, n), 3, what, "loss, dW_in, dW_out")
        loss = _scalar(result[0], f"The loss of {what}", "Return the loss summed over the batch: one number.")
        want_loss, want_in, want_out = _cbow_reference(W_in, W_out, ctx, c, n)
        sum_loss, sum_in, sum_out = _cbow_reference(W_in, W_out, ctx, c, n, average=False)
        sep_loss, sep_in, sep_out = _cbow_reference(W_in, W_out, ctx, c, n, share=False)
        summed = ("h is the sum of the context vectors; CBOW averages them: h = mean of W_in[contexts] over the "
                  f"C = {C} context words (divide by C, and pass 1/C of dL/dh back to each).")
        separate = ("Each context word made its own prediction, as in skip-gram. In CBOW all the context words "
                    "train together: average their vectors into one h, then make one prediction of the centre.")
        _expect_scalar_close(loss, want_loss, f"The loss of {what}", [
            (summed, sum_loss), (separate, sep_loss),
            (f"You averaged over the batch; return the sum over the {B} examples.", want_loss / B)])
        for got, want, name, wrongs in [
            (result[1], want_in, "dW_in", [(summed, sum_in), (separate, sep_in),
                                           ("Each context word must receive 1/C of dL/dh (h is their mean), "
                                            "not all of it.", want_in * C)]),
            (result[2], want_out, "dW_out", [(summed, sum_out), (separate, sep_out)])]:
            label = f"`{name}` of {what}"
            expect_array(got, (V, D), label, shape_hints={
                (B, D): f"{name} is the gradient of a whole matrix: shape (V, D); scatter with np.add.at."})
            if not distinct:
                wrongs = wrongs + [_lost_repeats_in(got, want)]
            expect_close(got, want, label, mistakes=[m for m in wrongs if m[1] is not None])
    expect_no_loops(cbow_loss_and_grads)
    passed(what)


# ----- using the vectors ------------------------------------------------------------------------

def _unit(E: np.ndarray) -> np.ndarray:
    return E / np.linalg.norm(E, axis=1, keepdims=True)


def _nearest_case() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.normal(size=(12, 4)) * rng.uniform(0.2, 3.0, size=(12, 1))


def _ranked(scores: np.ndarray, k: int, leave_out: list[int]) -> np.ndarray:
    scores = scores.astype(float).copy()
    scores[leave_out] = -np.inf
    return np.argsort(-scores, kind="stable")[:k]


def check_nearest_neighbours(nearest_neighbours: Callable) -> None:
    what = "`nearest_neighbours(E, i, k)`"
    E = _nearest_case()
    for i, k in [(3, 4), (0, 5)]:
        out = call_student(nearest_neighbours, E, i, k)
        unit = _unit(E)
        cos = unit @ unit[i]
        want = _ranked(cos, k, [i])
        expect_array(out, (k,), what, integer=True, shape_hints={
            (len(E),): f"Return only the k = {k} best indices (the first k after sorting)."})
        _expect_indices(out, want, what, [
            ("This ranks by dot product. Cosine similarity divides by both lengths, so a long vector does not "
             "win just for being long: normalise the rows first.", _ranked(E @ E[i], k, [i])),
            (f"Word {i} itself is in the list (its cosine with itself is 1). Leave it out: set its "
             "similarity to −inf before sorting.", np.argsort(-cos, kind="stable")[:k]),
            ("These are the least similar words: np.argsort sorts ascending. Sort by −similarity "
             "(or reverse the order).", np.argsort(np.where(np.arange(len(E)) == i, np.inf, cos), kind="stable")[:k]),
            ("This ranks by Euclidean distance, which depends on the vectors' lengths. Use cosine similarity.",
             _ranked(-((E - E[i]) ** 2).sum(1), k, [i])),
        ])
    expect_no_loops(nearest_neighbours)
    passed(what)


def check_analogy(analogy: Callable) -> None:
    what = "`analogy(E, a, b, c, k)`"
    E = _nearest_case()
    unit = _unit(E)
    for a, b, c, k in [(0, 1, 2, 3), (4, 7, 9, 2)]:
        out = call_student(analogy, E, a, b, c, k)
        expect_array(out, (k,), what, integer=True)
        target = unit[b] - unit[a] + unit[c]
        cos_to = unit @ target
        want = _ranked(cos_to, k, [a, b, c])
        _expect_indices(out, want, what, [
            ("One of the question words a, b, c is in your answer: they are usually closest to b − a + c. "
             "Leave them out (set their similarity to −inf).", np.argsort(-cos_to, kind="stable")[:k]),
            ("You computed a − b + c. \"a is to b as c is to ?\" is answered by b − a + c "
             "(king − man + woman: man is to king as woman is to queen).",
             _ranked(unit @ (unit[a] - unit[b] + unit[c]), k, [a, b, c])),
            ("Use unit vectors: normalise the rows of E before forming b − a + c, so every word counts "
             "equally whatever its length.", _ranked(unit @ (E[b] - E[a] + E[c]), k, [a, b, c])),
            ("Rank by cosine similarity to b − a + c, not by dot product.", _ranked(E @ target, k, [a, b, c])),
        ])
    expect_no_loops(analogy)
    passed(what)
