"""Lesson 5's table: the NumPy LSTM layers against PyTorch's nn.LSTM on CPU, forward + backward.

Two NumPy layers: the reference (helpers/lstm.py, written like the lesson's equations) and the fast
one (helpers/lstm_fast.py, the same layer arranged for speed). All three get the same float32 weights
and inputs (batch-first). The time of one forward and backward pass over a sequence is measured for
each in the same run and reported as the ratio numpy / torch, at one thread (BLAS and torch limited
to one) unless told otherwise. Both NumPy layers' outputs and gradients are compared with torch's.
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

from helpers import lstm, lstm_fast  # noqa: E402
from helpers.benchmarking import save_report  # noqa: E402


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


LAYERS = {"numpy fast": lstm_fast.LSTMLayer, "numpy reference": lstm.LSTMLayer}


def compare(N: int, T: int, D: int, H: int, repeat: int, seed: int = 0) -> dict:
    """Time the three layers on one size; measure how far each NumPy layer's results are from torch's
    (max |difference| / max |torch's value|)."""
    rng = np.random.default_rng(seed)
    W, b = lstm.init_params(D, H, rng, forget_bias=1.0)
    xs = rng.normal(size=(N, T, D)).astype(np.float32)
    dhs = rng.normal(size=(N, T, H)).astype(np.float32)
    layers = {name: layer(W, b) for name, layer in LAYERS.items()}

    def numpy_pass(layer) -> tuple:
        layer.forward(xs)
        return layer.backward(dhs)

    net = torch.nn.LSTM(D, H, batch_first=True)
    w_ih, w_hh, bias = lstm.to_torch_order(W, b)
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

    passes = {name: (lambda layer=layer: numpy_pass(layer)) for name, layer in layers.items()}
    seconds = best_seconds({"torch nn.LSTM": torch_pass, **passes}, repeat)

    torch_pass()
    out, _ = net(x_t)
    order = np.concatenate([np.arange(H, 2 * H), np.arange(H), np.arange(2 * H, 4 * H)])   # ours → torch's
    theirs = {"hs": out.detach().numpy(), "dxs": x_t.grad.numpy(),
              "dW": np.concatenate([net.weight_ih_l0.grad.numpy().T, net.weight_hh_l0.grad.numpy().T]),
              "db": net.bias_ih_l0.grad.numpy()}
    disagreement = {}
    for name, layer in layers.items():
        hs = layer.forward(xs)
        dxs, _, _, dW, db = layer.backward(dhs)
        ours = {"hs": hs, "dxs": dxs, "dW": dW[:, order], "db": db[order]}
        disagreement[name] = {k: float(np.abs(ours[k] - theirs[k]).max() / np.abs(theirs[k]).max()) for k in ours}
    return {"N": N, "T": T, "D": D, "H": H, "seconds": seconds,
            "ratio_to_torch": {name: t / seconds["torch nn.LSTM"] for name, t in seconds.items()},
            "max_relative_difference_to_torch": disagreement}


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
    print("Times in ms (ratio to torch). Each layer against torch (h, dx, dW, db): max |difference| / max |value|.")
    names = list(LAYERS)
    print(f"{'N':>4}{'T':>5}{'D':>5}{'H':>5}{'torch nn.LSTM':>16}" + "".join(f"{name:>20}" for name in names))
    for row in rows:
        s, r = row["seconds"], row["ratio_to_torch"]
        cells = "".join(f"{s[name] * 1e3:>11.2f} ({r[name]:4.2f}x)" for name in names)
        print(f"{row['N']:>4}{row['T']:>5}{row['D']:>5}{row['H']:>5}{s['torch nn.LSTM'] * 1e3:>16.2f}{cells}")
    for name in names:
        worst = {k: max(row["max_relative_difference_to_torch"][name][k] for row in rows) for k in ("hs", "dxs", "dW", "db")}
        print(f"{name} vs torch, largest over the sizes: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    save_report(report)
    return report


if __name__ == "__main__":
    main()
