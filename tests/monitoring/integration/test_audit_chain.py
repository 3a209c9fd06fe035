"""The audit log's hash chain on real PostgreSQL: appends chain, duplicates are skipped, the service's
role cannot change entries, and verification pinpoints every kind of tampering done directly in the
database (as a database superuser would, bypassing the append-only triggers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from rsc_monitoring.app import MIGRATIONS
from rsc_monitoring.audit.chain import GENESIS, SQL_ENTRY_HASH, ChainedFields, entry_hash
from rsc_monitoring.audit.verify import verify
from tests.monitoring.audit_support import append_events, decided
from tests.support.databases import migrated_database, migrated_engine


@pytest.fixture
def engine() -> Iterator[Engine]:
    with migrated_engine(MIGRATIONS) as engine:
        yield engine


def tamper(engine: Engine, sql: str, **params) -> None:
    """Change the table behind the triggers' back (session_replication_role skips user triggers)."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), params)


def rows(engine: Engine) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT seq, prev_hash, entry_hash, event_id FROM audit_entry ORDER BY seq")))


def test_entries_chain_from_genesis_and_python_and_sql_hash_alike(engine: Engine) -> None:
    assert append_events(engine, [decided(n) for n in range(5)]) == 5
    chain = rows(engine)
    assert [r.seq for r in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == GENESIS
    assert all(chain[i].prev_hash == chain[i - 1].entry_hash for i in range(1, 5))
    with engine.connect() as conn:
        recomputed = conn.execute(text(f"SELECT {SQL_ENTRY_HASH} = entry_hash FROM audit_entry")).scalars().all()
        head = conn.execute(text("SELECT last_seq, last_hash FROM audit_chain_head")).one()
    assert recomputed == [True] * 5
    assert head == (5, chain[-1].entry_hash)
    result = verify(engine)
    assert result.intact
    assert result.entries == 5
    assert result.failure is None


def test_python_hash_covers_every_field() -> None:
    base = dict(
        event_id=__import__("uuid").uuid4(),
        occurred_at=decided(1).time,
        recorded_at=decided(2).time,
        service="rsc-appraisal",
        action="appraisal.decided",
        actor="a",
        subject="s",
        proposal_id=None,
        grant_reference="",
        organisation_id=None,
        incident_type="",
        severity="",
        exercise=False,
        description="d",
        details="{}",
        event_sha256="0" * 64,
    )
    reference = entry_hash(GENESIS, ChainedFields(**base))
    changed = {"actor": "b", "description": "e", "exercise": True, "details": '{"a":1}', "severity": "high"}
    for field, value in changed.items():
        assert entry_hash(GENESIS, ChainedFields(**{**base, field: value})) != reference, field
    assert entry_hash("1" * 64, ChainedFields(**base)) != reference


def test_a_redelivered_event_is_not_chained_twice(engine: Engine) -> None:
    events = [decided(n) for n in range(3)]
    append_events(engine, events)
    again = decided(9)
    assert append_events(engine, [events[1], again, again]) == 1
    assert [r.seq for r in rows(engine)] == [1, 2, 3, 4]
    assert verify(engine).intact


def test_the_service_role_cannot_update_delete_or_truncate(engine: Engine) -> None:
    append_events(engine, [decided(n) for n in range(2)])
    for sql in (
        "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 1",
        "DELETE FROM audit_entry WHERE seq = 2",
        "TRUNCATE audit_entry",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    assert len(rows(engine)) == 2
    assert verify(engine).intact


def test_an_altered_entry_is_named(engine: Engine) -> None:
    append_events(engine, [decided(n) for n in range(10)])
    tamper(engine, "UPDATE audit_entry SET actor = 'nobody' WHERE seq = 6")
    result = verify(engine)
    assert not result.intact
    assert (result.failure.seq, result.failure.kind) == (6, "altered")
    assert result.failure.event_id == str(rows(engine)[5].event_id)


def test_an_altered_filter_column_is_caught_too(engine: Engine) -> None:
    append_events(engine, [decided(n) for n in range(4)])
    tamper(engine, "UPDATE audit_entry SET occurred_at = occurred_at + interval '1 second' WHERE seq = 3")
    result = verify(engine)
    assert (result.failure.seq, result.failure.kind) == (3, "altered")


def test_a_removed_entry_is_named(engine: Engine) -> None:
    append_events(engine, [decided(n) for n in range(10)])
    tamper(engine, "DELETE FROM audit_entry WHERE seq = 4")
    result = verify(engine)
    assert (result.failure.seq, result.failure.kind) == (4, "removed")


def test_removing_the_first_and_the_last_entries_is_caught(engine: Engine) -> None:
    append_events(engine, [decided(n) for n in range(6)])
    tamper(engine, "DELETE FROM audit_entry WHERE seq = 1")
    assert (verify(engine).failure.seq, verify(engine).failure.kind) == (1, "removed")
    with migrated_database(MIGRATIONS) as url:
        other = create_engine(url)
        append_events(other, [decided(n) for n in range(6)])
        tamper(other, "DELETE FROM audit_entry WHERE seq = 6")
        result = verify(other)
        other.dispose()
    assert (result.failure.seq, result.failure.kind) == (6, "removed")


def test_an_inserted_entry_is_named(engine: Engine) -> None:
    append_events(engine, [decided(n) for n in range(8)])
    # make room after entry 4 and put a forged entry there, hashed correctly and linked to entry 4
    tamper(engine, "UPDATE audit_entry SET seq = seq + 1000 WHERE seq >= 5")
    tamper(engine, "UPDATE audit_entry SET seq = seq - 999 WHERE seq >= 1005")
    forged_prev = rows(engine)[3].entry_hash
    tamper(
        engine,
        "INSERT INTO audit_entry (seq, event_id, occurred_at, recorded_at, service, action, actor, subject, "
        "description, details, event_sha256, prev_hash, entry_hash) VALUES (5, gen_random_uuid(), now(), now(), "
        "'rsc-appraisal', 'appraisal.decided', 'forger', 'x', 'forged', '{}', repeat('0', 64), :prev, 'pending')",
        prev=forged_prev,
    )
    tamper(engine, f"UPDATE audit_entry SET entry_hash = {SQL_ENTRY_HASH} WHERE seq = 5")
    result = verify(engine)
    assert (result.failure.seq, result.failure.kind) == (5, "inserted")


def test_a_recomputed_chain_is_caught_by_an_anchor(engine: Engine) -> None:
    append_events(engine, [decided(n) for n in range(6)])
    noted = verify(engine)
    # rewrite entry 3 and recompute every hash after it, head included: the chain itself is consistent
    tamper(engine, "UPDATE audit_entry SET actor = 'nobody' WHERE seq = 3")
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for seq in range(3, 7):
            conn.execute(text(f"UPDATE audit_entry SET entry_hash = {SQL_ENTRY_HASH} WHERE seq = :s"), {"s": seq})
            conn.execute(
                text(
                    "UPDATE audit_entry SET prev_hash = (SELECT entry_hash FROM audit_entry WHERE seq = :s) "
                    "WHERE seq = :n"
                ),
                {"s": seq, "n": seq + 1},
            )
        conn.execute(text("UPDATE audit_chain_head SET last_hash = (SELECT entry_hash FROM audit_entry WHERE seq = 6)"))
    assert verify(engine).intact  # without an anchor a full rewrite is consistent
    anchored = verify(engine, anchor_seq=noted.head_seq, anchor_hash=noted.head_hash)
    assert anchored.anchor_ok is False
    assert not anchored.intact


def test_slices_agree_with_one_pass(engine: Engine) -> None:
    append_events(engine, [decided(n) for n in range(30)])
    tamper(engine, "UPDATE audit_entry SET description = 'changed' WHERE seq = 17")
    for parallelism in (1, 2, 3, 7):
        assert (verify(engine, parallelism=parallelism).failure.seq) == 17
    tamper(engine, "DELETE FROM audit_entry WHERE seq = 11")  # at a slice boundary for parallelism 3
    for parallelism in (1, 2, 3, 7):
        failure = verify(engine, parallelism=parallelism).failure
        assert (failure.seq, failure.kind) == (11, "removed"), parallelism


def test_verification_while_entries_are_appended_is_intact(engine: Engine) -> None:
    """The appender keeps going during verification (found by the end-to-end test): still intact."""
    import threading

    append_events(engine, [decided(n) for n in range(20)])
    stop = threading.Event()

    def keep_appending() -> None:
        n = 100
        while not stop.is_set():
            append_events(engine, [decided(n), decided(n + 1)])
            n += 2

    appender = threading.Thread(target=keep_appending)
    appender.start()
    try:
        results = [verify(engine) for _ in range(15)]
    finally:
        stop.set()
        appender.join()
    assert all(r.intact for r in results), [r.failure for r in results if not r.intact]
    assert results[-1].entries > results[0].entries >= 20
    # an entry slipped in past the head without the appender is still caught
    last = rows(engine)[-1].seq
    tamper(
        engine,
        "INSERT INTO audit_entry (seq, event_id, occurred_at, recorded_at, service, action, actor, subject, "
        "description, details, event_sha256, prev_hash, entry_hash) VALUES (:s, gen_random_uuid(), now(), now(), "
        "'x', 'x', 'x', 'x', 'x', '{}', repeat('0', 64), repeat('0', 64), repeat('0', 64))",
        s=last + 1,
    )
    failure = verify(engine).failure
    assert (failure.seq, failure.kind) == (last + 1, "inserted")
