"""PostgreSQL `INSERT ... ON CONFLICT` that SQLAlchemy can cache.

SQLAlchemy 2.0's `postgresql.insert()` sets `inherit_cache = False` and its ON CONFLICT clauses have no
cache key (sqlalchemy/sqlalchemy#10445, fixed in 2.1 only), so every execution compiles the statement
again: about a tenth of the CPU of the Kafka consumers and of the appraisal worker went into
`SQLCompiler.__init__`. `insert()` here builds the same statement with a cache key:

- the INSERT itself uses the cache key of the standard `Insert` (table, values, RETURNING, the ON CONFLICT
  clause as `_post_values_clause`);
- the ON CONFLICT clauses declare what makes them differ (constraint or inferred target, its WHERE, the
  SET list and its WHERE);
- literal SET values become bound parameters typed by their column when the clause is built, as the
  compiler would do later, so that they are extracted per execution instead of being baked into a cached
  statement.

`tests/common/test_upsert_unit.py` checks that statements that differ get different keys and that cached
statements run with each execution's values; the services' integration tests run every upsert for real.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects.postgresql import dml
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import InternalTraversal

_TARGET = [
    ("constraint_target", InternalTraversal.dp_string),
    ("inferred_target_elements", InternalTraversal.dp_multi_list),
    ("inferred_target_whereclause", InternalTraversal.dp_clauseelement),
]


class OnConflictDoNothing(dml.OnConflictDoNothing):
    _traverse_internals = _TARGET


class OnConflictDoUpdate(dml.OnConflictDoUpdate):
    _traverse_internals = [
        *_TARGET,
        ("update_values_to_set", InternalTraversal.dp_dml_ordered_values),
        ("update_whereclause", InternalTraversal.dp_clauseelement),
    ]


def _copy(clause: dml.OnConflictClause, cls: type[dml.OnConflictClause]) -> Any:
    cached = cls.__new__(cls)
    cached.__dict__.update(clause.__dict__)
    return cached


def _set_value(table: Any, key: Any, value: Any) -> Any:
    if not coercions._is_literal(value):
        return coercions.expect(roles.ExpressionElementRole, value)
    column = table.c[key] if isinstance(key, str) else key
    return BindParameter(None, value, type_=column.type)


class Insert(dml.Insert):
    inherit_cache = True

    def on_conflict_do_update(self, *args: Any, **kwargs: Any) -> Insert:
        statement = super().on_conflict_do_update(*args, **kwargs)
        clause = _copy(statement._post_values_clause, OnConflictDoUpdate)
        clause.update_values_to_set = [
            (key, _set_value(self.table, key, value)) for key, value in clause.update_values_to_set
        ]
        statement._post_values_clause = clause
        return statement

    def on_conflict_do_nothing(self, *args: Any, **kwargs: Any) -> Insert:
        statement = super().on_conflict_do_nothing(*args, **kwargs)
        statement._post_values_clause = _copy(statement._post_values_clause, OnConflictDoNothing)
        return statement


def insert(table: Any) -> Insert:
    """`sqlalchemy.dialects.postgresql.insert`, cached like any other statement."""
    return Insert(table)


@lru_cache(maxsize=256)
def upsert_statement(table: Table, key: tuple[str, ...], columns: tuple[str, ...], returning: bool = False) -> Insert:
    """INSERT a row, or on a conflict on `key` UPDATE `columns` to the row's new values; every key and column
    is a bound parameter of its own name. Built once per shape: building a statement costs about as much as
    running it, and hot consumers upsert a few rows per event."""
    statement = insert(table).values({c: bindparam(c) for c in (*key, *columns)})
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={c: statement.excluded[c] for c in columns}
    )
    return statement.returning(*table.c) if returning else statement
