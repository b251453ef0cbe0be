"""The only grading code that runs in a student's kernel: it calls their function on the grader's inputs.

While a notebook is graded, the grader adds a cell after each exercise's test cell:

    import helpers.courier
    helpers.courier.deliver("matmul_backward", "/…/cases/matmul_backward.json", 30)

`deliver` reads the inputs the grader wrote there (plain data, see helpers.checks.wire), calls the
notebook's function of that name on each, and publishes what came back, or what it raised, as one
display message of its own type. It knows no expected value and decides nothing: the grader judges
outside the kernel. Changing this module, or anything else in the kernel, can only change what the
student's answers look like, never what they are compared with.

The visible checks run cases through the same `run_case`, so a student's notebook and the grader
call functions, and see their results, the same way.
"""
from __future__ import annotations

import importlib
import json
import signal
import time
import traceback

import numpy as np

from helpers.checks import wire

MIME = "application/vnd.loops-to-attention.results+json"
SECONDS_PER_CALL = 20


class CallTimeout(BaseException):
    """A call ran past its time (a BaseException, so the student's `except Exception` does not catch it)."""


def _alarm(_signum, _frame):
    raise CallTimeout


def _student_line(tb) -> str:
    """The last line of the traceback in the student's own code (a notebook cell)."""
    for frame in reversed(traceback.extract_tb(tb)):
        if "site-packages" not in frame.filename and "/helpers/" not in frame.filename:
            return frame.line or ""
    return ""


def _snapshot(value):
    """A copy of an array argument, or of the arrays in a list or tuple argument (None for anything else)."""
    if type(value) is np.ndarray:
        return value.copy()
    if type(value) in (list, tuple) and value and all(type(v) is np.ndarray for v in value):
        return [v.copy() for v in value]
    return None


def _changed(old, new) -> bool:
    if type(old) is np.ndarray:
        return not np.array_equal(old, new, equal_nan=True)
    return len(old) != len(new) or any(type(n) is not np.ndarray or not np.array_equal(o, n, equal_nan=True)
                                       for o, n in zip(old, new))


def run_case(fn, case: dict, procedures: dict | None = None, seconds: float = SECONDS_PER_CALL) -> dict:
    """Call `fn` as `case` says ({"kind", "args", "kwargs"} in wire form); return a record in wire form:
    {"value": ...} or {"raised": [type, message, line]} or {"not_written": True} or {"timeout": seconds},
    with "changed": the positions of the arguments (arrays, or lists of arrays) the call changed in place.
    A time limit already running (a caller's) is kept: if it ends first, it ends the call as it would have."""
    args = wire.decode(case.get("args", []), allow_rng=True)
    kwargs = wire.decode(case.get("kwargs", {"$dict": []}), allow_rng=True)
    kind = case.get("kind", "call")
    call = fn if kind == "call" else (lambda *a, **k: (procedures or {})[kind](fn, *a, **k))
    before = [_snapshot(a) for a in args]
    record: dict = {}
    outer, interval = signal.getitimer(signal.ITIMER_REAL)
    ours = not outer or outer > seconds               # a caller's earlier deadline is left to fire as it would
    if ours:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        result = call(*args, **kwargs)
    except NotImplementedError:
        record = {"not_written": True}
    except CallTimeout:
        record = {"timeout": seconds}
    except Exception as error:  # noqa: BLE001 — anything the student's code raises is part of the answer
        record = {"raised": [type(error).__name__, str(error)[:500], _student_line(error.__traceback__)[:200]]}
    else:
        record = {"value": wire.encode(result)}
    finally:
        if ours:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer:                                   # the caller's timer, with what is left of it
                signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3), interval)
    record["changed"] = [i for i, (old, new) in enumerate(zip(before, args)) if old is not None and _changed(old, new)]
    return record


def deliver(name: str, cases_path: str, seconds: float = 60) -> None:
    """Run the grader's cases for exercise `name` on the notebook's function of that name, within `seconds`
    in all (each call may use what the calls before it left); publish the records."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    if type(name) is not str or type(cases_path) is not str:
        raise TypeError("deliver(name, cases_path, seconds): the name and the path are strings")
    with open(cases_path) as stream:
        cases = json.load(stream)
    procedures = getattr(importlib.import_module(cases["module"]), "PROCEDURES", {})
    fn = get_ipython().user_ns.get(name)
    if not callable(fn):
        message = {"exercise": name, "missing": wire.encode(fn) if fn is not None else None}
    else:
        deadline, records = time.monotonic() + seconds, []
        for case in cases["cases"]:                    # each call may use what the earlier ones left
            left = deadline - time.monotonic()
            records.append(run_case(fn, case, procedures, left) if left > 0 else {"timeout": seconds, "changed": []})
        message = {"exercise": name, "records": records}
    publish_display_data({MIME: message})
