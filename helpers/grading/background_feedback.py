"""Feedback generated while the shard grades on, not all of it once the shard has graded everyone.

nbgrader's `generate_feedback` costs about a tenth of a second per student, plus a third of a second
to set up its exporter. A shard that asked for all of it at the end would leave the machine's other
cores idle meanwhile. `BackgroundFeedback` forks a copy of the shard process for each batch of
students as soon as they are graded; the copy runs nbgrader's own `generate_feedback` for that batch
(the others excluded through nbgrader's `CourseDirectory.student_id_exclude`) while the shard goes on.
A copy that fails or hangs is logged; its students' feedback is then missing, which the grader
reports and flags for each of them.
"""
from __future__ import annotations

import logging
import os
import select
import signal
import time

from nbgrader.apps import NbGraderAPI

from helpers.grading.standin import die_with_parent

BATCH = 10                 # students per forked feedback process
WAIT_SECONDS = 300         # for the batches still running once the shard has graded everyone

log = logging.getLogger(__name__)


class BackgroundFeedback:
    """Feedback for `students` of `lesson`, graded in this order by `api`'s course folder."""

    def __init__(self, api: NbGraderAPI, lesson: str, students: list[str]) -> None:
        self.api, self.lesson, self.students = api, lesson, students
        self.started = 0                    # students[:started] have, or are getting, their feedback
        self.batches: dict[int, list[str]] = {}     # process id -> its students
        self.batch = BATCH if not any("," in s for s in students) else len(students)   # exclusion lists split on ","

    def graded(self, count: int) -> None:
        """students[:count] are graded: start a batch if enough are waiting for feedback."""
        if count - self.started >= self.batch and count < len(self.students):
            self._fork(self.students[self.started:count])
            self.started = count

    def finish(self) -> None:
        """The students not yet started, in this process; then wait for the batches."""
        self._generate(self.students[self.started:])
        self.started = len(self.students)
        deadline = time.monotonic() + WAIT_SECONDS
        for process, students in self.batches.items():
            if not _ended(process, max(0.0, deadline - time.monotonic())):
                os.kill(process, signal.SIGKILL)
                os.waitpid(process, 0)
                log.warning("feedback for %s was still being generated after %d s: stopped", students, WAIT_SECONDS)
        self.batches.clear()

    def _fork(self, students: list[str]) -> None:
        process = os.fork()
        if process == 0:
            code = 1
            try:
                die_with_parent()
                code = 0 if self._generate(students) else 1
            except BaseException:
                log.exception("generating feedback for %s failed", students)
            finally:
                os._exit(code)
        self.batches[process] = students

    def _generate(self, students: list[str]) -> bool:
        if not students:
            return True
        self.api.coursedir.student_id_exclude = ",".join(s for s in self.students if s not in students)
        result = self.api.generate_feedback(self.lesson, force=True)
        if not result["success"]:
            log.warning("nbgrader could not generate feedback for %s:\n%s", students,
                        result.get("error") or result.get("log"))
        return result["success"]


def _ended(process: int, seconds: float) -> bool:
    """Wait up to `seconds` for the child `process` to end; reap it and log a failure. False if it still runs."""
    handle = os.pidfd_open(process)
    try:
        if not select.select([handle], [], [], seconds)[0]:
            return False
    finally:
        os.close(handle)
    code = os.waitstatus_to_exitcode(os.waitpid(process, 0)[1])
    if code != 0:
        log.warning("a feedback process ended with status %d", code)
    return True
