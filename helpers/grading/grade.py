"""`course grade LESSON SUBMISSIONS`: import, screen, autograde, give feedback and report, for a class.

The grading folder `out` is an nbgrader course folder: submitted/, autograded/, feedback/ (so
`nbgrader release_feedback` works there), gradebook.db (the formgrader reads it), and
reports/<LESSON>/ with grades.csv, class_report.md, results.json and the grading logs.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from helpers.grading import autograde, report, sandbox
from helpers.grading.collect import DEFAULT_PATTERN, Submission, collect
from helpers.grading.screen import screen


class GradingError(Exception):
    """The grader could not do its job (as opposed to a submission being broken)."""


def grade(lesson: str, submissions: Path, out: Path, *, root: Path, jobs: int = 1, student: str | None = None,
          limits: sandbox.Limits = sandbox.Limits(), pattern: str = DEFAULT_PATTERN) -> list[report.Row]:
    """Grade every submission of `lesson` (or only `student`'s) into the course folder `out`; return the rows."""
    started = time.perf_counter()
    source = root / "solutions"
    notebooks = sorted((source / lesson).glob("*.ipynb"))
    if len(notebooks) != 1:
        raise GradingError(f"{source / lesson} should hold exactly one notebook, found {len(notebooks)}")
    name = notebooks[0].name
    out, submissions = out.resolve(), submissions.resolve()
    reports = out / "reports" / lesson
    reports.mkdir(parents=True, exist_ok=True)
    found = collect(submissions, lesson, pattern)
    if student is not None:
        found = [s for s in found if s.student == student]
        if not found:
            raise GradingError(f"no submission from {student!r} in {submissions}")

    runtime = Path(tempfile.mkdtemp(prefix="l2a-grade-"))
    hidden = _hidden([source, root / "tests", out, runtime / "forkserver"]
                     + ([submissions] if submissions.is_dir() else []))
    limits = sandbox.Limits(**{**limits.__dict__, "hide": [str(p) for p in hidden]})
    environment = {"JUPYTER_RUNTIME_DIR": str(runtime / "runtime"),  # nbgrader runs `alembic` from PATH:
                   "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
                   "JUPYTER_PATH": os.pathsep.join(filter(None, [str(runtime), os.environ.get("JUPYTER_PATH")]))}
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        (runtime / "runtime").mkdir(mode=0o700)
        (runtime / "forkserver").mkdir(mode=0o700)
        sandbox.install_kernelspec(runtime)
        release = out / ".l2a" / "release"
        config = autograde.grading_config(out, source, release, limits, [])
        created = autograde.api_for(config, autograde.quiet_logger("l2a.grading")).generate_assignment(lesson)
        if not created["success"]:
            raise GradingError("nbgrader generate_assignment failed:\n" + (created.get("error") or created["log"]))
        rows, runnable = _screen_and_import(found, lesson, name, release / lesson / name, out, root)
        crashed = _autograde(lesson, runnable, rows, out, reports, limits, source, release / lesson / name, jobs)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(out / ".l2a" / "shards", ignore_errors=True)

    if student is not None:
        rows = [r for r in report.load(reports) if r.student != student] + rows
    report.save(rows, reports)
    (reports / "class_report.md").write_text(report.class_report(rows, lesson, report.mutant_signatures(root, lesson)))
    print(report.summary(rows, time.perf_counter() - started, sandbox.enforced()))
    print(f"grades: {reports / 'grades.csv'}\nclass report: {reports / 'class_report.md'}\n"
          f"feedback: {out / 'feedback'}")
    if crashed:
        raise GradingError(f"grading processes crashed ({', '.join(crashed)}); their students are marked; "
                           f"see {reports}/grading-*.log")
    return rows


def _hidden(paths: list[Path]) -> list[Path]:
    """What the kernels must not see. A folder holding the kernel's own Python or the course's helpers
    (say, grading with --out inside the checkout) is not covered whole: its grading files are."""
    needed = [Path(sys.prefix).resolve(), Path(autograde.__file__).resolve().parents[1]]
    hidden = []
    for path in paths:
        if any(p == path or path in p.parents for p in needed):
            hidden += [path / name for name in ("gradebook.db", "submitted", "autograded", "feedback", "reports",
                                                ".l2a", "solutions", "tests", ".git")]
        else:
            hidden.append(path)
    return hidden


def _screen_and_import(found: list[Submission], lesson: str, name: str, released: Path, out: Path,
                       root: Path) -> tuple[list[report.Row], list[str]]:
    """Screen each submission; copy the ones that can run into out/submitted/<student>/<lesson>/<name>.

    Returns every student's row and the students whose notebooks will run.
    """
    other_lessons = {p.parent.name: {c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(p, as_version=4).cells
                                     if "grade_id" in c.metadata.get("nbgrader", {})}
                     for p in sorted((root / "solutions").glob("*/*.ipynb")) if p.parent.name != lesson}
    rows, runnable = [], []
    for submission in found:
        row = report.Row(submission.student, str(submission.path or ""), reasons=list(submission.problems))
        rows.append(row)
        if submission.path is None:
            continue
        screening = screen(submission.path, released, other_lessons)
        row.reasons += [f"{kind}: {'; '.join(details)}" for kind, details in screening.problems.items()]
        target = out / "submitted" / submission.student / lesson
        if submission.path.resolve() != (target / name).resolve():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            shutil.copy(submission.path, target / name)
        if screening.gradable:
            runnable.append(submission.student)
    return rows, runnable


def _autograde(lesson: str, students: list[str], rows: list[report.Row], out: Path, reports: Path,
               limits: sandbox.Limits, source: Path, released: Path, jobs: int) -> list[str]:
    """Autograde `students` in `jobs` processes; fill in their rows; return the names of crashed shards."""
    if not students:
        return []
    instructor = [c.source for c in nbformat.read(released, as_version=4).cells if c.cell_type == "code"]
    shards = autograde.prepare_shards(out, lesson, students, jobs)
    configs = [autograde.grading_config(shard, source, released.parent.parent, limits, instructor)
               for shard, _ in shards]
    bar = _ProgressBar(len(students))
    outcomes, crashed = autograde.run_shards(lesson, shards, configs, limits, reports, bar.step)
    bar.close()
    shard_of = {student: shard for shard, mine in shards for student in mine}
    graded = []
    for row in rows:
        if row.student not in shard_of:
            continue
        outcome = outcomes.get(row.student)
        if outcome is None:
            row.reasons.append("the grading process crashed before finishing this notebook")
            continue
        row.reasons += outcome.problems
        if outcome.graded:
            graded.append((shard_of[row.student], outcome, bool(row.reasons)))
            row.errors = outcome.errors
    merged = autograde.merge(out, lesson, graded)
    for row in rows:
        if row.student in merged:
            row.score, row.max_score, row.points = merged[row.student]
    return crashed


class _ProgressBar:
    """`grading [#######-----------]  7/20` on stderr."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.done, self.width = total, 0, width
        self._draw()

    def step(self, _student: str) -> None:
        self.done += 1
        self._draw()

    def _draw(self) -> None:
        filled = self.width * self.done // max(self.total, 1)
        sys.stderr.write(f"\rgrading [{'#' * filled}{'-' * (self.width - filled)}] {self.done:>3}/{self.total}")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
