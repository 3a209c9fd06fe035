"""Daily counts behind the national report, kept exact as facts change.

A proposal's latest version counts on the day it was screened, under each dimension: its level, its
verdict, each declared area ("none declared" when none), each partner country, each third-country
indicator group ("no third-country indicator" when none), each red flag, each recommended and each
agreed safeguard. Every fact change subtracts the row's old contribution and adds its new one in the
same transaction (counter rows updated in key order, so concurrent consumers cannot deadlock); a
report then sums at most a few hundred rows per day instead of exploding a million facts.
`rebuild` recomputes everything from the facts (after a bulk load, or to check the counters).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rsc_common.db.upsert import insert as pg_insert
from rsc_monitoring.facts.models import ReportRollup

THIRD_COUNTRY = "third_country"
NO_AREA = "none declared"
NO_GROUP = "no third-country indicator"

Key = tuple[date, str, str]


def contributions(row: Mapping[str, Any] | None) -> Counter[Key]:
    """What one fact row adds to the daily counts (nothing unless screened and not superseded)."""
    out: Counter[Key] = Counter()
    if row is None or row["superseded"] or row["screened_at"] is None or row["level"] is None:
        return out
    day = row["screened_at"].astimezone(UTC).date()
    keys: list[tuple[str, str]] = [("level", row["level"]), ("verdict", row["verdict"] or "pending")]
    keys += [("area", a) for a in row["areas"]] or [("area", NO_AREA)]
    keys += [("country", c) for c in sorted(set(row["partner_countries"]))]
    groups = sorted({f["rule_id"] for f in row["flags"] if f.get("category") == THIRD_COUNTRY})
    keys += [("country_group", g) for g in groups] or [("country_group", NO_GROUP)]
    keys += [("flag", f["rule_id"]) for f in row["flags"]]
    keys += [("safeguard_recommended", s) for s in row["recommended_safeguards"]]
    keys += [("safeguard_agreed", s) for s in row["agreed_safeguards"]]
    for dim, key in keys:
        out[(day, dim, key)] += 1
    return out


_ROLLUP = ReportRollup.__table__
_ADD = pg_insert(_ROLLUP)
_ADD = _ADD.on_conflict_do_update(
    index_elements=["day", "dim", "key"], set_={"count": _ROLLUP.c.count + _ADD.excluded.count}
)


def apply(session: Session, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    delta = contributions(after)
    delta.subtract(contributions(before))
    changes = sorted((key, n) for key, n in delta.items() if n)
    if not changes:
        return
    # one executemany for the whole delta, rows in key order (the order their locks are taken in); the
    # statement is built once (a multi-row VALUES would be compiled anew every time)
    session.execute(_ADD, [{"day": day, "dim": dim, "key": key, "count": n} for (day, dim, key), n in changes])


REBUILD = """
INSERT INTO report_rollup (day, dim, key, count)
SELECT day, dim, key, count(*) FROM (
    SELECT (p.screened_at AT TIME ZONE 'UTC')::date AS day, d.dim, d.key
    FROM proposal_fact p CROSS JOIN LATERAL (
        SELECT 'level', p.level
        UNION ALL SELECT 'verdict', coalesce(p.verdict, 'pending')
        UNION ALL SELECT 'area', a FROM jsonb_array_elements_text(
            CASE WHEN jsonb_array_length(p.areas) = 0 THEN '["none declared"]'::jsonb ELSE p.areas END) a
        UNION ALL SELECT DISTINCT 'country', c FROM jsonb_array_elements_text(p.partner_countries) c
        UNION ALL SELECT 'country_group', g FROM (
            SELECT DISTINCT f->>'rule_id' AS g FROM jsonb_array_elements(p.flags) f
            WHERE f->>'category' = 'third_country'
            UNION ALL SELECT 'no third-country indicator' WHERE NOT EXISTS (
                SELECT 1 FROM jsonb_array_elements(p.flags) f WHERE f->>'category' = 'third_country')) groups
        UNION ALL SELECT 'flag', f->>'rule_id' FROM jsonb_array_elements(p.flags) f
        UNION ALL SELECT 'safeguard_recommended', s FROM jsonb_array_elements_text(p.recommended_safeguards) s
        UNION ALL SELECT 'safeguard_agreed', s FROM jsonb_array_elements_text(p.agreed_safeguards) s
    ) d(dim, key)
    WHERE NOT p.superseded AND p.screened_at IS NOT NULL AND p.level IS NOT NULL
) exploded
GROUP BY day, dim, key
"""


def rebuild(session: Session) -> None:
    """Recompute every daily count from the facts (one transaction: readers see old or new counts)."""
    session.execute(text("LOCK TABLE report_rollup IN EXCLUSIVE MODE"))
    session.execute(text("DELETE FROM report_rollup"))
    session.execute(text(REBUILD))
