"""Monitoring at national scale: the national report over 1,000,000 proposals and the verification of a
10,000,000-entry audit chain, on a throw-away database of the running PostgreSQL (`make up`).

1. Creates and migrates `rsc_bench_monitoring_<random>` (never the development database).
2. Loads reporting facts for `--proposals` proposals, all screened in `--year` (the strict reading of
   "a year over 1 M proposals"), with levels, declared areas, partner countries, flags, safeguards,
   verdicts and grants in realistic proportions, plus incidents and measures; `COPY`, then `ANALYZE`.
3. Times `national_report` for the year (the JSON figures: the aggregation every format starts from),
   several runs, and each format's rendering once.
4. Appends `--audit-entries` chained entries (hashes computed as the service does, `COPY`), then times
   `verify` on 1 and 2 parallel connections (`verify` reads the primary key only; the load drops the
   audit table's secondary indexes first to shorten it and says so).
5. Writes its section of docs/benchmarks.md (between `bench:monitoring-scale` markers); drops the
   database unless `--keep`.

    uv run --frozen python -m bench.monitoring_scale            # 1 M proposals, 10 M audit entries
    uv run --frozen python -m bench.monitoring_scale --quick    # 100 k / 1 M, prints only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import pycountry
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.common import RESULTS, LoadWindow, Table, machine, write_section
from rsc_common.db import upgrade_to_head
from rsc_monitoring.app import MIGRATIONS
from rsc_monitoring.audit.chain import GENESIS, SEPARATOR, timestamp_text
from rsc_monitoring.audit.verify import verify
from rsc_monitoring.facts import rollup
from rsc_monitoring.reporting import render
from rsc_monitoring.reporting.period import Period
from rsc_monitoring.reporting.queries import national_report

SECTION = "monitoring-scale"
ADMIN_URL = "postgresql+psycopg://rsc:rsc@127.0.0.1:15432/postgres"
LEVELS = [("low", 0.80), ("medium", 0.12), ("high", 0.06), ("very_high", 0.02)]
AREAS = ["advanced_semiconductors", "artificial_intelligence", "quantum", "biotechnologies", "advanced_connectivity",
         "advanced_sensing", "space_and_propulsion", "energy", "robotics_and_autonomous_systems",
         "advanced_materials"]  # fmt: skip
THIRD_COUNTRY_RULES = ["country.third_country_partner", "country.eu_sanctions_regime", "country.arms_embargo",
                       "country.civil_military_fusion_strategy", "country.weak_rule_of_law"]  # fmt: skip
OTHER_RULES = ["domain.dual_use_annex_i", "domain.critical_technology", "partner.list_match", "organisation.no_policy"]
SAFEGUARDS = ["SG-TRAINING", "SG-CYBER", "SG-PARTNER-ASSURANCE", "SG-EXPORT-CHECK", "SG-DATA-SEGREGATION"]
INCIDENT_TYPES = ["undisclosed_affiliation_or_funding", "suspicious_approach", "cyber_incident_or_data_breach",
                  "partner_ownership_or_control_change", "export_control_breach", "other"]  # fmt: skip


def _copy(engine, table: str, columns: list[str], rows) -> None:
    """COPY rows (tuples of text or None) into `table` in chunks."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def load_facts(engine, count: int, year: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    countries = [c.alpha_2 for c in pycountry.countries]
    start = datetime(year, 1, 1, tzinfo=UTC)
    calls = [
        (uuid.UUID(int=rng.getrandbits(128)), f"CALL-{year}-{n:02d}", start + timedelta(days=15 * n)) for n in range(24)
    ]
    _copy(engine, "call_fact", ["call_id", "identifier", "programme", "closes_at"],
          ((str(i), ident, "Bench programme", closes.isoformat()) for i, ident, closes in calls))  # fmt: skip
    levels, weights = zip(*LEVELS, strict=True)

    def rows():
        for n in range(count):
            level = rng.choices(levels, weights)[0]
            call = calls[n % len(calls)]
            submitted = call[2] - timedelta(hours=rng.randint(1, 400))
            screened = max(start, submitted + timedelta(seconds=rng.randint(1, 30)))
            flags = []
            if level != "low":
                for rule in rng.sample(OTHER_RULES, rng.randint(1, 2)):
                    flags.append({"rule_id": rule, "category": rule.split(".")[0], "title": rule})
            if level in ("high", "very_high"):
                rule = rng.choice(THIRD_COUNTRY_RULES)
                flags.append({"rule_id": rule, "category": "third_country", "title": rule})
            recommended = rng.sample(SAFEGUARDS, rng.randint(1, 3)) if level != "low" else []
            verdict = (
                "cleared" if level == "low" else rng.choice(["cleared_with_safeguards", "cleared", "not_fundable"])
            )
            verdict_at = screened + (timedelta(seconds=2) if level == "low" else timedelta(days=rng.randint(5, 90)))
            signed = (
                verdict_at + timedelta(days=rng.randint(60, 240)) if verdict != "not_fundable" and n % 4 == 0 else None
            )
            yield (
                str(uuid.UUID(int=rng.getrandbits(128))), "1", str(uuid.UUID(int=rng.getrandbits(128) % 5000)),
                call[1], submitted.isoformat(), "36",
                json.dumps(rng.sample(AREAS, rng.choice([0, 0, 1, 1, 2]))),
                json.dumps(rng.sample(countries, rng.randint(3, 8))),
                level, "{}", json.dumps(flags), json.dumps(recommended), screened.isoformat(),
                verdict, verdict_at.isoformat(), "t" if level == "low" else "f",
                json.dumps(recommended if verdict == "cleared_with_safeguards" else []),
                signed.isoformat() if signed else None, "f",
                str((verdict_at - submitted).total_seconds() / 86400),
            )  # fmt: skip

    columns = ["proposal_id", "version", "organisation_id", "call_identifier", "submitted_at", "duration_months",
               "areas", "partner_countries", "level", "category_levels", "flags", "recommended_safeguards",
               "screened_at", "verdict", "verdict_at", "auto_cleared", "agreed_safeguards", "signed_at",
               "superseded", "appraisal_days"]  # fmt: skip
    started = time.perf_counter()
    _copy(engine, "proposal_fact", columns, rows())
    loaded = time.perf_counter() - started
    rollup_started = time.perf_counter()
    with Session(engine) as session:  # the service keeps these counts event by event; a bulk load rebuilds them
        rollup.rebuild(session)
        session.commit()
    rollup_seconds = time.perf_counter() - rollup_started
    incidents = count // 50
    policy_version = "bench"

    def incident_rows():
        for n in range(incidents):
            reported = start + timedelta(minutes=rng.randint(0, 525_000))
            closed = n % 3 != 0
            yield (
                str(uuid.UUID(int=rng.getrandbits(128))), f"INC-B-{n:07d}", rng.choice(INCIDENT_TYPES),
                rng.choice(["low", "medium", "high", "critical"]), "closed" if closed else "investigating", "officer",
                "bench", reported.isoformat(), (reported + timedelta(days=2)).isoformat(), "[]",
                "resolved" if closed else None, policy_version, "1", reported.isoformat(),
            )  # fmt: skip

    _copy(engine, "incident", ["id", "reference", "type", "severity", "status", "channel", "title", "reported_at",
                               "triage_due_at", "assignees", "outcome", "policy_version", "last_seq", "updated_at"],
          incident_rows())  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO incident_measure (id, incident_id, kind, status, owner, note, due_at, decided_by, decided_at, "
            "updated_at) SELECT gen_random_uuid(), id, (ARRAY['corrective_plan','stricter_safeguards',"
            "'payment_suspension','authority_notification'])[1 + (abs(hashtext(reference)) % 4)], 'done', 'funder', "
            "'bench', reported_at + interval '10 days', 'officer', reported_at + interval '5 days', reported_at "
            "FROM incident WHERE status = 'closed'"
        ))  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE proposal_fact"))
        conn.execute(text("VACUUM ANALYZE incident"))
        conn.execute(text("VACUUM ANALYZE incident_measure"))
        conn.execute(text("VACUUM ANALYZE report_rollup"))
        rollup_rows = conn.execute(text("SELECT count(*) FROM report_rollup")).scalar_one()
    return {
        "seconds": time.perf_counter() - started,
        "facts_seconds": loaded,
        "incidents": incidents,
        "rollup_seconds": rollup_seconds,
        "rollup_rows": rollup_rows,
    }


def load_audit(engine, count: int, seed: int) -> dict[str, float]:
    """Chained entries as the service appends them (same hash input), COPYed in."""
    with engine.begin() as conn:
        for index in ("ix_audit_entry_occurred_at", "ix_audit_entry_service_action", "ix_audit_entry_actor",
                      "ix_audit_entry_proposal", "ix_audit_entry_grant", "ix_audit_entry_organisation",
                      "ix_audit_entry_incident", "ix_audit_entry_search"):  # fmt: skip
            conn.execute(text(f"DROP INDEX IF EXISTS {index}"))
    rng = random.Random(seed)
    t0 = datetime(2027, 1, 1, tzinfo=UTC)
    actions = [("rsc-intake", "proposal.submitted"), ("rsc-appraisal", "appraisal.screened"),
               ("rsc-appraisal", "appraisal.cleared"), ("rsc-monitoring", "grant.deadline"),
               ("rsc-appraisal", "appraisal.case_changed"), ("rsc-monitoring", "audit.queried")]  # fmt: skip
    state = {"prev": GENESIS}

    def rows():
        prev = GENESIS
        for seq in range(1, count + 1):
            service, action = actions[seq % len(actions)]
            event_id = str(uuid.UUID(int=rng.getrandbits(128)))
            occurred = t0 + timedelta(microseconds=seq * 3_000_017)
            recorded = occurred + timedelta(milliseconds=150)
            proposal = str(uuid.UUID(int=rng.getrandbits(128))) if seq % 3 else ""
            actor = f"officer-{seq % 97}"
            description = f"{action} by {actor} on {proposal or 'x'}"
            details = f'{{"version":1,"seq":{seq}}}'
            event_sha = hashlib.sha256(event_id.encode()).hexdigest()
            parts = [prev, event_id, timestamp_text(occurred), timestamp_text(recorded), service, action, actor,
                     proposal or "x", proposal, "", "", "", "", "false", description, details, event_sha]  # fmt: skip
            digest = hashlib.sha256(SEPARATOR.join(parts).encode()).hexdigest()
            yield (
                str(seq), event_id, occurred.isoformat(), recorded.isoformat(), service, action, actor,
                proposal or "x", proposal or None, "", None, "", "", "f", description, details, event_sha, prev, digest,
            )  # fmt: skip
            prev = digest
        state["prev"] = prev

    columns = ["seq", "event_id", "occurred_at", "recorded_at", "service", "action", "actor", "subject",
               "proposal_id", "grant_reference", "organisation_id", "incident_type", "severity", "exercise",
               "description", "details", "event_sha256", "prev_hash", "entry_hash"]  # fmt: skip
    started = time.perf_counter()
    _copy(engine, "audit_entry", columns, rows())
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_chain_head SET last_seq = :s, last_hash = :h, updated_at = now()"),
            {"s": count, "h": state["prev"]},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE audit_entry"))
        size = conn.execute(text("SELECT pg_total_relation_size('audit_entry')")).scalar_one()
    return {"seconds": time.perf_counter() - started, "bytes": size}


def timed(fn, runs: int) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def main() -> None:
    args = parse()
    proposals = args.proposals or (100_000 if args.quick else 1_000_000)
    entries = args.audit_entries or (1_000_000 if args.quick else 10_000_000)
    name = f"rsc_bench_monitoring_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=4)
    try:
        upgrade_to_head(MIGRATIONS, url)
        print(f"loading {proposals:,} proposals' facts into {name}", flush=True)
        facts = load_facts(engine, proposals, args.year, args.seed)
        print(f"  {facts['seconds']:.0f} s", flush=True)
        period = Period(datetime(args.year, 1, 1).date(), datetime(args.year + 1, 1, 1).date(), str(args.year))
        load = LoadWindow().start()
        report_seconds, report = timed(lambda: national_report(engine, period, parallelism=2), args.runs)
        load.stop()
        serial_seconds, _ = timed(lambda: national_report(engine, period, parallelism=1), 1)
        print(f"  national report: {[f'{s:.2f}' for s in report_seconds]} s", flush=True)
        formats = {}
        for fmt, (_media, renderer) in render.FORMATS.items():
            seconds, body = timed(lambda r=renderer: r(report), 1)
            formats[fmt] = (seconds[0], len(body))
        print(f"appending {entries:,} chained audit entries", flush=True)
        audit = load_audit(engine, entries, args.seed)
        print(f"  {audit['seconds']:.0f} s", flush=True)
        verification = {}
        for parallelism in (1, 2):
            seconds, result = timed(lambda p=parallelism: verify(engine, parallelism=p), 1)
            verification[parallelism] = (seconds[0], result)
            print(f"  verify on {parallelism} connection(s): {seconds[0]:.1f} s, intact={result.intact}", flush=True)
        body = render_section(args, proposals, entries, facts, report, report_seconds, serial_seconds, load,
                              formats, audit, verification)  # fmt: skip
        if args.no_write:
            print(body)
        else:
            write_section(RESULTS, SECTION, body)
            print(f"wrote the {SECTION} section of {RESULTS}")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def render_section(args, proposals, entries, facts, report, report_seconds, serial_seconds, load, formats, audit,
                   verification) -> str:  # fmt: skip
    m = machine()
    median = statistics.median(report_seconds)
    best_verify = min(s for s, _ in verification.values())
    intact = all(r.intact for _, r in verification.values())
    targets = Table(["target", "measured", "met"], align="llr")
    targets.add("national report for a year over 1 M proposals ≤ 2 s",
                f"median {median:.2f} s over {len(report_seconds)} runs ({proposals:,} proposals in the year)",
                "yes" if median <= 2 and proposals >= 1_000_000 else "**no**")  # fmt: skip
    targets.add("chain verification of 10 M entries ≤ 30 s",
                f"{best_verify:.1f} s ({entries:,} entries, intact: {intact})",
                "yes" if best_verify <= 30 and entries >= 10_000_000 and intact else "**no**")  # fmt: skip
    fmt_table = Table(["format", "render s", "bytes"])
    for fmt, (seconds, size) in formats.items():
        fmt_table.add(fmt, f"{seconds:.2f}", f"{size:,}")
    verify_table = Table(["connections", "seconds", "entries/s", "intact"])
    for parallelism, (seconds, result) in verification.items():
        verify_table.add(parallelism, f"{seconds:.1f}", f"{entries / seconds:,.0f}", result.intact)
    return "\n".join([
        "## Monitoring at national scale (`bench/monitoring_scale.py`)",
        "",
        f"- **Date**: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- **Machine**: {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}, Python {m['python']}; "
        "the PostgreSQL of `make up` (default settings) with the rest of the stack idle.",
        f"- **Command**: `uv run --frozen python -m bench.monitoring_scale{' --quick' if args.quick else ''}`",
        f"- **Data** (throw-away database, dropped afterwards): {proposals:,} proposals screened in {args.year} "
        f"(levels 80/12/6/2 %, 3-8 partner countries each, 0-2 declared areas, flags and safeguards by level, "
        f"a quarter with a grant), {facts['incidents']:,} incidents with measures, loaded in {facts['seconds']:.0f} s "
        f"(of which rebuilding the daily report counts from the facts: {facts['rollup_seconds']:.0f} s, "
        f"{facts['rollup_rows']:,} rows; the service keeps them event by event); "
        f"{entries:,} chained audit entries ({audit['bytes'] / 1e9:.1f} GB with the primary key), computed and "
        f"loaded in {audit['seconds']:.0f} s. The audit table's secondary indexes (filters, full-text) were dropped "
        "before the load to shorten it: verification reads the primary key only.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| national report, {args.year} (aggregation, 2 connections) | "
        f"{' / '.join(f'{s:.2f}' for s in report_seconds)} s (median {median:.2f} s) |",
        f"| the same on 1 connection | {serial_seconds[0]:.2f} s |",
        f"| machine during the report runs | {load.describe()} (the aggregation runs in PostgreSQL's backends, "
        "which count as outside load here) |",
        "",
        "Rendering the figures (after the aggregation):",
        "",
        *fmt_table.render(),
        "",
        "Audit chain verification (recomputes every entry's SHA-256 in PostgreSQL, checks every link and the "
        "sequence, slices on parallel connections):",
        "",
        *verify_table.render(),
        "",
        *targets.render(),
        "",
    ])  # fmt: skip


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.monitoring_scale", description=__doc__.splitlines()[0])
    p.add_argument("--proposals", type=int, default=None, help="default 1,000,000 (--quick 100,000)")
    p.add_argument("--audit-entries", type=int, default=None, help="default 10,000,000 (--quick 1,000,000)")
    p.add_argument("--year", type=int, default=2027)
    p.add_argument("--runs", type=int, default=5, help="national report runs")
    p.add_argument("--seed", type=int, default=2027)
    p.add_argument("--quick", action="store_true", help="smaller data; prints only")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = p.parse_args()
    if args.quick:
        args.no_write = True
    return args


if __name__ == "__main__":
    main()
