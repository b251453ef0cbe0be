"""Hidden tests of lesson 3, "Backpropagation through computational-graph nodes" (see helpers.grading.spec).

The references are written plainly, entry by entry; the cases cover, for every exercise, the classes
of input that wrong answers get wrong: degenerate and higher-rank shapes, exact zeros and ties,
extreme values, integer inputs; graphs with fan-out, diamonds, a node used twice by one node,
repeated labels and edges that pass the very same gradient array on.
"""
from __future__ import annotations

import math

import numpy as np

from helpers.checks.backprop_nodes import PROCEDURES
from helpers.grading.spec import Case, Exercise, Mistake

SHAPES = [(1,), (4,), (1, 1), (3, 5), (2, 3, 4), (2, 1, 3, 2)]


def _each(shape):
    return np.ndindex(*shape)


# --- Add, Mul, Max ----------------------------------------------------------------------------------

def add_reference(x, y, dout):
    dx, dy = np.zeros(dout.shape), np.zeros(dout.shape)
    for i in _each(dout.shape):
        dx[i] = 1.0 * dout[i]
        dy[i] = 1.0 * dout[i]
    return dx, dy


def mul_reference(x, y, dout):
    dx, dy = np.zeros(dout.shape), np.zeros(dout.shape)
    for i in _each(dout.shape):
        dx[i] = float(dout[i]) * float(y[i])
        dy[i] = float(dout[i]) * float(x[i])
    return dx, dy


def max_reference(x, y, dout):
    dx, dy = np.zeros(dout.shape), np.zeros(dout.shape)
    for i in _each(dout.shape):
        if x[i] >= y[i]:
            dx[i] = dout[i]
        else:
            dy[i] = dout[i]
    return dx, dy


def binary_cases(rng, *, ties: bool = False):
    for shape in SHAPES:
        values = (lambda: rng.integers(-2, 3, size=shape).astype(float)) if ties else \
            (lambda: rng.normal(size=shape))
        yield Case(f"shape {shape}", (values(), values(), rng.normal(size=shape)))
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    x[0], y[1], x[2, :2], y[2, :2] = 0.0, 0.0, 0.0, 0.0
    yield Case("x and y with exact zeros", (x, y, rng.normal(size=(3, 4))))
    yield Case("integer x and y", (rng.integers(-3, 4, size=(2, 5)), rng.integers(-3, 4, size=(2, 5)),
                                   rng.normal(size=(2, 5))))
    yield Case("an upstream gradient of zeros", (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), np.zeros((2, 3))))
    scale = 10.0 ** rng.integers(-150, 150, size=(3, 3))
    yield Case("values from 1e-150 to 1e150", (rng.normal(size=(3, 3)) * scale, rng.normal(size=(3, 3)) / scale,
                                               rng.normal(size=(3, 3))))


def binary_visible(rng, *, tie: bool = False):
    x, y, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    if tie:
        x[0, 0] = y[0, 0]
    yield Case("random values of shape (3, 4)" + (", one tie" if tie else ""), (x, y, dout))


# --- Repeat, Sum, MatMul, Sigmoid -----------------------------------------------------------------------

def repeat_reference(dY):
    dx = np.zeros(dY.shape[1:])
    for row in dY:
        for i in _each(dx.shape):
            dx[i] += row[i]
    return dx


def repeat_cases(rng):
    for shape in [(1, 1), (1, 4), (5, 1), (3, 3), (2, 7), (3, 2, 4), (2, 3, 4, 5)]:
        yield Case(f"dY of shape {shape}", (rng.normal(size=shape),))
    yield Case("integer dY", (rng.integers(-4, 5, size=(4, 3)).astype(float),))


def sum_reference(dy, N):
    dX = np.zeros((N,) + dy.shape)
    for n in range(N):
        for i in _each(dy.shape):
            dX[(n,) + i] = dy[i]
    return dX


def sum_cases(rng):
    for shape, N in [((1,), 1), ((3,), 1), ((1,), 5), ((4,), 6), ((3,), 3), ((2, 3), 3), ((2, 3, 4), 2)]:
        yield Case(f"dy of shape {shape}, N={N}", (rng.normal(size=shape), N))


def matmul_reference(X, W, dY):
    (N, D), H = X.shape, W.shape[1]
    dX = np.array([[sum(float(dY[n, h]) * float(W[d, h]) for h in range(H)) for d in range(D)] for n in range(N)])
    dW = np.array([[sum(float(X[n, d]) * float(dY[n, h]) for n in range(N)) for h in range(H)] for d in range(D)])
    return dX.reshape(N, D), dW.reshape(D, H)


def matmul_cases(rng):
    for N, D, H in [(1, 1, 1), (1, 4, 3), (4, 1, 3), (4, 3, 1), (3, 3, 3), (5, 3, 5), (7, 6, 2)]:
        yield Case(f"N={N}, D={D}, H={H}", (rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=(N, H))))
    yield Case("integer X", (rng.integers(-3, 4, size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(4, 2))))
    yield Case("an upstream gradient of zeros", (rng.normal(size=(3, 2)), rng.normal(size=(2, 4)), np.zeros((3, 4))))


def matmul_visible(rng):
    for N, D, H in [(3, 3, 3), (4, 3, 2)]:   # square first, so a missing transpose still has the right shape
        yield Case(f"N={N}, D={D}, H={H}", (rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=(N, H))))


def sigmoid_reference(y, dout):
    dx = np.zeros(y.shape)
    for i in _each(y.shape):
        dx[i] = float(dout[i]) * float(y[i]) * (1.0 - float(y[i]))
    return dx


def _sigmoid(x):
    return np.array([1 / (1 + math.exp(-v)) if v > -700 else 0.0 for v in np.ravel(x)]).reshape(np.shape(x))


def sigmoid_cases(rng):
    for shape in [(1,), (5,), (3, 4), (2, 2, 3)]:
        yield Case(f"shape {shape}", (_sigmoid(rng.normal(scale=3.0, size=shape)), rng.normal(size=shape)))
    yield Case("outputs near 0 and 1 (x = ±30)", (_sigmoid(np.array([-30.0, -20.0, 20.0, 30.0])), rng.normal(size=4)))
    yield Case("outputs exactly 0, 1/2 and 1", (np.array([0.0, 0.5, 1.0]), rng.normal(size=3)))
    yield Case("an upstream gradient of zeros", (_sigmoid(rng.normal(size=4)), np.zeros(4)))


def sigmoid_visible(rng):
    yield Case("sigmoid outputs of shape (2, 4)", (_sigmoid(rng.normal(size=(2, 4))), rng.normal(size=(2, 4))))


# --- softmax with cross-entropy -------------------------------------------------------------------------

def softmax_reference(Z, labels):
    N, C = Z.shape
    loss, dZ = 0.0, np.zeros((N, C))
    for n in range(N):
        top = max(float(v) for v in Z[n])
        log_norm = top + math.log(sum(math.exp(float(v) - top) for v in Z[n]))
        loss += (log_norm - float(Z[n, labels[n]])) / N
        for c in range(C):
            dZ[n, c] = (math.exp(float(Z[n, c]) - log_norm) - (c == labels[n])) / N
    return loss, dZ


def softmax_cases(rng):
    def scores(N, C, scale=1.0, shift=0.0):
        return rng.normal(scale=scale, size=(N, C)) + shift, rng.integers(0, C, size=N)

    yield Case("one example, two classes", scores(1, 2))
    yield Case("30 examples, 10 classes", scores(30, 10, 3.0))
    yield Case("scores near +1000", scores(4, 5, 3.0, 1000.0))
    yield Case("every score very negative (−1000)", scores(4, 5, 3.0, -1000.0))
    yield Case("rows far apart (one near 0, one near −1000)",
               (np.array([[1.0, 2.0, 0.5], [-1000.0, -1001.0, -999.0]]), np.array([1, 0])))
    yield Case("a row whose spread exceeds 1400", (np.array([[1450.0, 0.0, 0.0], [0.0, -1500.0, 2.0]]),
                                                   np.array([1, 1])))
    yield Case("the correct class 800 below the others (log p < −745)",
               (np.array([[0.0, 800.0, 790.0], [5.0, -795.0, 2.0]]), np.array([0, 1])))
    yield Case("a spread of 400", scores(6, 3, 400.0))
    yield Case("integer scores", (rng.integers(-5, 6, size=(3, 4)), rng.integers(0, 4, size=3)))
    yield Case("one class only", (rng.normal(size=(3, 1)), np.zeros(3, dtype=int)))
    yield Case("labels of dtype int32", (rng.normal(size=(4, 3)), rng.integers(0, 3, size=4).astype(np.int32)))


def softmax_visible(rng):
    yield Case("5 examples, 4 classes", (rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)))
    yield Case("scores near ±1000", (np.array([[1000.0, 0.0, -1000.0], [5.0, 1005.0, 0.0]]), np.array([0, 2])))
    yield Case("rows far apart (one near 0, one near −1000)",
               (np.array([[1.0, 2.0, 0.5], [-1000.0, -1001.0, -999.0]]), np.array([1, 0])))


def _softmax_p(Z, shift):
    e = np.exp(Z - shift)
    return e / e.sum(axis=1, keepdims=True)


def _softmax_answer(Z, labels, shift, *, loss_scale=1.0, grad_scale=1.0, onehot=True, sign=1.0):
    N = len(Z)
    p = _softmax_p(np.asarray(Z, dtype=float), shift)
    dZ = p.copy()
    if onehot:
        dZ[np.arange(N), labels] -= 1.0
    return float(-np.log(p[np.arange(N), labels]).mean() * loss_scale), sign * dZ / N * grad_scale


def _row_max(Z):
    return Z.max(axis=1, keepdims=True)


# --- graphs ----------------------------------------------------------------------------------------------

def graph_data(parents, shapes, rng, *, labels=None, identity=0.0, output=None):
    """A graph as data (helpers.checks.backprop_nodes.build_graph): each edge a random local Jacobian, or,
    with probability `identity` where the shapes agree, the upstream gradient passed on unchanged."""
    values = [rng.normal(size=shape) for shape in shapes]
    jacobians = []
    for node, mine in enumerate(parents):
        local = []
        for parent in mine:
            if shapes[parent] == shapes[node] and rng.random() < identity:
                local.append(None)
            else:
                local.append(rng.normal(size=(values[node].size, values[parent].size)))
        jacobians.append(local)
    output = len(parents) - 1 if output is None else output
    graph = {"labels": labels or [f"n{i}" for i in range(len(parents))], "values": values,
             "parents": [list(p) for p in parents], "jacobians": jacobians, "output": output}
    graph["order"] = _topological(graph)
    return graph


def _ancestors(graph, node):
    seen, stack = set(), [node]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(graph["parents"][current])
    return seen


def _topological(graph):
    """The ancestors of the output in index order (every node's parents have smaller indices)."""
    return sorted(_ancestors(graph, graph["output"]))


def random_parents(rng, size, sources, most=3):
    parents = [[] for _ in range(sources)]
    for i in range(sources, sources + size):
        count = int(rng.integers(1, most + 1))
        parents.append([int(p) for p in rng.integers(0, i, size=count)])
    return parents


def order_graphs(rng):
    """(label, graph) pairs for topological_order: structure only, values of shape (1,)."""
    def plain(parents, **options):
        return graph_data(parents, [(1,)] * len(parents), rng, **options)

    yield "a single source node", plain([[]])
    yield "a chain of two", plain([[], [0]])
    yield "a diamond", plain([[], [0], [0], [1, 2]])
    yield "a node using the same parent twice, add(a, a)", plain([[], [0], [1, 1]])
    for size in (6, 25, 60):
        yield f"a random graph of {size + 3} nodes with fan-out", plain(random_parents(rng, size, 3))
    chain = [[]] + [[i] for i in range(150)] + [[0, 150]]
    yield "a chain of 150 with a shortcut", plain(chain)
    parents = random_parents(rng, 12, 2)
    yield "every node labelled alike", plain(parents, labels=["v"] * len(parents))
    yield "a node with eight parents", plain([[] for _ in range(8)] + [list(range(8))])
    yield "nodes the output does not depend on", plain([[], [0], [0], [1]], output=2)


def order_reference(graph):
    return {"labels": graph["labels"], "parents": graph["parents"], "reachable": _topological(graph)}


def order_cases(rng):
    for label, graph in order_graphs(rng):
        yield Case(label, (graph,), kind="order")


def order_visible(rng):
    yield Case("a diamond: q feeds p and s", (graph_data([[], [0], [1, 0], [1, 2], [3]], [(1,)] * 5, rng,
                                                       labels=["x", "q", "p", "s", "L"]),), kind="order")
    yield Case("a graph with fan-out", (graph_data([[], [], [0, 1], [2], [3, 0], [4, 3], [5]], [(1,)] * 7, rng,
                                                   labels=["x", "W", "a", "h", "g", "m", "L"]),), kind="order")


def backward_reference(graph):
    grads = [np.zeros(np.shape(v)) for v in graph["values"]]
    out = graph["output"]
    for _ in range(graph.get("calls", 1)):
        grads[out] = np.ones(np.shape(graph["values"][out]))
        for node in reversed(graph["order"]):
            for parent, J in zip(graph["parents"][node], graph["jacobians"][node]):
                down = grads[node] if J is None else (grads[node].reshape(-1) @ J).reshape(grads[parent].shape)
                grads[parent] = grads[parent] + down
    return dict(zip(graph["labels"], grads))


def backward_graphs(rng):
    yield "a single node", graph_data([[]], [(2, 3)], rng)
    yield "a chain", graph_data([[], [0], [1], [2]], [(3,), (2,), (2,), (1,)], rng)
    yield "a diamond passing the same gradient array on", graph_data([[], [0], [0], [1, 2]], [(2, 2)] * 4, rng,
                                                                      identity=1.0)
    yield "a node using the same parent twice, add(a, a)", graph_data([[], [0, 0], [1]], [(3,)] * 3, rng,
                                                                       identity=1.0)
    yield "one node used by three", graph_data([[], [0], [0], [0], [1, 2, 3]], [(2,)] * 5, rng, identity=0.5)
    for size in (8, 16):
        parents = random_parents(rng, size, 3)
        shapes = [[(2,), (3,), (2, 2)][int(k)] for k in rng.integers(0, 3, size=len(parents))]
        yield f"a random graph of {len(parents)} nodes", graph_data(parents, shapes, rng, identity=0.5)
    yield "an output that is not a scalar", graph_data([[], [0], [0, 1]], [(2, 3)] * 3, rng, identity=0.3)
    graph = graph_data([[], [0], [1, 0], [2, 1]], [(2,)] * 4, rng, identity=0.5)
    yield "called twice: gradients accumulate", {**graph, "calls": 2}


def backward_cases(rng):
    for label, graph in backward_graphs(rng):
        yield Case(label, (graph,), kind="backward")


def backward_visible(rng):
    diamond = graph_data([[], [0], [1], [1], [2, 3]], [(2,), (3,), (2,), (2,), (1,)], rng,
                         labels=["x", "q", "p", "s", "L"])
    yield Case("a diamond: q is used by p and by s", (diamond,), kind="backward")
    labels = ["x", "W", "a", "h", "g", "m", "r", "L"]
    parents = [[], [], [0, 1], [2], [3, 0], [3, 4], [5], [6]]
    shapes = [(2, 3), (3, 3), (2, 3), (2, 3), (2, 3), (2, 3), (3,), (1,)]
    graph = graph_data(parents, shapes, rng, labels=labels, identity=0.6)
    yield Case("a graph with fan-out (x and h are each used twice)", (graph,), kind="backward")
    yield Case("the same graph, backward_pass called twice", ({**graph, "calls": 2},), kind="backward")


def _wrong_backward(rule):
    """A Mistake's answer: the graph's gradients after a wrong backward pass `rule(output, order)`."""
    return lambda graph: PROCEDURES["backward"](rule, graph)


def _wrong_order(rule):
    return lambda graph: PROCEDURES["order"](rule, graph)


def _backward_variant(output, order, *, assign=False, forwards=False, seed=True, reset=False, alias=False):
    if reset:
        for node in order:
            node.grad = np.zeros_like(node.value)
    if seed:
        output.grad = np.ones_like(output.value)
    for node in (order if forwards else reversed(order)):
        for parent, gradient in zip(node.parents, node.downstream()):
            if assign or (alias and not parent.grad.any()):
                parent.grad = gradient
            else:
                parent.grad += gradient


def _backward_breadth_first(output, order):
    """Backprop from the output through a queue of parents, one entry per edge: a node used by two others is
    visited twice."""
    output.grad = np.ones_like(output.value)
    queue = [output]
    while queue:
        node = queue.pop(0)
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad += gradient
            queue.append(parent)


def _variant(**options):
    return _wrong_backward(lambda output, order: _backward_variant(output, order, **options))


def _order_variant(output, *, visited=True, preorder=False, key=id, sources=True):
    order, seen = [], set()

    def visit(node):
        if visited and key(node) in seen:
            return
        seen.add(key(node))
        if preorder:
            order.append(node)
        for parent in node.parents:
            visit(parent)
        if not preorder and (sources or node.parents):
            order.append(node)

    visit(output)
    return order


def _reversed_breadth_first(output):
    order, seen, queue = [], {id(output)}, [output]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return order[::-1]


def _orders(**options):
    return _wrong_order(lambda output: _order_variant(output, **options))


# --- the window classifier ---------------------------------------------------------------------------------

def classifier_reference(X, y, W, b, u):
    N, (K, H) = len(X), W.shape
    loss, dW, db, du = 0.0, np.zeros((K, H)), np.zeros(H), np.zeros(H)
    for x, t in zip(np.asarray(X, dtype=float), np.asarray(y, dtype=float)):   # lesson 2's formulas, one window at a time
        h = np.tanh(x @ W + b)
        p = 1 / (1 + math.exp(-float(h @ u)))
        loss += -(t * math.log(p) + (1 - t) * math.log(1 - p)) / N
        delta = u * (1 - h ** 2)
        dW += (p - t) / N * np.outer(x, delta)
        db += (p - t) / N * delta
        du += (p - t) / N * h
    return loss, {"W": dW, "b": db, "u": du}


def classifier_cases(rng):
    def draw(N, K, H, scale=1.0):
        return (rng.normal(size=(N, K)), rng.integers(0, 2, size=N).astype(float), rng.normal(scale=scale, size=(K, H)),
                rng.normal(size=H), rng.normal(scale=scale, size=H))

    for N, K, H in [(1, 2, 1), (1, 1, 1), (3, 4, 4), (20, 15, 6), (5, 1, 3), (4, 6, 1)]:
        yield Case(f"N={N}, K={K}, H={H}", draw(N, K, H))
    X, y, W, b, u = draw(6, 4, 3)
    yield Case("every label 1", (X, np.ones(6), W, b, u))
    yield Case("every label 0", (X, np.zeros(6), W, b, u))
    yield Case("integer labels", (X, rng.integers(0, 2, size=6), W, b, u))
    yield Case("large weights (saturated tanh)", draw(5, 4, 3, scale=3.0))


def classifier_visible(rng):
    N, K, H = 6, 5, 3
    yield Case(f"N={N}, K={K}, H={H}", (rng.normal(size=(N, K)), np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0]),
                                        rng.normal(size=(K, H)), rng.normal(size=H), rng.normal(size=H)))


def _classifier_parts(X, y, W, b, u):
    h = np.tanh(X @ W + b)
    p = 1 / (1 + np.exp(-(h @ u)))
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return h, (p - y) / len(X), loss


def _classifier(X, y, W, b, u, *, tanh=True, n=1.0, sum_b=True, transpose_w=False, loss_scale=1.0):
    h, ds, loss = _classifier_parts(X, y, W, b, u)
    ds = ds * n
    dZ = ds[:, None] * u * ((1 - h ** 2) if tanh else 1.0)
    dW = dZ.T @ X if transpose_w else X.T @ dZ
    return loss * loss_scale, {"W": dW, "b": dZ.sum(axis=0) if sum_b else dZ, "u": h.T @ ds}


# --- your own node: ReLU ---------------------------------------------------------------------------------

def relu_reference(a, dout):
    """relu(a) on a source node holding the array `a`: the node's value, its parents (a, as index 0) and
    the gradient it sends a for the upstream gradient dout."""
    out, da = np.zeros(np.shape(a)), np.zeros(np.shape(a))
    for i in _each(np.shape(a)):
        if a[i] > 0:
            out[i], da[i] = a[i], dout[i]
    return {"value": out, "parents": np.array([0]), "da": da}


def relu_cases(rng):
    for shape in [(1,), (6,), (1, 1), (3, 4), (2, 3, 4)]:
        yield Case(f"shape {shape}", (rng.normal(size=shape), rng.normal(size=shape)), kind="node")
    yield Case("exact zeros", (np.array([0.0, -0.0, 1.5, 0.0, -2.0]), rng.normal(size=5)), kind="node")
    yield Case("every entry negative", (-rng.random((2, 3)) - 0.1, rng.normal(size=(2, 3))), kind="node")
    yield Case("every entry positive", (rng.random((3, 2)) + 0.1, rng.normal(size=(3, 2))), kind="node")
    yield Case("integer values", (rng.integers(-3, 4, size=(2, 4)), rng.normal(size=(2, 4))), kind="node")
    yield Case("values near ±1e300 and ±1e-300", (np.array([1e300, -1e300, 1e-300, -1e-300]), rng.normal(size=4)),
               kind="node")
    yield Case("an upstream gradient of zeros", (rng.normal(size=(2, 2)), np.zeros((2, 2))), kind="node")


def relu_visible(rng):
    value = rng.normal(size=(3, 4))
    value[0, 1] = value[2, 3] = 0.0
    yield Case("shape (3, 4), two entries exactly 0", (value, rng.normal(size=(3, 4))), kind="node")


def _relu_answer(value, dout, *, forward=None, mask=None, upstream=True, parents=(0,), bare=False):
    value = np.asarray(value)
    out = np.maximum(value, 0.0) if forward is None else forward(value)
    local = (value > 0 if mask is None else mask(value)).astype(float)
    da = dout * local if upstream else local
    return {"value": out, "parents": np.array(parents, dtype=np.int64),
            "da": None if not parents else da[0] if bare else da}


# --- an MLP built from nodes -------------------------------------------------------------------------------

def mlp_reference(X, W1, b1, W2, b2, dscores):
    """The MLP's scores relu(X W1 + b1) W2 + b2, and the gradients for the upstream gradient dscores."""
    X = np.asarray(X, dtype=float)
    (N, K), (H, C) = X.shape, W2.shape
    z = np.array([[sum(X[n, k] * W1[k, j] for k in range(K)) + b1[j] for j in range(H)] for n in range(N)])
    h = np.where(z > 0, z, 0.0)
    scores = np.array([[sum(h[n, j] * W2[j, c] for j in range(H)) + b2[c] for c in range(C)] for n in range(N)])
    dh = np.array([[sum(dscores[n, c] * W2[j, c] for c in range(C)) for j in range(H)] for n in range(N)])
    dz = np.where(z > 0, dh, 0.0)
    dW1 = np.array([[sum(X[n, k] * dz[n, j] for n in range(N)) for j in range(H)] for k in range(K)])
    dW2 = np.array([[sum(h[n, j] * dscores[n, c] for n in range(N)) for c in range(C)] for j in range(H)])
    return {"scores": scores.reshape(N, C), "W1": dW1.reshape(K, H),
            "b1": np.array([sum(dz[n, j] for n in range(N)) for j in range(H)]), "W2": dW2.reshape(H, C),
            "b2": np.array([sum(dscores[n, c] for n in range(N)) for c in range(C)])}


def mlp_cases(rng):
    def draw(N, K, H, C):
        return (rng.normal(size=(N, K)), rng.normal(size=(K, H)), rng.normal(size=H), rng.normal(size=(H, C)),
                rng.normal(size=C), rng.normal(size=(N, C)))

    for N, K, H, C in [(1, 1, 1, 1), (1, 3, 2, 2), (4, 1, 3, 2), (5, 6, 1, 3), (3, 4, 5, 1), (20, 30, 16, 2)]:
        yield Case(f"N={N}, K={K}, H={H}, C={C}", draw(N, K, H, C), kind="mlp")
    X, W1, b1, W2, b2, d = draw(4, 3, 3, 2)
    yield Case("hidden units exactly at 0 (zero windows, zero b1)", (np.zeros((4, 3)), W1, np.zeros(3), W2, b2, d),
               kind="mlp")
    yield Case("every hidden unit off", (np.abs(X), -np.abs(W1), -np.abs(b1) - 0.1, W2, b2, d), kind="mlp")
    yield Case("integer windows", (rng.integers(-2, 3, size=(4, 3)), W1, b1, W2, b2, d), kind="mlp")
    yield Case("an upstream gradient of zeros", (X, W1, b1, W2, b2, np.zeros((4, 2))), kind="mlp")


def mlp_visible(rng):
    N, K, H, C = 4, 5, 3, 2
    yield Case(f"N={N}, K={K}, H={H}, C={C}", (rng.normal(size=(N, K)), rng.normal(size=(K, H)), rng.normal(size=H),
                                               rng.normal(size=(H, C)), rng.normal(size=C), rng.normal(size=(N, C))),
               kind="mlp")


def _mlp_answer(X, W1, b1, W2, b2, d, *, hidden_relu=True, output_relu=False, b2_used=True, repeat=True,
                first_layer_in_graph=True):
    X = np.asarray(X, dtype=float)
    z = X @ W1 + b1
    h = np.maximum(z, 0.0) if hidden_relu else z
    s = h @ W2 + (b2 if b2_used else 0.0)
    ds = d * (s > 0) if output_relu else d
    dz = (ds @ W2.T) * ((z > 0) if hidden_relu else 1.0)
    grads = {"W1": X.T @ dz, "b1": dz.sum(axis=0) if repeat else dz, "W2": h.T @ ds,
             "b2": (ds.sum(axis=0) if repeat else ds) if b2_used else np.zeros_like(b2)}
    if not first_layer_in_graph:
        grads["W1"], grads["b1"] = np.zeros_like(W1), np.zeros_like(b1)
    return {"scores": np.maximum(s, 0.0) if output_relu else s, **grads}


EXERCISES = [
    Exercise("add_backward", add_reference, binary_cases, binary_visible, mistakes=(
        Mistake("add_splits_in_half", "Add does not split the gradient in halves: it distributes, so EACH input "
                "receives the whole upstream gradient dout (the local gradient of x + y is 1 for both).",
                lambda x, y, d: (d / 2, d / 2)),
        Mistake("add_uses_mul_rule", "That is Mul's rule (dout times the other input). For out = x + y the local "
                "gradient is 1, so each input receives dout unchanged.", lambda x, y, d: (d * y, d * x)),
        Mistake("add_only_first_input", "Both inputs of an Add receive the upstream gradient; one of yours receives "
                "nothing.", lambda x, y, d: (d, np.zeros_like(d))),
        Mistake("add_only_second_input", "Both inputs of an Add receive the upstream gradient; one of yours receives "
                "nothing.", lambda x, y, d: (np.zeros_like(d), d)),
        Mistake("add_local_gradient_only", "This is only the local gradient (1): multiply by the upstream gradient "
                "dout.", lambda x, y, d: (np.ones_like(d), np.ones_like(d))),
    )),
    Exercise("mul_backward", mul_reference, binary_cases, binary_visible, seed=10, mistakes=(
        Mistake("mul_not_switched", "Mul switches: ∂(x·y)/∂x = y, so each input's gradient is dout times the OTHER "
                "input, not its own.", lambda x, y, d: (d * x, d * y)),
        Mistake("mul_without_upstream", "This is only the local gradient: multiply it by the upstream gradient dout "
                "(dx = dout * y, dy = dout * x).", lambda x, y, d: (1.0 * y, 1.0 * x)),
        Mistake("mul_uses_add_rule", "That is Add's rule (pass dout through). For x * y each input's local gradient "
                "is the other input.", lambda x, y, d: (d, d)),
    )),
    Exercise("max_backward", max_reference, lambda rng: binary_cases(rng, ties=True),
             lambda rng: binary_visible(rng, tie=True), seed=20, mistakes=(
        Mistake("max_to_every_input", "Max routes: only the input that won (the larger one) receives the gradient; "
                "the other gets 0. You are sending the gradient to every input.", lambda x, y, d: (d, d)),
        Mistake("max_to_the_smaller", "Your gradient goes to the smaller input. It must go to the input that was "
                "the maximum.", lambda x, y, d: (np.where(x >= y, 0.0, d), np.where(x >= y, d, 0.0))),
        Mistake("max_splits", "Max routes, it does not split: the winner receives the whole upstream gradient.",
                lambda x, y, d: (d / 2, d / 2)),
        Mistake("max_mask_without_upstream", "These are 0/1 masks: multiply the mask by the upstream gradient dout.",
                lambda x, y, d: ((x >= y).astype(float), (x < y).astype(float))),
        Mistake("max_ties_go_nowhere", "On a tie (x == y) the gradient must go to exactly one input, to x (use "
                "x >= y for x and the opposite for y): yours goes to neither.",
                lambda x, y, d: (np.where(x > y, d, 0.0), np.where(y > x, d, 0.0))),
        Mistake("max_ties_go_to_both", "On a tie (x == y) the gradient must go to exactly one input, to x (use "
                "x >= y for x and the opposite for y): yours goes to both.",
                lambda x, y, d: (np.where(x >= y, d, 0.0), np.where(y >= x, d, 0.0))),
    )),
    Exercise("repeat_backward", repeat_reference, repeat_cases,
             lambda rng: [Case("dY of shape (4, 3)", (rng.normal(size=(4, 3)),))], seed=30, mistakes=(
        Mistake("repeat_mean", "Every copy of x reached the output, so the gradients of the copies add up: take "
                "the sum, not the mean.", lambda d: d.mean(axis=0)),
        Mistake("repeat_wrong_axis", "You summed over the wrong axis: the copies are the N rows (axis 0), so sum "
                "over axis 0.", lambda d: d.sum(axis=1)),
        Mistake("repeat_first_copy_only", "You kept only the first copy's gradient: x was copied to all N rows, and "
                "every copy passes gradient back. Sum over axis 0.", lambda d: d[0].copy()),
        Mistake("repeat_last_copy_only", "You kept only the last copy's gradient (an `=` in a loop?). Every copy "
                "passes gradient back: sum over axis 0.", lambda d: d[-1].copy()),
        Mistake("repeat_keepdims", "dx must have x's shape: sum over axis 0 without keepdims.",
                lambda d: d.sum(axis=0, keepdims=True)),
        Mistake("repeat_not_summed", "dx must have x's shape: the N copies' gradients are summed into one.",
                lambda d: d.copy()),
    )),
    Exercise("sum_backward", sum_reference, sum_cases,
             lambda rng: [Case("dy of shape (3,), N=4", (rng.normal(size=3), 4))], seed=40, mistakes=(
        Mistake("sum_divided_by_n", "Each row of X adds into the sum with weight 1, so its gradient is dy itself: "
                "do not divide by N.", lambda dy, N: np.repeat(dy[None], N, axis=0) / N),
        Mistake("sum_not_copied", "dX must have X's shape (N, ...): copy dy to every one of the N rows (np.repeat "
                "on a new axis 0).", lambda dy, N: dy.copy()),
        Mistake("sum_repeat_flattens", "np.repeat without axis flattens the array: repeat dy[None] along axis=0.",
                lambda dy, N: np.repeat(dy, N)),
        Mistake("sum_first_row_only", "Only row 0 receives the gradient, but every row of X was added into the "
                "sum: copy dy to every row.",
                lambda dy, N: np.concatenate([dy[None], np.zeros((N - 1,) + dy.shape)])),
        Mistake("sum_of_dy", "That is the sum of dy copied around; every row's gradient is dy itself.",
                lambda dy, N: np.full((N,) + dy.shape, dy.sum())),
        Mistake("sum_copies_on_last_axis", "dX must have X's shape (N, ...): put the copies on axis 0.",
                lambda dy, N: np.repeat(dy[..., None], N, axis=-1)),
    )),
    Exercise("matmul_backward", matmul_reference, matmul_cases, matmul_visible, seed=50, mistakes=(
        Mistake("matmul_dX_missing_transpose", "dX is missing a transpose: dX = dY Wᵀ, shape (N, H)(H, D) = (N, D) "
                "like X.", lambda X, W, d: (d @ W, X.T @ d)),
        Mistake("matmul_dW_missing_transpose", "dW is missing a transpose: dW = Xᵀ dY, shape (D, N)(N, H) = (D, H) "
                "like W.", lambda X, W, d: (d @ W.T, X @ d)),
        Mistake("matmul_dW_transposed", "dW is transposed: it must have W's shape (D, H) with entry [d, h] = "
                "Σₙ X[n, d] dY[n, h]; dW = Xᵀ dY.", lambda X, W, d: (d @ W.T, d.T @ X)),
        Mistake("matmul_swapped", "dX and dW are in the wrong order: return (dX, dW).",
                lambda X, W, d: (X.T @ d, d @ W.T)),
        Mistake("matmul_dW_divided_by_n", "dW is divided by N; the upstream gradient already carries any averaging.",
                lambda X, W, d: (d @ W.T, X.T @ d / len(X))),
    )),
    Exercise("sigmoid_backward", sigmoid_reference, sigmoid_cases, sigmoid_visible, seed=60, mistakes=(
        Mistake("sigmoid_applied_twice", "y is already the sigmoid's output: the local gradient is y (1 − y). You "
                "applied the sigmoid to it again.", lambda y, d: d * _sigmoid(y) * (1 - _sigmoid(y))),
        Mistake("sigmoid_missing_factor", "The local gradient of the sigmoid is y (1 − y); a factor (1 − y) is "
                "missing.", lambda y, d: d * y),
        Mistake("sigmoid_without_upstream", "This is only the local gradient y (1 − y): multiply it by the upstream "
                "gradient dout.", lambda y, d: y * (1 - y)),
        Mistake("sigmoid_uses_tanh_rule", "1 − y² is tanh's local gradient; the sigmoid's is y (1 − y).",
                lambda y, d: d * (1 - y ** 2)),
    )),
    Exercise("softmax_with_loss", softmax_reference, softmax_cases, softmax_visible, seed=70, mistakes=(
        Mistake("softmax_loss_not_divided_by_n", "Neither the loss nor dZ is divided by N: the loss is the MEAN "
                "cross-entropy over the N examples, so both carry a factor 1/N.",
                lambda Z, t: _softmax_answer(Z, t, _row_max(Z), loss_scale=len(Z), grad_scale=len(Z))),
        Mistake("softmax_gradient_not_divided_by_n", "dZ is not divided by N: the loss is a mean over N examples, so "
                "dZ = (p − y) / N.", lambda Z, t: _softmax_answer(Z, t, _row_max(Z), grad_scale=len(Z))),
        Mistake("softmax_gradient_divided_by_n_twice", "dZ is divided by N twice: (p − y) / N already is the "
                "gradient of the mean loss; divide by N once.",
                lambda Z, t: _softmax_answer(Z, t, _row_max(Z), grad_scale=1 / len(Z))),
        Mistake("softmax_forgets_onehot", "You forgot to subtract 1 at the correct class: dZ = (softmax(Z) − "
                "onehot(labels)) / N.", lambda Z, t: _softmax_answer(Z, t, _row_max(Z), onehot=False)),
        Mistake("softmax_wrong_sign", "dZ = (p − y) / N, not (y − p) / N: the loss decreases when the correct score "
                "grows.", lambda Z, t: _softmax_answer(Z, t, _row_max(Z), sign=-1.0)),
        Mistake("softmax_loss_of_every_class", "The cross-entropy uses only the probability of the correct class: "
                "−log p[n, labels[n]].",
                lambda Z, t: (float(-np.log(_softmax_p(Z, _row_max(Z))).sum(axis=1).mean()),
                              _softmax_answer(Z, t, _row_max(Z))[1])),
    )),
    Exercise("topological_order", order_reference, order_cases, order_visible, seed=80, call="topological_order(output)", mistakes=(
        Mistake("topo_without_visited_set", "A node used by several others is listed once per use: each node must "
                "appear only once; keep a set of visited nodes and skip a node you have already visited.",
                _orders(visited=False)),
        Mistake("topo_node_before_parents", "You append a node before visiting its parents, so the topological "
                "order is violated: visit the parents first (recursively), then append the node.",
                _orders(preorder=True)),
        Mistake("topo_reversed_breadth_first", "A breadth-first order, reversed, is not topological when two paths "
                "of different lengths meet (a diamond): the topological order is violated. Use depth-first search "
                "and append each node after its parents.", _wrong_order(_reversed_breadth_first)),
        Mistake("topo_skips_source_nodes", "Your order leaves out the source nodes (inputs and parameters, no "
                "parents): they belong in the order too.", _orders(sources=False)),
        Mistake("topo_visited_by_label", "Labels are not identities: two different nodes can have the same label, "
                "so a visited set keyed by label drops nodes. Key it by the node itself (a Node hashes by identity) "
                "or by id(node).", _orders(key=lambda node: node.label)),
    )),
    Exercise("backward_pass", backward_reference, backward_cases, backward_visible, seed=90,
             call="backward_pass(output, order)", mistakes=(
        Mistake("backward_assigns_instead_of_adding", "A node used by several others must receive the SUM of their "
                "gradients. You used `=` instead of `+=` on fan-out, so the last gradient overwrote the first: write "
                "`parent.grad += gradient`.", _variant(assign=True)),
        Mistake("backward_in_forward_order", "Visit the nodes in reverse topological order (`reversed(order)`): a "
                "node may pass its gradient on only after every node that uses it has added into its .grad.",
                _variant(forwards=True)),
        Mistake("backward_not_seeded", "Backprop starts with output.grad = 1 (∂L/∂L = 1), set before visiting any "
                "node.", _variant(seed=False)),
        Mistake("backward_resets_gradients", "Do not reset the gradients inside backward_pass: it must ADD into "
                ".grad as it finds it (resetting is zero_grad's job, called before each backward pass).",
                _variant(reset=True)),
        Mistake("backward_double_counts_fan_out", "Double counting on fan-out: a node used by two others was "
                "visited twice and passed its gradient on twice, so the nodes before it got exactly 2× their gradient "
                "(on a diamond; more where shared nodes are nested). A queue or a recursion that adds a node once per "
                "edge does this. Visit each node of `order` exactly once, in reverse: by then every node that uses it "
                "has added into its .grad.", _wrong_backward(_backward_breadth_first)),
        Mistake("backward_shares_one_array", "Two nodes now share one gradient array: you stored a first gradient "
                "by assignment (`parent.grad = gradient`), and a later `+=` changed the other node's gradient too. "
                "Always add into the node's own array: `parent.grad += gradient`.", _variant(alias=True)),
    )),
    Exercise("window_classifier_grads", classifier_reference, classifier_cases, classifier_visible, seed=100,
             mistakes=(
        Mistake("classifier_bias_not_summed", "b was added to every row: a hidden Repeat (broadcasting), so db is "
                "the Sum of dZ over the N rows (axis 0).", lambda *a: _classifier(*a, sum_b=False)),
        Mistake("classifier_without_tanh_gradient", "The tanh's local gradient 1 − h² is missing: δ = u ∘ (1 − h²).",
                lambda *a: _classifier(*a, tanh=False)),
        Mistake("classifier_not_divided_by_n", "The gradients are N times too large: the loss is a mean, so the "
                "gradient reaching the score is (p − y) / N; divide by N.", lambda *a: _classifier(*a, n=len(a[0]))),
        Mistake("classifier_divided_by_n_twice", "The gradients are N times too small: divide by N once, where the "
                "mean's gradient (p − y) / N enters.", lambda *a: _classifier(*a, n=1 / len(a[0]))),
        Mistake("classifier_dW_transposed", "dW must have W's shape (K, H): dW = Xᵀ dZ (the MatMul rule), not its "
                "transpose.", lambda *a: _classifier(*a, transpose_w=True)),
        Mistake("classifier_loss_summed", "The loss is the mean over the N windows, not the sum.",
                lambda *a: _classifier(*a, loss_scale=len(a[0]))),
    )),
    Exercise("relu", relu_reference, relu_cases, relu_visible, seed=110, call="relu(a)", mistakes=(
        Mistake("relu_passes_dout_through", "The ReLU's local gradient is 1 where a > 0 and 0 elsewhere: multiply "
                "dout by that mask. Yours passes dout through unchanged.",
                lambda v, d: _relu_answer(v, d, mask=lambda x: np.ones(np.shape(x)))),
        Mistake("relu_mask_without_upstream", "This is only the local gradient, the 0/1 mask: multiply it by the "
                "upstream gradient dout.", lambda v, d: _relu_answer(v, d, upstream=False)),
        Mistake("relu_passes_gradient_at_zero", "Where a is exactly 0 the ReLU is flat on its left, and this lesson "
                "(like PyTorch) sends 0 there: the mask is a.value > 0, not >= 0.",
                lambda v, d: _relu_answer(v, d, mask=lambda x: x >= 0)),
        Mistake("relu_np_max", "np.max(x, 0) is the largest entry along axis 0, one number per column; the "
                "elementwise ReLU is np.maximum(x, 0).",
                lambda v, d: _relu_answer(v, d, forward=lambda x: np.max(x, 0))),
        Mistake("relu_forgets_its_parent", "The node must remember its input: give it the parents (a,) "
                "(`Node(value, (a,), \"ReLU\")`), or backprop can never reach a.",
                lambda v, d: _relu_answer(v, d, parents=())),
        Mistake("relu_rule_returns_an_array", "A rule returns one gradient per parent, as a tuple: `return (da,)`, "
                "not `return da`. The engine pairs parents with what the rule returns, so a bare array is read row "
                "by row and a receives only its first row.", lambda v, d: _relu_answer(v, d, bare=True)),
    )),
    Exercise("mlp", mlp_reference, mlp_cases, mlp_visible, seed=120, call="mlp(X, params)", mistakes=(
        Mistake("mlp_bias_not_repeated", "The bias is added to every row, a hidden Repeat: with add(Z, b) its "
                "gradient keeps the N rows. Write add(Z, repeat(b, N)), so b's gradient is the sum over the rows.",
                lambda *a: _mlp_answer(*a, repeat=False)),
        Mistake("mlp_without_relu", "The hidden layer needs its nonlinearity: h = relu(X W1 + b1). Without it the "
                "two layers are one linear map.", lambda *a: _mlp_answer(*a, hidden_relu=False)),
        Mistake("mlp_relu_on_the_scores", "Only the hidden layer has a ReLU: the scores are h W2 + b2, which may be "
                "negative.", lambda *a: _mlp_answer(*a, output_relu=True)),
        Mistake("mlp_without_b2", "The output layer has a bias too: scores = h W2 + b2.",
                lambda *a: _mlp_answer(*a, b2_used=False)),
        Mistake("mlp_first_layer_outside_the_graph", "W1 and b1 receive no gradient: the hidden layer was computed "
                "from .value arrays, outside the graph, so backprop cannot reach them. Build every step from "
                "nodes (matmul, add, repeat, relu).", lambda *a: _mlp_answer(*a, first_layer_in_graph=False)),
    )),
]
