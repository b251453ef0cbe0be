"""Shared test set-up: the virtual environment's commands (nbgrader calls `alembic`) come first on PATH, and
hypothesis draws the same examples on every run (derandomized, no example database): a property that
fails, fails every time, never by chance on one machine."""
import os
import sys
from pathlib import Path

from hypothesis import settings

settings.register_profile("course", derandomize=True, database=None, deadline=None)
settings.load_profile("course")

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
