"""nbgrader configuration for the hub users' own servers, students' and instructors'.

A user's server runs in their home, which has no course directory: this file tells it the course and
the shared exchange. deploy/jupyterhub_config.py puts this file's folder on those servers' Jupyter
config path and sets COURSE_EXCHANGE; the course image (deploy/Dockerfile) installs it as
/etc/jupyter/nbgrader_config.py instead. The formgrader reads the course directory's own
nbgrader_config.py (the repository's), which honours COURSE_EXCHANGE too.
"""
import os

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "loops-to-attention"
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
