"""Typical wrong answers to lesson 4 (04_word2vec)."""
import numpy as np

from helpers.word2vec import draw_excluding
from tests.mutants import Mutant

NOTEBOOK = "04_word2vec/word2vec.ipynb"


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# embedding_forward(W, idx) -> (*idx.shape, D)

def embedding_forward_columns(W, idx):
    return W[:, idx]


def embedding_forward_flattened(W, idx):
    return W[idx.reshape(-1)]


def embedding_forward_one_hot(W, idx):
    return np.eye(W.shape[0])[idx] @ W


def embedding_forward_loop(W, idx):
    return np.array([W[i] for i in idx])


# embedding_backward(grad_out, idx, V) -> (V, D)

def embedding_backward_assigns(grad_out, idx, V):
    dW = np.zeros((V, grad_out.shape[-1]))
    dW[idx.reshape(-1)] = grad_out.reshape(-1, grad_out.shape[-1])
    return dW


def embedding_backward_plus_equals(grad_out, idx, V):
    dW = np.zeros((V, grad_out.shape[-1]))
    dW[idx.reshape(-1)] += grad_out.reshape(-1, grad_out.shape[-1])
    return dW


def embedding_backward_not_scattered(grad_out, idx, V):
    return grad_out.reshape(-1, grad_out.shape[-1])


def embedding_backward_loop(grad_out, idx, V):
    dW = np.zeros((V, grad_out.shape[-1]))
    for i, g in zip(idx.reshape(-1), grad_out.reshape(-1, grad_out.shape[-1])):
        dW[i] += g
    return dW


# sample_negatives(counts, positives, k, rng) -> (B, k)

def sample_negatives_without_power(counts, positives, k, rng):
    return draw_excluding(counts / counts.sum(), positives, k, rng)


def sample_negatives_uniform(counts, positives, k, rng):
    return draw_excluding(np.full(len(counts), 1 / len(counts)), positives, k, rng)


def sample_negatives_keeps_positive(counts, positives, k, rng):
    p = counts ** 0.75 / (counts ** 0.75).sum()
    return rng.choice(len(p), size=(len(positives), k), p=p)


def sample_negatives_flat(counts, positives, k, rng):
    p = counts ** 0.75 / (counts ** 0.75).sum()
    return draw_excluding(p, positives, k, rng).reshape(-1)


def sample_negatives_excludes_first_positive_only(counts, positives, k, rng):
    p = counts ** 0.75
    p = np.where(np.arange(len(p)) == positives[0], 0.0, p)
    return rng.choice(len(p), size=(len(positives), k), p=p / p.sum())


# bce_with_logits(s, y) -> (loss, grad)

def bce_unstable(s, y):
    p = _sigmoid(s)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)), p - y


def bce_gradient_sign(s, y):
    return np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s))), y - _sigmoid(s)


def bce_gradient_times_sigmoid_derivative(s, y):
    p = _sigmoid(s)
    return np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s))), (p - y) * p * (1 - p)


def bce_mean_loss(s, y):
    return (np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s)))).mean(), _sigmoid(s) - y


# sgns_pair_gradients(v, u_o, U_neg) -> (loss, grad_v, grad_u_o, grad_U_neg)

def _pair(v, u_o, U_neg, positive=1.0, negative=0.0, inner=1.0):
    s_o, s_n = v @ u_o, U_neg @ v
    loss = float(-np.log(_sigmoid(s_o)) - np.log(_sigmoid(-s_n)).sum())
    g_o, g_n = _sigmoid(s_o) - positive, inner * (_sigmoid(s_n) - negative)
    return loss, g_o * u_o + g_n @ U_neg, g_o * v, g_n[:, None] * v


def pair_positive_as_negative(v, u_o, U_neg):
    return _pair(v, u_o, U_neg, positive=0.0)


def pair_negatives_labelled_one(v, u_o, U_neg):
    return _pair(v, u_o, U_neg, negative=1.0)


def pair_inner_minus_lost(v, u_o, U_neg):
    return _pair(v, u_o, U_neg, inner=-1.0)


def pair_centre_misses_negatives(v, u_o, U_neg):
    loss, _, grad_u_o, grad_U_neg = _pair(v, u_o, U_neg)
    return loss, (_sigmoid(v @ u_o) - 1) * u_o, grad_u_o, grad_U_neg


def pair_swapped_vectors(v, u_o, U_neg):
    loss, grad_v, _, _ = _pair(v, u_o, U_neg)
    s_n = U_neg @ v
    return loss, grad_v, (_sigmoid(v @ u_o) - 1) * u_o, _sigmoid(s_n)[:, None] * U_neg


def pair_negatives_summed(v, u_o, U_neg):
    loss, grad_v, grad_u_o, grad_U_neg = _pair(v, u_o, U_neg)
    return loss, grad_v, grad_u_o, grad_U_neg.sum(axis=0)


def pair_loss_without_minus(v, u_o, U_neg):
    loss, *grads = _pair(v, u_o, U_neg)
    return -loss, *grads


def pair_one_minus_sigma(v, u_o, U_neg):
    loss, _, grad_u_o, _ = _pair(v, u_o, U_neg)
    g_n = 1 - _sigmoid(U_neg @ v)
    return loss, (_sigmoid(v @ u_o) - 1) * u_o + g_n @ U_neg, grad_u_o, g_n[:, None] * v


def pair_loss_negatives_as_yes(v, u_o, U_neg):
    _, *grads = _pair(v, u_o, U_neg)
    return float(-np.log(_sigmoid(v @ u_o)) - np.log(_sigmoid(U_neg @ v)).sum()), *grads


def pair_loss_without_negatives(v, u_o, U_neg):
    _, *grads = _pair(v, u_o, U_neg)
    return float(-np.log(_sigmoid(v @ u_o))), *grads


# sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives) -> (loss, dW_in, dW_out)

def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _sgns_parts(W_in, W_out, centres, contexts, negatives, negative_label=0.0):
    v = W_in[centres]
    targets = np.concatenate([contexts[:, None], negatives], axis=1)
    U = W_out[targets]
    s = np.einsum("bd,bkd->bk", v, U)
    y = np.full(s.shape, negative_label)
    y[:, 0] = 1.0
    loss = (_softplus(s) - s * y).sum()
    g = _sigmoid(s) - y
    return v, targets, U, g, loss


def sgns_assigns_gradients(W_in, W_out, centres, contexts, negatives):
    v, targets, U, g, loss = _sgns_parts(W_in, W_out, centres, contexts, negatives)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    dW_in[centres] = np.einsum("bk,bkd->bd", g, U)
    dW_out[targets.reshape(-1)] += (g[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1])
    return float(loss), dW_in, dW_out


def sgns_negatives_labelled_one(W_in, W_out, centres, contexts, negatives):
    v, targets, U, g, loss = _sgns_parts(W_in, W_out, centres, contexts, negatives, negative_label=1.0)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, centres, np.einsum("bk,bkd->bd", g, U))
    np.add.at(dW_out, targets, g[:, :, None] * v[:, None, :])
    return float(loss), dW_in, dW_out


def sgns_mean_loss(W_in, W_out, centres, contexts, negatives):
    v, targets, U, g, loss = _sgns_parts(W_in, W_out, centres, contexts, negatives)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, centres, np.einsum("bk,bkd->bd", g, U))
    np.add.at(dW_out, targets, g[:, :, None] * v[:, None, :])
    return float(loss) / len(centres), dW_in, dW_out


def sgns_centre_misses_negatives(W_in, W_out, centres, contexts, negatives):
    v, targets, U, g, loss = _sgns_parts(W_in, W_out, centres, contexts, negatives)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, centres, g[:, :1] * U[:, 0])
    np.add.at(dW_out, targets, g[:, :, None] * v[:, None, :])
    return float(loss), dW_in, dW_out


def sgns_pair_loop(W_in, W_out, centres, contexts, negatives):
    loss, dW_in, dW_out = 0.0, np.zeros_like(W_in), np.zeros_like(W_out)
    for c, o, negs in zip(centres, contexts, negatives):
        for w, label in [(o, 1.0)] + [(n, 0.0) for n in negs]:
            s = W_in[c] @ W_out[w]
            loss += _softplus(s) - s * label
            dW_in[c] += (_sigmoid(s) - label) * W_out[w]
            dW_out[w] += (_sigmoid(s) - label) * W_in[c]
    return float(loss), dW_in, dW_out


# cbow_loss_and_grads(W_in, W_out, contexts, centres, negatives) -> (loss, dW_in, dW_out)

def _cbow(W_in, W_out, contexts, centres, negatives, *, mean=True, share_back=True, lost=False):
    C = contexts.shape[1]
    h = W_in[contexts].mean(axis=1) if mean else W_in[contexts].sum(axis=1)
    targets = np.concatenate([centres[:, None], negatives], axis=1)
    U = W_out[targets]
    s = np.einsum("bd,bkd->bk", h, U)
    y = np.zeros_like(s)
    y[:, 0] = 1.0
    g = _sigmoid(s) - y
    dh = np.einsum("bk,bkd->bd", g, U)
    back = np.repeat((dh / C if mean and share_back else dh)[:, None, :], C, axis=1)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    if lost:
        dW_in[contexts.reshape(-1)] = back.reshape(-1, h.shape[1])
    else:
        np.add.at(dW_in, contexts, back)
    np.add.at(dW_out, targets, g[:, :, None] * h[:, None, :])
    return float((_softplus(s) - s * y).sum()), dW_in, dW_out


def cbow_sums_contexts(W_in, W_out, contexts, centres, negatives):
    return _cbow(W_in, W_out, contexts, centres, negatives, mean=False)


def cbow_full_gradient_to_each_context(W_in, W_out, contexts, centres, negatives):
    return _cbow(W_in, W_out, contexts, centres, negatives, share_back=False)


def cbow_assigns_gradients(W_in, W_out, contexts, centres, negatives):
    return _cbow(W_in, W_out, contexts, centres, negatives, lost=True)


def cbow_contexts_one_by_one(W_in, W_out, contexts, centres, negatives):
    B, C = contexts.shape
    return _cbow(W_in, W_out, contexts.reshape(-1, 1), np.repeat(centres, C), np.repeat(negatives, C, axis=0))


def cbow_example_loop(W_in, W_out, contexts, centres, negatives):
    loss, dW_in, dW_out = 0.0, np.zeros_like(W_in), np.zeros_like(W_out)
    for ctx, c, negs in zip(contexts, centres, negatives):
        part, di, do = _cbow(W_in, W_out, ctx[None, :], np.array([c]), negs[None, :])
        loss, dW_in, dW_out = loss + part, dW_in + di, dW_out + do
    return loss, dW_in, dW_out


# nearest_neighbours(E, i, k) -> (k,)

def _unit(E):
    return E / np.linalg.norm(E, axis=1, keepdims=True)


def nearest_by_dot_product(E, i, k):
    s = E @ E[i]
    s[i] = -np.inf
    return np.argsort(-s)[:k]


def nearest_includes_itself(E, i, k):
    return np.argsort(-(_unit(E) @ _unit(E)[i]))[:k]


def nearest_ascending(E, i, k):
    s = _unit(E) @ _unit(E)[i]
    s[i] = np.inf
    return np.argsort(s)[:k]


def nearest_by_distance(E, i, k):
    d = ((E - E[i]) ** 2).sum(axis=1)
    d[i] = np.inf
    return np.argsort(d)[:k]


# analogy(E, a, b, c, k) -> (k,)

def analogy_keeps_question_words(E, a, b, c, k=1):
    unit = _unit(E)
    return np.argsort(-(unit @ (unit[b] - unit[a] + unit[c])))[:k]


def analogy_wrong_direction(E, a, b, c, k=1):
    unit = _unit(E)
    s = unit @ (unit[a] - unit[b] + unit[c])
    s[[a, b, c]] = -np.inf
    return np.argsort(-s)[:k]


def analogy_raw_vectors(E, a, b, c, k=1):
    unit = _unit(E)
    s = unit @ (E[b] - E[a] + E[c])
    s[[a, b, c]] = -np.inf
    return np.argsort(-s)[:k]


def analogy_dot_product(E, a, b, c, k=1):
    unit = _unit(E)
    s = E @ (unit[b] - unit[a] + unit[c])
    s[[a, b, c]] = -np.inf
    return np.argsort(-s)[:k]



# Mistakes found by reviewers and by mutation testing (issue 20), written as a student would.

def embedding_forward_squeezed(W, idx):
    return np.squeeze(W[idx])                          # loses D = 1 and idx of length 1


def embedding_backward_vocabulary_from_indices(grad_out, idx, V):
    D = grad_out.shape[-1]
    dW = np.zeros((int(idx.max()) + 1, D))
    np.add.at(dW, idx.reshape(-1), grad_out.reshape(-1, D))
    return dW


def sample_negatives_global_random(counts, positives, k, rng):
    p = counts ** 0.75 / (counts ** 0.75).sum()
    negatives = np.random.choice(len(p), size=(len(positives), k), p=p)
    clash = negatives == positives[:, None]
    while clash.any():
        negatives[clash] = np.random.choice(len(p), size=int(clash.sum()), p=p)
        clash = negatives == positives[:, None]
    return negatives


def sample_negatives_reseeded(counts, positives, k, rng):
    return draw_excluding(counts ** 0.75 / (counts ** 0.75).sum(), positives, k, np.random.default_rng(0))


def sample_negatives_excludes_every_positive(counts, positives, k, rng):
    p = counts ** 0.75
    p[np.unique(positives)] = 0.0
    return rng.choice(len(p), size=(len(positives), k), p=p / p.sum())


def sample_negatives_without_replacement(counts, positives, k, rng):
    p = counts ** 0.75
    rows = []
    for positive in positives:
        q = p.copy()
        q[positive] = 0.0
        rows.append(rng.choice(len(p), size=k, replace=False, p=q / q.sum()))
    return np.array(rows)


def sample_negatives_shifts_clashes(counts, positives, k, rng):
    p = counts ** 0.75 / (counts ** 0.75).sum()
    negatives = rng.choice(len(p), size=(len(positives), k), p=p)
    clash = negatives == positives[:, None]
    negatives[clash] = (negatives[clash] + 1) % len(p)
    return negatives


def sample_negatives_redraws_once(counts, positives, k, rng):
    p = counts ** 0.75 / (counts ** 0.75).sum()
    negatives = rng.choice(len(p), size=(len(positives), k), p=p)
    clash = negatives == positives[:, None]
    negatives[clash] = rng.choice(len(p), size=int(clash.sum()), p=p)
    return negatives


def sample_negatives_one_draw_per_row(counts, positives, k, rng):
    return np.repeat(draw_excluding(counts ** 0.75 / (counts ** 0.75).sum(), positives, 1, rng), k, axis=1)


def bce_sigmoid_like_scores(s, y):
    loss = np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s)))
    sig = np.empty_like(s)                             # an integer array when the scores are integers
    sig[s >= 0] = 1 / (1 + np.exp(-s[s >= 0]))
    sig[s < 0] = np.exp(s[s < 0]) / (1 + np.exp(s[s < 0]))
    return loss, sig - y


def bce_squeezed(s, y):
    loss = np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s)))
    return np.squeeze(loss), np.squeeze(_sigmoid(s) - y)


def bce_log_of_sigmoid(s, y):
    e = np.exp(-np.abs(s))
    p = np.where(s >= 0, 1 / (1 + e), e / (1 + e))     # σ without overflow, but log(0) below −745
    return -(y * np.log(p) + (1 - y) * np.log1p(-p)), p - y


def pair_negatives_squeezed(v, u_o, U_neg):
    loss, grad_v, grad_u_o, grad_U_neg = _pair(v, u_o, U_neg)
    return loss, grad_v, grad_u_o, np.squeeze(grad_U_neg)


def sgns_naive_log(W_in, W_out, centres, contexts, negatives):
    v, targets, U, g, _ = _sgns_parts(W_in, W_out, centres, contexts, negatives)
    s = np.einsum("bd,bkd->bk", v, U)
    loss = -np.log(_sigmoid(s[:, 0])).sum() - np.log(1 - _sigmoid(s[:, 1:])).sum()
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, centres, np.einsum("bk,bkd->bd", g, U))
    np.add.at(dW_out, targets, g[:, :, None] * v[:, None, :])
    return float(loss), dW_in, dW_out


def sgns_squeezed(W_in, W_out, centres, contexts, negatives):
    v = np.squeeze(W_in[centres])                      # (D,) when B = 1, (B,) when D = 1
    targets = np.concatenate([contexts[:, None], negatives], axis=1)
    U = W_out[targets]
    s = np.einsum("bd,bkd->bk", v, U)
    y = np.zeros_like(s)
    y[:, 0] = 1.0
    g = _sigmoid(s) - y
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, centres, np.einsum("bk,bkd->bd", g, U))
    np.add.at(dW_out, targets, g[:, :, None] * v[:, None, :])
    return float((_softplus(s) - s * y).sum()), dW_in, dW_out


def cbow_squeezed(W_in, W_out, contexts, centres, negatives):
    C = contexts.shape[1]
    h = np.squeeze(W_in[contexts].mean(axis=1))
    targets = np.concatenate([centres[:, None], negatives], axis=1)
    U = W_out[targets]
    s = np.einsum("bd,bkd->bk", h, U)
    y = np.zeros_like(s)
    y[:, 0] = 1.0
    g = _sigmoid(s) - y
    dh = np.einsum("bk,bkd->bd", g, U)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, contexts, np.repeat(dh[:, None, :] / C, C, axis=1))
    np.add.at(dW_out, targets, g[:, :, None] * h[:, None, :])
    return float((_softplus(s) - s * y).sum()), dW_in, dW_out


def _sims(E, i):
    return _unit(E) @ _unit(E)[i]


def nearest_without_zero_guard(E, i, k):
    s = _sims(E, i)                                    # NaN for a vector of zeros
    s[i] = -np.inf
    return np.argsort(-s)[:k]


def nearest_left_at_zero(E, i, k):
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    s = unit @ unit[i]
    s[i] = 0.0
    return np.argsort(-s)[:k]


def nearest_drops_the_first(E, i, k):
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    return np.argsort(-(unit @ unit[i]))[1:k + 1]


def nearest_argpartition(E, i, k):
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    s = unit @ unit[i]
    s[i] = -np.inf
    return np.argpartition(-s, k - 1)[:k]


def nearest_squeezed(E, i, k):
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    s = unit @ unit[i]
    s[i] = -np.inf
    return np.squeeze(np.argsort(-s)[:k])


def _analogy_sims(E, a, b, c):
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    return unit @ (unit[b] - unit[a] + unit[c])


def analogy_forgets_a(E, a, b, c, k=1):
    s = _analogy_sims(E, a, b, c)
    s[[b, c]] = -np.inf
    return np.argsort(-s)[:k]


def analogy_left_at_zero(E, a, b, c, k=1):
    s = _analogy_sims(E, a, b, c)
    s[[a, b, c]] = 0.0
    return np.argsort(-s)[:k]


def analogy_drops_the_first_three(E, a, b, c, k=1):
    return np.argsort(-_analogy_sims(E, a, b, c))[3:k + 3]


def analogy_without_zero_guard(E, a, b, c, k=1):
    unit = _unit(E)
    s = unit @ (unit[b] - unit[a] + unit[c])
    s[[a, b, c]] = -np.inf
    return np.argsort(-s)[:k]


def analogy_squeezed(E, a, b, c, k=1):
    s = _analogy_sims(E, a, b, c)
    s[[a, b, c]] = -np.inf
    return np.squeeze(np.argsort(-s)[:k])

MUTANTS = {
    "embedding_forward": [
        Mutant(embedding_forward_columns, says="You picked columns"),
        Mutant(embedding_forward_flattened, says="Keep the index's shape"),
        Mutant(embedding_forward_one_hot, says="one-hot"),
        Mutant(embedding_forward_loop, says="uses a list comprehension"),
    ],
    "embedding_backward": [
        Mutant(embedding_backward_assigns, says="np.add.at"),
        Mutant(embedding_backward_plus_equals, says="NumPy does not promise which"),
        Mutant(embedding_backward_not_scattered, says="one row per word of the vocabulary"),
        Mutant(embedding_backward_loop, says="uses a `for` loop"),
    ],
    "sample_negatives": [
        Mutant(sample_negatives_without_power, says="forgot the 0.75"),
        Mutant(sample_negatives_uniform, says="uniform sampler"),
        Mutant(sample_negatives_keeps_positive, says="sampled the positive"),
        Mutant(sample_negatives_flat, says="one row of k negatives per positive"),
        Mutant(sample_negatives_excludes_first_positive_only, says="positives differ from row to row"),
    ],
    "bce_with_logits": [
        Mutant(bce_unstable, says="stable form"),
        Mutant(bce_gradient_sign, says="wrong sign"),
        Mutant(bce_gradient_times_sigmoid_derivative, says="extra factor σ(s)(1 − σ(s))"),
        Mutant(bce_mean_loss, says="one loss per score"),
    ],
    "sgns_pair_gradients": [
        Mutant(pair_positive_as_negative, says="treated like a negative"),
        Mutant(pair_negatives_labelled_one, says="treated as true contexts"),
        Mutant(pair_inner_minus_lost, says="The minus inside σ(−s_j)"),
        Mutant(pair_centre_misses_negatives, says="missing the negatives' part"),
        Mutant(pair_swapped_vectors, says="the other vector"),
        Mutant(pair_negatives_summed, says="its own gradient row"),
        Mutant(pair_loss_without_minus, says="must be positive"),
        Mutant(pair_one_minus_sigma, says="you used 1 − σ(s_j)"),
        Mutant(pair_loss_negatives_as_yes, says="not −log σ(v·u_neg)"),
        Mutant(pair_loss_without_negatives, says="missing the negatives' terms"),
    ],
    "sgns_loss_and_grads": [
        Mutant(sgns_assigns_gradients, says="np.add.at"),
        Mutant(sgns_negatives_labelled_one, says="treated as true contexts"),
        Mutant(sgns_mean_loss, says="averaged over the batch"),
        Mutant(sgns_centre_misses_negatives, says="missing the negatives' part"),
        Mutant(sgns_pair_loop, says="uses a `for` loop"),
    ],
    "cbow_loss_and_grads": [
        Mutant(cbow_sums_contexts, says="CBOW averages them"),
        Mutant(cbow_full_gradient_to_each_context, says="1/C of dL/dh"),
        Mutant(cbow_assigns_gradients, says="np.add.at"),
        Mutant(cbow_contexts_one_by_one, says="train together"),
        Mutant(cbow_example_loop, says="uses a `for` loop"),
    ],
    "nearest_neighbours": [
        Mutant(nearest_by_dot_product, says="ranks by dot product"),
        Mutant(nearest_includes_itself, says="Leave it out"),
        Mutant(nearest_ascending, says="least similar"),
        Mutant(nearest_by_distance, says="Euclidean distance"),
    ],
    "analogy": [
        Mutant(analogy_keeps_question_words, says="question words"),
        Mutant(analogy_wrong_direction, says="You computed a − b + c"),
        Mutant(analogy_raw_vectors, says="Use unit vectors"),
        Mutant(analogy_dot_product, says="not by dot product"),
    ],
}

FOUND_LATER = {
    "embedding_forward": [Mutant(embedding_forward_squeezed, visible=False)],
    "embedding_backward": [Mutant(embedding_backward_vocabulary_from_indices, says="never looked up")],
    "sample_negatives": [Mutant(sample_negatives_global_random, says="for the same seed"),
                         Mutant(sample_negatives_reseeded, says="for different seeds"),
                         Mutant(sample_negatives_excludes_every_positive, says="only its own positive"),
                         Mutant(sample_negatives_without_replacement, says="independently"),
                         Mutant(sample_negatives_shifts_clashes, says="wrong distribution"),
                         Mutant(sample_negatives_redraws_once, says="sampled the positive"),
                         Mutant(sample_negatives_one_draw_per_row, says="independently")],
    "bce_with_logits": [Mutant(bce_sigmoid_like_scores, visible=False), Mutant(bce_squeezed, visible=False),
                        Mutant(bce_log_of_sigmoid, says="stable form")],
    "sgns_pair_gradients": [Mutant(pair_negatives_squeezed, visible=False)],
    "sgns_loss_and_grads": [Mutant(sgns_naive_log, visible=False), Mutant(sgns_squeezed, visible=False)],
    "cbow_loss_and_grads": [Mutant(cbow_squeezed, visible=False)],
    "nearest_neighbours": [Mutant(nearest_without_zero_guard, says="vector of zeros has length 0"),
                           Mutant(nearest_left_at_zero, says="not −inf"),
                           Mutant(nearest_drops_the_first, says="dropped the first result"),
                           Mutant(nearest_argpartition, says="argpartition"),
                           Mutant(nearest_squeezed, visible=False)],
    "analogy": [Mutant(analogy_forgets_a, says="must be left out"),
                Mutant(analogy_left_at_zero, says="not −inf"),
                Mutant(analogy_drops_the_first_three, says="dropped the first three"),
                Mutant(analogy_without_zero_guard, says="vector of zeros has length 0"),
                Mutant(analogy_squeezed, visible=False)],
}
for exercise, extra in FOUND_LATER.items():
    MUTANTS[exercise] += extra
