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
