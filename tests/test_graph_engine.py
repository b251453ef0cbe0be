"""The reference graph engine (helpers.graph) against central differences, and lesson 3's other helpers.

The property tests build random graphs with hypothesis (any mix of the engine's operations, nodes
reused by several others) and require the engine's gradients to match central differences. The
graphs the checks build from data (GraphNode) go through the same engine, and the notebook's Node is
the engine's.
"""
from __future__ import annotations

import inspect

import matplotlib
import matplotlib.text

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from helpers import graph, graph_view, toy_windows  # noqa: E402
from helpers.checks.backprop_nodes import build_graph  # noqa: E402
from helpers.gradcheck import numerical_gradient, numerical_jacobian, relative_error  # noqa: E402
from helpers.grading.hidden_tests import backprop_nodes as hidden  # noqa: E402
from tests.notebooks import SOLUTIONS, nbgrader, read  # noqa: E402

OPS = ["add", "mul", "max", "matmul", "tanh", "sigmoid", "sum-repeat", "repeat-sum"]


def build(seed: int, steps: list[tuple[str, int, int]], values: dict[int, np.ndarray] | None = None
          ) -> tuple[graph.Node, list[graph.Node], list[graph.Node]]:
    """A random graph of (2, 3) nodes: three sources and a (3, 3) weight, then `steps` operations, each
    on earlier nodes picked by index (so nodes are reused). `values` replaces the values of sources by
    their index (the weight is 3). Returns (scalar output, sources, all nodes)."""
    rng = np.random.default_rng(seed)
    start = [0.7 * rng.normal(size=(2, 3)) for _ in range(3)] + [0.7 * rng.normal(size=(3, 3))]
    start = [(values or {}).get(i, v) for i, v in enumerate(start)]
    sources = [graph.Node(v, label=f"s{i}") for i, v in enumerate(start[:3])]
    weight = graph.Node(start[3], label="W")
    nodes = list(sources)
    for op, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        new = {
            "add": lambda: graph.add(a, b),
            "mul": lambda: graph.mul(a, b),
            "max": lambda: graph.maximum(a, b),
            "matmul": lambda: graph.matmul(a, weight),
            "tanh": lambda: graph.tanh(a),
            "sigmoid": lambda: graph.sigmoid(a),
            "sum-repeat": lambda: graph.repeat(graph.total(a), 2),
            "repeat-sum": lambda: graph.total(graph.repeat(a, 3)),
        }[op]()
        nodes.append(new)
    out = graph.total(graph.total(nodes[-1]))
    return out, sources + [weight], graph.topological_order(out)


def numerical_grads(seed: int, steps: list, sources: list[graph.Node]) -> list[np.ndarray]:
    """∂out/∂source for every source, by central differences on the graph rebuilt with the source changed."""
    def f(v: np.ndarray, k: int) -> np.ndarray:
        return build(seed, steps, {k: v})[0].value
    return [numerical_gradient(lambda v, k=k: f(v, k), source.value.copy()) for k, source in enumerate(sources)]


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
    for source, numeric in zip(sources, numerical_grads(*spec, sources)):
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
    steps = [("tanh", 0, 0), ("mul", 3, 0), ("add", 4, 3)]          # s0 and tanh(s0) reused
    out, sources, order = build(7, steps)
    _backward_with_assign(out)
    assert relative_error(sources[0].grad, numerical_grads(7, steps, sources)[0]) > 1e-3


def test_backward_twice_accumulates_and_zero_grad_resets():
    x = graph.Node(np.array([0.3, -1.2]), label="x")
    t = graph.tanh(x)
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


OPERATIONS = [  # (operation on nodes, the same function of arrays, input shapes)
    (graph.add, np.add, [(2, 3), (2, 3)]),
    (graph.mul, np.multiply, [(2, 3), (2, 3)]),
    (graph.maximum, np.maximum, [(2, 3), (2, 3)]),
    (graph.matmul, np.matmul, [(4, 3), (3, 2)]),
    (lambda a: graph.repeat(a, 4), lambda x: np.repeat(x[None], 4, axis=0), [(3,)]),
    (graph.total, lambda x: x.sum(axis=0), [(4, 3)]),
    (graph.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [(2, 3)]),
    (graph.tanh, np.tanh, [(2, 3)]),
]


@pytest.mark.parametrize("operation, function, shapes", OPERATIONS)
def test_each_rule_is_the_jacobian_transpose_times_upstream(operation, function, shapes):
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=s) for s in shapes]
    out = operation(*(graph.Node(x) for x in inputs))
    np.testing.assert_allclose(out.value, function(*inputs))
    out.grad = rng.normal(size=out.value.shape)
    sent = out.downstream()
    assert type(sent) is tuple and len(sent) == len(inputs)
    for k, x in enumerate(inputs):
        def f(v, k=k):
            return function(*inputs[:k], v, *inputs[k + 1:])
        want = (numerical_jacobian(f, x).T @ out.grad.ravel()).reshape(x.shape)
        np.testing.assert_allclose(sent[k], want, rtol=1e-6, atol=1e-8)


def test_each_rule_says_what_it_does():
    a, b = graph.Node(np.ones(2)), graph.Node(np.ones(2))
    for node in (graph.add(a, b), graph.mul(a, b), graph.maximum(a, b), graph.matmul(graph.Node(np.ones((1, 2))),
                 graph.Node(np.ones((2, 2)))), graph.repeat(a, 2), graph.total(a), graph.sigmoid(a), graph.tanh(a)):
        assert graph_view.rule(node), node.op


def test_the_engine_backpropagates_the_checks_graphs_as_their_reference_does():
    """The interface the exercises use is the same on GraphNode: the engine's own pass gives the hidden
    tests' reference gradients on every graph the backward_pass exercise is judged on."""
    for label, graph_data in hidden.backward_graphs(np.random.default_rng(0)):
        nodes = build_graph(graph_data)
        output = nodes[graph_data["output"]]
        order = graph.topological_order(output)
        assert sorted(nodes.index(n) for n in order) == graph_data["order"], label
        for _ in range(graph_data.get("calls", 1)):
            graph.backward(output, order)
        want = hidden.backward_reference(graph_data)
        for node in nodes:
            np.testing.assert_allclose(node.grad, want[node.label], rtol=1e-10, atol=1e-12, err_msg=label)


def test_the_notebooks_node_is_the_engines():
    cell = next(c for c in read(SOLUTIONS / "03_backprop_nodes" / "backprop_nodes.ipynb").cells
                if nbgrader(c).get("grade_id") == "node")
    assert nbgrader(cell)["locked"] and inspect.getsource(graph.Node).strip() in cell.source


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
    assert "upstream gradient" in text and "rule: " in text and "downstream" in text
    assert len(steps[1]["downstream"]) == len(steps[1]["node"].parents)


def test_stepper_widget_builds():
    out, _, _ = build(6, [("add", 0, 1)])
    widget = graph_view.backprop_stepper(out)
    assert widget.children
    plt.close("all")


def test_toy_windows_are_reproducible_centred_and_labelled():
    (X1, y1, c1), held_out = toy_windows.split()
    (X2, y2, _), _ = toy_windows.split()
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert X1.shape == (len(y1), 5 * 6) and set(np.unique(y1)) == {0, 1} and y1.dtype.kind == "i"
    np.testing.assert_array_equal(y1, np.array(toy_windows.KINDS)[c1] == toy_windows.PLACE)
    unseen = [toy_windows.VOCAB.index(word) for word in toy_windows.UNSEEN]
    assert not np.isin(c1, unseen).any() and np.isin(held_out[2], unseen).any()   # only held-out sentences
    E = toy_windows.word_vectors(6)
    sentence = np.array([10, 18, 1, 14, 23])   # museums in paris are amazing
    X = toy_windows.windows(sentence, E)
    np.testing.assert_array_equal(X[2].reshape(5, 6), E[sentence])   # centre word paris, full window
    np.testing.assert_array_equal(X[0].reshape(5, 6)[:2], 0.0)       # two padding words before word 0
