"""Judging answers safely: each judge under a time limit, many answers in forked worker processes.

`judge` gives both judges' verdicts on one answer, defined in a fresh namespace; an answer that
loops forever is stopped by SIGALRM after TIME_LIMIT seconds and counts as rejected ("Timeout").
`in_processes` runs such tasks in workers forked from this process, a worker replaced after
TASKS_PER_WORKER tasks (a fork per answer tripled the run's CPU time); a worker that allocates
without bound fails on its address-space limit instead of taking the machine's memory.
"""
from __future__ import annotations

import functools
import multiprocessing
import resource
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from helpers.courier import CallTimeout
from tests.mutation.verdict import hidden_rejects, visible_rejects
from tests.notebooks import SOLUTIONS, reference_namespace, run_source

TIME_LIMIT = 3.0        # seconds for one judge on one answer; the slowest reference answer takes ~0.1 s
MEMORY_LIMIT = 4 << 30  # bytes of address space for a worker
TASKS_PER_WORKER = 100
MESSAGE_LENGTH = 300


@dataclass(frozen=True)
class Outcome:
    hidden: tuple[bool, str]   # (rejected, message) of the hidden tests
    visible: tuple[bool, str]  # the same for the visible check


class Timeout(BaseException):
    """Raised by SIGALRM; not an Exception, so no `except Exception` in a test can swallow it."""


def judge(lesson: str, exercise: str, source: str, time_limit: float = TIME_LIMIT) -> Outcome:
    """Both judges' verdicts on the exercise's function defined by `source`, a solution cell."""
    namespace = dict(_reference(lesson))
    run_source(source, namespace, f"<answer to {exercise}>")
    fn = namespace[exercise]
    return Outcome(_limited(hidden_rejects, lesson, exercise, fn, time_limit),
                   _limited(visible_rejects, lesson, exercise, fn, time_limit))


def in_processes(task: Callable, arguments: Iterable[tuple], processes: int) -> list:
    """[task(*a) for a in arguments], computed in `processes` workers forked from this process."""
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, _limit_memory, maxtasksperchild=TASKS_PER_WORKER) as pool:
        return pool.starmap(task, arguments, chunksize=1)


@functools.cache
def _reference(lesson: str) -> dict:
    return reference_namespace(next((SOLUTIONS / lesson).glob("*.ipynb")))


def _limited(rejects: Callable, lesson: str, exercise: str, fn, time_limit: float) -> tuple[bool, str]:
    previous = signal.signal(signal.SIGALRM, _time_out)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        rejected, message = rejects(lesson, exercise, fn)
    except (Timeout, CallTimeout):      # the courier's own alarm, when our limit ends between two of its calls
        rejected, message = True, f"Timeout: still running after {time_limit:g} s"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return rejected, message.splitlines()[0][:MESSAGE_LENGTH] if message else ""


def _time_out(signum, frame):
    raise Timeout


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, resource.getrlimit(resource.RLIMIT_AS)[1]))
