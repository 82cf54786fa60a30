"""`Query`: a statement built once with SQLAlchemy Core, compiled once per dialect.

A store module declares each statement at import time, against the tables of `schema.py`,
with a named `bindparam` for every value a call supplies:

    _ROOM_FENCE = Query(select(sessions.c.fence).where(sessions.c.room_id == bindparam("room_id")))
    row = (await sql.run(_ROOM_FENCE, room_id=room_id)).fetchone()

The first run on an engine compiles it for that engine's dialect (`?` for SQLite, `$1::TYPE`
for asyncpg; `with_for_update()` renders on PostgreSQL and vanishes on SQLite, which runs
one writer at a time) and keeps the text with the order its parameters go in. From then on
a run is a dictionary lookup and a tuple: the compiled text goes straight to the driver
(aiosqlite, or asyncpg through SQLAlchemy's `exec_driver_sql`), with no SQLAlchemy
compilation or parameter processing on the hot path. A `bindparam(..., expanding=True)`
(`status IN :expected`) is compiled once per number of items.

`named_binds("room_id", "seq", ...)` is the `.values(...)` of an INSERT or UPDATE whose
keywords are the columns' own names.

Values written in the statement itself (`status == "pending"`, `.limit(1)`) are bound
constants: they are sent as parameters, never spliced into the SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

# Where one positional parameter comes from: (keyword, None, _) a caller's keyword;
# (keyword, index, _) an item of a caller's expanding list; (None, None, value) a constant.
_Slot = tuple[str | None, int | None, Any]


class CompiledQuery:
    """A statement's text for one dialect, and how to order a call's keywords for it."""

    __slots__ = ("_keywords", "returns_rows", "slots", "sql")

    def __init__(self, sql: str, slots: tuple[_Slot, ...], *, returns_rows: bool = False) -> None:
        self.sql = sql
        self.slots = slots
        # True when the statement surely answers with rows (a SELECT, or RETURNING), so an
        # engine can run it and fetch its rows in one trip; False means "look at the cursor".
        self.returns_rows = returns_rows
        # The common case, every parameter a caller's keyword: one C-level call per run.
        plain = all(key is not None and index is None for key, index, _ in slots)
        self._keywords = itemgetter(*[key for key, _, _ in slots]) if plain and slots else None

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional parameters for `values` (the caller's keywords)."""
        try:
            if self._keywords is not None:
                found = self._keywords(values)
                return found if len(self.slots) > 1 else (found,)
            return tuple(
                [
                    value if key is None else values[key] if index is None else values[key][index]
                    for key, index, value in self.slots
                ]
            )
        except KeyError as missing:
            raise TypeError(f"missing query parameter {missing}: {self.sql!r}") from None


class Query:
    """One statement of a store module; see the module's docstring for how to write one."""

    __slots__ = ("_compiled", "_expanded", "_expanding", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        # Keyed by the dialect's class (one per engine and driver): a hash of an identity.
        self._compiled: dict[type[Dialect], CompiledQuery | SQLCompiler] = {}
        self._expanded: dict[tuple[type[Dialect], tuple[int, ...]], CompiledQuery] = {}
        self._expanding: tuple[str, ...] | None = None  # known after the first compilation

    def compiled(self, dialect: Dialect, values: Mapping[str, Any]) -> CompiledQuery:
        """The statement for `dialect` (compiled on first use, then cached)."""
        key = type(dialect)
        found = self._compiled.get(key)
        if isinstance(found, CompiledQuery):
            return found
        if found is None:
            found = self._compile(dialect, key)
            if isinstance(found, CompiledQuery):
                return found
        assert self._expanding is not None
        try:
            sizes = tuple([len(values[name]) for name in self._expanding])
        except KeyError as missing:
            raise TypeError(f"missing query parameter {missing}: {found.string!r}") from None
        expanded = self._expanded.get((key, sizes))
        if expanded is None:
            expanded = self._expand(found, sizes)
            self._expanded[(key, sizes)] = expanded
        return expanded

    def _compile(self, dialect: Dialect, key: type[Dialect]) -> CompiledQuery | SQLCompiler:
        compiler = self.statement.compile(dialect=dialect)
        assert isinstance(compiler, SQLCompiler)
        expanding = tuple(name for bind, name in compiler.bind_names.items() if bind.expanding)
        self._expanding = expanding
        result: CompiledQuery | SQLCompiler
        if expanding:
            result = compiler
        else:
            result = _compiled(compiler.string, compiler.positiontup or (), compiler, {})
        self._compiled[key] = result
        return result

    def _expand(self, compiler: SQLCompiler, sizes: tuple[int, ...]) -> CompiledQuery:
        assert self._expanding is not None
        # Any values will do: only the expanding lists' lengths shape the text.
        sample: dict[str, Any] = dict.fromkeys(compiler.bind_names.values())
        sample.update(
            (name, list(range(size))) for name, size in zip(self._expanding, sizes, strict=True)
        )
        state = compiler.construct_expanded_state(sample)
        items = {
            item: (name, index)
            for name, expanded in state.parameter_expansion.items()
            for index, item in enumerate(expanded)
        }
        return _compiled(state.statement, state.positiontup or (), compiler, items)


def _compiled(
    sql: str,
    order: Sequence[str],
    compiler: SQLCompiler,
    items: Mapping[str, tuple[str, int]],
) -> CompiledQuery:
    binds = {name: bind for bind, name in compiler.bind_names.items()}
    slots: list[_Slot] = []
    for name in order:
        if name in items:
            slots.append((*items[name], None))
        elif binds[name].required:  # bindparam("name"): the caller's keyword
            slots.append((name, None, None))
        else:  # a value written in the statement
            slots.append((None, None, binds[name].effective_value))
    returns_rows = bool(getattr(compiler.statement, "is_select", False)) or bool(
        compiler.effective_returning
    )
    return CompiledQuery(sql, tuple(slots), returns_rows=returns_rows)


def named_binds(*columns: str) -> dict[str, BindParameter[Any]]:
    """`{column: bindparam(column)}`: `.values()` taking each column from a keyword of its name."""
    return {column: bindparam(column) for column in columns}
