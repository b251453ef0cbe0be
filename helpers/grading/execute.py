"""nbgrader's Execute on the sandbox kernel, with a bound on how much output a notebook can make.

The grader names each submission's kernel in $L2A_SANDBOX (helpers.grading.sandbox.Kernel) before
nbgrader runs it: the sandbox's launcher reads the same variable. The kernel talks to nbgrader over
Unix sockets (ZeroMQ's ipc transport) in its own socket folder, the one place of the grader's it can
write to. Outputs beyond `max_output_bytes` are dropped, so a notebook that prints gigabytes cannot
exhaust the grader's memory; the notebook's findings (resources["l2a"]) say so when that happens.
"""
from __future__ import annotations

import os

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import Integer

from helpers.grading import sandbox
from helpers.notebook_client import WIDGETS


def finding(resources: dict, text: str) -> None:
    """Note something about this submission that a person should look at (read back by the grader)."""
    findings = resources.setdefault("l2a", {}).setdefault("findings", [])
    if text not in findings:
        findings.append(text)


def _size(message: dict) -> int:
    content = message.get("content", {})
    size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
    return size + sum(len(line) for line in content.get("traceback", []))


class SandboxedExecute(Execute):
    """nbgrader's Execute, on the sandbox kernel named by $L2A_SANDBOX."""

    running: list = []          # the kernel manager of the notebook being executed in this process
    failure: list = []          # why the last execution in this process failed, in words (empty: it did not)

    max_output_bytes = Integer(64 << 20, help="Outputs of a whole notebook beyond this many bytes are dropped.").tag(
        config=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.widget_registry = WIDGETS     # nbclient's Output widget mimic without its lost-reply stall

    def create_kernel_manager(self):
        manager = super().create_kernel_manager()
        kernel = sandbox.Kernel.from_json(os.environ[sandbox.CONFIG_VARIABLE])
        manager.transport, manager.ip = "ipc", os.path.join(kernel.sockets, "k")
        SandboxedExecute.running[:] = [manager]
        return manager

    @staticmethod
    def kill_running() -> None:
        """Kill the launcher of the kernel being run (its kernel dies with it), from another thread."""
        for manager in SandboxedExecute.running:
            process = getattr(manager.provisioner, "process", None)
            if process is not None and process.poll() is None:
                process.kill()

    def preprocess(self, nb, resources, *args, **kwargs):
        self.output_bytes = 0
        SandboxedExecute.failure[:] = []
        try:
            nb, resources = super().preprocess(nb, resources, *args, **kwargs)
        except DeadKernelError:
            SandboxedExecute.failure[:] = ["the kernel died while running (out of memory, os._exit, or a crash)"]
            raise
        except CellTimeoutError:
            SandboxedExecute.failure[:] = [f"a cell timed out (over {self.timeout} s) and ignored the interrupt; "
                                           "grading stopped"]
            raise
        except Exception as error:
            SandboxedExecute.failure[:] = [f"running the notebook failed: {type(error).__name__}: {str(error)[:200]}"]
            raise
        if self.output_bytes > self.max_output_bytes:
            finding(resources, f"the notebook printed more than {self.max_output_bytes >> 20} MB; the rest was dropped")
        return nb, resources

    def output(self, outs, msg, display_id, cell_index):
        self.output_bytes += _size(msg)
        if self.output_bytes > self.max_output_bytes:
            return None
        return super().output(outs, msg, display_id, cell_index)
