"""Lesson 6's table: causal multi-head attention, forward + backward, NumPy against PyTorch CPU.

Times PyTorch's `scaled_dot_product_attention` + `backward` and two NumPy versions, helpers.attention
(the plain reference) and helpers.attention_fast (causal block skipping, in-place softmax, threads
over batch × heads), on the same float32 inputs, at 1 and 2 threads, each thread count in its own
process (the BLAS and OpenMP thread counts are fixed when a process starts). Each method runs
`repeats` times, interleaved with the others; the table gives each NumPy version's time relative to
PyTorch's measured in the same process (best of the repeats, and the median), and how far each
version's gradients are from a float64 computation. Writes benchmarks/results/attention_vs_torch.json.

    python benchmarks/attention_vs_torch.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from helpers.benchmarking import save_report

FULL = {"batch": 16, "heads": 4, "seq": 128, "d_head": 32, "repeats": 40}
QUICK = {"batch": 2, "heads": 2, "seq": 32, "d_head": 16, "repeats": 5}
TARGET = {1: 1.25, 2: 2.0}            # the target: NumPy-fast / torch at 1 and 2 threads
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _worker(threads: int, size: dict) -> dict:
    """Measure every method in this process, at `threads` threads."""
    import torch

    from helpers.attention import attention_backward, attention_forward, causal_mask
    from helpers.attention_fast import FastAttention

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    shape = (size["batch"], size["heads"], size["seq"], size["d_head"])
    Q, K, V, dout = (rng.standard_normal(shape, dtype=np.float32) for _ in range(4))
    mask = causal_mask(size["seq"])
    fast = FastAttention(threads)
    tq, tk, tv = (torch.from_numpy(a.copy()).requires_grad_() for a in (Q, K, V))
    tdout = torch.from_numpy(dout)

    def run_torch() -> tuple:
        for t in (tq, tk, tv):
            t.grad = None
        torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=True).backward(tdout)
        return tuple(t.grad.numpy() for t in (tq, tk, tv))

    def run_fast() -> tuple:
        out, cache = fast.forward(Q, K, V, causal=True)
        return fast.backward(dout, cache)

    def run_plain() -> tuple:
        out, P = attention_forward(Q, K, V, mask)
        return attention_backward(dout, Q, K, V, P, out)

    methods = {"torch SDPA": run_torch, "numpy fast": run_fast, "numpy plain": run_plain}
    exact_out, exact_P = attention_forward(*(a.astype(np.float64) for a in (Q, K, V)), mask)
    exact = attention_backward(dout.astype(np.float64), *(a.astype(np.float64) for a in (Q, K, V)), exact_P)
    grads = {name: run() for name, run in methods.items()}
    error = {name: max(float(np.abs(g - e).max() / np.abs(e).max()) for g, e in zip(grads[name], exact))
             for name in methods}
    vs_torch = {name: max(float(np.abs(g - t).max() / np.abs(t).max())
                          for g, t in zip(grads[name], grads["torch SDPA"]))
                for name in methods}
    for run in methods.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(size["repeats"]):
        for name, run in methods.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    fast.close()
    best = {name: min(t) for name, t in times.items()}
    median = {name: float(np.median(t)) for name, t in times.items()}
    return {"threads": threads, "seconds_best": best, "seconds_median": median,
            "ratio_to_torch": {n: best[n] / best["torch SDPA"] for n in methods},
            "median_ratio_to_torch": {n: median[n] / median["torch SDPA"] for n in methods},
            "grad_rel_error_vs_float64": error, "grad_rel_diff_vs_torch": vs_torch,
            "torch": torch.__version__}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (for the test suite)")
    parser.add_argument("--worker", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    if args.worker:
        print(json.dumps(_worker(args.worker, size)))
        return {}

    rows = []
    for threads in (1, 2):
        env = dict(os.environ, **{var: str(threads) for var in THREAD_VARS})
        root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        run = subprocess.run([sys.executable, __file__, "--worker", str(threads)] + ["--quick"] * args.quick,
                             env=env, capture_output=True, text=True, check=True)
        rows.append(json.loads(run.stdout.strip().splitlines()[-1]))
    report = {"benchmark": "attention_vs_torch", "quick": args.quick, "causal": True, "dtype": "float32",
              **{k: v for k, v in size.items()}, "target_ratio": {str(k): v for k, v in TARGET.items()},
              "rows": rows, "numpy": np.__version__, "machine": platform.machine(), "cpus": os.cpu_count()}

    print(f"Causal attention forward + backward, float32, batch {size['batch']}, heads {size['heads']}, "
          f"seq {size['seq']}, d_head {size['d_head']}; best of {size['repeats']} runs (median in brackets), "
          "relative to torch SDPA in the same process.")
    print(f"{'threads':>7}{'method':>14}{'ms':>20}{'× torch':>18}{'grad err vs f64':>17}{'vs torch':>10}")
    for row in rows:
        for name in row["seconds_best"]:
            ms = f"{row['seconds_best'][name] * 1e3:.2f} ({row['seconds_median'][name] * 1e3:.2f})"
            ratio = f"{row['ratio_to_torch'][name]:.2f} ({row['median_ratio_to_torch'][name]:.2f})"
            print(f"{row['threads']:>7}{name:>14}{ms:>20}{ratio:>18}"
                  f"{row['grad_rel_error_vs_float64'][name]:>17.1e}{row['grad_rel_diff_vs_torch'][name]:>10.1e}")
    for row in rows:
        ratio, target = row["ratio_to_torch"]["numpy fast"], TARGET[row["threads"]]
        print(f"target at {row['threads']} thread(s): numpy fast ≤ {target}× torch: "
              f"{'met' if ratio <= target else 'NOT met'} ({ratio:.2f}×)")
    save_report(report)
    return report


if __name__ == "__main__":
    main()
