"""The reference graph engine (helpers.graph) against central differences, and lesson 3's other helpers.

The property tests build random graphs with hypothesis (any mix of the engine's operations, nodes
reused by several others) and require the engine's gradients to match central differences.
"""
from __future__ import annotations

import matplotlib
import matplotlib.text

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from helpers import graph, graph_view, toy_windows  # noqa: E402
from helpers.gradcheck import numerical_gradient, numerical_jacobian, relative_error  # noqa: E402

OPS = ["add", "mul", "max", "matmul", "tanh", "sigmoid", "sum-repeat", "repeat-sum"]


def build(seed: int, steps: list[tuple[str, int, int]]) -> tuple[graph.Node, list[graph.Node], list[graph.Node]]:
    """A random graph of (2, 3) nodes: three sources and a (3, 3) weight, then `steps` operations, each
    on earlier nodes picked by index (so nodes are reused). Returns (scalar output, sources, all nodes)."""
    rng = np.random.default_rng(seed)
    sources = [graph.Node(0.7 * rng.normal(size=(2, 3)), label=f"s{i}") for i in range(3)]
    weight = graph.Node(0.7 * rng.normal(size=(3, 3)), label="W")
    nodes = list(sources)
    for op, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        new = {
            "add": lambda: graph.add(a, b),
            "mul": lambda: graph.mul(a, b),
            "max": lambda: graph.maximum(a, b),
            "matmul": lambda: graph.matmul(a, weight),
            "tanh": lambda: graph.tanh_node(a),
            "sigmoid": lambda: graph.sigmoid_node(a),
            "sum-repeat": lambda: graph.repeat(graph.total(a), 2),
            "repeat-sum": lambda: graph.total(graph.repeat(a, 3)),
        }[op]()
        nodes.append(new)
    out = graph.total(graph.total(nodes[-1]))
    return out, sources + [weight], graph.topological_order(out)


def numerical_grads(out: graph.Node, sources: list[graph.Node], order: list[graph.Node]) -> list[np.ndarray]:
    """∂out/∂source for every source, by central differences through graph.forward."""
    grads = []
    for source in sources:
        def f(v: np.ndarray, source: graph.Node = source) -> np.ndarray:
            old, source.value = source.value, v
            graph.forward(order)
            value = out.value.copy()
            source.value = old
            graph.forward(order)
            return value
        grads.append(numerical_gradient(f, source.value.copy()))
    return grads


def far_from_kinks(order: list[graph.Node]) -> bool:
    """True if no max node compares two different inputs closer than 1e-3 (central differences
    straddling a kink would be wrong, not the engine)."""
    return all(np.abs(n.parents[0].value - n.parents[1].value).min() > 1e-3
               for n in order if n.op == "max" and n.parents[0] is not n.parents[1])


graphs = st.tuples(st.integers(0, 2 ** 32 - 1),
                   st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 50), st.integers(0, 50)),
                            min_size=1, max_size=10))


@settings(max_examples=60, deadline=None)
@given(graphs)
def test_engine_gradients_match_central_differences_on_random_graphs(spec):
    out, sources, order = build(*spec)
    assume(far_from_kinks(order))
    graph.backward(out)
    for source, numeric in zip(sources, numerical_grads(out, sources, order)):
        assert source.grad.shape == source.value.shape
        assert relative_error(source.grad, numeric) < 1e-5 or np.abs(source.grad - numeric).max() < 1e-7, \
            (source.label, source.grad, numeric)


@settings(max_examples=60, deadline=None)
@given(graphs)
def test_topological_order_lists_each_node_once_after_its_parents(spec):
    out, _, order = build(*spec)
    ids = [id(n) for n in order]
    assert len(ids) == len(set(ids)) and order[-1] is out
    where = {i: k for k, i in enumerate(ids)}
    assert all(where[id(p)] < where[id(n)] for n in order for p in n.parents)


def _backward_with_assign(out: graph.Node) -> None:
    """A broken engine: `=` instead of `+=` on fan-out."""
    out.grad = np.ones_like(out.value)
    for node in reversed(graph.topological_order(out)):
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad = gradient


def test_the_property_catches_a_broken_engine():
    out, sources, order = build(7, [("tanh", 0, 0), ("mul", 3, 0), ("add", 4, 3)])   # s0 and tanh(s0) reused
    _backward_with_assign(out)
    assert relative_error(sources[0].grad, numerical_grads(out, sources, order)[0]) > 1e-3


def test_backward_twice_accumulates_and_zero_grad_resets():
    x = graph.Node(np.array([0.3, -1.2]), label="x")
    t = graph.tanh_node(x)
    out = graph.total(t)
    order = graph.topological_order(out)
    graph.backward(out, order)
    once = x.grad.copy()
    np.testing.assert_allclose(once, 1 - np.tanh(x.value) ** 2)
    graph.backward(out, order)
    np.testing.assert_allclose(x.grad, 3 * once)  # t.grad became 2, and x adds 2·local to its 1·local
    graph.zero_grad(order)
    graph.backward(out, order)
    np.testing.assert_allclose(x.grad, once)


RULES = [  # (backward rule, forward function of the inputs, input shapes)
    (lambda x, y, d: graph.add_backward(x, y, d), lambda x, y: x + y, [(2, 3), (2, 3)]),
    (lambda x, y, d: graph.mul_backward(x, y, d), lambda x, y: x * y, [(2, 3), (2, 3)]),
    (lambda x, y, d: graph.max_backward(x, y, d), np.maximum, [(2, 3), (2, 3)]),
    (lambda x, w, d: graph.matmul_backward(x, w, d), np.matmul, [(4, 3), (3, 2)]),
    (lambda x, d: (graph.repeat_backward(d),), lambda x: np.repeat(x[None], 4, axis=0), [(3,)]),
    (lambda x, d: (graph.sum_backward(d, len(x)),), lambda x: x.sum(axis=0), [(4, 3)]),
    (lambda x, d: (graph.sigmoid_backward(graph.sigmoid(x), d),), graph.sigmoid, [(2, 3)]),
    (lambda x, d: (graph.tanh_backward(np.tanh(x), d),), np.tanh, [(2, 3)]),
]


@pytest.mark.parametrize("backward, forward, shapes", RULES)
def test_each_rule_is_the_jacobian_transpose_times_upstream(backward, forward, shapes):
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=s) for s in shapes]
    dout = rng.normal(size=np.shape(forward(*inputs)))
    got = backward(*inputs, dout)
    for k, x in enumerate(inputs):
        def f(v, k=k):
            return forward(*inputs[:k], v, *inputs[k + 1:])
        want = (numerical_jacobian(f, x).T @ dout.ravel()).reshape(x.shape)
        np.testing.assert_allclose(got[k], want, rtol=1e-6, atol=1e-8)


def test_softmax_with_loss_matches_central_differences_and_survives_large_scores():
    rng = np.random.default_rng(1)
    Z, labels = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    loss, dZ = graph.softmax_with_loss(Z, labels)
    assert relative_error(dZ, numerical_gradient(lambda z: graph.softmax_with_loss(z, labels)[0], Z)) < 1e-6
    loss, dZ = graph.softmax_with_loss(np.array([[1000.0, 0.0], [0.0, -1000.0]]), np.array([1, 0]))
    assert np.isclose(loss, 500.0) and np.isfinite(dZ).all()


def test_layers_compose_and_match_central_differences():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(6, 5)), rng.integers(0, 2, size=6).astype(float)
    W, b, u = rng.normal(size=(5, 4)), rng.normal(size=4), rng.normal(size=(4, 1))
    layers = [graph.Affine(W, b), graph.Tanh(), graph.MatMul(u)]
    head = graph.SigmoidWithLoss()

    def loss() -> float:
        out = X
        for layer in layers:
            out = layer.forward(out)
        return head.forward(out[:, 0], y)

    loss()
    grad = head.backward()[:, None]
    for layer in reversed(layers):
        grad = layer.backward(grad)
    for param, analytic in [(W, layers[0].grads[0].copy()), (b, layers[0].grads[1].copy()),
                            (u, layers[2].grads[0].copy())]:
        def f(v, param=param):
            saved = param.copy()
            param[...] = v
            value = loss()
            param[...] = saved
            return value
        assert relative_error(analytic, numerical_gradient(f, param.copy())) < 1e-6


def test_sigmoid_layer_backward_reuses_its_output():
    rng = np.random.default_rng(3)
    X, dY = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    layer = graph.Sigmoid()
    layer.forward(X)
    want = (numerical_jacobian(graph.sigmoid, X).T @ dY.ravel()).reshape(X.shape)
    np.testing.assert_allclose(layer.backward(dY), want, rtol=1e-6, atol=1e-9)


def test_layout_puts_every_node_right_of_its_parents():
    out, _, order = build(3, [("add", 0, 1), ("mul", 3, 0), ("tanh", 4, 0), ("max", 5, 3)])
    pos = graph_view.layout(order)
    assert all(pos[id(p)][0] < pos[id(n)][0] for n in order for p in n.parents)
    assert len(set(pos.values())) == len(order)  # no two boxes on top of each other


def test_draw_graph_draws_one_box_per_node_and_one_arrow_per_edge():
    out, _, order = build(4, [("add", 0, 1), ("mul", 3, 3)])
    ax = graph_view.draw_graph(out)
    arrows = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]
    assert len(ax.texts) - len(arrows) == len(order)
    assert len(arrows) == sum(len(n.parents) for n in order)
    plt.close("all")


def test_stepper_steps_in_reverse_topological_order_and_ends_with_the_gradients():
    out, sources, order = build(5, [("tanh", 0, 0), ("mul", 3, 0), ("add", 4, 3)])
    steps = graph_view.backprop_steps(out)
    assert [s["node"] for s in steps] == order[::-1]
    stepped = [s.grad.copy() for s in sources]
    graph.zero_grad(order)
    graph.backward(out)
    for grad, source in zip(stepped, sources):
        np.testing.assert_allclose(grad, source.grad)
    text = graph_view.describe_step(steps[1])
    assert "upstream gradient" in text and "local gradient" in text and "downstream" in text
    assert len(steps[1]["downstream"]) == len(steps[1]["node"].parents)


def test_stepper_widget_builds():
    out, _, _ = build(6, [("add", 0, 1)])
    widget = graph_view.backprop_stepper(out)
    assert widget.children
    plt.close("all")


def test_toy_windows_are_reproducible_centred_and_labelled():
    X1, y1 = toy_windows.dataset()
    X2, y2 = toy_windows.dataset()
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert X1.shape == (len(y1), 5 * 6) and set(np.unique(y1)) == {0.0, 1.0}
    E = toy_windows.word_vectors(6)
    sentence = np.array([10, 18, 1, 14, 23])   # museums in paris are amazing
    X = toy_windows.windows(sentence, E)
    np.testing.assert_array_equal(X[2].reshape(5, 6), E[sentence])   # centre word paris, full window
    np.testing.assert_array_equal(X[0].reshape(5, 6)[:2], 0.0)       # two padding words before word 0
