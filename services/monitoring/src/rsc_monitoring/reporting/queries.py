"""The national report's figures, aggregated in PostgreSQL: the breakdowns from the daily counts that
follow the reporting facts (facts.rollup), the durations from the facts, incidents from their tables.

Each proposal counts once (its latest version), on the day it was screened. Every breakdown cell below the
suppression threshold (default 5) is withheld (`count: null, suppressed: true`), and so are time
statistics over fewer than that many cases: small cells could identify a project or an organisation.
Resilience-exercise incidents are excluded. No personal data is read.
The sections are independent queries, run on parallel connections.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, text

from rsc_monitoring.reporting.period import Period

ROLLUP = (
    "SELECT key, sum(count)::bigint FROM report_rollup WHERE dim = '{dim}' AND day >= :start_day AND day < :end_day "
    "GROUP BY key HAVING sum(count) > 0"
)

SECTIONS: dict[str, str] = {
    "proposals_screened": (
        "SELECT 'total', coalesce(sum(count), 0)::bigint FROM report_rollup "
        "WHERE dim = 'level' AND day >= :start_day AND day < :end_day"
    ),
    "by_risk_level": ROLLUP.format(dim="level"),
    "by_critical_technology_area": ROLLUP.format(dim="area"),
    "by_partner_country": ROLLUP.format(dim="country"),
    "by_country_indicator_group": ROLLUP.format(dim="country_group"),
    "red_flags_by_type": ROLLUP.format(dim="flag"),
    "safeguards_recommended": ROLLUP.format(dim="safeguard_recommended"),
    "safeguards_agreed": ROLLUP.format(dim="safeguard_agreed"),
    "verdicts": ROLLUP.format(dim="verdict"),
    "incidents_by_type": """
        SELECT type, count(*) FROM incident
        WHERE exercise_id IS NULL AND reported_at >= :start AND reported_at < :end GROUP BY type""",
    "incidents_by_severity": """
        SELECT severity, count(*) FROM incident
        WHERE exercise_id IS NULL AND reported_at >= :start AND reported_at < :end GROUP BY severity""",
    "incidents_by_outcome": """
        SELECT CASE WHEN status = 'closed' THEN coalesce(outcome, 'closed') ELSE 'open' END, count(*) FROM incident
        WHERE exercise_id IS NULL AND reported_at >= :start AND reported_at < :end GROUP BY 1""",
    "measures_by_type": """
        SELECT m.kind, count(*) FROM incident_measure m JOIN incident i ON i.id = m.incident_id
        WHERE i.exercise_id IS NULL AND m.decided_at >= :start AND m.decided_at < :end GROUP BY m.kind""",
}
DURATIONS: dict[str, str] = {
    # call deadline -> grant signature, for grants signed in the period
    "time_to_grant_days": """
        SELECT count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d)
        FROM (SELECT extract(epoch FROM p.signed_at - c.closes_at) / 86400 AS d
              FROM proposal_fact p JOIN call_fact c ON c.identifier = p.call_identifier
              WHERE p.signed_at >= :start AND p.signed_at < :end) t""",
    # submission -> security verdict (cleared, with safeguards, not fundable), verdicts in the period
    "added_appraisal_time_days": """
        SELECT count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d)
        FROM (SELECT extract(epoch FROM p.verdict_at - p.submitted_at) / 86400 AS d FROM proposal_fact p
              WHERE p.verdict IN ('cleared', 'cleared_with_safeguards', 'not_fundable')
                AND p.verdict_at >= :start AND p.verdict_at < :end AND p.submitted_at IS NOT NULL) t""",
}


def _cells(rows: list[tuple[Any, int]], threshold: int) -> list[dict[str, Any]]:
    cells = []
    for key, count in sorted(rows, key=lambda r: (-r[1], str(r[0]))):
        small = 0 < count < threshold
        cells.append({"key": str(key), "count": None if small else int(count), "suppressed": small})
    # suppressed cells last, in key order, so their position does not hint at their size
    return [c for c in cells if not c["suppressed"]] + sorted(
        (c for c in cells if c["suppressed"]), key=lambda c: c["key"]
    )


def _run(engine: Engine, sql: str, period: Period) -> list[tuple]:
    with engine.connect() as conn:
        params = {"start": period.start_at, "end": period.end_at, "start_day": period.start, "end_day": period.end}
        return [tuple(r) for r in conn.execute(text(sql), params)]


def national_report(engine: Engine, period: Period, *, threshold: int = 5, parallelism: int = 2) -> dict[str, Any]:
    queries = {**SECTIONS, **DURATIONS}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = {name: pool.submit(_run, engine, sql, period) for name, sql in queries.items()}
        results = {name: f.result() for name, f in futures.items()}
    report: dict[str, Any] = {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "label": period.label},
        "suppression_threshold": threshold,
        "proposals_screened": int(results["proposals_screened"][0][1] or 0),
    }
    for name in SECTIONS:
        if name != "proposals_screened":
            report[name] = _cells(results[name], threshold)
    for name in DURATIONS:
        n, median, p90 = results[name][0]
        small = n < threshold
        report[name] = {
            "n": int(n),
            "median": None if small or median is None else round(float(median), 1),
            "p90": None if small or p90 is None else round(float(p90), 1),
            "suppressed": small and n > 0,
        }
    return report
