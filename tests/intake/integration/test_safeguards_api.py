"""Safeguard agreement on intake's side: appraisal's safeguard events stored (idempotent, order-
tolerant), the applicant's view of the measures and responses to them, each response written with
its `proposal.safeguard_response` outbox event in one transaction. A throw-away database, real tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, create_engine, select

from rsc_common.db.types import utcnow
from rsc_common.events import EventEnvelope, OutboxEvent
from rsc_common.events.topics import INTAKE
from rsc_common.events.types import (
    ApplicantVisibleStatus,
    AppraisalStatusChanged,
    SafeguardMeasureTerms,
    SafeguardMeasureUpdated,
    SafeguardsAgreed,
    SafeguardsProposed,
)
from rsc_common.http import PROBLEM_JSON
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.attachments.settings import AttachmentSettings
from rsc_intake.proposals.handlers import on_status_changed
from rsc_intake.safeguards.handlers import on_measure_updated, on_safeguards_agreed, on_safeguards_proposed
from rsc_intake.seed import DEMO_CALL_IDENTIFIER, seed
from rsc_intake.settings import IntakeSettings
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer
from tests.support.proposals import complete_content

A = bearer("applicant-a")
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(scope="module")
def db_url() -> Iterator[str]:
    with migrated_database(MIGRATIONS) as url:
        seed(None, create_engine(url))
        yield url


@pytest.fixture(scope="module")
def client(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_for(IntakeSettings, db_url)
    storage = tmp_path_factory.mktemp("safeguard-attachments")
    settings.attachments = AttachmentSettings(dir=storage, spool_dir=storage / ".spool")
    with TestClient(build_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def new_submitted(client: TestClient):
    [call] = [c for c in client.get("/v1/calls", headers=A).json() if c["identifier"] == DEMO_CALL_IDENTIFIER]
    questionnaire = client.get(f"/v1/calls/{call['id']}/questionnaire", headers=A).json()

    def make(*, with_attachment: bool = False) -> tuple[str, str | None]:
        body = {"call_id": call["id"], "content": complete_content(questionnaire)}
        pid = client.post("/v1/proposals", json=body, headers=A).json()["id"]
        attachment = None
        if with_attachment:
            upload = client.post(f"/v1/proposals/{pid}/attachments", data={"kind": "partner_assurance"},
                                 files={"file": ("assurance.pdf", PDF, "application/pdf")}, headers=A)  # fmt: skip
            assert upload.status_code == 201, upload.text
            attachment = upload.json()["id"]
        assert client.post(f"/v1/proposals/{pid}/submit", headers=A).status_code == 201
        return pid, attachment

    return make


def apply(db_url: str, handler, data) -> EventEnvelope:
    """Apply an appraisal event the way intake's consumer does (one transaction)."""
    envelope = EventEnvelope(type=data.event_type, schema_version=1, source="rsc-appraisal",
                             subject=str(data.proposal_id), data=data.model_dump(mode="json"))  # fmt: skip
    engine = create_engine(db_url)
    with Session(engine) as session:
        handler(session, envelope, data)
        session.commit()
    engine.dispose()
    return envelope


def terms(measure_id: str, status: str = "proposed", **kw: object) -> SafeguardMeasureTerms:
    values = {
        "title": f"Measure {measure_id}",
        "owner": "project coordinator",
        "due_at": utcnow() + timedelta(days=30),
        "evidence_required": "signed clause in the consortium agreement",
        "terms": None,
        **kw,
    }
    return SafeguardMeasureTerms(measure_id=measure_id, status=status, **values)


def propose(db_url: str, pid: str, *measures: SafeguardMeasureTerms, version: int = 1,
            at: datetime | None = None, case_id: uuid.UUID | None = None) -> uuid.UUID:  # fmt: skip
    """What appraisal sends when the decision with safeguards takes effect."""
    case_id = case_id or uuid.uuid4()
    at = at or utcnow()
    apply(
        db_url,
        on_status_changed,
        AppraisalStatusChanged(
            proposal_id=pid, version=version, status=ApplicantVisibleStatus.safeguards_proposed, changed_at=at
        ),
    )
    apply(db_url, on_safeguards_proposed, SafeguardsProposed(
        case_id=case_id, proposal_id=pid, version=version, measures=list(measures), proposed_at=at))  # fmt: skip
    return case_id


def update(db_url: str, pid: str, measure: SafeguardMeasureTerms, *, at: datetime | None = None,
           version: int = 1) -> None:  # fmt: skip
    apply(
        db_url,
        on_measure_updated,
        SafeguardMeasureUpdated(
            case_id=uuid.uuid4(), proposal_id=pid, version=version, measure=measure, updated_at=at or utcnow()
        ),
    )


def agree(db_url: str, pid: str, *measures: SafeguardMeasureTerms, at: datetime | None = None) -> None:
    apply(
        db_url,
        on_safeguards_agreed,
        SafeguardsAgreed(
            case_id=uuid.uuid4(), proposal_id=pid, version=1, measures=list(measures), agreed_at=at or utcnow()
        ),
    )


def outbox(db_url: str, pid: str, event_type: str = "proposal.safeguard_response") -> list[EventEnvelope]:
    engine = create_engine(db_url)
    with Session(engine) as session:
        rows = session.exec(select(OutboxEvent).where(OutboxEvent.key == pid, OutboxEvent.event_type == event_type)
                            .order_by(OutboxEvent.created_at))  # fmt: skip
        found = [EventEnvelope.model_validate(r.payload) for r in rows]
    engine.dispose()
    return found


def count(db_url: str, table: str, pid: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(text(f"select count(*) from {table} where proposal_id = :p"), {"p": pid}).scalar_one()
    engine.dispose()
    return n


def safeguards(client: TestClient, pid: str, headers: dict[str, str] = A) -> dict:
    response = client.get(f"/v1/proposals/{pid}/safeguards", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def measure(client: TestClient, pid: str, measure_id: str) -> dict:
    [found] = [m for m in safeguards(client, pid)["measures"] if m["measure_id"] == measure_id]
    return found


def post(client: TestClient, pid: str, measure_id: str, body: dict, headers: dict[str, str] = A):
    return client.post(f"/v1/proposals/{pid}/safeguards/{measure_id}/responses", json=body, headers=headers)


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/" + slug), response.json()
    return response.json()


# ------------------------------------------------------------------------------------ reading


def test_proposed_safeguards_are_stored_and_shown_to_the_applicant(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    assert safeguards(client, pid) == {"proposal_id": pid, "version": None, "proposed_at": None, "agreed_at": None,
                                       "open": False, "measures": []}  # fmt: skip
    propose(db_url, pid, terms("training", terms="Annual training for every researcher."),
            terms("agreement_clauses"))  # fmt: skip

    view = safeguards(client, pid)
    assert (view["version"], view["open"], view["agreed_at"]) == (1, True, None)
    assert [m["measure_id"] for m in view["measures"]] == ["training", "agreement_clauses"]  # appraisal's order
    first = view["measures"][0]
    assert first["title"] == "Measure training"
    assert first["owner"] == "project coordinator"
    assert first["evidence_required"] == "signed clause in the consortium agreement"
    assert first["terms"] == "Annual training for every researcher."
    assert first["status"] == "proposed"
    assert first["allowed_responses"] == ["accept", "request_change", "submit_evidence"]
    assert first["responses"] == []
    proposal = client.get(f"/v1/proposals/{pid}", headers=A).json()
    assert (proposal["status"], proposal["public_status"]) == ("under_appraisal", "safeguards_proposed")

    # need-to-know: staff read, another organisation does not see it, other roles are refused
    for staff in ("officer", "adviser", "auditor"):
        assert safeguards(client, pid, bearer(staff))["measures"] == view["measures"]
    problem(client.get(f"/v1/proposals/{pid}/safeguards", headers=bearer("applicant-b")), 404, "not-found")
    assert client.get(f"/v1/proposals/{pid}/safeguards", headers=bearer("reporter")).status_code == 403
    assert client.get(f"/v1/proposals/{pid}/safeguards").status_code == 401


# --------------------------------------------------------------------------------- responding


def test_accept_writes_the_response_and_its_outbox_event(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    propose(db_url, pid, terms("training"), terms("agreement_clauses"))
    before = utcnow()
    response = post(client, pid, "training", {"kind": "accept", "text": "  We accept the training plan. "},
                     headers={**A, "Idempotency-Key": f"accept-{uuid.uuid4()}"})  # fmt: skip
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["proposal_id"] == pid
    assert (body["version"], body["measure_id"], body["kind"]) == (1, "training", "accept")
    assert body["text"] == "We accept the training plan."
    assert body["evidence"] == []
    assert body["measure_status"] == "accepted"
    assert body["responded_by"]

    [event] = outbox(db_url, pid)
    assert (event.type, event.source, event.subject) == ("proposal.safeguard_response", "rsc-intake", pid)
    assert event.data == {
        "proposal_id": pid,
        "version": 1,
        "measure_id": "training",
        "kind": "accept",
        "text": "We accept the training plan.",
        "evidence": [],
        "responded_by": body["responded_by"],
        "responded_at": event.data["responded_at"],
    }
    assert datetime.fromisoformat(event.data["responded_at"]) >= before
    assert datetime.fromisoformat(body["responded_at"]) == datetime.fromisoformat(event.data["responded_at"])
    with Session(create_engine(db_url)) as session:
        query = select(OutboxEvent).where(
            OutboxEvent.key == pid, OutboxEvent.event_type == "proposal.safeguard_response"
        )
        [row] = session.exec(query)
        assert (row.topic, row.published_at) == (INTAKE, None)  # the relay publishes it

    shown = measure(client, pid, "training")
    assert shown["status"] == "accepted"  # optimistic until appraisal's update
    assert shown["allowed_responses"] == ["request_change", "submit_evidence"]
    assert [(r["kind"], r["text"]) for r in shown["responses"]] == [("accept", "We accept the training plan.")]
    assert measure(client, pid, "agreement_clauses")["status"] == "proposed"

    # a second accept is refused; asking for a change afterwards is not
    refused = problem(post(client, pid, "training", {"kind": "accept", "text": "Again."}), 409,
                      "safeguard-response-not-allowed")  # fmt: skip
    assert refused["measure_status"] == "accepted"
    assert refused["allowed_kinds"] == ["request_change", "submit_evidence"]
    change = post(client, pid, "training", {"kind": "request_change", "text": "Twice a year is too often."})
    assert change.status_code == 202, change.text
    assert change.json()["measure_status"] == "change_requested"
    for kind in ("accept", "request_change", "submit_evidence"):
        problem(post(client, pid, "training", {"kind": kind, "text": "More."}), 409, "safeguard-response-not-allowed")
    assert [e.data["kind"] for e in outbox(db_url, pid)] == ["accept", "request_change"]
    assert count(db_url, "safeguard_response", pid) == 2


def test_appraisal_is_the_authority_on_the_status(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    proposed_at = utcnow()
    propose(db_url, pid, terms("training"), at=proposed_at)
    assert post(client, pid, "training", {"kind": "request_change", "text": "Too often."}).status_code == 202
    assert measure(client, pid, "training")["status"] == "change_requested"
    # appraisal's own report of the change request, then the officer's revision
    update(db_url, pid, terms("training", "change_requested"), at=proposed_at + timedelta(seconds=1))
    revised = terms("training", "proposed", owner="each work-package lead", terms="Once a year.")
    update(db_url, pid, revised, at=proposed_at + timedelta(seconds=2))
    shown = measure(client, pid, "training")
    assert (shown["status"], shown["owner"], shown["terms"]) == ("proposed", "each work-package lead", "Once a year.")
    # a late report older than the one applied changes nothing
    update(db_url, pid, terms("training", "change_requested"), at=proposed_at + timedelta(milliseconds=1500))
    assert measure(client, pid, "training")["status"] == "proposed"
    assert post(client, pid, "training", {"kind": "accept", "text": "Once a year is fine."}).status_code == 202


def test_evidence_must_be_attachments_of_the_proposal(client, new_submitted, db_url) -> None:
    pid, attachment = new_submitted(with_attachment=True)
    other, other_attachment = new_submitted(with_attachment=True)
    propose(db_url, pid, terms("partner_assurances"))
    for evidence, pointers in (
        ([other_attachment], ["/evidence/0"]),
        ([str(uuid.uuid4())], ["/evidence/0"]),
        ([attachment, other_attachment], ["/evidence/1"]),
    ):
        body = {"kind": "submit_evidence", "text": "Signed assurances attached.", "evidence": evidence}
        refused = problem(post(client, pid, "partner_assurances", body), 422, "unknown-evidence")
        assert [e["pointer"] for e in refused["errors"]] == pointers
    assert outbox(db_url, pid) == []

    body = {"kind": "submit_evidence", "text": "Signed assurances attached.", "evidence": [attachment, attachment]}
    response = post(client, pid, "partner_assurances", body)
    assert response.status_code == 202, response.text
    assert response.json()["evidence"] == [attachment]
    [event] = outbox(db_url, pid)
    assert (event.data["kind"], event.data["evidence"]) == ("submit_evidence", [attachment])
    # more evidence may follow
    again = post(client, pid, "partner_assurances", {"kind": "submit_evidence", "text": "And the annex."})
    assert again.status_code == 202, again.text
    assert measure(client, pid, "partner_assurances")["status"] == "evidence_submitted"
    assert other  # the other proposal is untouched
    assert outbox(db_url, other) == []


def test_idempotency_key(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    propose(db_url, pid, terms("training"), terms("cyber_baseline"))
    key = {**A, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"kind": "accept", "text": "Accepted."}
    first = post(client, pid, "training", body, key)
    assert first.status_code == 202, first.text
    again = post(client, pid, "training", body, key)
    assert (again.status_code, again.json()) == (202, first.json())  # replayed, not refused, not written twice
    assert len(outbox(db_url, pid)) == 1
    problem(post(client, pid, "training", {"kind": "accept", "text": "Different."}, key), 422,
            "idempotency-key-reused")  # fmt: skip
    # the key is per operation (measure): another measure with the same key is its own request
    other = post(client, pid, "cyber_baseline", body, key)
    assert other.status_code == 202, other.text
    assert other.json()["id"] != first.json()["id"]
    problem(post(client, pid, "training", body, {**A, "Idempotency-Key": "x" * 201}), 400, "invalid-idempotency-key")
    assert len(outbox(db_url, pid)) == 2


def test_refusals_change_nothing(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    bare, _ = new_submitted()  # no safeguards
    propose(db_url, pid, terms("training"))
    ok = {"kind": "accept", "text": "Accepted."}
    problem(post(client, pid, "no_such_measure", ok), 404, "not-found")
    problem(post(client, bare, "training", ok), 404, "not-found")
    problem(post(client, str(uuid.uuid4()), "training", ok), 404, "not-found")
    hidden = problem(post(client, pid, "training", ok, bearer("applicant-b")), 404, "not-found")
    assert "safeguard" not in hidden["detail"]  # the same answer as for a proposal that does not exist
    assert post(client, pid, "training", ok, bearer("officer")).status_code == 403
    assert post(client, pid, "training", ok, bearer("auditor")).status_code == 403
    assert post(client, pid, "training", ok, {}).status_code == 401
    for bad in (
        {"kind": "approve", "text": "Yes."},
        {"kind": "accept", "text": ""},
        {"kind": "accept", "text": " \n "},
        {"kind": "accept", "text": "x" * 10_001},
        {"kind": "accept", "text": "NUL\x00"},
        {"kind": "accept"},
        {"kind": "accept", "text": "Yes.", "evidence": ["nope"]},
        {"kind": "accept", "text": "Yes.", "evidence": [str(uuid.uuid4())] * 51},
        {"kind": "accept", "text": "Yes.", "status": "verified"},
        [],
    ):
        problem(post(client, pid, "training", bad), 422, "validation")
    problem(post(client, pid, "bad measure!", ok), 422, "validation")
    problem(post(client, pid, "x" * 101, ok), 422, "validation")
    assert outbox(db_url, pid) == []
    assert count(db_url, "safeguard_response", pid) == 0
    assert measure(client, pid, "training")["status"] == "proposed"


def test_agreed_safeguards_take_no_response(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    at = utcnow()
    propose(db_url, pid, terms("training"), terms("cyber_baseline"), at=at)
    assert post(client, pid, "training", {"kind": "accept", "text": "Accepted."}).status_code == 202
    agree(db_url, pid, terms("training", "verified"), terms("cyber_baseline", "verified"),
          at=at + timedelta(seconds=5))  # fmt: skip
    apply(db_url, on_status_changed, AppraisalStatusChanged(
        proposal_id=pid, version=1, status=ApplicantVisibleStatus.cleared_with_safeguards,
        changed_at=at + timedelta(seconds=5)))  # fmt: skip
    view = safeguards(client, pid)
    assert view["agreed_at"] is not None
    assert view["open"] is False
    assert [(m["status"], m["allowed_responses"]) for m in view["measures"]] == [("verified", []), ("verified", [])]
    problem(post(client, pid, "cyber_baseline", {"kind": "submit_evidence", "text": "Late."}), 409, "safeguards-agreed")
    # a late report from before the agreement does not reopen anything
    update(db_url, pid, terms("cyber_baseline", "proposed"), at=at + timedelta(seconds=1))
    assert measure(client, pid, "cyber_baseline")["status"] == "verified"
    assert len(outbox(db_url, pid)) == 1


def test_a_withdrawn_proposal_takes_no_response(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    propose(db_url, pid, terms("training"))
    assert client.post(f"/v1/proposals/{pid}/withdraw", json={}, headers=A).status_code == 200
    problem(post(client, pid, "training", {"kind": "accept", "text": "Accepted."}), 409, "safeguards-closed")
    assert safeguards(client, pid)["open"] is False


# ------------------------------------------------------------------------------------ events


def test_events_are_idempotent_and_order_tolerant(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    at = utcnow()
    # an update before the proposal: an unknown measure, ignored
    update(db_url, pid, terms("training", "accepted"), at=at - timedelta(seconds=1))
    assert safeguards(client, pid)["version"] is None
    case_id = propose(db_url, pid, terms("training"), terms("cyber_baseline"), at=at)
    propose(db_url, pid, terms("training"), terms("cyber_baseline"), at=at, case_id=case_id)  # the same again
    view = safeguards(client, pid)
    assert [(m["measure_id"], m["status"]) for m in view["measures"]] == [("training", "proposed"),
                                                                         ("cyber_baseline", "proposed")]  # fmt: skip
    assert count(db_url, "safeguard_measure", pid) == 2
    # an update of a measure that is not in the proposal changes nothing
    update(db_url, pid, terms("export_control_classification", "accepted"), at=at + timedelta(seconds=1))
    assert count(db_url, "safeguard_measure", pid) == 2
    # a newer update of a known measure applies
    update(db_url, pid, terms("training", "accepted"), at=at + timedelta(seconds=1))
    assert measure(client, pid, "training")["status"] == "accepted"
    # an older proposal arriving late is ignored
    propose(db_url, pid, terms("training"), at=at - timedelta(seconds=10), case_id=case_id)
    assert [m["measure_id"] for m in safeguards(client, pid)["measures"]] == ["training", "cyber_baseline"]


def test_agreement_before_the_proposal(client, new_submitted, db_url) -> None:
    """`safeguards.agreed` carries every measure: it applies on its own; the late proposal is older."""
    pid, _ = new_submitted()
    at = utcnow()
    agree(db_url, pid, terms("training", "verified"), at=at)
    propose(db_url, pid, terms("training"), terms("cyber_baseline"), at=at - timedelta(minutes=5))
    view = safeguards(client, pid)
    assert view["agreed_at"] is not None
    assert [(m["measure_id"], m["status"]) for m in view["measures"]] == [("training", "verified")]


def test_events_about_an_older_version_or_a_withdrawn_proposal_are_ignored(client, new_submitted, db_url) -> None:
    pid, _ = new_submitted()
    with create_engine(db_url).begin() as conn:  # as if version 2 had been submitted meanwhile
        conn.execute(text("update proposal set current_version = 2 where id = :p"), {"p": pid})
    apply(
        db_url,
        on_safeguards_proposed,
        SafeguardsProposed(
            case_id=uuid.uuid4(), proposal_id=pid, version=1, measures=[terms("training")], proposed_at=utcnow()
        ),
    )
    assert safeguards(client, pid)["version"] is None

    withdrawn, _ = new_submitted()
    assert client.post(f"/v1/proposals/{withdrawn}/withdraw", json={}, headers=A).status_code == 200
    apply(
        db_url,
        on_safeguards_proposed,
        SafeguardsProposed(
            case_id=uuid.uuid4(), proposal_id=withdrawn, version=1, measures=[terms("training")], proposed_at=utcnow()
        ),
    )
    assert safeguards(client, withdrawn)["version"] is None


def test_an_unknown_proposal_is_an_error_for_the_consumer(db_url) -> None:
    """As for appraisal's other events: retried, then dead-lettered by the consumer."""
    data = SafeguardsProposed(case_id=uuid.uuid4(), proposal_id=uuid.uuid4(), version=1, measures=[terms("training")],
                              proposed_at=utcnow())  # fmt: skip
    with pytest.raises(LookupError):
        apply(db_url, on_safeguards_proposed, data)
