"""The proposal lifecycle through intake's API, on a throw-away database, with real tokens."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, create_engine, select

from rsc_common.auth import Principal
from rsc_common.db.types import utcnow
from rsc_common.events import EventEnvelope, OutboxEvent
from rsc_common.events.types import ApplicantVisibleStatus, AppraisalInformationRequested, AppraisalStatusChanged
from rsc_common.http import PROBLEM_JSON
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.attachments.settings import AttachmentSettings
from rsc_intake.proposals import service as proposal_service
from rsc_intake.proposals.handlers import on_information_requested, on_status_changed
from rsc_intake.seed import DEMO_CALL_IDENTIFIER, DEMO_ORGANISATIONS, seed
from rsc_intake.settings import IntakeSettings
from tests.intake.test_attachments_unit import make_pdf
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer
from tests.support.proposals import complete_content

A = bearer("applicant-a")


@pytest.fixture(scope="module")
def db_url() -> Iterator[str]:
    with migrated_database(MIGRATIONS) as url:
        seed(None, create_engine(url))
        yield url


@pytest.fixture(scope="module")
def client(db_url: str) -> Iterator[TestClient]:
    with TestClient(build_app(settings_for(IntakeSettings, db_url))) as client:
        yield client


@pytest.fixture(scope="module")
def call(client: TestClient) -> dict:
    [call] = [c for c in client.get("/v1/calls", headers=A).json() if c["identifier"] == DEMO_CALL_IDENTIFIER]
    return call


@pytest.fixture(scope="module")
def questionnaire(client: TestClient, call: dict) -> dict:
    return client.get(f"/v1/calls/{call['id']}/questionnaire", headers=A).json()


def events(db_url: str, proposal_id: str) -> list[EventEnvelope]:
    with Session(create_engine(db_url)) as session:
        rows = session.exec(select(OutboxEvent).where(OutboxEvent.key == proposal_id).order_by(OutboxEvent.created_at))
        return [EventEnvelope.model_validate(r.payload) for r in rows]


def new_draft(client: TestClient, call: dict, questionnaire: dict, **kw: object) -> tuple[str, str]:
    response = client.post(
        "/v1/proposals", json={"call_id": call["id"], "content": complete_content(questionnaire, **kw)}, headers=A
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], response.headers["etag"]


def apply(db_url: str, handler, data) -> None:
    """Apply an appraisal event the way intake's consumer does (one transaction)."""
    with Session(create_engine(db_url)) as session:
        envelope = EventEnvelope(type=data.event_type, schema_version=1, source="t", subject="s",
                                 data=data.model_dump(mode="json"))  # fmt: skip
        handler(session, envelope, data)
        session.commit()


def test_create_edit_submit_with_idempotency_and_snapshot_event(client, call, questionnaire, db_url) -> None:
    pid, tag = new_draft(client, call, questionnaire)
    content = complete_content(questionnaire, partners=5, title="Secure photonic sensing, revised")
    edited = client.put(f"/v1/proposals/{pid}/content", json=content, headers={**A, "If-Match": tag})
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] != tag

    key = {"Idempotency-Key": f"submit-{uuid.uuid4()}"}
    first = client.post(f"/v1/proposals/{pid}/submit", headers={**A, **key})
    assert first.status_code == 201, first.text
    again = client.post(f"/v1/proposals/{pid}/submit", headers={**A, **key})
    assert again.status_code == 201
    assert again.json() == first.json()  # replayed, not a second version
    assert client.post(f"/v1/proposals/{pid}/submit", headers=A).status_code == 409

    [event] = events(db_url, pid)
    assert event.type == "proposal.submitted"
    assert event.data["version"] == 1
    assert len(event.data["content"]["partners"]) == 5
    assert event.data["organisation"]["legal_name"] == "Demo University of Applied Sciences"
    assert event.data["content_sha256"] == first.json()["version"]["content_sha256"]
    assert client.get(f"/v1/proposals/{pid}", headers=A).json()["status"] == "submitted"


def test_optimistic_locking(client, call, questionnaire) -> None:
    pid, tag = new_draft(client, call, questionnaire)
    body = complete_content(questionnaire)
    assert client.put(f"/v1/proposals/{pid}/content", json=body, headers=A).status_code == 428
    assert client.put(f"/v1/proposals/{pid}/content", json=body, headers={**A, "If-Match": tag}).status_code == 200
    stale = client.put(f"/v1/proposals/{pid}/content", json=body, headers={**A, "If-Match": tag})
    assert stale.status_code == 412
    assert stale.json()["type"].endswith("/stale-version")


def test_incomplete_submission_lists_what_is_missing(client, call) -> None:
    pid = client.post("/v1/proposals", json={"call_id": call["id"]}, headers=A).json()["id"]
    response = client.post(f"/v1/proposals/{pid}/submit", headers=A)
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert {"/details/title", "/self_assessment", "/researchers"} <= pointers


@pytest.mark.parametrize(
    ("mutate", "pointer", "fragment"),
    [
        (lambda c: c["researchers"][0].update(nationality="X"), "/researchers/0", "non-discrimination"),
        (lambda c: c["researchers"][0].update({"Country of Birth": "X"}), "/researchers/0", "not collected"),
        (lambda c: c["partners"][0].update(country="XX"), "/partners/0/country", "ISO 3166-1"),
        (lambda c: c["details"].update(keywords=["k"] * 21), "/details/keywords", "at most 20"),
        (lambda c: c["details"].update(acronym="A" * 31), "/details/acronym", "at most 30"),
        (lambda c: c["self_assessment"]["answers"].update(no_such_question=True), "/self_assessment/answers", ""),
    ],
)
def test_bad_input_is_a_problem_with_a_pointer(client, call, questionnaire, mutate, pointer, fragment) -> None:
    content = complete_content(questionnaire)
    mutate(content)
    response = client.post("/v1/proposals", json={"call_id": call["id"], "content": content}, headers=A)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert any(e["pointer"].startswith("/content" + pointer) for e in body["errors"]), body
    assert fragment in response.text


def test_names_are_nfc_normalised_but_kept_as_typed(client, call, questionnaire) -> None:
    content = complete_content(questionnaire)
    content["researchers"][0]["full_name"] = "Zoe\u0308 A\u030angstro\u0308m"  # decomposed
    pid = client.post("/v1/proposals", json={"call_id": call["id"], "content": content}, headers=A).json()["id"]
    name = client.get(f"/v1/proposals/{pid}", headers=A).json()["content"]["researchers"][0]["full_name"]
    assert name == "Zoë Ångström"


def test_information_request_answer_resubmission_and_diff(client, call, questionnaire, db_url) -> None:
    pid, _ = new_draft(client, call, questionnaire)
    assert client.post(f"/v1/proposals/{pid}/submit", headers=A).status_code == 201
    request_id = uuid.uuid4()
    apply(db_url, on_information_requested, AppraisalInformationRequested(
        proposal_id=pid, version=1, request_id=request_id, message="Who controls partner 2?",
        due_at=utcnow() + timedelta(days=10), requested_at=utcnow()))  # fmt: skip
    assert client.get(f"/v1/proposals/{pid}", headers=A).json()["status"] == "information_requested"
    [req] = client.get(f"/v1/proposals/{pid}/information-requests", headers=A).json()
    assert req["message"] == "Who controls partner 2?"

    answer = client.post(f"/v1/proposals/{pid}/information-requests/{request_id}/response",
                         json={"response": "A public university."}, headers=A)  # fmt: skip
    assert answer.status_code == 200, answer.text
    tag = client.get(f"/v1/proposals/{pid}", headers=A).headers["etag"]
    content = client.get(f"/v1/proposals/{pid}", headers=A).json()["content"]
    content["details"]["title"] = "Secure photonic sensing (clarified)"
    content["partners"][1]["ownership_control_countries"] = ["FR"]
    assert client.put(f"/v1/proposals/{pid}/content", json=content, headers={**A, "If-Match": tag}).status_code == 200
    assert client.post(f"/v1/proposals/{pid}/submit", headers=A).status_code == 201

    assert [e.type for e in events(db_url, pid)] == [
        "proposal.submitted", "proposal.information_provided", "proposal.resubmitted"
    ]  # fmt: skip
    assert [v["version"] for v in client.get(f"/v1/proposals/{pid}/versions", headers=A).json()] == [1, 2]
    changes = client.get(f"/v1/proposals/{pid}/versions/1/diff/2", headers=A).json()["changes"]
    pointers = {c["pointer"] for c in changes}
    partner_id = content["partners"][1]["partner_id"]
    assert pointers == {
        "/content/details/title",
        f"/content/partners/{partner_id}/ownership_control_countries/0",
    }


def test_applicant_sees_only_the_public_appraisal_status(client, call, questionnaire, db_url) -> None:
    pid, _ = new_draft(client, call, questionnaire)
    client.post(f"/v1/proposals/{pid}/submit", headers=A)
    for status in (ApplicantVisibleStatus.under_security_appraisal, ApplicantVisibleStatus.cleared):
        apply(db_url, on_status_changed,
              AppraisalStatusChanged(proposal_id=pid, version=1, status=status, changed_at=utcnow()))  # fmt: skip
    proposal = client.get(f"/v1/proposals/{pid}", headers=A).json()
    assert (proposal["status"], proposal["public_status"]) == ("decided", "cleared")
    assert client.post(f"/v1/proposals/{pid}/withdraw", json={}, headers=A).status_code == 409
    history = [h["to_status"] for h in client.get(f"/v1/proposals/{pid}/history", headers=A).json()]
    assert history == ["submitted", "under_appraisal", "decided"]


def test_withdrawal(client, call, questionnaire, db_url) -> None:
    pid, _tag = new_draft(client, call, questionnaire)
    response = client.post(f"/v1/proposals/{pid}/withdraw", json={"reason": "Consortium changed"}, headers=A)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    [event] = events(db_url, pid)
    assert (event.type, event.data["last_version"]) == ("proposal.withdrawn", 0)
    edit = client.put(f"/v1/proposals/{pid}/content", json=complete_content(questionnaire),
                      headers={**A, "If-Match": response.headers["etag"]})  # fmt: skip
    assert edit.status_code == 409


def test_first_submission_after_the_deadline_is_refused(client, call, questionnaire, db_url) -> None:
    pid, _ = new_draft(client, call, questionnaire)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        original = conn.execute(text("select closes_at from call where id = :i"), {"i": call["id"]}).scalar_one()
        conn.execute(text("update call set closes_at = now() - interval '1 minute' where id = :i"), {"i": call["id"]})
    try:
        response = client.post(f"/v1/proposals/{pid}/submit", headers=A)
        assert response.status_code == 422
        assert response.json()["type"].endswith("/call-deadline-passed")
        assert "no longer accepted" in response.json()["detail"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("update call set closes_at = :c where id = :i"), {"c": original, "i": call["id"]})


def test_need_to_know(client, call, questionnaire) -> None:
    pid, tag = new_draft(client, call, questionnaire)
    assert client.get(f"/v1/proposals/{pid}", headers=bearer("applicant-b")).status_code == 404
    assert pid not in {p["id"] for p in client.get("/v1/proposals", headers=bearer("applicant-b")).json()["items"]}
    for staff in ("officer", "adviser", "auditor"):
        assert client.get(f"/v1/proposals/{pid}", headers=bearer(staff)).status_code == 200
    officer_edit = client.put(f"/v1/proposals/{pid}/content", json=complete_content(questionnaire),
                              headers={**bearer("officer"), "If-Match": tag})  # fmt: skip
    assert officer_edit.status_code == 403
    assert client.get("/v1/proposals", headers=bearer("reporter")).status_code == 403


def test_list_filters_sorts_and_pages(client, call, questionnaire) -> None:
    for i in range(3):
        new_draft(client, call, questionnaire, seed=900 + i, title=f"Listing probe {i}")
    page = client.get("/v1/proposals", params={"q": "listing probe", "sort": "acronym", "limit": 2}, headers=A).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    acronyms = [p["acronym"] for p in page["items"]]
    assert acronyms == sorted(acronyms)
    rest = client.get("/v1/proposals", params={"q": "listing probe", "sort": "acronym", "limit": 2, "offset": 2},
                      headers=A).json()  # fmt: skip
    assert len(rest["items"]) == 1
    drafts = client.get("/v1/proposals", params={"status": "draft", "limit": 200}, headers=A).json()["items"]
    assert all(p["status"] == "draft" for p in drafts)
    bad = client.get("/v1/proposals", params={"sort": "secret_column"}, headers=A)
    assert bad.status_code == 422


def test_submission_writes_version_history_outbox_idempotency_and_freezes_attachments(
    call, questionnaire, db_url, tmp_path
) -> None:
    """Submission works on rows (one SELECT ... FOR UPDATE, one statement for every write): check
    every row it writes, in one transaction, and that an attachment is frozen into the version."""
    settings = settings_for(IntakeSettings, db_url)
    settings.attachments = AttachmentSettings(dir=tmp_path / "files", spool_dir=tmp_path / "spool")
    with TestClient(build_app(settings)) as client:
        pid, _ = new_draft(client, call, questionnaire, partners=4)
        pdf = make_pdf()
        upload = client.post(f"/v1/proposals/{pid}/attachments", data={"kind": "ethics_approval"},
                             files={"file": ("ethics.pdf", pdf, "application/pdf")}, headers=A)  # fmt: skip
        assert upload.status_code == 201, upload.text
        row_version = client.get(f"/v1/proposals/{pid}", headers=A).json()["row_version"]
        key = {"Idempotency-Key": f"submit-{uuid.uuid4()}"}
        first = client.post(f"/v1/proposals/{pid}/submit", headers={**A, **key})
        assert first.status_code == 201, first.text
        body = first.json()
        assert (body["proposal_id"], body["status"], body["version"]["version"]) == (pid, "submitted", 1)
        assert client.post(f"/v1/proposals/{pid}/submit", headers={**A, **key}).json() == body

        proposal = client.get(f"/v1/proposals/{pid}", headers=A)
        assert proposal.json()["current_version"] == 1
        assert proposal.json()["submitted_at"] is not None
        assert proposal.json()["row_version"] == row_version + 1  # a new ETag
        assert proposal.headers["etag"] == f'"{row_version + 1}"'
        attachment = client.get(f"/v1/proposals/{pid}/attachments/{upload.json()['id']}", headers=A).json()
        assert attachment["frozen_in_version"] == 1
        version = client.get(f"/v1/proposals/{pid}/versions/1", headers=A).json()
        assert [a["attachment_id"] for a in version["attachments"]] == [upload.json()["id"]]
        assert version["attachments"][0]["sha256"] == hashlib.sha256(pdf).hexdigest()
        assert len(version["content"]["partners"]) == 4
        assert version["organisation"]["legal_name"] == "Demo University of Applied Sciences"
        assert version["content_sha256"] == body["version"]["content_sha256"]
        [change] = client.get(f"/v1/proposals/{pid}/history", headers=A).json()
        assert (change["from_status"], change["to_status"], change["reason"]) == ("draft", "submitted", None)

    [event] = events(db_url, pid)
    assert event.type == "proposal.submitted"
    assert event.data["attachments"] == version["attachments"]
    assert event.data["content"] == version["content"]
    assert event.traceparent is not None
    with create_engine(db_url).connect() as conn:
        records = conn.execute(
            text("select status_code, response from idempotency_record where operation = :o"), {"o": f"submit:{pid}"}
        ).all()
    assert records == [(201, body)]


def test_concurrent_repeats_of_one_submission_make_one_version(call, questionnaire, db_url, client) -> None:
    """The idempotency look-up runs after the row lock: a repeat that waited for the first request's
    lock sees its record and replays it, instead of failing on the status or writing a version 2."""
    pid, _ = new_draft(client, call, questionnaire)
    organisation = uuid.UUID(str(DEMO_ORGANISATIONS[0]["id"]))
    principal = Principal(subject="applicant-a-subject", username="applicant-a", roles=frozenset({"applicant"}),
                          organisation_id=organisation, client_id="rsc-cli", email=None, locale=None)  # fmt: skip
    engine = create_engine(db_url, pool_size=4)
    key = f"concurrent-{uuid.uuid4()}"

    def attempt(_: int) -> tuple[int, dict]:
        with Session(engine, expire_on_commit=False) as session:
            return proposal_service.submit(session, principal, uuid.UUID(pid), key)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(attempt, range(4)))
    assert {status for status, _ in answers} == {201}
    assert all(body == answers[0][1] for _, body in answers)
    assert [v["version"] for v in client.get(f"/v1/proposals/{pid}/versions", headers=A).json()] == [1]
    assert len(events(db_url, pid)) == 1
    engine.dispose()
