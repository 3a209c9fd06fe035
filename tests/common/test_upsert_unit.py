"""The cacheable PostgreSQL upsert (`rsc_common.db.upsert`): one cache key per statement shape, never
one for two different statements, and each execution's own values extracted from the key."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as sqlalchemy_pg_insert

from rsc_common.db.upsert import insert

metadata = sa.MetaData()
table = sa.Table(
    "t",
    metadata,
    sa.Column("a", sa.String, primary_key=True),
    sa.Column("b", sa.Integer),
    sa.Column("j", postgresql.JSONB),
    sa.UniqueConstraint("b", name="t_b_key"),
)


def key(statement):
    found = statement._generate_cache_key()
    assert found is not None, "statement is not cacheable"
    return found


def bound_values(statement) -> list:
    return [p.effective_value for p in key(statement).bindparams]


def upsert(a: str, b: int, j: list, **conflict):
    return (
        insert(table)
        .values(a=a, b=b)
        .on_conflict_do_update(**({"index_elements": ["a"]} | conflict), set_={"b": b, "j": j})
    )


def test_sqlalchemy_20_does_not_cache_its_own_postgresql_insert():
    # the reason for the module: when this starts failing, SQLAlchemy caches it and the module can go
    assert sqlalchemy_pg_insert(table).values(a="x")._generate_cache_key() is None


def test_same_shape_shares_a_key_and_carries_its_own_values():
    first, second = upsert("x", 1, [1]), upsert("y", 2, [2, 3])
    assert key(first) == key(second)
    assert bound_values(first) == ["x", 1, 1, [1]]
    assert bound_values(second) == ["y", 2, 2, [2, 3]]


def test_set_values_are_typed_by_their_column():
    compiled = upsert("x", 1, [1]).compile(dialect=postgresql.dialect())
    assert "j = %(param_2)s::JSONB" in str(compiled)


def test_every_part_of_the_conflict_clause_is_in_the_key():
    base = key(upsert("x", 1, [1]))
    variants = [
        insert(table).values(a="x", b=1).on_conflict_do_update(index_elements=["a"], set_={"b": 1}),
        insert(table).values(a="x", b=1).on_conflict_do_update(index_elements=["b"], set_={"b": 1, "j": [1]}),
        insert(table).values(a="x", b=1).on_conflict_do_update(constraint="t_b_key", set_={"b": 1, "j": [1]}),
        upsert("x", 1, [1], index_where=table.c.b > 0),
        insert(table)
        .values(a="x", b=1)
        .on_conflict_do_update(index_elements=["a"], set_={"b": 1, "j": [1]}, where=table.c.b < 5),
        insert(table).values(a="x", b=1).on_conflict_do_update(index_elements=["a"], set_={"b": table.c.b + 1}),
        insert(table)
        .values(a="x", b=1)
        .on_conflict_do_update(index_elements=["a"], set_={"b": insert(table).excluded.b}),
        insert(table).values(a="x", b=1).on_conflict_do_nothing(),
        insert(table).values(a="x", b=1).on_conflict_do_nothing(index_elements=["a"]),
        insert(table).values(a="x", b=1).on_conflict_do_nothing(constraint="t_b_key"),
        insert(table).values(a="x", b=1),
        insert(table).values(a="x", b=1).on_conflict_do_nothing().returning(table.c.a),
    ]
    keys = [key(v) for v in variants]
    assert base not in keys
    assert all(keys[i] != keys[j] for i in range(len(keys)) for j in range(i + 1, len(keys)))


def test_rendered_sql_is_that_of_sqlalchemy():
    ours = upsert("x", 1, [1], where=None)
    theirs = (
        sqlalchemy_pg_insert(table)
        .values(a="x", b=1)
        .on_conflict_do_update(index_elements=["a"], set_={"b": 1, "j": [1]})
    )
    dialect = postgresql.dialect()
    assert str(ours.compile(dialect=dialect)) == str(theirs.compile(dialect=dialect))
    nothing = insert(table).values(a="x").on_conflict_do_nothing(index_elements=["a"]).returning(table.c.a)
    reference = (
        sqlalchemy_pg_insert(table).values(a="x").on_conflict_do_nothing(index_elements=["a"]).returning(table.c.a)
    )
    assert str(nothing.compile(dialect=dialect)) == str(reference.compile(dialect=dialect))
