"""Autograding a class with nbgrader, in parallel, judged outside the students' kernels.

Students are dealt round-robin into shards, one per job; each shard is an nbgrader course folder of
its own (a copy of the gradebook, its students' submissions) graded by nbgrader's own API in a
separate process: autograde (the preprocessors of `grading_config`), then feedback, one student at a
time, each student's results sent to the grader as soon as they are known. Whatever goes wrong with
one submission (nbgrader failing, a kernel dying, the judge unable to read an answer) is that
submission's problem, reported with it; the shard goes on. The grader records the results in the main
gradebook through nbgrader's Gradebook API, on a copy that replaces the gradebook in one step at the end.
"""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.api import BaseCell, Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from helpers.grading import sandbox
from helpers.grading.cells import RestoreDemoCells, SkipDemoCells
from helpers.grading.execute import SandboxedExecute
from helpers.grading.feedback import FeedbackExporter
from helpers.grading.sanitize import SanitizeNotebook
from helpers.grading.verdicts import AddCouriers, JudgeAnswers, RecordFindings

COURSE_ID = "loops-to-attention"
TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt"}


@dataclass
class Outcome:
    """What grading one student's notebook gave (before merging into the main gradebook)."""
    student: str
    graded: bool = False                                  # nbgrader produced an autograded notebook
    problems: list[str] = field(default_factory=list)     # what went wrong, for a person to look at
    errors: dict[str, str] = field(default_factory=dict)  # test grade_id -> the judge's message when it failed
    mistakes: dict[str, str] = field(default_factory=dict)  # test grade_id -> the known mistake it showed
    timestamp: datetime | None = None                     # the submission's, as nbgrader recorded it
    grades: dict[tuple[str, str], tuple] = field(default_factory=dict)    # (notebook, cell) -> auto, manual, needs
    comments: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (notebook, cell) -> auto, manual


@dataclass(frozen=True)
class Run:
    """What every shard of one grading run shares."""
    lesson: str
    limits: sandbox.Limits
    helpers: str            # the answer-free copy of helpers the kernels see
    cases: str              # the lesson's cases, written once (helpers.grading.verdicts.write_cases)
    sockets: str            # where each kernel gets its socket folder


def db_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'gradebook.db'}"


def grading_config(root: Path, source: Path, release: Path, run: Run | None, released: nbformat.NotebookNode | None
                   ) -> Config:
    """nbgrader configuration for a course folder `root` (a shard's, when `run` is given)."""
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = str(source)
    c.CourseDirectory.release_directory = str(release)
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    if run is None:
        return c
    c.Execute.timeout = run.limits.cell_seconds
    c.Execute.kernel_name = sandbox.KERNEL_NAME
    c.Execute.shutdown_kernel = "immediate"         # nothing of a submission's kernel is worth waiting for
    c.OverwriteCells.add_missing_cells = True
    c.SkipDemoCells.instructor_sources = [c.source for c in released.cells if c.cell_type == "code"]
    c.SanitizeNotebook.instructor_markdown = [c.source for c in released.cells if c.cell_type != "code"]
    c.AddCouriers.cases_dir = run.cases
    c.AddCouriers.seconds = run.limits.cell_seconds / 2
    c.Autograde.autograde_preprocessors = [SkipDemoCells, AddCouriers, SandboxedExecute, JudgeAnswers,
                                           RestoreDemoCells, SanitizeNotebook, IgnorePattern,
                                           ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                           AssignLatePenalties, CheckCellMetadata, RecordFindings]
    c.GenerateFeedback.exporter_class = FeedbackExporter
    return c


def api_for(config: Config, log: logging.Logger) -> NbGraderAPI:
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config, log=log)


def quiet_logger(name: str) -> logging.Logger:
    log = logging.getLogger(name)
    log.propagate = False
    log.setLevel(logging.INFO)
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


def grade_shard(run: Run, number: int, shard: Path, students: list[str], config: Config, graded) -> None:
    """Autograde and give feedback to `students` in the course folder `shard`, one at a time, passing each
    Outcome to `graded` as soon as it is known."""
    api = api_for(config, quiet_logger(f"l2a.grading.{shard.name}"))
    for count, student in enumerate(students):
        tag = f"{os.getpid()}-{count}"
        try:
            outcome = _grade_one(api, run, shard, student, tag, sandbox.UID_BASE + 10_000 * number + count)
        except Exception as error:  # noqa: BLE001 — one submission's failure is that submission's, reported
            logging.getLogger(__name__).exception("grading %s failed", student)
            outcome = Outcome(student, problems=[f"grading failed: {type(error).__name__}: {str(error)[:200]}"])
        finally:
            sandbox.remove_cgroups(tag)
            shutil.rmtree(Path(run.sockets) / tag, ignore_errors=True)
        graded(outcome)


def _grade_one(api: NbGraderAPI, run: Run, shard: Path, student: str, tag: str, uid: int) -> Outcome:
    """nbgrader's autograde of one student in a kernel of its own, with the whole-notebook time limit; then
    the student's feedback."""
    sockets = Path(run.sockets) / tag
    sockets.mkdir(mode=0o700)
    if sandbox.mode() == "root":
        os.chown(sockets, uid, uid)
    kernel = sandbox.Kernel(tag=tag, uid=uid, helpers=run.helpers, reveal=(run.cases,), sockets=str(sockets),
                            limits=run.limits.__dict__)
    os.environ[sandbox.CONFIG_VARIABLE] = kernel.to_json()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sandbox.kill(tag)
        SandboxedExecute.kill_running()

    watchdog = threading.Timer(run.limits.notebook_seconds, expire)
    SandboxedExecute.failure[:] = []
    watchdog.start()
    started = time.perf_counter()
    try:
        result = api.autograde(run.lesson, student, force=True, create=True)
    finally:
        watchdog.cancel()
    graded = time.perf_counter()
    outcome = _outcome(run, shard, student, result, expired.is_set())
    if outcome.graded:
        _read_grades(shard, run.lesson, outcome)
    if outcome.graded:
        feedback = api.generate_feedback(run.lesson, student, force=True)
        if not feedback["success"] or not any((shard / "feedback" / student / run.lesson).glob("*.html")):
            outcome.problems.append("feedback could not be generated (see the grading log)")
    logging.getLogger(__name__).info("%s: autograde %.1f s, feedback %.1f s", student, graded - started,
                                     time.perf_counter() - graded)
    return outcome


def _read_grades(shard: Path, lesson: str, outcome: Outcome) -> None:
    """What nbgrader recorded for the student in the shard's gradebook, for merging."""
    with warnings.catch_warnings(), Gradebook(db_url(shard), COURSE_ID) as part:
        warnings.simplefilter("ignore", SAWarning)       # nbgrader's own autoflush warnings
        try:
            submission = part.find_submission(lesson, outcome.student)
        except MissingEntry:
            outcome.graded = False
            outcome.problems.append("nbgrader wrote an autograded notebook but recorded no grades")
            return
        outcome.timestamp = submission.timestamp
        names = cell_names(part)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                outcome.grades[notebook.name, names[grade.cell_id]] = (grade.auto_score, grade.manual_score,
                                                                       grade.needs_manual_grade)
            for comment in notebook.comments:
                outcome.comments[notebook.name, names[comment.cell_id]] = (comment.auto_comment,
                                                                           comment.manual_comment)


def cell_names(gradebook: Gradebook) -> dict[str, str]:
    """Every cell's name by its id, in one query."""
    return dict(gradebook.db.query(BaseCell.id, BaseCell.name))


def _outcome(run: Run, shard: Path, student: str, result: dict, expired: bool) -> Outcome:
    outcome = Outcome(student)
    notebooks = sorted((shard / "autograded" / student / run.lesson).glob("*.ipynb"))
    if expired:
        outcome.problems.append(f"time limit: still running after {run.limits.notebook_seconds} s, the kernel "
                                "was killed")
    if not result["success"] or not notebooks:
        if not expired:
            outcome.problems += SandboxedExecute.failure or ["nbgrader could not grade it (see the grading log)"]
        return outcome
    outcome.graded = True
    for notebook in notebooks:
        read = nbformat.read(notebook, as_version=4)
        findings = read.metadata.get("l2a", {})
        outcome.problems += findings.get("findings", [])
        for grade_id, verdict in findings.get("verdicts", {}).items():
            if not verdict.get("passed"):
                outcome.errors[grade_id] = str(verdict.get("message", ""))
                if verdict.get("mistake"):
                    outcome.mistakes[grade_id] = str(verdict["mistake"])
        for cell in read.cells:
            if any(o.get("ename") in TIMEOUT_ERRORS for o in cell.get("outputs", []) if o.get("output_type") == "error"):
                outcome.problems.append(f"a cell timed out (over {run.limits.cell_seconds} s) and was interrupted")
    outcome.problems = list(dict.fromkeys(outcome.problems))
    return outcome


def _worker(run, number, shard, students, config, log_file, channel) -> None:
    """A shard's process: nbgrader's and the kernels' chatter goes to log_file; ("graded", outcome) for each
    student, then ("finished", shard name), into `channel`."""
    descriptor = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    sys.stdout = sys.stderr = open(descriptor, "w", buffering=1)
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s: %(message)s", force=True,
                        level=logging.INFO)
    warnings.simplefilter("ignore", SAWarning)             # nbgrader's own autoflush warnings, every notebook
    try:
        grade_shard(run, number, shard, students, config, lambda outcome: channel.send(("graded", outcome)))
        channel.send(("finished", shard.name))
    except BaseException:
        traceback.print_exc()
        raise


def prepare_shards(out: Path, lesson: str, students: list[str], jobs: int) -> list[tuple[Path, list[str]]]:
    """Deal students round-robin into `jobs` course folders under out/.l2a/shards, each with a gradebook copy."""
    shards = []
    root = out / ".l2a" / "shards"
    shutil.rmtree(root, ignore_errors=True)
    count = max(1, min(jobs, len(students)))
    for number in range(count):
        shard, mine = root / str(number), students[number::count]
        (shard / "submitted").mkdir(parents=True)
        shutil.copy(out / "gradebook.db", shard / "gradebook.db")
        for student in mine:
            (shard / "submitted" / student).mkdir()
            shutil.copytree(out / "submitted" / student / lesson, shard / "submitted" / student / lesson)
        shards.append((shard, mine))
    return shards


def run_shards(run: Run, shards: list[tuple[Path, list[str]]], configs: list[Config], log_dir: Path,
               on_graded) -> list[str]:
    """Grade every shard in its own process, calling on_graded(outcome) for each student as it comes; return
    the names of the shards that crashed. Each shard writes to a pipe of its own, read to its end."""
    context = multiprocessing.get_context("fork")
    workers, channels = [], []
    for number, ((shard, students), config) in enumerate(zip(shards, configs)):
        reader, writer = context.Pipe(duplex=False)
        worker = context.Process(target=_worker, args=(run, number, shard, students, config,
                                                       str(log_dir / f"grading-{shard.name}.log"), writer))
        worker.start()
        writer.close()                                    # the worker holds the only writing end: EOF when it ends
        workers.append(worker)
        channels.append(reader)
    finished: set[str] = set()
    try:
        while channels:
            for channel in multiprocessing.connection.wait(channels):
                try:
                    kind, payload = channel.recv()
                except EOFError:
                    channels.remove(channel)
                    continue
                if kind == "graded":
                    on_graded(payload)
                else:
                    finished.add(payload)
    except BaseException:
        for worker in workers:                            # the grader cannot go on: neither do its shards
            worker.kill()
        raise
    finally:
        for worker, (_, students) in zip(workers, shards):
            worker.join()
            for count in range(len(students)):            # left behind if the shard died mid-notebook
                sandbox.remove_cgroups(f"{worker.pid}-{count}")
    return [shard.name for shard, _ in shards if shard.name not in finished]


class MainGradebook:
    """The grading folder's gradebook, written through nbgrader's Gradebook API on a copy that replaces it
    in one step when grading got through (`commit`); until then the old gradebook stays as it was."""

    def __init__(self, out: Path, lesson: str) -> None:
        self.out, self.lesson = out, lesson
        self.working = out / ".l2a" / "gradebook.db"
        shutil.copy(out / "gradebook.db", self.working)
        self.gradebook = Gradebook(f"sqlite:///{self.working}", COURSE_ID)
        self.names = cell_names(self.gradebook)

    def record(self, outcome: Outcome, flagged: bool) -> None:
        """A graded student's grades and comments, as their shard's gradebook holds them."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)       # nbgrader's own autoflush warnings
            self.gradebook.update_or_create_student(outcome.student)
            submission = self.gradebook.update_or_create_submission(self.lesson, outcome.student,
                                                                    timestamp=outcome.timestamp)
            for notebook in submission.notebooks:
                notebook.flagged = flagged
                for grade in notebook.grades:
                    grade.auto_score, grade.manual_score, grade.needs_manual_grade = \
                        outcome.grades[notebook.name, self.names[grade.cell_id]]
                for comment in notebook.comments:
                    comment.auto_comment, comment.manual_comment = \
                        outcome.comments[notebook.name, self.names[comment.cell_id]]

    def flag_ungraded(self, student: str) -> None:
        """A submission that could not be graded automatically: flagged, every grade left to a person."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            self.gradebook.update_or_create_student(student)
            for notebook in self.gradebook.update_or_create_submission(self.lesson, student).notebooks:
                notebook.flagged = True
                for grade in notebook.grades:
                    grade.needs_manual_grade = True

    def scores(self, student: str) -> tuple[float, float, dict[str, float]]:
        """(score, max score, points per test cell) of a recorded submission."""
        submission = self.gradebook.find_submission(self.lesson, student)
        points = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
        return submission.score, submission.max_score, points

    def commit(self) -> None:
        self.gradebook.db.commit()
        self.gradebook.close()
        os.replace(self.working, self.out / "gradebook.db")

    def abandon(self) -> None:
        self.gradebook.close()
        self.working.unlink(missing_ok=True)

    @staticmethod
    def move_files(shard: Path, out: Path, lesson: str, student: str) -> None:
        """Move the student's autograded notebook and feedback from `shard` into the grading folder."""
        for kind in ("autograded", "feedback"):
            target = out / kind / student / lesson
            shutil.rmtree(target, ignore_errors=True)
            if (shard / kind / student / lesson).is_dir():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(shard / kind / student / lesson, target)
