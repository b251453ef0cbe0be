"""Typical wrong answers to lesson 3 (03_backprop_nodes)."""
import numpy as np

from helpers.graph import Node, add, matmul, repeat
from tests.mutants import Mutant

NOTEBOOK = "03_backprop_nodes/backprop_nodes.ipynb"


# add_backward(x, y, dout) -> (dx, dy)

def add_splits_in_half(x, y, dout):
    return dout / 2, dout / 2


def add_uses_mul_rule(x, y, dout):
    return dout * y, dout * x


def add_only_first_input(x, y, dout):
    return dout, np.zeros_like(dout)


def add_local_gradient_only(x, y, dout):
    return np.ones_like(x), np.ones_like(y)


# mul_backward(x, y, dout) -> (dx, dy)

def mul_not_switched(x, y, dout):
    return dout * x, dout * y


def mul_without_upstream(x, y, dout):
    return y.copy(), x.copy()


def mul_uses_add_rule(x, y, dout):
    return dout, dout


# max_backward(x, y, dout) -> (dx, dy)

def max_to_every_input(x, y, dout):
    return dout, dout


def max_to_the_smaller(x, y, dout):
    return np.where(x >= y, 0.0, dout), np.where(x >= y, dout, 0.0)


def max_mask_without_upstream(x, y, dout):
    return (x >= y).astype(float), (x < y).astype(float)


def max_ties_go_nowhere(x, y, dout):
    return np.where(x > y, dout, 0.0), np.where(y > x, dout, 0.0)


# matmul_backward(X, W, dY) -> (dX, dW)

def matmul_dX_missing_transpose(X, W, dY):
    return dY @ W, X.T @ dY


def matmul_dW_missing_transpose(X, W, dY):
    return dY @ W.T, X @ dY


def matmul_dW_transposed(X, W, dY):
    return dY @ W.T, dY.T @ X


def matmul_swapped(X, W, dY):
    return X.T @ dY, dY @ W.T


# repeat_backward(dY) -> dx

def repeat_mean(dY):
    return dY.mean(axis=0)


def repeat_wrong_axis(dY):
    return dY.sum(axis=1)


def repeat_first_copy_only(dY):
    return dY[0].copy()


def repeat_keepdims(dY):
    return dY.sum(axis=0, keepdims=True)


# sum_backward(dy, N) -> dX

def sum_divided_by_n(dy, N):
    return np.repeat(dy[None], N, axis=0) / N


def sum_not_copied(dy, N):
    return dy.copy()


def sum_repeat_flattens(dy, N):
    return np.repeat(dy, N)


def sum_first_row_only(dy, N):
    dX = np.zeros((N,) + dy.shape)
    dX[0] = dy
    return dX


# sigmoid_backward(y, dout) -> dx

def sigmoid_applied_twice(y, dout):
    s = 1 / (1 + np.exp(-y))
    return dout * s * (1 - s)


def sigmoid_missing_factor(y, dout):
    return dout * y


def sigmoid_without_upstream(y, dout):
    return y * (1 - y)


def sigmoid_uses_tanh_rule(y, dout):
    return dout * (1 - y ** 2)


# softmax_with_loss(Z, labels) -> (loss, dZ)

def _stable_p(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_loss_not_divided_by_n(Z, labels):
    p, N = _stable_p(Z), len(Z)
    dZ = p.copy()
    dZ[np.arange(N), labels] -= 1
    return float(-np.log(p[np.arange(N), labels]).sum()), dZ


def softmax_loss_gradient_not_divided_by_n(Z, labels):
    p, N = _stable_p(Z), len(Z)
    dZ = p.copy()
    dZ[np.arange(N), labels] -= 1
    return float(-np.log(p[np.arange(N), labels]).mean()), dZ


def softmax_gradient_divided_by_n_twice(Z, labels):
    p, N = _stable_p(Z), len(Z)
    dZ = (p - np.eye(Z.shape[1])[labels]) / N
    return float(-np.log(p[np.arange(N), labels]).mean()), dZ / N


def softmax_loss_unstable(Z, labels):
    e = np.exp(Z)
    p, N = e / e.sum(axis=1, keepdims=True), len(Z)
    dZ = p.copy()
    dZ[np.arange(N), labels] -= 1
    return float(-np.log(p[np.arange(N), labels]).mean()), dZ / N


def softmax_loss_forgets_onehot(Z, labels):
    p, N = _stable_p(Z), len(Z)
    return float(-np.log(p[np.arange(N), labels]).mean()), p / N


def softmax_loss_wrong_sign(Z, labels):
    p, N = _stable_p(Z), len(Z)
    dZ = -p
    dZ[np.arange(N), labels] += 1
    return float(-np.log(p[np.arange(N), labels]).mean()), dZ / N


# topological_order(output) -> list of nodes

def topo_without_visited_set(output):
    order = []

    def visit(node):
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(output)
    return order


def topo_node_before_parents(output):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        order.append(node)
        for parent in node.parents:
            visit(parent)

    visit(output)
    return order


def topo_reversed_breadth_first(output):
    order, seen, queue = [], {id(output)}, [output]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return order[::-1]


def topo_skips_source_nodes(output):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            visit(parent)
        if node.parents:
            order.append(node)

    visit(output)
    return order


# backward_pass(output, order): fills every node's .grad

def backward_assigns_instead_of_adding(output, order):
    output.grad = np.ones_like(output.value)
    for node in reversed(order):
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad = gradient


def backward_in_forward_order(output, order):
    output.grad = np.ones_like(output.value)
    for node in order:
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad += gradient


def backward_not_seeded(output, order):
    for node in reversed(order):
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad += gradient


def backward_resets_gradients(output, order):
    for node in order:
        node.grad = np.zeros_like(node.value)
    output.grad = np.ones_like(output.value)
    for node in reversed(order):
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad += gradient


def backward_breadth_first(output, order):
    output.grad = np.ones_like(output.value)
    queue = [output]
    while queue:                                   # no visited set: a shared node is queued once per user
        node = queue.pop(0)
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad += gradient
            queue.append(parent)


# window_classifier_grads(X, y, W, b, u) -> (loss, {"W", "b", "u"})

def _classifier_parts(X, y, W, b, u):
    """h, p, ds = (p − y)/N and the loss, written out plainly for the mutants."""
    h = np.tanh(X @ W + b)
    p = 1 / (1 + np.exp(-(h @ u)))
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return h, p, (p - y) / len(X), loss


def classifier_bias_not_summed(X, y, W, b, u):
    h, p, ds, loss = _classifier_parts(X, y, W, b, u)
    dZ = ds[:, None] * u * (1 - h ** 2)
    return loss, {"W": X.T @ dZ, "b": dZ, "u": h.T @ ds}


def classifier_without_tanh_gradient(X, y, W, b, u):
    h, p, ds, loss = _classifier_parts(X, y, W, b, u)
    dZ = ds[:, None] * u
    return loss, {"W": X.T @ dZ, "b": dZ.sum(axis=0), "u": h.T @ ds}


def classifier_not_divided_by_n(X, y, W, b, u):
    h, p, ds, loss = _classifier_parts(X, y, W, b, u)
    ds = p - y                                     # the mean's 1/N forgotten
    dZ = ds[:, None] * u * (1 - h ** 2)
    return loss, {"W": X.T @ dZ, "b": dZ.sum(axis=0), "u": h.T @ ds}


def classifier_divided_by_n_twice(X, y, W, b, u):
    h, p, ds, loss = _classifier_parts(X, y, W, b, u)
    ds = ds / len(X)                               # ds already is (p − y) / N
    dZ = ds[:, None] * u * (1 - h ** 2)
    return loss, {"W": X.T @ dZ, "b": dZ.sum(axis=0), "u": h.T @ ds}


def classifier_dW_transposed(X, y, W, b, u):
    h, p, ds, loss = _classifier_parts(X, y, W, b, u)
    dZ = ds[:, None] * u * (1 - h ** 2)
    return loss, {"W": dZ.T @ X, "b": dZ.sum(axis=0), "u": h.T @ ds}


# relu(a) -> Node

def relu_passes_dout_through(a):
    out = Node(np.maximum(a.value, 0.0), (a,), "ReLU")
    out._backward = lambda dout: (dout,)
    return out


def relu_mask_without_upstream(a):
    out = Node(np.maximum(a.value, 0.0), (a,), "ReLU")
    out._backward = lambda dout: ((a.value > 0).astype(float),)
    return out


def relu_passes_gradient_at_zero(a):
    out = Node(np.maximum(a.value, 0.0), (a,), "ReLU")
    out._backward = lambda dout: (dout * (a.value >= 0),)
    return out


def relu_np_max(a):
    out = Node(np.max(a.value, 0), (a,), "ReLU")
    out._backward = lambda dout: (dout * (a.value > 0),)
    return out


def relu_forgets_its_parent(a):
    out = Node(np.maximum(a.value, 0.0), (), "ReLU")
    out._backward = lambda dout: (dout * (a.value > 0),)
    return out


def relu_rule_returns_an_array(a):
    out = Node(np.maximum(a.value, 0.0), (a,), "ReLU")
    out._backward = lambda dout: dout * (a.value > 0)
    return out


def relu_without_a_rule(a):
    return Node(np.maximum(a.value, 0.0), (a,), "ReLU")   # out._backward never set


def relu_returns_the_array(a):
    return np.maximum(a.value, 0.0)


def relu_in_place(a):
    np.maximum(a.value, 0.0, out=a.value)          # changes the input node's value
    out = Node(a.value, (a,), "ReLU")
    out._backward = lambda dout: (dout * (a.value > 0),)
    return out


# mlp(X, params) -> scores Node; relu here is the reference's, as the notebook's would be

def relu(a):
    out = Node(np.maximum(a.value, 0.0), (a,), "ReLU")
    out._backward = lambda dout: (dout * (a.value > 0),)
    return out


def mlp_bias_not_repeated(X, params):
    hidden = relu(add(matmul(X, params["W1"]), params["b1"]))
    return add(matmul(hidden, params["W2"]), params["b2"])


def mlp_without_relu(X, params):
    N = len(X.value)
    hidden = add(matmul(X, params["W1"]), repeat(params["b1"], N))
    return add(matmul(hidden, params["W2"]), repeat(params["b2"], N))


def mlp_relu_on_the_scores(X, params):
    N = len(X.value)
    hidden = relu(add(matmul(X, params["W1"]), repeat(params["b1"], N)))
    return relu(add(matmul(hidden, params["W2"]), repeat(params["b2"], N)))


def mlp_first_layer_outside_the_graph(X, params):
    N = len(X.value)
    hidden = relu(Node(X.value @ params["W1"].value + params["b1"].value))
    return add(matmul(hidden, params["W2"]), repeat(params["b2"], N))


def mlp_without_b2(X, params):
    N = len(X.value)
    hidden = relu(add(matmul(X, params["W1"]), repeat(params["b1"], N)))
    return matmul(hidden, params["W2"])


MUTANTS = {
    "add_backward": [
        Mutant(add_splits_in_half, says="does not split the gradient"),
        Mutant(add_uses_mul_rule, says="That is Mul's rule"),
        Mutant(add_only_first_input, says="one of yours receives nothing"),
        Mutant(add_local_gradient_only, says="multiply by the upstream gradient"),
    ],
    "mul_backward": [
        Mutant(mul_not_switched, says="Mul switches"),
        Mutant(mul_without_upstream, says="multiply it by the upstream gradient"),
        Mutant(mul_uses_add_rule, says="That is Add's rule"),
    ],
    "max_backward": [
        Mutant(max_to_every_input, says="sending the gradient to every input"),
        Mutant(max_to_the_smaller, says="goes to the smaller input"),
        Mutant(max_mask_without_upstream, says="multiply the mask by the upstream gradient"),
        Mutant(max_ties_go_nowhere, says="On a tie"),
    ],
    "matmul_backward": [
        Mutant(matmul_dX_missing_transpose, says="dX is missing a transpose"),
        Mutant(matmul_dW_missing_transpose, says="dW is missing a transpose"),
        Mutant(matmul_dW_transposed, says="dW is transposed"),
        Mutant(matmul_swapped, says="wrong order"),
    ],
    "repeat_backward": [
        Mutant(repeat_mean, says="not the mean"),
        Mutant(repeat_wrong_axis, says="wrong axis"),
        Mutant(repeat_first_copy_only, says="only the first copy"),
        Mutant(repeat_keepdims, says="without keepdims"),
    ],
    "sum_backward": [
        Mutant(sum_divided_by_n, says="do not divide by N"),
        Mutant(sum_not_copied, says="copy dy to every one of the N rows"),
        Mutant(sum_repeat_flattens, says="np.repeat without axis flattens"),
        Mutant(sum_first_row_only, says="Only row 0 receives the gradient"),
    ],
    "sigmoid_backward": [
        Mutant(sigmoid_applied_twice, says="You applied the sigmoid to it again"),
        Mutant(sigmoid_missing_factor, says="a factor (1 − y) is missing"),
        Mutant(sigmoid_without_upstream, says="multiply it by the upstream gradient"),
        Mutant(sigmoid_uses_tanh_rule, says="tanh's local gradient"),
    ],
    "softmax_with_loss": [
        Mutant(softmax_loss_not_divided_by_n, says="Neither the loss nor dZ is divided by N"),
        Mutant(softmax_loss_gradient_not_divided_by_n, says="dZ is not divided by N"),
        Mutant(softmax_loss_unstable, says="overflows"),
        Mutant(softmax_loss_forgets_onehot, says="subtract 1 at the correct class"),
        Mutant(softmax_loss_wrong_sign, says="not (y − p) / N"),
        Mutant(softmax_gradient_divided_by_n_twice, says="dZ is divided by N twice"),
    ],
    "topological_order": [
        Mutant(topo_without_visited_set, says="only once"),
        Mutant(topo_node_before_parents, says="the topological order is violated"),
        Mutant(topo_reversed_breadth_first, says="the topological order is violated"),
        Mutant(topo_skips_source_nodes, says="the source nodes"),
    ],
    "backward_pass": [
        Mutant(backward_assigns_instead_of_adding, says="You used `=` instead of `+=` on fan-out"),
        Mutant(backward_in_forward_order, says="reverse topological order"),
        Mutant(backward_not_seeded, says="Backprop starts with output.grad = 1"),
        Mutant(backward_resets_gradients, says="Do not reset the gradients"),
        Mutant(backward_breadth_first, says="Double counting on fan-out"),
    ],
    "window_classifier_grads": [
        Mutant(classifier_bias_not_summed, says="a hidden Repeat"),
        Mutant(classifier_without_tanh_gradient, says="1 − h² is missing"),
        Mutant(classifier_not_divided_by_n, says="N times too large"),
        Mutant(classifier_divided_by_n_twice, says="divide by N once"),
        Mutant(classifier_dW_transposed, says="dW must have W's shape"),
    ],
    "relu": [
        Mutant(relu_passes_dout_through, says="passes dout through unchanged"),
        Mutant(relu_mask_without_upstream, says="multiply it by the upstream gradient"),
        Mutant(relu_passes_gradient_at_zero, says="not >= 0"),
        Mutant(relu_np_max, says="np.maximum(x, 0)"),
        Mutant(relu_forgets_its_parent, says="must remember its input"),
        Mutant(relu_rule_returns_an_array, says="as a tuple"),
        Mutant(relu_without_a_rule, says="Set the node's rule"),
        Mutant(relu_returns_the_array, says="expected a Node"),
        Mutant(relu_in_place, says="changed its input"),
    ],
    "mlp": [
        Mutant(mlp_bias_not_repeated, says="a hidden Repeat"),
        Mutant(mlp_without_relu, says="needs its nonlinearity"),
        Mutant(mlp_relu_on_the_scores, says="Only the hidden layer has a ReLU"),
        Mutant(mlp_first_layer_outside_the_graph, says="outside the graph"),
        Mutant(mlp_without_b2, says="output layer has a bias too"),
    ],
}


# Classes of mistake only the hidden tests are meant to catch (extreme values, degenerate shapes, graphs).

def mul_divides_the_output(x, y, dout):
    out = x * y
    return dout * out / x, dout * out / y          # 0/0 where an input is exactly 0


def repeat_squeezed(dY):
    return np.squeeze(dY.sum(axis=0, keepdims=True))   # loses axes of length 1


def sum_tiled(dy, N):
    return np.tile(dy, (N, 1))                     # right only for a 1-D dy


def matmul_in_the_inputs_dtype(X, W, dY):
    dX, dW = np.zeros_like(X), np.zeros_like(W)    # integer X: integer dX
    dX[...] = dY @ W.T
    dW[...] = X.T @ dY
    return dX, dW


def softmax_shifted_by_the_mean(Z, labels):
    N, shifted = len(Z), Z - Z.mean(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dZ = np.exp(log_p)
    dZ[np.arange(N), labels] -= 1
    return float(-log_p[np.arange(N), labels].mean()), dZ / N


def softmax_shifted_by_the_global_max(Z, labels):
    N, shifted = len(Z), Z - Z.max()
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dZ = np.exp(log_p)
    dZ[np.arange(N), labels] -= 1
    return float(-log_p[np.arange(N), labels].mean()), dZ / N


def softmax_shifted_only_when_large(Z, labels):
    N = len(Z)
    shifted = Z - Z.max(axis=1, keepdims=True) if Z.max() > 100 else Z
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    dZ = p.copy()
    dZ[np.arange(N), labels] -= 1
    return float(-np.log(p[np.arange(N), labels]).mean()), dZ / N


def softmax_log_of_underflowed_p(Z, labels):
    N, p = len(Z), _stable_p(Z)
    dZ = p.copy()
    dZ[np.arange(N), labels] -= 1
    return float(-np.log(p[np.arange(N), labels]).mean()), dZ / N   # log(0) = -inf below -745


def topo_visited_by_label(output):
    order, seen = [], set()

    def visit(node):
        if node.label in seen:
            return
        seen.add(node.label)
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(output)
    return order


def backward_first_gradient_assigned(output, order):
    output.grad = np.ones_like(output.value)
    for node in reversed(order):
        for parent, gradient in zip(node.parents, node.downstream()):
            if not parent.grad.any():
                parent.grad = gradient                 # the same array as the child's gradient
            else:
                parent.grad += gradient


HIDDEN_ONLY = {
    "mul_backward": [Mutant(mul_divides_the_output, visible=False)],
    "repeat_backward": [Mutant(repeat_squeezed, visible=False)],
    "sum_backward": [Mutant(sum_tiled, visible=False)],
    "matmul_backward": [Mutant(matmul_in_the_inputs_dtype, visible=False)],
    "softmax_with_loss": [Mutant(softmax_shifted_by_the_mean, visible=False),
                          Mutant(softmax_shifted_by_the_global_max, says="overflows"),
                          Mutant(softmax_shifted_only_when_large, visible=False),
                          Mutant(softmax_log_of_underflowed_p, says="Softmax underflow")],
    "topological_order": [Mutant(topo_visited_by_label, visible=False)],
    "backward_pass": [Mutant(backward_first_gradient_assigned, says="share one gradient array")],
}
for exercise, extra in HIDDEN_ONLY.items():
    MUTANTS[exercise] += extra
