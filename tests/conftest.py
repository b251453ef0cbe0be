"""Shared test set-up: the virtual environment's commands (nbgrader calls `alembic`) come first on PATH."""
import os
import sys
from pathlib import Path

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
