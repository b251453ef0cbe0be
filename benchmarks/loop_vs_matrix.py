"""Lesson 1's table: scoring N windows with loops against one matrix product, on this machine.

Reports seconds per call and the ratio of each method to the matrix product measured in the same
run, plus GFLOP/s against the machine's practical peak: the best of several large square products, or
the best rate measured in the table if that is higher (a busy machine can hold the square products
back). Each time is the quickest of many short batches (`helpers.timing.seconds_per_call`).
Writes benchmarks/results/loop_vs_matrix.json.

    python benchmarks/loop_vs_matrix.py [--quick]
"""
from __future__ import annotations

import argparse
import platform

import numpy as np

from helpers import timing
from helpers.benchmarking import save_report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (for the test suite)")
    args = parser.parse_args(argv)
    K, H = 250, 20
    sizes = [16, 64] if args.quick else [16, 64, 256, 1024, 4096, 16384]
    peak = timing.matmul_peak_gflops(256 if args.quick else 1024)
    rows = []
    for N in sizes:
        times = timing.time_methods(N, K, H, python_max_n=256)
        base = times["one matrix product"]
        rows.append({"N": N, "seconds": times,
                     "ratio_to_matmul": {m: (t / base if t else None) for m, t in times.items()},
                     "matmul_gflops": timing.gflops(N, K, H, base)})
    peak = max(peak, *(row["matmul_gflops"] for row in rows))
    report = {"benchmark": "loop_vs_matrix", "K": K, "H": H, "peak_gflops": peak, "rows": rows,
              "numpy": np.__version__, "machine": platform.machine(), "quick": args.quick}

    names = list(timing.METHODS)
    print(f"Scoring N windows (K={K} inputs, H={H} outputs); times relative to one matrix product "
          f"measured in the same run. Peak: {peak:.1f} GFLOP/s.")
    print(f"{'N':>7}" + "".join(f"{n:>24}" for n in names) + f"{'matmul GFLOP/s':>18}")
    for row in rows:
        ratios = (row["ratio_to_matmul"][n] for n in names)
        cells = "".join(f"{'-' if r is None else timing.format_ratio(r):>24}" for r in ratios)
        print(f"{row['N']:>7}{cells}{row['matmul_gflops']:>18.2f}")
    save_report(report)
    return report


if __name__ == "__main__":
    main()
