"""nbgrader without its repeated work: the same results, computed once instead of once per notebook.

`apply()` replaces four names nbgrader looks up at run time; nothing else of nbgrader changes.

- `nbgrader.api.get_alembic_version`: nbgrader runs `alembic heads` in a second Python that imports
  nbgrader again (seconds for every new gradebook); alembic's own API reads the same revision files.
- `nbgrader.api.create_engine`: nbgrader opens a Gradebook, and so a SQLAlchemy engine, about ten times
  per notebook, and every new engine compiles nbgrader's queries afresh. One engine per gradebook keeps
  its compiled queries; closing a Gradebook still disposes of its connections. In a shard's scratch
  gradebook (`scratch`), nbgrader's fifty commits per notebook do not wait for the disk.
- `Base.metadata.create_all` as nbgrader's Gradebook calls it: every Gradebook asks SQLite whether each
  of nbgrader's tables exists. A scratch gradebook is asked once per process; nothing but nbgrader
  (which adds rows, never drops tables) writes to it.
- `jsonschema.validate` as nbgrader's cell-metadata check calls it: jsonschema checks nbgrader's own
  schema against the metaschema on every call, twenty times per notebook; here it checks it once.
"""
from __future__ import annotations

import functools
import json
import os
import types
from pathlib import Path

import jsonschema
import nbgrader.api
import nbgrader.nbgraderformat.common
import sqlalchemy
from alembic.script import ScriptDirectory

_scratch: set[str] = set()
_tables_made: set[sqlalchemy.Engine] = set()       # scratch gradebooks' engines, once nbgrader's tables exist
_create_all = nbgrader.api.Base.metadata.create_all


def alembic_head() -> str:
    """The gradebook schema's newest revision, which nbgrader stamps on a new gradebook."""
    return ScriptDirectory(str(Path(nbgrader.api.__file__).parent / "alembic")).get_current_head()


def scratch(url: str) -> None:
    """The gradebook at `url` is a scratch copy (rebuilt if its process crashes): never wait for its disk."""
    _scratch.add(url)


@functools.cache
def engine(url: str, **options) -> sqlalchemy.Engine:
    """The one SQLAlchemy engine of the gradebook at `url`, in this process."""
    made = sqlalchemy.create_engine(url, **options)
    if url in _scratch:
        sqlalchemy.event.listen(made, "connect", _unsynced)
    return made


def create_all(bind: sqlalchemy.Engine, **options) -> None:
    """nbgrader's tables in the gradebook `bind`, made where missing; a scratch gradebook's, checked once."""
    if bind in _tables_made:
        return
    _create_all(bind=bind, **options)
    if bind.url.render_as_string(hide_password=False) in _scratch:
        _tables_made.add(bind)


def _forget_engines() -> None:
    engine.cache_clear()
    _tables_made.clear()


def _unsynced(connection, _connection_record) -> None:
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA journal_mode = MEMORY")


@functools.cache
def _validator(schema: str) -> jsonschema.protocols.Validator:
    loaded = json.loads(schema)
    kind = jsonschema.validators.validator_for(loaded)
    kind.check_schema(loaded)
    return kind(loaded)


def validate(instance, schema: dict) -> None:
    """jsonschema.validate(instance, schema), with `schema` checked against its metaschema only once."""
    error = jsonschema.exceptions.best_match(_validator(json.dumps(schema)).iter_errors(instance))
    if error is not None:
        raise error


def apply() -> None:
    nbgrader.api.get_alembic_version = alembic_head
    nbgrader.api.create_engine = engine
    nbgrader.api.Base.metadata.create_all = create_all
    nbgrader.nbgraderformat.common.jsonschema = types.SimpleNamespace(validate=validate)
    os.register_at_fork(after_in_child=_forget_engines)     # a forked process makes its own connections
