"""Lesson 5's table: the reference NumPy LSTM layer against PyTorch's nn.LSTM on CPU, forward + backward.

Both get the same float32 weights and inputs (batch-first). The time of one forward and backward
pass over a sequence is measured for each in the same run and reported as the ratio numpy / torch,
with the textbook loops of the lesson's exercises (in float32) as a third entry, at one thread (BLAS
and torch limited to one) unless told otherwise. The reference's gradients are compared with torch's.
Writes benchmarks/results/lstm_vs_torch.json.

    python benchmarks/lstm_vs_torch.py [--quick] [--threads N]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import timeit


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (for the test suite)")
    parser.add_argument("--threads", type=int, default=1, help="threads for BLAS and torch (default 1)")
    return parser


# NumPy's BLAS reads its thread count once, when NumPy is first imported: set it before that.
_THREADS = str(_parser().parse_known_args(sys.argv[1:])[0].threads)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _THREADS

import numpy as np  # noqa: E402
import torch  # noqa: E402

from helpers.benchmarking import save_report
from helpers.lstm import LSTMLayer, init_params, to_torch_order  # noqa: E402


def best_seconds(fns: dict, repeat: int) -> dict[str, float]:
    """Best time of one call of each function. The timings alternate between the functions, so a
    change in the machine's load during the run affects both sides of the ratio alike."""
    timers = {name: timeit.Timer(fn) for name, fn in fns.items()}
    numbers = {name: timer.autorange()[0] for name, timer in timers.items()}
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name])
    return best


def straightforward_pass(xs: np.ndarray, dhs: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple:
    """The textbook loops (as in the lesson's exercises), in float32: the peer the reference improves on.

    Per step: concatenate [x_t, h_{t-1}], one fused product, the gates; backward accumulates dW step by step.
    """
    N, T, D = xs.shape
    H = W.shape[1] // 4
    h, c = np.zeros((N, H), np.float32), np.zeros((N, H), np.float32)
    steps = []
    for t in range(T):
        xh = np.concatenate([xs[:, t], h], axis=1)
        a = xh @ W + b
        f, i, o = (1 / (1 + np.exp(-a[:, k * H:(k + 1) * H])) for k in (0, 1, 3))
        g = np.tanh(a[:, 2 * H:3 * H])
        c_prev, c = c, f * c + i * g
        h = o * np.tanh(c)
        steps.append((xh, c_prev, c, f, i, g, o))
    dW, db = np.zeros_like(W), np.zeros_like(b)
    dxs = np.empty_like(xs)
    dh, dc = np.zeros((N, H), np.float32), np.zeros((N, H), np.float32)
    for t in range(T - 1, -1, -1):
        xh, c_prev, c, f, i, g, o = steps[t]
        dh = dh + dhs[:, t]
        tc = np.tanh(c)
        dc = dc + dh * o * (1 - tc ** 2)
        da = np.concatenate([dc * c_prev * f * (1 - f), dc * g * i * (1 - i), dc * i * (1 - g ** 2),
                             dh * tc * o * (1 - o)], axis=1)
        dW += xh.T @ da
        db += da.sum(axis=0)
        dxh = da @ W.T
        dxs[:, t], dh, dc = dxh[:, :D], dxh[:, D:], dc * f
    return dxs, dh, dc, dW, db


def compare(N: int, T: int, D: int, H: int, repeat: int, seed: int = 0) -> dict:
    """Time both layers on one size; measure how far their gradients are apart (relative to their size)."""
    rng = np.random.default_rng(seed)
    W, b = init_params(D, H, rng, forget_bias=1.0)
    xs = rng.normal(size=(N, T, D)).astype(np.float32)
    dhs = rng.normal(size=(N, T, H)).astype(np.float32)
    layer = LSTMLayer(W, b)

    def numpy_pass() -> tuple:
        layer.forward(xs)
        return layer.backward(dhs)

    net = torch.nn.LSTM(D, H, batch_first=True)
    w_ih, w_hh, bias = to_torch_order(W, b)
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(w_ih))
        net.weight_hh_l0.copy_(torch.from_numpy(w_hh))
        net.bias_ih_l0.copy_(torch.from_numpy(bias))
        net.bias_hh_l0.zero_()
    x_t = torch.from_numpy(xs).requires_grad_(True)
    dhs_t = torch.from_numpy(dhs)

    def torch_pass() -> None:
        net.zero_grad()
        x_t.grad = None
        out, _ = net(x_t)
        out.backward(dhs_t)

    seconds = best_seconds({"numpy reference": numpy_pass, "numpy straightforward":
                            lambda: straightforward_pass(xs, dhs, W, b), "torch nn.LSTM": torch_pass}, repeat)

    hs = layer.forward(xs)
    dxs, _, _, dW, db = layer.backward(dhs)
    torch_pass()
    out, _ = net(x_t)
    torch_dW = np.concatenate([net.weight_ih_l0.grad.numpy().T, net.weight_hh_l0.grad.numpy().T])
    order = np.concatenate([np.arange(H, 2 * H), np.arange(H), np.arange(2 * H, 4 * H)])   # ours → torch's
    ours = {"hs": hs, "dxs": dxs, "dW": dW[:, order], "db": db[order]}
    theirs = {"hs": out.detach().numpy(), "dxs": x_t.grad.numpy(), "dW": torch_dW,
              "db": net.bias_ih_l0.grad.numpy()}
    disagreement = {k: float(np.abs(ours[k] - theirs[k]).max() / np.abs(theirs[k]).max()) for k in ours}
    simple = straightforward_pass(xs, dhs, W, b)
    agree = max(float(np.abs(s - r).max() / np.abs(r).max()) for s, r in zip(simple, (dxs, *layer.backward(dhs)[1:])))
    return {"N": N, "T": T, "D": D, "H": H, "seconds": seconds,
            "ratio_to_torch": {name: t / seconds["torch nn.LSTM"] for name, t in seconds.items()},
            "straightforward_vs_reference_max_relative_difference": agree,
            "max_relative_difference": disagreement}


def main(argv: list[str] | None = None) -> dict:
    args = _parser().parse_args(argv)
    if str(args.threads) != os.environ["OPENBLAS_NUM_THREADS"]:
        raise SystemExit("--threads must be given on the command line: BLAS was set up at import")
    sizes = [(8, 10, 16, 32)] if args.quick else [(32, 50, 64, 128), (64, 100, 256, 512)]
    repeat = 2 if args.quick else 7
    torch.set_num_threads(args.threads)
    rows = [compare(*size, repeat=repeat) for size in sizes]
    report = {"benchmark": "lstm_vs_torch", "threads": args.threads, "rows": rows, "quick": args.quick,
              "numpy": np.__version__, "torch": torch.__version__, "machine": platform.machine()}

    print(f"LSTM forward + backward over a sequence, float32, {args.threads} thread(s); "
          "ratio = numpy time / torch time in the same run.")
    print("Times in ms (ratio to torch). The reference's gradients against torch's: max |difference| / max |value|.")
    print(f"{'N':>4}{'T':>5}{'D':>5}{'H':>5}{'torch nn.LSTM':>16}{'numpy reference':>20}{'numpy straightforward':>24}"
          "   reference vs torch (h, dx, dW, db)")
    for row in rows:
        s, r, d = row["seconds"], row["ratio_to_torch"], row["max_relative_difference"]
        diffs = ", ".join(f"{d[k]:.1e}" for k in ("hs", "dxs", "dW", "db"))
        cells = "".join(f"{s[name] * 1e3:>{width - 9}.2f} ({r[name]:4.2f}x)" for name, width in
                        (("numpy reference", 20), ("numpy straightforward", 24)))
        print(f"{row['N']:>4}{row['T']:>5}{row['D']:>5}{row['H']:>5}{s['torch nn.LSTM'] * 1e3:>16.2f}{cells}   {diffs}")
    save_report(report)
    return report


if __name__ == "__main__":
    main()
