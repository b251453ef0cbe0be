"""What a graded notebook may import from `helpers`: the modules that hold no answer to any exercise.

While a submission is graded its kernel sees a copy of `helpers` holding these files and nothing else
(helpers.grading.sandbox): the visible checks (which compare with stored data), the courier, and the
one-line message for unwritten exercises. The lessons' reference code, demos and the grader are not
there. tests/test_no_answers_in_reach.py tries every function of these modules as every exercise's
answer, and the grader must fail them all.
"""
from __future__ import annotations

from pathlib import Path

ALLOWED = ["__init__.py", "unwritten.py", "courier.py", "checks/*.py", "checks/visible/*.json.gz"]
HELPERS = Path(__file__).resolve().parents[1]


def files() -> list[str]:
    """The allowed files, relative to the helpers package."""
    return sorted({str(p.relative_to(HELPERS)) for pattern in ALLOWED for p in HELPERS.glob(pattern) if p.is_file()})
