"""What grading a class tells the instructor: grades.csv, the class report, the summary.

`grades.csv` has one row per student who submitted anything (students in = rows out): the score
and max score, a status (`graded`, or `needs manual grading` with every reason) and the points of
each test cell. A score is left empty, never 0, when the notebook could not be graded.

The class report counts, per exercise, who passed, and names the known mistake each failure shows: the
judge recognises a lesson's known mistakes (helpers/grading/hidden_tests/) by the answers they give,
e.g. "9 students: add_uses_mul_rule".
"""
from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

GRADED, MANUAL = "graded", "needs manual grading"


@dataclass
class Row:
    """One student's line in grades.csv."""
    student: str
    file: str
    score: float | None = None
    max_score: float | None = None
    reasons: list[str] = field(default_factory=list)
    points: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)    # test grade_id -> the judge's message when it failed
    mistakes: dict[str, str] = field(default_factory=dict)  # test grade_id -> the known mistake the answer showed

    @property
    def status(self) -> str:
        return MANUAL if self.reasons or self.score is None else GRADED


def save(rows: list[Row], folder: Path) -> None:
    """Write results.json (for regrading one student later) and grades.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    tests = list(dict.fromkeys(name for row in rows for name in row.points))
    with (folder / "grades.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["student", "status", "score", "max_score", "reasons", "file", *tests])
        for row in sorted(rows, key=lambda r: r.student):
            writer.writerow([row.student, row.status, _number(row.score), _number(row.max_score),
                             "; ".join(row.reasons), row.file, *(_number(row.points.get(t)) for t in tests)])


def load(folder: Path) -> list[Row]:
    """The rows a previous run saved (empty if none)."""
    path = folder / "results.json"
    return [Row(**item) for item in json.loads(path.read_text())] if path.exists() else []


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def misconception(row: Row, test: str) -> str:
    """Name the mistake a failing test shows: a known mistake, else the first line of the judge's message."""
    if test in row.mistakes:
        return row.mistakes[test]
    error = row.errors.get(test, "")
    if "is not written yet" in error:
        return "not attempted (the stub still raises NotImplementedError)"
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    headline = next((line for line in lines if line.startswith("✗")), lines[0] if lines else "no message")
    return "other: " + re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", headline)[:160]


def class_report(rows: list[Row], lesson: str, full_marks: dict[str, float]) -> str:
    """Markdown: per exercise who passed and which misconceptions the failures show; who needs a person.

    full_marks: each test cell's points (passing a test is getting all of them)."""
    graded = [r for r in rows if r.status == GRADED]       # flagged work is a person's to judge, not a statistic
    tests = list(dict.fromkeys(name for row in rows for name in row.points))
    lines = [f"# {lesson}: class report", "",
             f"{len(rows)} students: {sum(r.status == GRADED for r in rows)} graded, "
             f"{sum(r.status == MANUAL for r in rows)} need manual grading.", "",
             "Counts below are over the graded students only.", "",
             "| test | passed | failed |", "| --- | --- | --- |"]
    details = []
    for test in tests:
        exercise = test.removeprefix("test_")
        failed = [r for r in graded if r.points.get(test) != full_marks[test]]
        lines.append(f"| {test} | {len(graded) - len(failed)} | {len(failed)} |")
        if failed:
            counts = Counter(misconception(r, test) for r in failed)
            details += [f"### {exercise}", ""] + [f"- {n} student{'s' * (n != 1)}: {what}"
                                                  for what, n in counts.most_common()] + [""]
    manual = [f"- **{r.student}**: {'; '.join(r.reasons) or 'not graded'}" for r in rows if r.status == MANUAL]
    return "\n".join(lines + ["", "## Misconceptions", ""] + details + ["## Needs manual grading", ""] + manual) + "\n"


def summary(rows: list[Row], seconds: float, enforced: list[str]) -> str:
    """The lines printed at the end of a run."""
    manual = [r for r in rows if r.status == MANUAL]
    text = [f"{len(rows)} students, {len(rows) - len(manual)} graded, {len(manual)} need manual grading "
            f"({seconds:.1f} s, {seconds / max(len(rows), 1):.2f} s per student)."]
    text += [f"  ✗ {r.student}: {'; '.join(r.reasons)[:200]}" for r in manual]
    text.append("Limits enforced here: " + "; ".join(enforced) + ".")
    return "\n".join(text)
