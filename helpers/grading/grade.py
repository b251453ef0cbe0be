"""`course grade LESSON SUBMISSIONS`: import, screen, autograde, give feedback and report, for a class.

The grading folder `out` is an nbgrader course folder: submitted/, autograded/, feedback/ (so
`nbgrader release_feedback` works there), gradebook.db (the formgrader reads it), and
reports/<LESSON>/ with grades.csv, class_report.md, results.json and the grading logs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from helpers.grading import autograde, forkserver, report, sandbox
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
    servers: list[subprocess.Popen] = []
    try:
        (runtime / "runtime").mkdir(mode=0o700)
        (runtime / "forkserver").mkdir(mode=0o700)
        sandbox.install_kernelspec(runtime)
        lesson_code = [c.source for c in nbformat.read(notebooks[0], as_version=4).cells if c.cell_type == "code"]
        servers += [forkserver.launch(runtime / "forkserver", limits, forkserver.lesson_imports(lesson_code), str(n))
                    for n in range(max(1, min(jobs, len(found))))]    # they import while the class is screened
        release = out / ".l2a" / "release"
        config = autograde.grading_config(out, source, release, limits, [])
        created = autograde.api_for(config, autograde.quiet_logger("l2a.grading")).generate_assignment(lesson)
        if not created["success"]:
            raise GradingError("nbgrader generate_assignment failed:\n" + (created.get("error") or created["log"]))
        rows, runnable = _screen_and_import(found, lesson, name, release / lesson / name, out, root)
        crashed = _autograde(lesson, runnable, rows, out, reports, limits, source, release / lesson / name, servers)
    finally:
        for server in servers:
            server.kill()
            server.wait()
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
    released_notebook = nbformat.read(released, as_version=4)
    for submission in found:
        row = report.Row(submission.student, str(submission.path or ""), reasons=list(submission.problems))
        rows.append(row)
        if submission.path is None:
            continue
        screening = screen(submission.path, released_notebook, other_lessons)
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
               limits: sandbox.Limits, source: Path, released: Path, servers: list[subprocess.Popen]) -> list[str]:
    """Autograde `students` in a process per fork server (at most); fill in their rows; return the names of
    crashed shards."""
    if not students:
        return []
    instructor = [c.source for c in nbformat.read(released, as_version=4).cells if c.cell_type == "code"]
    shards = autograde.prepare_shards(out, lesson, students, len(servers))
    configs = [autograde.grading_config(shard, source, released.parent.parent, limits, instructor)
               for shard, _ in shards]
    bar = _ProgressBar(len(students))
    by_student = {row.student: row for row in rows}
    shard_of = {student: shard for shard, mine in shards for student in mine}
    graded: list[str] = []
    reported: set[str] = set()
    with autograde.MainGradebook(out, lesson) as main:

        def on_graded(outcome: autograde.Outcome) -> None:
            """Record each student in the main gradebook while the others are being graded."""
            row = by_student[outcome.student]
            row.reasons += outcome.problems
            reported.add(outcome.student)
            if outcome.graded:
                row.errors = outcome.errors
                main.record(outcome, flagged=bool(row.reasons))
                graded.append(outcome.student)
            bar.step(outcome.student)

        crashed = autograde.run_shards(lesson, shards, configs, limits, servers, reports, on_graded)
        bar.close()
        for student in set(students) - reported:
            by_student[student].reasons.append("the grading process crashed before finishing this notebook")
        for student in graded:
            row = by_student[student]
            if not main.move_files(shard_of[student], student):
                row.reasons.append("feedback could not be generated (see the grading log)")
                main.flag(student)
            row.score, row.max_score, row.points = main.scores(student)
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
