"""The national report's figures, aggregated in PostgreSQL from the reporting facts and incidents.

One row per proposal (its latest version) screened in the period. Every breakdown cell below the
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

THIRD_COUNTRY = "third_country"


def screened(join: str = "") -> str:
    """Latest versions screened in the period, with an optional lateral join over one of their lists."""
    return f"FROM proposal_fact p {join} WHERE NOT p.superseded AND p.screened_at >= :start AND p.screened_at < :end"


def each(column: str, alias: str, *, keep_empty: bool = False, text_elements: bool = True) -> str:
    function = "jsonb_array_elements_text" if text_elements else "jsonb_array_elements"
    kind = "LEFT JOIN LATERAL" if keep_empty else "CROSS JOIN LATERAL"
    return f"{kind} {function}(p.{column}) {alias}" + (" ON true" if keep_empty else "")


INDICATOR_GROUPS = f"""LEFT JOIN LATERAL (
    SELECT DISTINCT f->>'rule_id' AS g FROM jsonb_array_elements(p.flags) f
    WHERE f->>'category' = '{THIRD_COUNTRY}') groups ON true"""

SECTIONS: dict[str, str] = {
    "proposals_screened": f"SELECT 'total', count(*) {screened()}",
    "by_risk_level": f"SELECT p.level, count(*) {screened()} GROUP BY p.level",
    "by_critical_technology_area": f"""
        SELECT coalesce(a, 'none declared'), count(*) {screened(each("areas", "a", keep_empty=True))} GROUP BY 1""",
    "by_partner_country": f"SELECT c, count(*) {screened(each('partner_countries', 'c'))} GROUP BY c",
    "by_country_indicator_group": f"""
        SELECT coalesce(g, 'no third-country indicator'), count(*) {screened(INDICATOR_GROUPS)} GROUP BY 1""",
    "red_flags_by_type": f"""
        SELECT f->>'rule_id', count(*) {screened(each("flags", "f", text_elements=False))} GROUP BY 1""",
    "safeguards_recommended": f"SELECT s, count(*) {screened(each('recommended_safeguards', 's'))} GROUP BY s",
    "safeguards_agreed": f"SELECT s, count(*) {screened(each('agreed_safeguards', 's'))} GROUP BY s",
    "verdicts": f"SELECT coalesce(p.verdict, 'pending'), count(*) {screened()} GROUP BY 1",
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
        return [tuple(r) for r in conn.execute(text(sql), {"start": period.start_at, "end": period.end_at})]


def national_report(engine: Engine, period: Period, *, threshold: int = 5, parallelism: int = 2) -> dict[str, Any]:
    queries = {**SECTIONS, **DURATIONS}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = {name: pool.submit(_run, engine, sql, period) for name, sql in queries.items()}
        results = {name: f.result() for name, f in futures.items()}
    report: dict[str, Any] = {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "label": period.label},
        "suppression_threshold": threshold,
        "proposals_screened": int(results["proposals_screened"][0][1]),
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
