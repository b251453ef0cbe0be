"""Autograding a class with nbgrader, in parallel, without trusting what the notebooks do.

nbgrader autogrades one notebook at a time. Here the students are dealt round-robin into shards,
one per job; each shard is an nbgrader course folder of its own (a copy of the gradebook, its
students' submissions) graded by nbgrader's own API in a separate process, and the results are
merged into the main gradebook through nbgrader's Gradebook API. Every kernel is the sandbox of
`helpers.grading.sandbox`; a watchdog kills a kernel that outlives the whole-notebook limit.
"""
from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import re
import shutil
import threading
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
import nbgrader.api
import sqlalchemy
from alembic.script import ScriptDirectory
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

from helpers.grading import forkserver, prestart, sandbox
from helpers.grading.cells import HideHiddenTracebacks, RestoreDemoCells, SkipDemoCells
from helpers.grading.feedback import FeedbackExporter
from helpers.grading.standin import TAG_VARIABLE

COURSE_ID = "loops-to-attention"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt"}


def alembic_head() -> str:
    """The gradebook schema's newest revision, which nbgrader stamps on a new gradebook.

    nbgrader finds it by running `alembic heads` in a second Python that imports nbgrader again:
    seconds for every new gradebook. alembic's own API reads the same revision files at once.
    """
    return ScriptDirectory(str(Path(nbgrader.api.__file__).parent / "alembic")).get_current_head()


nbgrader.api.get_alembic_version = alembic_head


SCRATCH_GRADEBOOKS: set[str] = set()        # a shard's copy: rebuilt if its process crashes, so never synced


@functools.cache
def _engine(url: str, **options) -> sqlalchemy.Engine:
    """One SQLAlchemy engine per gradebook for the whole process.

    nbgrader opens a Gradebook, and so an engine, about ten times per notebook it grades, and every
    new engine compiles nbgrader's queries afresh. A shared engine keeps its compiled queries; closing
    a Gradebook still disposes of its connections. nbgrader commits some fifty times per notebook; in a
    shard's scratch gradebook those commits do not wait for the disk.
    """
    engine = sqlalchemy.create_engine(url, **options)
    if url in SCRATCH_GRADEBOOKS:
        sqlalchemy.event.listen(engine, "connect", _unsynced)
    return engine


def _unsynced(connection, _connection_record) -> None:
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA journal_mode = MEMORY")


nbgrader.api.create_engine = _engine
os.register_at_fork(after_in_child=_engine.cache_clear)       # a shard process makes its own connections


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
                progress) -> list[Outcome]:
    """Autograde `students` in the course folder `shard`, one at a time, then generate their feedback."""
    SCRATCH_GRADEBOOKS.add(db_url(shard))
    api = api_for(config, quiet_logger(f"l2a.grading.{shard.name}"))
    server = forkserver.start(Path(os.environ["JUPYTER_RUNTIME_DIR"]).parent / "forkserver", limits,
                              forkserver.lesson_imports(config.SkipDemoCells.instructor_sources))
    tags = [_tag(student) for student in students]
    try:
        outcomes = []
        for student, tag, upcoming in zip(students, tags, tags[1:] + [None]):
            prestart.upcoming(upcoming)
            outcomes.append(_grade_one(api, lesson, shard, student, tag, limits, progress))
    finally:
        for tag in tags:
            prestart.discard(tag)
        server.kill()
        server.wait()
    api.generate_feedback(lesson, force=True)       # one HTML exporter for the whole shard
    for outcome in outcomes:
        if outcome.graded and not list((shard / "feedback" / outcome.student / lesson).glob("*.html")):
            outcome.problems.append("feedback could not be generated (see the grading log)")
    return outcomes


def _tag(student: str) -> str:
    """What names a student's kernel: its cgroup, its pid file."""
    return f"{os.getpid()}-{re.sub(r'[^A-Za-z0-9]', '_', student)}"


def _grade_one(api: NbGraderAPI, lesson: str, shard: Path, student: str, tag: str, limits: sandbox.Limits,
               progress) -> Outcome:
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
    progress.put(("graded", student))
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


def _worker(lesson, shard, students, config, limits, log_file, progress, results) -> None:
    """A shard's process: nbgrader's and the kernels' chatter goes to log_file, outcomes to `results`."""
    descriptor = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    results.put((shard.name, grade_shard(lesson, shard, students, config, limits, progress)))


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
               log_dir: Path, on_progress) -> tuple[dict[str, Outcome], list[str]]:
    """Grade every shard in its own process; return outcomes by student and the shards that crashed."""
    context = multiprocessing.get_context("fork")
    progress, results = context.Queue(), context.Queue()
    workers = []
    for (shard, students), config in zip(shards, configs):
        worker = context.Process(target=_worker, args=(lesson, shard, students, config, limits,
                                                       str(log_dir / f"grading-{shard.name}.log"), progress, results))
        worker.start()
        workers.append(worker)
    outcomes: dict[str, Outcome] = {}
    finished: set[str] = set()
    while len(finished) < len(workers):
        while not progress.empty():
            on_progress(progress.get()[1])
        while not results.empty():
            name, shard_outcomes = results.get()
            finished.add(name)
            outcomes.update({o.student: o for o in shard_outcomes})
        if all(not w.is_alive() for w in workers) and results.empty():
            break
        time.sleep(0.1)
    while not progress.empty():
        on_progress(progress.get()[1])
    for worker in workers:
        worker.join()
    crashed = [shard.name for shard, _ in shards if shard.name not in finished]
    return outcomes, crashed


def merge(out: Path, lesson: str, graded: list[tuple[Path, Outcome, bool]]) -> dict[str, tuple[float, float, dict]]:
    """Bring each graded student's grades, comments, autograded notebook and feedback from their shard into
    `out`, flagged or not (graded: (shard, outcome, flagged) per student); return `_scores` per student."""
    for shard, outcome, _ in graded:
        for kind in ("autograded", "feedback"):            # moved: the shards are removed afterwards
            target = out / kind / outcome.student / lesson
            shutil.rmtree(target, ignore_errors=True)
            if (shard / kind / outcome.student / lesson).is_dir():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(shard / kind / outcome.student / lesson, target)
    with warnings.catch_warnings(), Gradebook(db_url(out), COURSE_ID) as main:
        warnings.simplefilter("ignore", SAWarning)       # nbgrader's own autoflush warnings
        names = _cell_names(main)
        for _, outcome, flagged in graded:
            _record(main, lesson, outcome, flagged, names)
        main.db.commit()
        return {outcome.student: _scores(main, lesson, outcome.student) for _, outcome, _ in graded}


def _record(main: Gradebook, lesson: str, outcome: Outcome, flagged: bool, names: dict[str, str]) -> None:
    main.update_or_create_student(outcome.student)
    submission = main.update_or_create_submission(lesson, outcome.student, timestamp=outcome.timestamp)
    for notebook in submission.notebooks:
        notebook.flagged = flagged
        for grade in notebook.grades:
            grade.auto_score, grade.manual_score, grade.needs_manual_grade = \
                outcome.grades[notebook.name, names[grade.cell_id]]
        for comment in notebook.comments:
            comment.auto_comment, comment.manual_comment = outcome.comments[notebook.name, names[comment.cell_id]]


def _scores(gradebook: Gradebook, lesson: str, student: str) -> tuple[float, float, dict[str, float]]:
    """(score, max score, points per test cell) of a graded submission."""
    submission = gradebook.find_submission(lesson, student)
    points = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    return submission.score, submission.max_score, points
