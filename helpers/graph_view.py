"""Pictures of a computational graph (matplotlib only, no graphviz) and a backprop stepper widget."""
from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers.graph import Node, topological_order, zero_grad

PENDING, CURRENT, DONE, SOURCE = "#f0f0f0", "#fdb863", "#b2abd2", "#d9f0d3"


def layout(order: Sequence[Node]) -> dict[int, tuple[float, float]]:
    """(x, y) of every node: each node sits one column left of its leftmost user, the output in the column
    after its longest chain of inputs (so every node is as close as it can be to where it is used);
    y spreads the nodes of each column."""
    depth: dict[int, int] = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
    users: dict[int, list[Node]] = {}
    for node in order:
        for parent in node.parents:
            users.setdefault(id(parent), []).append(node)
    for node in reversed(order):
        if id(node) in users:
            depth[id(node)] = min(depth[id(user)] for user in users[id(node)]) - 1
    columns: dict[int, list[Node]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    return {id(node): (float(x), (len(col) - 1) / 2 - i)
            for x, col in columns.items() for i, node in enumerate(col)}


def _short(a: np.ndarray) -> str:
    """A compact printout of a small vector, or the shape and norm of anything bigger."""
    if a.ndim <= 1 and a.size <= 3:
        return np.array2string(np.round(a, 3), separator=", ", suppress_small=True)
    return f"{a.shape} ‖·‖={np.linalg.norm(a):.3g}"


def draw_graph(output: Node, ax: plt.Axes | None = None, show: str = "value",
               arrays: dict[int, np.ndarray] | None = None,
               colours: dict[int, str] | None = None) -> plt.Axes:
    """Draw the graph that computes `output`: inputs on the left, output on the right.

    Each box shows the node's label, its operation and its `show` attribute ("value" or "grad"),
    or, if given, arrays[id(node)] under the name `show`; `colours` maps id(node) to a fill colour
    (default: green for source nodes, grey otherwise).
    """
    order = topological_order(output)
    pos = layout(order)
    if ax is None:
        columns = max(x for x, _ in pos.values()) - min(x for x, _ in pos.values()) + 1
        rows = max(abs(y) for _, y in pos.values()) * 2 + 1
        _, ax = plt.subplots(figsize=(max(1.9 * columns, 5), max(1.0 * rows, 2.5)))
    boxes = {}
    for node in order:
        x, y = pos[id(node)]
        fill = (colours or {}).get(id(node), SOURCE if not node.parents else PENDING)
        head = node.label if not node.parents or node.label == node.op else f"{node.label} = {node.op}"
        shown = arrays[id(node)] if arrays is not None else getattr(node, show)
        boxes[id(node)] = ax.text(x, y, f"{head}\n{show}\n{_short(shown)}", ha="center", va="center",
                                  fontsize=8, family="monospace",
                                  bbox=dict(boxstyle="round,pad=0.4", fc=fill, ec="0.3"))
    for node in order:
        for parent in node.parents:  # an arrow from the parent's right edge to the child's left edge
            ax.annotate("", xy=(0, 0.5), xycoords=boxes[id(node)], xytext=(1, 0.5),
                        textcoords=boxes[id(parent)], arrowprops=dict(arrowstyle="->", color="0.45", lw=1.2))
    xs, ys = zip(*pos.values())
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.axis("off")
    ax.set_title(f"the graph that computes {output.label}")
    return ax


def backprop_steps(output: Node) -> list[dict]:
    """Run backprop one node at a time; record what each step sees.

    Step k visits the k-th node of the reverse topological order and records its upstream gradient and
    what it sends to each parent, plus every node's gradient after the step. Leaves the graph's
    gradients as a full backward pass would (after zeroing them).
    """
    order = topological_order(output)
    zero_grad(order)
    output.grad = np.ones_like(output.value)
    steps = []
    for node in reversed(order):
        sent = tuple(node.downstream())
        record = {"node": node, "upstream": node.grad.copy(),
                  "downstream": [(p, g.copy()) for p, g in zip(node.parents, sent)]}
        for parent, gradient in zip(node.parents, sent):
            parent.grad += gradient
        record["grads"] = {id(n): n.grad.copy() for n in order}
        steps.append(record)
    return steps


def rule(node: Node) -> str:
    """What a node's backward rule says in words: the first line of its docstring ("" if it has none)."""
    return ((getattr(node._backward, "__doc__", None) or "").strip().splitlines() or [""])[0]


def describe_step(step: dict) -> str:
    """The text the stepper prints for one step."""
    node = step["node"]
    lines = [f"node {node.label!r} ({node.op or 'source'}), value {_short(node.value)}",
             f"  upstream gradient  ∂L/∂{node.label} = {_short(step['upstream'])}"]
    if not node.parents:
        lines.append("  a source node: its gradient is complete, nothing to pass on.")
    elif rule(node):
        lines.append(f"  rule: {rule(node)}")
    for parent, gradient in step["downstream"]:
        lines.append(f"  → to {parent.label!r}: downstream = {_short(gradient)}  (added into {parent.label}.grad)")
    return "\n".join(lines)


def backprop_stepper(output: Node) -> widgets.Widget:
    """Step through backprop in reverse topological order.

    The picture shows every node's gradient so far: the current node orange, nodes already visited
    purple, the rest grey. Below it: the current node's upstream gradient, its rule (upstream times
    local gradient) and each downstream gradient it adds into a parent's `.grad`.
    """
    steps = backprop_steps(output)

    def show(step: int) -> None:
        record = steps[step]
        colours = {id(s["node"]): DONE for s in steps[:step]}
        colours[id(record["node"])] = CURRENT
        ax = draw_graph(output, show="grad", arrays=record["grads"], colours=colours)
        ax.set_title(f"step {step + 1} of {len(steps)}: visiting {record['node'].label!r}")
        plt.show()
        print(describe_step(record))

    slider = widgets.IntSlider(value=0, min=0, max=len(steps) - 1, description="step")
    return widgets.interactive(show, step=slider)
