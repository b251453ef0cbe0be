"""Where benchmarks keep their figures: benchmarks/results/<name>.json, one file per benchmark."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def save_report(report: dict) -> Path:
    """Write `report` (it names itself in report["benchmark"]) as JSON and say where."""
    path = RESULTS / f"{report['benchmark']}.json"
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    print(f"wrote benchmarks/results/{path.name}")
    return path
