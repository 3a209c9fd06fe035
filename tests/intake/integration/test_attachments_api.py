"""Attachments through intake's API, on a throw-away migrated database, with real Keycloak tokens."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from rsc_common.db.types import utcnow
from rsc_common.http import PROBLEM_JSON, create_app
from rsc_intake.app import MIGRATIONS
from rsc_intake.attachments import service as attachments
from rsc_intake.attachments.settings import AttachmentSettings
from rsc_intake.attachments.views import router
from rsc_intake.calls import service as calls
from rsc_intake.calls.schemas import CallCreate, ProgrammeCreate
from rsc_intake.proposals.models import Proposal, ProposalStatus
from rsc_intake.settings import IntakeSettings
from tests.intake.test_attachments_unit import make_docx, make_pdf
from tests.support.apps import settings_for
from tests.support.databases import migrated_engine
from tests.support.keycloak import bearer

ORG_A = uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01")
MAX_BYTES = 64 * 1024
MAX_PER_PROPOSAL = 4


class _Settings(IntakeSettings):
    # What IntakeSettings carries once attachments are wired in.
    attachments: AttachmentSettings = AttachmentSettings()


@pytest.fixture(scope="module")
def storage_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("attachments")


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with migrated_engine(MIGRATIONS) as engine:
        yield engine


@pytest.fixture(scope="module")
def client(engine: Engine, storage_dir: Path) -> Iterator[TestClient]:
    settings = settings_for(_Settings, engine.url.render_as_string(hide_password=False))
    settings.attachments = AttachmentSettings(
        dir=storage_dir, spool_dir=storage_dir / ".spool", max_bytes=MAX_BYTES, max_per_proposal=MAX_PER_PROPOSAL
    )
    app = create_app(
        settings, title="attachments test", description="attachments only", routers=[router], migrations_dir=MIGRATIONS
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def call_id(engine: Engine) -> uuid.UUID:
    with Session(engine, expire_on_commit=False) as session:
        programme = calls.create_programme(
            session=session, data=ProgrammeCreate(name="Attachment tests", funder="Test funder")
        )
        now = utcnow()
        call = calls.create_call(
            session=session,
            data=CallCreate(
                programme_id=programme.id,
                identifier="ATT-TEST-01",
                title="Attachment test call",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
            ),
        )
        return call.id


def new_proposal(engine: Engine, call_id: uuid.UUID, status: ProposalStatus = ProposalStatus.draft) -> uuid.UUID:
    with Session(engine) as session:
        proposal = Proposal(organisation_id=ORG_A, call_id=call_id, created_by="test", status=status, content={})
        session.add(proposal)
        session.commit()
        return proposal.id


def base(pid: uuid.UUID) -> str:
    return f"/v1/proposals/{pid}/attachments"


def post(
    client: TestClient,
    pid: uuid.UUID,
    data: bytes,
    *,
    name: str = "agreement.pdf",
    media_type: str = "application/pdf",
    kind: str = "partnership_agreement",
    who: str = "applicant-a",
) -> httpx.Response:
    return client.post(base(pid), data={"kind": kind}, files={"file": (name, data, media_type)}, headers=bearer(who))


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["type"].endswith("/" + slug), response.json()


def stored_files(storage_dir: Path) -> list[Path]:
    return [p for p in storage_dir.rglob("*") if p.is_file()]


def test_applicant_uploads_a_pdf_and_downloads_the_same_bytes(client, engine, call_id) -> None:
    pid = new_proposal(engine, call_id)
    pdf = make_pdf()
    created = post(client, pid, pdf, name="../../Partnership Agreement.pdf")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["media_type"] == "application/pdf"
    assert body["filename"] == "Partnership Agreement.pdf"
    assert body["size_bytes"] == len(pdf)
    assert body["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert body["kind"] == "partnership_agreement"
    assert body["frozen_in_version"] is None
    assert created.headers["location"] == f"{base(pid)}/{body['id']}"

    listed = client.get(base(pid), headers=bearer("applicant-a"))
    assert [a["id"] for a in listed.json()] == [body["id"]]
    assert client.get(f"{base(pid)}/{body['id']}", headers=bearer("applicant-a")).json() == body

    download = client.get(f"{base(pid)}/{body['id']}/content", headers=bearer("applicant-a"))
    assert download.status_code == 200
    assert download.content == pdf
    assert hashlib.sha256(download.content).hexdigest() == body["sha256"]
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["etag"] == f'"{body["sha256"]}"'
    assert download.headers["content-disposition"].startswith('attachment; filename="Partnership Agreement.pdf"')


def test_office_documents_are_typed_from_their_content(client, engine, call_id) -> None:
    pid = new_proposal(engine, call_id)
    response = post(
        client,
        pid,
        make_docx(),
        name="mou.bin",
        media_type="application/octet-stream",
        kind="memorandum_of_understanding",
    )
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_other_organisations_and_roles(client, engine, call_id) -> None:
    pid = new_proposal(engine, call_id)
    aid = post(client, pid, make_pdf()).json()["id"]

    # Another applicant organisation: the proposal does not exist for it.
    for response in (
        client.get(base(pid), headers=bearer("applicant-b")),
        client.get(f"{base(pid)}/{aid}", headers=bearer("applicant-b")),
        client.get(f"{base(pid)}/{aid}/content", headers=bearer("applicant-b")),
        post(client, pid, make_pdf(), who="applicant-b"),
        client.delete(f"{base(pid)}/{aid}", headers=bearer("applicant-b")),
    ):
        assert_problem(response, 404, "not-found")

    # Case officers and auditors read, but do not change.
    for who in ("officer", "auditor"):
        assert client.get(base(pid), headers=bearer(who)).status_code == 200
        assert client.get(f"{base(pid)}/{aid}/content", headers=bearer(who)).content == make_pdf()
        assert_problem(post(client, pid, make_pdf(), who=who), 403, "read-only")
        assert_problem(client.delete(f"{base(pid)}/{aid}", headers=bearer(who)), 403, "read-only")

    assert client.get(base(pid)).status_code == 401


def test_oversize_upload_is_413_and_leaves_nothing(client, engine, call_id, storage_dir) -> None:
    pid = new_proposal(engine, call_id)
    before = stored_files(storage_dir)
    assert_problem(post(client, pid, b"%PDF-1.4\n" + b"0" * MAX_BYTES), 413, "attachment-too-large")
    assert client.get(base(pid), headers=bearer("applicant-a")).json() == []
    assert stored_files(storage_dir) == before
    # Exactly at the limit is fine.
    assert post(client, pid, b"%PDF-1.4\n" + b"0" * (MAX_BYTES - 9)).status_code == 201


def test_content_that_is_not_what_it_claims_is_415(client, engine, call_id, storage_dir) -> None:
    pid = new_proposal(engine, call_id)
    before = stored_files(storage_dir)
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4
    assert_problem(post(client, pid, elf, name="report.pdf"), 415, "unsupported-media-type")
    assert_problem(post(client, pid, b"just text", name="report.pdf"), 415, "media-type-mismatch")
    assert client.get(base(pid), headers=bearer("applicant-a")).json() == []
    assert stored_files(storage_dir) == before


def test_bad_form_input_is_422(client, engine, call_id) -> None:
    pid = new_proposal(engine, call_id)
    assert_problem(post(client, pid, make_pdf(), kind="selfie"), 422, "validation")
    assert_problem(post(client, pid, b""), 422, "empty-attachment")
    no_file = client.post(base(pid), data={"kind": "other"}, files={"x": ("a", b"b")}, headers=bearer("applicant-a"))
    assert_problem(no_file, 422, "validation")
    as_json = client.post(base(pid), json={"kind": "other"}, headers=bearer("applicant-a"))
    assert_problem(as_json, 415, "multipart-required")


def test_at_most_so_many_attachments_per_proposal(client, engine, call_id) -> None:
    pid = new_proposal(engine, call_id)
    for _ in range(MAX_PER_PROPOSAL):
        assert post(client, pid, make_pdf()).status_code == 201
    assert_problem(post(client, pid, make_pdf()), 422, "too-many-attachments")


def test_delete_freeze_and_not_editable(client, engine, call_id, storage_dir) -> None:
    pid = new_proposal(engine, call_id)
    first = post(client, pid, make_pdf(), kind="ethics_approval").json()
    letter = b"Partner assurance letter\n"
    second = post(client, pid, letter, name="assurance.txt", media_type="text/plain", kind="partner_assurance").json()
    assert second["media_type"] == "text/plain; charset=utf-8"

    # An unfrozen attachment of a draft can be deleted, bytes included.
    files_before = len(stored_files(storage_dir))
    deleted = client.delete(f"{base(pid)}/{second['id']}", headers=bearer("applicant-a"))
    assert deleted.status_code == 204
    assert len(stored_files(storage_dir)) == files_before - 1
    assert_problem(client.get(f"{base(pid)}/{second['id']}", headers=bearer("applicant-a")), 404, "not-found")

    # Submission (version 1) snapshots the references and freezes them, in its own transaction.
    with Session(engine) as session:
        refs = attachments.attachment_refs(session, pid)
        attachments.freeze(session, pid, 1)
        proposal = session.get(Proposal, pid)
        proposal.status = ProposalStatus.information_requested
        proposal.current_version = 1
        session.commit()
    assert refs == [
        {
            "attachment_id": first["id"],
            "kind": "ethics_approval",
            "filename": "agreement.pdf",
            "media_type": "application/pdf",
            "size_bytes": len(make_pdf()),
            "sha256": hashlib.sha256(make_pdf()).hexdigest(),
        }
    ]
    assert client.get(f"{base(pid)}/{first['id']}", headers=bearer("applicant-a")).json()["frozen_in_version"] == 1

    # Still editable (information requested), but the frozen one stays.
    frozen = client.delete(f"{base(pid)}/{first['id']}", headers=bearer("applicant-a"))
    assert_problem(frozen, 409, "attachment-frozen")
    added = post(client, pid, make_pdf(), kind="export_licence")
    assert added.status_code == 201
    with Session(engine) as session:
        attachments.freeze(session, pid, 2)
        session.commit()
        assert [r["attachment_id"] for r in attachments.attachment_refs(session, pid)] == [
            first["id"],
            added.json()["id"],
        ]
    assert client.get(f"{base(pid)}/{first['id']}", headers=bearer("applicant-a")).json()["frozen_in_version"] == 1
    assert (
        client.get(f"{base(pid)}/{added.json()['id']}", headers=bearer("applicant-a")).json()["frozen_in_version"] == 2
    )


def test_not_editable_proposals_take_no_uploads_or_deletions(client, engine, call_id) -> None:
    pid = new_proposal(engine, call_id)
    aid = post(client, pid, make_pdf()).json()["id"]
    with Session(engine) as session:
        session.get(Proposal, pid).status = ProposalStatus.under_appraisal
        session.commit()
    assert_problem(post(client, pid, make_pdf()), 409, "proposal-not-editable")
    assert_problem(client.delete(f"{base(pid)}/{aid}", headers=bearer("applicant-a")), 409, "proposal-not-editable")
    assert client.get(f"{base(pid)}/{aid}/content", headers=bearer("applicant-a")).status_code == 200
