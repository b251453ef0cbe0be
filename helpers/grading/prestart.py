"""nbgrader's Execute on a kernel started ahead: the next submission's kernel starts up while the grader
is still saving the last one's grades.

A kernel needs about a fifth of a second to start (the stand-in, the fork, ipykernel's set-up), and a
grader that starts it only when it needs it spends that time waiting. `PrestartedExecute` runs
nbgrader's own Execute, then starts the kernel of the submission named by `upcoming` and goes on; the
next Execute takes that kernel. A kernel is started for one submission only (its cgroup and pid file
carry that submission's tag, as the watchdog expects) and is shut down by `discard` if that
submission never reaches Execute.
"""
from __future__ import annotations

import logging
import os

from jupyter_client.manager import KernelManager
from jupyter_core.utils import run_sync
from nbgrader.preprocessors import Execute

from helpers.grading.standin import TAG_VARIABLE

_started: dict[str, KernelManager] = {}     # tag -> the manager of a kernel started for that submission
_upcoming: list[str | None] = [None]


def upcoming(tag: str | None) -> None:
    """After the submission being graded, the one tagged `tag` comes (None: no other)."""
    _upcoming[0] = tag


def discard(tag: str) -> None:
    """Shut down the kernel started for `tag`, if it is still waiting to be used."""
    manager = _started.pop(tag, None)
    if manager is not None:
        _shut_down(manager, tag)


def _shut_down(manager: KernelManager, tag: str) -> None:
    """A kernel that will not shut down is left to its cgroup's removal and to dying with the grader:
    it must not stop the grading."""
    try:
        run_sync(manager.shutdown_kernel)(now=True)
        run_sync(manager.cleanup_resources)()
    except Exception as error:
        logging.getLogger(__name__).warning("could not shut down the kernel started for %s: %s", tag, error)


class PrestartedExecute(Execute):
    """nbgrader's Execute, on the kernel started for this submission if there is one; then it starts
    the upcoming submission's kernel."""

    def preprocess(self, nb, resources, km=None):
        manager = _started.pop(os.environ[TAG_VARIABLE], None)
        try:
            return super().preprocess(nb, resources, km=manager)
        finally:
            if manager is not None and self.km is not None:    # nbclient leaves a kernel it did not start
                self._cleanup_kernel()
            self._start_upcoming()

    def _start_upcoming(self) -> None:
        """Start the upcoming submission's kernel the way nbclient would; if that fails, its own Execute
        will start one (and report what goes wrong)."""
        tag = _upcoming[0]
        if tag is None or tag in _started:
            return
        self.km = None
        manager = self.create_kernel_manager()
        try:
            self.start_new_kernel(env={**os.environ, TAG_VARIABLE: tag}, cwd=os.environ["JUPYTER_RUNTIME_DIR"])
        except Exception as error:
            self.log.warning("could not start the next kernel ahead: %s", error)
            _shut_down(manager, tag)
        else:
            _started[tag] = manager
        finally:
            self.km = None
