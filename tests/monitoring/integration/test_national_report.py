"""National reporting on real PostgreSQL: the figures, small-cell suppression, exercises and superseded
versions left out, every format, byte-identical CSV for the same data, reporting officers only."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import Session

from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.facts import rollup
from rsc_monitoring.facts.handlers import upsert_fact
from rsc_monitoring.incidents import service as incidents
from rsc_monitoring.incidents.machine import Channel
from rsc_monitoring.incidents.models import Exercise
from rsc_monitoring.incidents.policy import default_policy
from rsc_monitoring.settings import MonitoringSettings
from tests.support.apps import service_client
from tests.support.keycloak import bearer

REPORTER = bearer("reporter")
T = datetime(2027, 4, 1, 12, tzinfo=UTC)
ORG = uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01")
THIRD = {"rule_id": "country.arms_embargo", "category": "third_country", "title": "Arms embargo"}
DOMAIN = {"rule_id": "domain.dual_use", "category": "research_domain", "title": "Dual use"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, MonitoringSettings, MIGRATIONS) as client:
        seed(client.app.state.engine)
        yield client


def seed(engine) -> None:
    levels = ["low"] * 20 + ["medium"] * 6 + ["high"] * 3 + ["very_high"]
    with Session(engine) as session:
        session.execute(
            text(
                "INSERT INTO call_fact (call_id, identifier, programme, closes_at) "
                "VALUES (:i, 'CALL-1', 'Programme', :c)"
            ),
            {"i": uuid.uuid4(), "c": T - timedelta(days=200)},
        )
        for n, level in enumerate(levels):
            proposal = uuid.uuid4()
            flags = [THIRD, DOMAIN] if level in ("high", "very_high") else ([DOMAIN] if level == "medium" else [])
            upsert_fact(
                session,
                proposal,
                1,
                organisation_id=ORG,
                call_identifier="CALL-1",
                submitted_at=T - timedelta(days=30),
                areas=["quantum"] if n % 3 == 0 else [],
                partner_countries=["XA"] if n < 28 else ["XA", "XB"],
                level=level,
                flags=flags,
                recommended_safeguards=["SG-TRAINING"] if flags else [],
                screened_at=T + timedelta(minutes=n),
                verdict="cleared" if level == "low" else "cleared_with_safeguards",
                verdict_at=T + timedelta(days=2 + n % 7),
                auto_cleared=level == "low",
                agreed_safeguards=["SG-TRAINING"] if flags else [],
                signed_at=T + timedelta(days=60 + n),
            )
        # a superseded version and a screening outside the year: neither counts
        upsert_fact(session, uuid.uuid4(), 1, level="high", screened_at=T, superseded=True)
        upsert_fact(session, uuid.uuid4(), 1, level="high", screened_at=T.replace(year=2026))
        for n in range(6):
            incidents.report(
                session, default_policy(), channel=Channel.officer, incident_type="suspicious_approach",
                severity="medium", title="approach", description="d", grant=None, reporter_subject="officer-x",
                now=T + timedelta(days=n),
            )  # fmt: skip
        drill = Exercise(name="drill", participants=["p"], created_by="admin")
        session.add(drill)
        session.flush()
        incidents.report(
            session, default_policy(), channel=Channel.exercise, incident_type="export_control_breach",
            severity="critical", title="drill", description="d", grant=None, reporter_subject="admin",
            exercise_id=drill.id, now=T,
        )  # fmt: skip
        session.commit()


def get(client: TestClient, fmt: str = "json", **params):
    return client.get("/v1/reports/national", params={"year": 2027, "format": fmt, **params}, headers=REPORTER)


def cells(report: dict, name: str) -> dict:
    return {c["key"]: (c["count"], c["suppressed"]) for c in report[name]}


def test_the_figures_with_small_cells_suppressed(client: TestClient) -> None:
    report = get(client).json()
    assert report["proposals_screened"] == 30
    assert cells(report, "by_risk_level") == {
        "low": (20, False), "medium": (6, False), "high": (None, True), "very_high": (None, True)
    }  # fmt: skip
    assert cells(report, "by_critical_technology_area") == {"none declared": (20, False), "quantum": (10, False)}
    assert cells(report, "by_partner_country") == {"XA": (30, False), "XB": (None, True)}
    assert cells(report, "by_country_indicator_group") == {
        "no third-country indicator": (26, False), "country.arms_embargo": (None, True)
    }  # fmt: skip
    assert cells(report, "red_flags_by_type")["domain.dual_use"] == (10, False)
    assert cells(report, "safeguards_agreed") == {"SG-TRAINING": (10, False)}
    assert cells(report, "verdicts") == {"cleared": (20, False), "cleared_with_safeguards": (10, False)}
    assert cells(report, "incidents_by_type") == {"suspicious_approach": (6, False)}  # the drill is left out
    assert report["time_to_grant_days"]["n"] == 30
    assert report["time_to_grant_days"]["median"] == pytest.approx(274.5, abs=0.1)
    assert report["added_appraisal_time_days"]["n"] == 30
    assert report["suppression_threshold"] == 5


def test_the_daily_counts_kept_by_each_change_equal_a_rebuild(client: TestClient) -> None:
    engine = client.app.state.engine
    query = text("SELECT day, dim, key, count FROM report_rollup WHERE count <> 0 ORDER BY day, dim, key")
    with engine.connect() as conn:
        incremental = conn.execute(query).all()
    # a later version and a verdict change move the counts, then a rebuild from the facts agrees
    later = T.replace(year=2031)  # outside the periods the other tests report on
    with Session(engine) as session:
        proposal = uuid.uuid4()
        upsert_fact(session, proposal, 1, level="medium", screened_at=later, flags=[DOMAIN], areas=["quantum"])
        upsert_fact(session, proposal, 1, verdict="cleared", verdict_at=later + timedelta(days=3), submitted_at=later)
        upsert_fact(session, proposal, 2, level="low", screened_at=later + timedelta(days=1))
        upsert_fact(session, proposal, 1, superseded=True)
        session.commit()
    with engine.connect() as conn:
        changed = conn.execute(query).all()
    with Session(engine) as session:
        rollup.rebuild(session)
        session.commit()
    with engine.connect() as conn:
        rebuilt = conn.execute(query).all()
    assert changed == rebuilt
    assert changed != incremental
    assert len(incremental) >= 20


def test_every_format_and_identical_csv(client: TestClient) -> None:
    first, second = get(client, "csv"), get(client, "csv")
    assert first.headers["content-type"].startswith("text/csv")
    assert first.content == second.content
    table = list(csv.reader(io.StringIO(first.text)))
    assert table[0] == ["section", "key", "value", "suppressed"]
    assert ["by_risk_level", "high", "", "true"] in table
    book = load_workbook(io.BytesIO(get(client, "xlsx").content))
    assert {"Summary", "by_risk_level", "incidents_by_type"} <= set(book.sheetnames)
    html = get(client, "html")
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.count("<svg") == 4
    pdf = get(client, "pdf")
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert get(client, "json").content == get(client, "json").content
    for response in (first, html, get(client, "json")):
        assert str(ORG) not in response.text
        assert "officer-x" not in response.text


def test_periods_and_access(client: TestClient) -> None:
    assert get(client, year=2026).json()["proposals_screened"] == 1
    biennium = client.get("/v1/reports/national", params={"biennium": 2026}, headers=REPORTER).json()
    assert biennium["proposals_screened"] == 31
    assert biennium["period"]["label"] == "2026-2027"
    custom = client.get(
        "/v1/reports/national", params={"from": "2027-04-01", "to": "2027-04-02"}, headers=REPORTER
    ).json()
    assert custom["proposals_screened"] == 30
    for params in ({}, {"year": 2027, "biennium": 2026}, {"from": "2027-05-01", "to": "2027-04-01"}, {"year": 1}):
        response = client.get("/v1/reports/national", params=params, headers=REPORTER)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
    for user in ("officer", "auditor", "rsc-admin", "applicant-a"):
        assert client.get("/v1/reports/national", params={"year": 2027}, headers=bearer(user)).status_code == 403
    with client.app.state.engine.connect() as conn:
        exported = conn.execute(
            text("SELECT count(*) FROM outbox_event WHERE event_type = 'report.exported'")
        ).scalar_one()
    assert exported >= 3
    assert json.loads(get(client).content)["period"]["from"] == "2027-01-01"
