"""`make bench` runs every benchmark; each prints a table and writes its figures as JSON.

Quick mode only: the figures themselves are never asserted (speed lives in benchmarks, not tests),
but their shape is: every ratio is against a peer measured in the same run.
"""
import json
import subprocess

import pytest

from tests.notebooks import ROOT

pytestmark = pytest.mark.slow
BENCHMARKS = sorted((ROOT / "benchmarks").glob("*.py"))


def test_make_bench_runs_every_benchmark_and_writes_json():
    before = {p: p.stat().st_mtime for p in (ROOT / "benchmarks" / "results").glob("*.json")}
    run = subprocess.run(["make", "--no-print-directory", "bench", "BENCH_FLAGS=--quick"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    for script in BENCHMARKS:
        result = ROOT / "benchmarks" / "results" / f"{script.stem}.json"
        assert result.exists() and result.stat().st_mtime != before.get(result), f"{script.name} wrote no JSON"
        report = json.loads(result.read_text())
        assert report["benchmark"] == script.stem and report["quick"] is True

    lesson_1 = json.loads((ROOT / "benchmarks" / "results" / "loop_vs_matrix.json").read_text())
    for row in lesson_1["rows"]:
        assert row["ratio_to_matmul"]["one matrix product"] == 1.0
        assert all(r is None or r > 0 for r in row["ratio_to_matmul"].values())
