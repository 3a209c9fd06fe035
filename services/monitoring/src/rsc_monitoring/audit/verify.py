"""Verifying the audit chain inside PostgreSQL.

Each entry's hash is recomputed in SQL (`chain.SQL_ENTRY_HASH`) and compared with the stored one, and
each entry's `prev_hash` with its predecessor's hash; `seq` must have no gap. The range is cut into
slices verified on parallel connections (each slice reads one entry before its start for the link),
and the first failure in `seq` order is reported:

- `altered`: the entry's content no longer matches its hash;
- `removed`: entries are missing (a gap in `seq`, or the head row points past the last entry);
- `inserted`: the entry's successor links to the entry's predecessor, so it was put in between
  (reported at the inserted entry, found when its successor's link fails);
- `link_broken`: the entry does not link to its predecessor (entries removed and renumbered, or
  reordered).

A database owner could recompute the whole chain after tampering; an auditor who noted an earlier
head (`anchor_seq`, `anchor_hash`, shown by every verification) detects that too.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine, text

from rsc_monitoring.audit.chain import GENESIS, SQL_ENTRY_HASH

FIRST_FAILURE = text(
    f"""
    WITH chain AS (
        SELECT seq, event_id, prev_hash, entry_hash,
               {SQL_ENTRY_HASH} AS computed,
               lag(seq) OVER w AS before_seq,
               lag(event_id::text) OVER w AS before_event_id,
               lag(entry_hash) OVER w AS before_hash,
               lag(entry_hash, 2) OVER w AS before2_hash
        FROM audit_entry
        -- the two present entries before the slice, for the links (entries may be missing)
        WHERE seq >= coalesce(
                (SELECT min(s) FROM (SELECT seq AS s FROM audit_entry WHERE seq < :lo ORDER BY seq DESC LIMIT 2) b), 0)
          AND seq <= :hi
        WINDOW w AS (ORDER BY seq)
    )
    SELECT seq, event_id::text, prev_hash, entry_hash, computed, before_seq, before_event_id, before2_hash
    FROM chain
    WHERE seq BETWEEN :lo AND :hi
      AND (computed <> entry_hash
           OR prev_hash IS DISTINCT FROM coalesce(before_hash, CASE WHEN seq = 1 THEN :genesis END)
           OR seq <> coalesce(before_seq, 0) + 1)
    ORDER BY seq
    LIMIT 1
    """
)


@dataclass(frozen=True, slots=True)
class Failure:
    seq: int
    event_id: str | None
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class Verification:
    intact: bool
    entries: int
    head_seq: int
    head_hash: str
    anchor_ok: bool | None
    failure: Failure | None


def verify(
    engine: Engine, *, parallelism: int = 2, anchor_seq: int | None = None, anchor_hash: str | None = None
) -> Verification:
    """Verify the chain up to the head as it was when verification began: appenders keep appending
    meanwhile (the head row moves in their transaction), and entries up to that head never change."""
    head_seq, head_hash = _head(engine)
    anchor_ok = None
    if anchor_seq is not None:
        anchor_ok = _hash_of(engine, anchor_seq) is not None and _hash_of(engine, anchor_seq) == anchor_hash
    failure = _first_failure(engine, head_seq, parallelism) if head_seq else None
    high = _max_seq(engine, up_to=head_seq)
    if failure is None and high != head_seq:
        failure = Failure(
            seq=high + 1,
            event_id=None,
            kind="removed",
            detail=f"the chain head records entry {head_seq} as the last one; the table ends at {high}",
        )
    if failure is None and head_seq and head_hash != _hash_of(engine, head_seq):
        failure = Failure(
            seq=head_seq, event_id=None, kind="altered", detail="the last entry's hash differs from the head's"
        )
    if failure is None:
        failure = _beyond_head(engine)
    return Verification(
        intact=failure is None and anchor_ok is not False,
        entries=head_seq,
        head_seq=head_seq,
        head_hash=head_hash,
        anchor_ok=anchor_ok,
        failure=failure,
    )


def _head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        return tuple(conn.execute(text("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1")).one())


def _max_seq(engine: Engine, *, up_to: int) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT coalesce(max(seq), 0) FROM audit_entry WHERE seq <= :s"), {"s": up_to}
        ).scalar()


def _beyond_head(engine: Engine) -> Failure | None:
    """Entries past the head that no appender wrote (the head and the entries commit together): read in
    one snapshot, so an append in progress is seen whole or not at all."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        head = conn.execute(text("SELECT last_seq FROM audit_chain_head WHERE id = 1")).scalar_one()
        extra = conn.execute(text("SELECT min(seq) FROM audit_entry WHERE seq > :s"), {"s": head}).scalar()
    if extra is None:
        return None
    return Failure(seq=extra, event_id=None, kind="inserted", detail=f"entry {extra} lies past the chain head ({head})")


def _hash_of(engine: Engine, seq: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT entry_hash FROM audit_entry WHERE seq = :s"), {"s": seq}).scalar()


def _first_failure(engine: Engine, high: int, parallelism: int) -> Failure | None:
    # slices from seq 1, so a missing first entry shows as a gap before the lowest one
    slices = max(1, parallelism)
    size = -(-high // slices)
    bounds = [(lo, min(high, lo + size - 1)) for lo in range(1, high + 1, size)]
    with ThreadPoolExecutor(max_workers=len(bounds)) as pool:
        results = list(pool.map(lambda b: _check_slice(engine, *b), bounds))
    found = [r for r in results if r is not None]
    return min(found, key=lambda f: f.seq) if found else None


def _check_slice(engine: Engine, lo: int, hi: int) -> Failure | None:
    with engine.connect() as conn:
        row = conn.execute(FIRST_FAILURE, {"lo": lo, "hi": hi, "genesis": GENESIS}).first()
    if row is None:
        return None
    seq, event_id, prev_hash, stored, computed, before_seq, before_event_id, before2_hash = row
    expected_before = seq - 1
    if (before_seq or 0) != expected_before:
        first_missing = (before_seq or 0) + 1
        return Failure(
            seq=first_missing,
            event_id=None,
            kind="removed",
            detail=f"entries {first_missing}-{seq - 1} are missing (the next present entry is {seq})",
        )
    if computed != stored:
        return Failure(seq=seq, event_id=event_id, kind="altered", detail="the entry's content does not match its hash")
    if before_seq is not None and prev_hash == (before2_hash if before2_hash is not None else GENESIS):
        return Failure(
            seq=before_seq,
            event_id=before_event_id,
            kind="inserted",
            detail=f"entry {seq} links past entry {before_seq} to the one before it",
        )
    return Failure(
        seq=seq,
        event_id=event_id,
        kind="link_broken",
        detail="the entry does not link to its predecessor (entries removed and renumbered, or reordered)",
    )
