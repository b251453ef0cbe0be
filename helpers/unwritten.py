"""A cell that calls an exercise not written yet says which one, in one line, instead of a traceback.

Every lesson's first cell loads it with `%load_ext helpers.unwritten`. An exercise's stub is
`raise NotImplementedError()`; when a demo cell calls it, the error shows as

    ✗ `window_matrix` is not written yet: write it in its exercise above, run that cell, then run this one again.

The cell still fails (the error is a NotImplementedError), so Validate and the tests see it. Any other
NotImplementedError, one with a message or raised outside a notebook cell, keeps IPython's traceback.
"""
from __future__ import annotations


def unwritten_exercise(tb) -> str | None:
    """The name of the function whose stub raised, if the innermost frame is a bare stub in a notebook cell."""
    frame = None
    while tb is not None:
        frame, tb = tb.tb_frame, tb.tb_next
    if frame is None or frame.f_code.co_name.startswith("<"):
        return None
    in_a_cell = frame.f_code.co_filename.startswith("<ipython-input") or "ipykernel_" in frame.f_code.co_filename
    return frame.f_code.co_name if in_a_cell else None


def message(name: str) -> str:
    return (f"✗ `{name}` is not written yet: write it in its exercise above, run that cell, "
            "then run this one again.")


def _explain(shell, etype, value, tb, tb_offset=None):
    """IPython's custom-exception handler: one line for a stub, the usual traceback for anything else."""
    name = unwritten_exercise(tb) if not value.args else None
    if name is not None:
        value._render_traceback_ = lambda: [message(name)]     # IPython's hook for how an error is shown
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def load_ipython_extension(ipython) -> None:
    ipython.set_custom_exc((NotImplementedError,), _explain)


def unload_ipython_extension(ipython) -> None:
    ipython.set_custom_exc((), None)
