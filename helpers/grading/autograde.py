"""Autograding a class with nbgrader, in parallel, without trusting what the notebooks do.

nbgrader autogrades one notebook at a time. Here the students are dealt round-robin into shards,
one per job; each shard is an nbgrader course folder of its own (a copy of the gradebook, its
students' submissions) graded by nbgrader's own API in a separate process, which sends each
student's results as soon as they are known; the grader records them in the main gradebook through
nbgrader's Gradebook API while the shards go on. Every kernel is the sandbox of
`helpers.grading.sandbox`; a watchdog kills a kernel that outlives the whole-notebook limit.
"""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import shutil
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.api import BaseCell, Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (
    AssignLatePenalties,
    ClearHiddenTests,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from helpers.grading import forkserver, nbgrader_shortcuts, prestart, sandbox
from helpers.grading.background_feedback import BackgroundFeedback
from helpers.grading.cells import HideHiddenTracebacks, RestoreDemoCells, SkipDemoCells
from helpers.grading.feedback import FeedbackExporter
from helpers.grading.standin import TAG_VARIABLE

COURSE_ID = "loops-to-attention"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt"}


nbgrader_shortcuts.apply()


@dataclass
class Outcome:
    """What grading one student's notebook gave (before merging into the main gradebook)."""
    student: str
    graded: bool = False                                  # nbgrader produced an autograded notebook
    problems: list[str] = field(default_factory=list)     # what went wrong while running it
    errors: dict[str, str] = field(default_factory=dict)  # test grade_id -> the error it printed
    timestamp: datetime | None = None                     # the submission's, as nbgrader recorded it
    grades: dict[tuple[str, str], tuple] = field(default_factory=dict)    # (notebook, cell) -> auto, manual, needs
    comments: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (notebook, cell) -> auto, manual


def db_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'gradebook.db'}"


def grading_config(root: Path, source: Path, release: Path, limits: sandbox.Limits,
                   instructor_sources: list[str]) -> Config:
    """nbgrader configuration for a course folder `root` grading in the sandbox."""
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = str(source)
    c.CourseDirectory.release_directory = str(release)
    c.Execute.timeout = limits.cell_seconds
    c.Execute.kernel_name = sandbox.KERNEL_NAME
    c.Execute.shutdown_kernel = "immediate"         # nothing of a submission's kernel is worth waiting for
    c.KernelManager.client_class = "helpers.grading.forkserver.PromptKernelClient"
    c.KernelManager.transport = "ipc"               # Unix sockets: they work across the network namespace
    c.KernelManager.ip = str(Path(os.environ["JUPYTER_RUNTIME_DIR"]) / f"ipc-{root.name}")   # absolute socket paths
    c.OverwriteCells.add_missing_cells = True
    c.Exporter.optimistic_validation = True         # validate each notebook once, not after every preprocessor
    c.SkipDemoCells.instructor_sources = instructor_sources
    c.Autograde.autograde_preprocessors = [SkipDemoCells, prestart.PrestartedExecute, RestoreDemoCells,
                                           IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                           AssignLatePenalties]   # CheckCellMetadata ran when nbgrader imported it
    c.GenerateFeedback.exporter_class = FeedbackExporter
    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, HideHiddenTracebacks, CSSHTMLHeaderPreprocessor]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
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


def grade_shard(lesson: str, shard: Path, students: list[str], config: Config, limits: sandbox.Limits,
                server: subprocess.Popen, graded) -> None:
    """Autograde `students` in the course folder `shard`, one at a time, on kernels forked by `server`
    (see forkserver.launch), passing each Outcome to `graded` as soon as it is known; their feedback is
    generated in batches alongside (see background_feedback)."""
    nbgrader_shortcuts.scratch(db_url(shard))
    api = api_for(config, quiet_logger(f"l2a.grading.{shard.name}"))
    forkserver.ready(server)
    tags = [_tag(os.getpid(), student) for student in students]
    feedback = BackgroundFeedback(api, lesson, students)
    try:
        for count, (student, tag, upcoming) in enumerate(zip(students, tags, tags[1:] + [None]), start=1):
            prestart.upcoming(upcoming)
            graded(_grade_one(api, lesson, shard, student, tag, limits))
            feedback.graded(count)
    finally:
        for tag in tags:
            prestart.discard(tag)
        server.kill()                                   # its kernels die with it
    feedback.finish()


def _tag(worker: int, student: str) -> str:
    """What names a student's kernel in the shard process `worker`: its cgroup, its pid file."""
    return f"{worker}-{re.sub(r'[^A-Za-z0-9]', '_', student)}"


def _grade_one(api: NbGraderAPI, lesson: str, shard: Path, student: str, tag: str, limits: sandbox.Limits) -> Outcome:
    """nbgrader's autograde of one student, with the whole-notebook time limit."""
    os.environ[TAG_VARIABLE] = tag
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sandbox.kill_kernel(tag)

    watchdog = threading.Timer(limits.notebook_seconds, expire)
    watchdog.start()
    try:
        result = api.autograde(lesson, student, force=True, create=True)
    finally:
        watchdog.cancel()
        prestart.discard(tag)                   # a kernel started for a submission nbgrader did not run
        sandbox.remove_cgroups(tag)
    outcome = _outcome(lesson, shard, student, result, expired.is_set(), limits)
    if outcome.graded:
        _read_grades(shard, lesson, outcome)
    return outcome


def _read_grades(shard: Path, lesson: str, outcome: Outcome) -> None:
    """What nbgrader recorded for the student in the shard's gradebook, for merging (read here, in parallel)."""
    with warnings.catch_warnings(), Gradebook(db_url(shard), COURSE_ID) as part:
        warnings.simplefilter("ignore", SAWarning)       # nbgrader's own autoflush warnings
        try:
            submission = part.find_submission(lesson, outcome.student)
        except MissingEntry:
            outcome.graded = False
            outcome.problems.append("nbgrader wrote an autograded notebook but recorded no grades")
            return
        outcome.timestamp = submission.timestamp
        names = _cell_names(part)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                outcome.grades[notebook.name, names[grade.cell_id]] = (grade.auto_score, grade.manual_score,
                                                                       grade.needs_manual_grade)
            for comment in notebook.comments:
                outcome.comments[notebook.name, names[comment.cell_id]] = (comment.auto_comment,
                                                                           comment.manual_comment)


def _cell_names(gradebook: Gradebook) -> dict[str, str]:
    """Every cell's name by its id, in one query (a grade's or comment's `name` loads its cell alone)."""
    return dict(gradebook.db.query(BaseCell.id, BaseCell.name))


def _last_line(result: dict) -> str:
    """The last exception nbgrader logged, skipping its 'see the above traceback' wrapper."""
    text = ((result.get("log") or "") + "\n" + (result.get("error") or "")).splitlines()
    exceptions = [line.strip() for line in text if re.match(r"\s*([\w.]+(Error|Exception|Exit|Interrupt))\b", line)
                  and "see the the above traceback" not in line and "see the above traceback" not in line]
    return (exceptions or ["no message"])[-1][:300]


def _outcome(lesson: str, shard: Path, student: str, result: dict, expired: bool, limits: sandbox.Limits) -> Outcome:
    outcome = Outcome(student)
    notebooks = sorted((shard / "autograded" / student / lesson).glob("*.ipynb"))
    if expired:
        outcome.problems.append(f"time limit: still running after {limits.notebook_seconds} s, the kernel was killed")
    if not result["success"] or not notebooks:
        if not expired:
            log = (result.get("log") or "") + (result.get("error") or "")
            if "CellTimeoutError" in log:
                outcome.problems.append(f"a cell timed out (over {limits.cell_seconds} s) and ignored the interrupt; "
                                        "grading stopped")
            elif "Kernel died" in log or "DeadKernelError" in log:
                outcome.problems.append("the kernel died while running (out of memory, os._exit, or a crash)")
            else:
                outcome.problems.append(f"nbgrader failed: {_last_line(result)}")
        return outcome
    outcome.graded = True
    for notebook in notebooks:
        for cell in nbformat.read(notebook, as_version=4).cells:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if any(o.get("ename") in TIMEOUT_ERRORS for o in errors):
                outcome.problems.append(f"a cell timed out (over {limits.cell_seconds} s) and was interrupted")
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if errors and grade_id and cell.metadata["nbgrader"].get("grade"):
                printed = "\n".join(line for output in errors for line in output.get("traceback", []))
                outcome.errors[grade_id] = ANSI.sub("", printed) or str(errors[0].get("ename"))
    outcome.problems = list(dict.fromkeys(outcome.problems))
    return outcome


def _worker(lesson, shard, students, config, limits, server, log_file, channel) -> None:
    """A shard's process: nbgrader's and the kernels' chatter goes to log_file; ("graded", outcome) for each
    student, then ("finished", shard name), into `channel`, each written before the worker goes on."""
    descriptor = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    sys.stdout = sys.stderr = open(descriptor, "w", buffering=1)   # even if the grader's were replaced
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s: %(message)s", force=True)
    grade_shard(lesson, shard, students, config, limits, server, lambda outcome: channel.send(("graded", outcome)))
    channel.send(("finished", shard.name))


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
            (shard / "submitted" / student / lesson).symlink_to(out / "submitted" / student / lesson)
        shards.append((shard, mine))
    return shards


def run_shards(lesson: str, shards: list[tuple[Path, list[str]]], configs: list[Config], limits: sandbox.Limits,
               servers: list[subprocess.Popen], log_dir: Path, on_graded) -> list[str]:
    """Grade every shard in its own process, with a fork server each, calling on_graded(outcome) for each
    student as it comes; return the names of the shards that crashed. Each shard writes to a pipe of its
    own, so what a shard sent before it died is read in full."""
    context = multiprocessing.get_context("fork")
    workers, channels = [], []
    for (shard, students), config, server in zip(shards, configs, servers):
        reader, writer = context.Pipe(duplex=False)
        worker = context.Process(target=_worker, args=(lesson, shard, students, config, limits, server,
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
            for student in students:                      # left behind if the shard died mid-notebook
                sandbox.remove_cgroups(_tag(worker.pid, student))
    return [shard.name for shard, _ in shards if shard.name not in finished]


class MainGradebook:
    """The grading folder's gradebook: students' grades recorded through nbgrader's Gradebook API as they
    come from the shards, then their autograded notebooks and feedback moved into the folder."""

    def __init__(self, out: Path, lesson: str) -> None:
        self.out, self.lesson = out, lesson
        self._gradebook: Gradebook | None = None          # opened at the first record, after the shards fork
        self._names: dict[str, str] = {}

    def __enter__(self) -> MainGradebook:
        return self

    def __exit__(self, failure, *_) -> None:
        if self._gradebook is not None:
            if failure is None:
                self._gradebook.db.commit()
            self._gradebook.close()

    @property
    def gradebook(self) -> Gradebook:
        if self._gradebook is None:
            self._gradebook = Gradebook(db_url(self.out), COURSE_ID)
            self._names = _cell_names(self._gradebook)
        return self._gradebook

    def record(self, outcome: Outcome, flagged: bool) -> None:
        """A graded student's grades and comments, as their shard's gradebook holds them."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)       # nbgrader's own autoflush warnings
            main = self.gradebook
            main.update_or_create_student(outcome.student)
            submission = main.update_or_create_submission(self.lesson, outcome.student, timestamp=outcome.timestamp)
            for notebook in submission.notebooks:
                notebook.flagged = flagged
                for grade in notebook.grades:
                    grade.auto_score, grade.manual_score, grade.needs_manual_grade = \
                        outcome.grades[notebook.name, self._names[grade.cell_id]]
                for comment in notebook.comments:
                    comment.auto_comment, comment.manual_comment = \
                        outcome.comments[notebook.name, self._names[comment.cell_id]]

    def flag(self, student: str) -> None:
        """Mark a recorded student's notebooks for the instructor's review."""
        for notebook in self.gradebook.find_submission(self.lesson, student).notebooks:
            notebook.flagged = True

    def move_files(self, shard: Path, student: str) -> bool:
        """Move the student's autograded notebook and feedback from `shard`; False if there was no feedback."""
        for kind in ("autograded", "feedback"):
            target = self.out / kind / student / self.lesson
            shutil.rmtree(target, ignore_errors=True)
            if (shard / kind / student / self.lesson).is_dir():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(shard / kind / student / self.lesson, target)
        return any((self.out / "feedback" / student / self.lesson).glob("*.html"))

    def scores(self, student: str) -> tuple[float, float, dict[str, float]]:
        """(score, max score, points per test cell) of a recorded submission."""
        submission = self.gradebook.find_submission(self.lesson, student)
        points = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
        return submission.score, submission.max_score, points
