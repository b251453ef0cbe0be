"""nbgrader configuration for the course.

`solutions/` is the instructor's source tree and `notebooks/` the released student tree, one folder
per lesson (nbgrader's assignment). Paths are relative to this file, so JupyterLab's nbgrader
extension, `nbgrader ...` and `course ...` all find the same course wherever they are started from
inside the repository.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "loops-to-attention"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# A writable exchange inside the checkout (created by `make lab`), so the Assignment List works
# on a laptop without /srv/nbgrader. On a JupyterHub the hub sets COURSE_EXCHANGE to the shared
# exchange (deploy/jupyterhub_config.py).
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", os.path.join(HERE, ".exchange"))

# Per-cell time limit when validating and autograding; the slowest cell (lesson timing demos) takes seconds.
c.Execute.timeout = 120

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
