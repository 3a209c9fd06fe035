"""The auditor API on real PostgreSQL and Keycloak tokens: search with filters and full-text, stable
pagination, CSV/JSON export, verification, read-only access, and every auditor query audited."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.settings import MonitoringSettings
from tests.monitoring.audit_support import T0, append_events, decided
from tests.support.apps import service_client
from tests.support.keycloak import bearer

AUDITOR = bearer("auditor")
PROPOSAL = uuid.uuid4()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, MonitoringSettings, MIGRATIONS) as client:
        events = [decided(n, proposal_id=PROPOSAL if n % 5 == 0 else None, actor=f"officer-{n % 3}") for n in range(40)]
        append_events(client.app.state.engine, events)
        yield client


def engine_of(client: TestClient) -> Engine:
    return client.app.state.engine


def queried_events(client: TestClient) -> list[dict]:
    with engine_of(client).connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM outbox_event WHERE event_type = 'audit.queried' ORDER BY created_at")
        )
        return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def test_only_auditors_read_the_log(client: TestClient) -> None:
    for user in ("officer", "adviser", "rsc-admin", "applicant-a", "reporter", "no-role"):
        assert client.get("/v1/audit/entries", headers=bearer(user)).status_code == 403, user
        assert client.get("/v1/audit/verification", headers=bearer(user)).status_code == 403, user
    assert client.get("/v1/audit/entries").status_code == 401


def test_the_api_has_no_route_that_changes_the_log(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    audit = {p: set(ops) for p, ops in paths.items() if p.startswith("/v1/audit")}
    assert audit
    assert all(ops == {"get"} for ops in audit.values())


def test_filters_and_full_text(client: TestClient) -> None:
    by_proposal = client.get("/v1/audit/entries", params={"proposal_id": str(PROPOSAL)}, headers=AUDITOR).json()
    assert len(by_proposal["items"]) == 8
    assert {i["proposal_id"] for i in by_proposal["items"]} == {str(PROPOSAL)}
    by_actor = client.get("/v1/audit/entries", params={"actor": "officer-1,adviser-1"}, headers=AUDITOR).json()
    assert len(by_actor["items"]) == 13
    window = {"from": T0.isoformat(), "to": T0.replace(minute=10).isoformat()}
    in_window = client.get("/v1/audit/entries", params=window, headers=AUDITOR).json()["items"]
    assert len(in_window) == 10
    found = client.get("/v1/audit/entries", params={"q": "number 17"}, headers=AUDITOR).json()["items"]
    assert [i["details"]["reason"] for i in found] == ["decision number 17: partner assurances obtained"]
    assert client.get("/v1/audit/entries", params={"action": "grant.awarded"}, headers=AUDITOR).json()["items"] == []
    entry = found[0]
    assert entry["service"] == "rsc-appraisal"
    assert entry["action"] == "appraisal.decided"
    assert len(entry["entry_hash"]) == 64
    assert len(entry["event_sha256"]) == 64
    assert client.get(f"/v1/audit/entries/{entry['seq']}", headers=AUDITOR).json() == entry


def test_pages_are_stable_and_complete(client: TestClient) -> None:
    for order in ("desc", "asc"):
        seen: list[int] = []
        cursor = None
        while True:
            params = {"limit": 7, "order": order, **({"cursor": cursor} if cursor is not None else {})}
            page = client.get(
                "/v1/audit/entries", params={**params, "service": "rsc-appraisal"}, headers=AUDITOR
            ).json()
            seen += [i["seq"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(seen, reverse=order == "desc")
        assert sorted(seen) == list(range(1, 41))


def test_exports_in_chain_order_and_identical_for_identical_data(client: TestClient) -> None:
    first = client.get("/v1/audit/export", params={"format": "csv"}, headers=AUDITOR)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(first.text)))
    assert [int(r["seq"]) for r in rows] == list(range(1, 41))
    assert rows[0]["prev_hash"] == "0" * 64
    again = client.get("/v1/audit/export", params={"format": "csv"}, headers=AUDITOR)
    assert again.content == first.content
    as_json = client.get("/v1/audit/export", params={"format": "json", "actor": "officer-0,adviser-1"}, headers=AUDITOR)
    items = as_json.json()
    assert len(items) == 14
    assert all(i["actor"] == "officer-0,adviser-1" for i in items)


def test_verification_and_every_query_is_audited(client: TestClient) -> None:
    before = len(queried_events(client))
    result = client.get("/v1/audit/verification", headers=AUDITOR).json()
    assert result["intact"] is True
    assert result["entries"] == 40
    assert result["first_failure"] is None
    anchored = client.get(
        "/v1/audit/verification",
        params={"anchor_seq": result["head_seq"], "anchor_hash": result["head_hash"]},
        headers=AUDITOR,
    ).json()
    assert anchored["anchor_ok"] is True
    assert anchored["intact"] is True
    wrong = client.get(
        "/v1/audit/verification", params={"anchor_seq": 3, "anchor_hash": "a" * 64}, headers=AUDITOR
    ).json()
    assert wrong["anchor_ok"] is False
    assert wrong["intact"] is False
    client.get("/v1/audit/entries", params={"actor": "officer-2,adviser-1"}, headers=AUDITOR)
    logged = queried_events(client)[before:]
    assert [e["data"]["operation"] for e in logged] == ["verify", "verify", "verify", "search"]
    auditor_subject = logged[-1]["data"]["queried_by"]
    assert auditor_subject
    assert all(e["data"]["queried_by"] == auditor_subject for e in logged)
    assert logged[-1]["data"]["query"] == "actor=officer-2%2Cadviser-1"
    assert logged[-1]["data"]["result_count"] == 13


def test_bad_input_is_a_problem_not_a_500(client: TestClient) -> None:
    cases = [
        ("/v1/audit/entries", {"from": "2027-01-01T00:00:00"}),
        ("/v1/audit/entries", {"from": "2027-02-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}),
        ("/v1/audit/entries", {"limit": 0}),
        ("/v1/audit/entries", {"proposal_id": "not-a-uuid"}),
        ("/v1/audit/verification", {"anchor_seq": 1}),
        ("/v1/audit/verification", {"anchor_seq": 1, "anchor_hash": "xyz"}),
        ("/v1/audit/export", {"format": "xml"}),
    ]
    for path, params in cases:
        response = client.get(path, params=params, headers=AUDITOR)
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    missing = client.get("/v1/audit/entries/999999", headers=AUDITOR)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_broken_chain_raises_an_integrity_alert(client: TestClient) -> None:
    """Last in this module: it tampers with the shared log."""
    with engine_of(client).begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE audit_entry SET actor = 'someone' WHERE seq = 7"))
    result = client.get("/v1/audit/verification", headers=AUDITOR).json()
    assert result["intact"] is False
    assert (result["first_failure"]["seq"], result["first_failure"]["kind"]) == (7, "altered")
    with engine_of(client).connect() as conn:
        alerts = (
            conn.execute(
                text(
                    "SELECT payload->'data' FROM outbox_event "
                    "WHERE event_type = 'audit.integrity_alert' ORDER BY created_at"
                )
            )
            .scalars()
            .all()
        )
    # the earlier check against a wrong anchor alerted too
    assert [(a["first_failure_seq"], a["kind"]) for a in alerts] == [(40, "anchor"), (7, "altered")]
