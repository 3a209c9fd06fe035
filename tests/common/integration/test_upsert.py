"""Cached upserts on the real PostgreSQL: a statement compiled once runs again with each execution's values."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.default import CACHE_HIT

from rsc_common.db.upsert import insert, upsert_statement
from tests.support.databases import temporary_database

metadata = sa.MetaData()
table = sa.Table(
    "upsert_probe",
    metadata,
    sa.Column("a", sa.String, primary_key=True),
    sa.Column("b", sa.Integer, nullable=False),
    sa.Column("j", postgresql.JSONB, nullable=False),
)


def test_cached_upserts_write_each_executions_values():
    with temporary_database() as url:
        engine = sa.create_engine(url)
        try:
            metadata.create_all(engine)
            hits: list[bool] = []
            with engine.begin() as conn:
                for b in range(5):
                    for a in ("x", "y"):
                        statement = (
                            insert(table)
                            .values(a=a, b=b, j=[a, b])
                            .on_conflict_do_update(
                                index_elements=["a"], set_={"b": b, "j": {"a": a, "b": b}}, where=table.c.b < b
                            )
                        )
                        hits.append(conn.execute(statement).context.cache_hit == CACHE_HIT)
                skipped = conn.execute(
                    insert(table).values(a="x", b=99, j=[]).on_conflict_do_nothing().returning(table.c.a)
                ).first()
                added = conn.execute(
                    insert(table).values(a="z", b=7, j=[]).on_conflict_do_nothing().returning(table.c.a)
                ).first()
                rows = conn.execute(sa.select(table).order_by(table.c.a)).all()
            assert skipped is None
            assert added == ("z",)
            assert rows == [("x", 4, {"a": "x", "b": 4}), ("y", 4, {"a": "y", "b": 4}), ("z", 7, [])]
            # compiled once, then taken from the cache with each execution's values
            assert hits == [False] + [True] * 9
        finally:
            engine.dispose()


facts = sa.Table(
    "upsert_facts",
    metadata,
    sa.Column("a", sa.String, primary_key=True),
    sa.Column("b", sa.Integer),
    sa.Column("j", postgresql.JSONB),  # nullable: events fill a fact's columns one set at a time
)


def test_a_prebuilt_upsert_inserts_then_updates_only_its_columns_and_returns_the_row():
    with temporary_database() as url:
        engine = sa.create_engine(url)
        try:
            metadata.create_all(engine)
            only_b = upsert_statement(facts, ("a",), ("b",), returning=True)
            assert upsert_statement(facts, ("a",), ("b",), returning=True) is only_b  # built once
            with engine.begin() as conn:
                conn.execute(upsert_statement(facts, ("a",), ("b", "j")), {"a": "x", "b": 1, "j": {"v": 1}})
                returned = conn.execute(only_b, {"a": "x", "b": 2}).mappings().one()
                conn.execute(only_b, {"a": "y", "b": 3})
                rows = conn.execute(sa.select(facts).order_by(facts.c.a)).all()
            assert dict(returned) == {"a": "x", "b": 2, "j": {"v": 1}}  # j kept: only b is updated
            assert rows == [("x", 2, {"v": 1}), ("y", 3, None)]
        finally:
            engine.dispose()
