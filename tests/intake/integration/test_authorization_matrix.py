"""Who may call which intake endpoint: every operation of the OpenAPI document, for every demo user.

The table below is explicit on purpose: a new endpoint makes `test_the_table_covers_every_operation`
fail until someone has decided, role by role, what it answers. Each cell is one request against
real objects (org A's draft, a submitted one, one with an open information request, one with
proposed safeguards, an attachment) on a throw-away, migrated and seeded database, with real Keycloak tokens.

Outcome classes:
  ok(status)  allowed: the exact 2xx, or a domain 4xx (`ok(404, "no-organisation")`) that is not an auth error
  UNAUTH      401, with a `WWW-Authenticate: Bearer` challenge
  FORBIDDEN   403
  HIDDEN      404 `not-found`: the object is not disclosed (another organisation's proposal)

Writes that a cell allows really happen, so every write row works on fresh objects of its own;
a refused request (401/403/404) must leave the whole database, and the attachment storage, as it was.
"""

# ruff: noqa: E501 - the table is wider than a line; it reads better as one row per operation.
from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from rsc_common.db.types import utcnow
from rsc_common.events import EventEnvelope
from rsc_common.events.types import AppraisalInformationRequested, SafeguardMeasureTerms, SafeguardsProposed
from rsc_common.http import PROBLEM_JSON
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.attachments.settings import AttachmentSettings
from rsc_intake.proposals.handlers import on_information_requested
from rsc_intake.safeguards.handlers import on_safeguards_proposed
from rsc_intake.seed import DEMO_CALL_IDENTIFIER, seed
from rsc_intake.settings import IntakeSettings
from tests.support.apps import settings_for
from tests.support.databases import migrated_engine
from tests.support.keycloak import token_for
from tests.support.proposals import complete_content

ORG_A = "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01"
ORG_B = "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a02"
PDF = b"%PDF-1.4\n%%EOF\n"
# The md5 of all of a table's rows (as text, in a stable order).
TABLE_DIGEST = """select md5(coalesce(string_agg(r::text, '|' order by r::text), '')) from "{table}" r"""
TABLES = """select table_name from information_schema.tables where table_schema = 'public'
              and table_type = 'BASE TABLE' and table_name <> 'alembic_version' order by 1"""
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ANON = "anonymous"  # no Authorization header at all
USERS = (ANON, "applicant-a", "applicant-b", "officer", "adviser", "auditor", "reporter", "rsc-admin", "no-role")
STAFF_READERS = ("officer", "adviser", "auditor")


# ------------------------------------------------------------------------------------ outcomes


@dataclass(frozen=True)
class Outcome:
    kind: str  # "allowed", "401", "403", "404-hidden"
    status: int
    slug: str | None = None  # for allowed domain errors: the problem type's last segment

    def __str__(self) -> str:
        return f"{self.kind}({self.status}{', ' + self.slug if self.slug else ''})"

    @property
    def refused(self) -> bool:
        return self.kind != "allowed"


def ok(status: int, slug: str | None = None) -> Outcome:
    return Outcome("allowed", status, slug)


UNAUTH = Outcome("401", 401)
FORBIDDEN = Outcome("403", 403)
HIDDEN = Outcome("404-hidden", 404, "not-found")
# Short names for the table.
U, F, H = UNAUTH, FORBIDDEN, HIDDEN
OK, CREATED, GONE = ok(200), ok(201), ok(204)
NO_ORG = ok(404, "no-organisation")
ACCEPTED = ok(202)
MEASURE = "training"


# ----------------------------------------------------------------------------------- the world


@dataclass
class Request:
    """One cell's request; `check` adds assertions on an allowed answer."""

    path: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    check: Callable[[httpx.Response], None] | None = None


class World:
    """Real objects of organisation A, created through the API as applicant-a."""

    def __init__(self, client: TestClient, engine: Engine, tokens: dict[str, str]) -> None:
        self.client = client
        self.engine = engine
        self.tokens = tokens
        a = self.auth("applicant-a")
        [call] = [c for c in client.get("/v1/calls", headers=a).json() if c["identifier"] == DEMO_CALL_IDENTIFIER]
        self.call_id: str = call["id"]
        self.questionnaire = client.get(f"/v1/calls/{self.call_id}/questionnaire", headers=a).json()
        # Questionnaires are published on a call of their own, not on the one the proposals use.
        [programme] = client.get("/v1/programmes", headers=a).json()
        self.programme_id: str = programme["id"]
        self.publish_call_id: str = self.new_call()["id"]
        # Shared, read-only objects for the read rows.
        self.draft = self.new_draft()
        self.attachment = self.upload(self.draft)
        self.submitted = self.new_submitted()
        self.requested, self.request_id = self.new_information_request()
        self.safeguarded = self.new_safeguarded()

    def auth(self, user: str) -> dict[str, str]:
        return {} if user == ANON else {"Authorization": f"Bearer {self.tokens[user]}"}

    # --- objects (through the API, as their owners would create them) -----------------------

    def new_call(self) -> dict:
        now = utcnow().replace(microsecond=0)
        body = {
            "programme_id": self.programme_id,
            "identifier": f"MATRIX-{uuid.uuid4().hex[:10]}",
            "title": "Authorization matrix call",
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(),
        }
        response = self.client.post("/v1/calls", json=body, headers=self.auth("rsc-admin"))
        assert response.status_code == 201, response.text
        return response.json()

    def new_draft(self) -> str:
        body = {"call_id": self.call_id, "content": complete_content(self.questionnaire)}
        response = self.client.post("/v1/proposals", json=body, headers=self.auth("applicant-a"))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def new_submitted(self) -> str:
        pid = self.new_draft()
        response = self.client.post(f"/v1/proposals/{pid}/submit", headers=self.auth("applicant-a"))
        assert response.status_code == 201, response.text
        return pid

    def new_information_request(self) -> tuple[str, str]:
        """A submitted proposal of A with an open information request (as appraisal's event makes it)."""
        pid, request_id = self.new_submitted(), uuid.uuid4()
        data = AppraisalInformationRequested(
            proposal_id=pid,
            version=1,
            request_id=request_id,
            message="Who controls partner 2?",
            due_at=utcnow() + timedelta(days=10),
            requested_at=utcnow(),
        )
        envelope = EventEnvelope(type=data.event_type, schema_version=1, source="t", subject="s",
                                 data=data.model_dump(mode="json"))  # fmt: skip
        with Session(self.engine) as session:
            on_information_requested(session, envelope, data)
            session.commit()
        return pid, str(request_id)

    def new_safeguarded(self) -> str:
        """A submitted proposal of A with a proposed safeguard measure (as appraisal's event makes it)."""
        pid = self.new_submitted()
        terms = SafeguardMeasureTerms(measure_id=MEASURE, title="Training", owner="coordinator",
                                      due_at=utcnow() + timedelta(days=30), evidence_required="attendance list",
                                      status="proposed")  # fmt: skip
        data = SafeguardsProposed(case_id=uuid.uuid4(), proposal_id=pid, version=1, measures=[terms],
                                  proposed_at=utcnow())  # fmt: skip
        envelope = EventEnvelope(type=data.event_type, schema_version=1, source="t", subject="s",
                                 data=data.model_dump(mode="json"))  # fmt: skip
        with Session(self.engine) as session:
            on_safeguards_proposed(session, envelope, data)
            session.commit()
        return pid

    def upload(self, pid: str) -> str:
        response = self.client.post(
            f"/v1/proposals/{pid}/attachments",
            data={"kind": "other"},
            files={"file": ("tiny.pdf", PDF, "application/pdf")},
            headers=self.auth("applicant-a"),
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def etag(self, path: str, user: str = "applicant-a") -> str:
        response = self.client.get(path, headers=self.auth(user))
        assert response.status_code == 200, response.text
        return response.headers["etag"]

    # --- what a refused request must not change ----------------------------------------------

    def fingerprint(self) -> dict[str, str]:
        """A digest of every table's rows, and of the attachment storage."""
        with self.engine.connect() as conn:
            tables = list(conn.execute(text(TABLES)).scalars())
            digest = {t: conn.execute(text(TABLE_DIGEST.format(table=t))).scalar_one() for t in tables}
        storage = self.client.app.state.settings.attachments.dir
        files = sorted(str(p.relative_to(storage)) for p in Path(storage).rglob("*") if p.is_file())
        digest["attachment storage"] = hashlib.sha256("\n".join(files).encode()).hexdigest()
        return digest


# ----------------------------------------------------------------------- requests, row by row


def listing_check(world: World, user: str) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        items = response.json()["items"]
        ids = {p["id"] for p in items}
        if user == "applicant-b":
            assert not ids & {world.draft, world.submitted, world.requested}, "B lists A's proposals"
            assert all(p["organisation_id"] == ORG_B for p in items)
        else:
            assert {world.draft, world.submitted, world.requested} <= ids

    return check


def listing(world: World, user: str) -> Request:
    return Request("/v1/proposals?limit=200", check=listing_check(world, user))


def profile_body(world: World, user: str) -> Request:
    """Each organisation's own current profile, sent back unchanged (A's for everyone else)."""
    owner = user if user in ("applicant-a", "applicant-b") else "applicant-a"
    mine = world.client.get("/v1/organisations/mine", headers=world.auth(owner))
    return Request("/v1/organisations/mine/profile", json=mine.json()["profile"],
                   headers={"If-Match": mine.headers["etag"]})  # fmt: skip


def publish(world: World, _user: str) -> Request:
    return Request(f"/v1/calls/{world.publish_call_id}/questionnaires",
                   json={"definition": world.questionnaire["definition"]})  # fmt: skip


def new_call_body(world: World, _user: str) -> Request:
    now = utcnow().replace(microsecond=0)
    return Request("/v1/calls", json={
        "programme_id": world.programme_id, "identifier": f"MATRIX-{uuid.uuid4().hex[:10]}", "title": "Matrix call",
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=9)).isoformat(),
    })  # fmt: skip


def replace_content(world: World, _user: str) -> Request:
    pid = world.new_draft()
    content = complete_content(world.questionnaire, title="Edited by whoever may")
    return Request(f"/v1/proposals/{pid}/content", json=content,
                   headers={"If-Match": world.etag(f"/v1/proposals/{pid}")},
                   check=lambda r: expect(r.json()["title"] == "Edited by whoever may"))  # fmt: skip


def respond(world: World, _user: str) -> Request:
    pid, request_id = world.new_information_request()
    return Request(f"/v1/proposals/{pid}/information-requests/{request_id}/response",
                   json={"response": "A university."},
                   check=lambda r: expect(r.json()["response"] == "A university." and r.json()["responded_at"]))  # fmt: skip


def safeguard_response(world: World, _user: str) -> Request:
    pid = world.new_safeguarded()

    def check(response: httpx.Response) -> None:
        assert (response.json()["kind"], response.json()["measure_status"]) == ("accept", "accepted")
        shown = world.client.get(f"/v1/proposals/{pid}/safeguards", headers=world.auth("applicant-a")).json()
        [measure] = shown["measures"]
        assert measure["status"] == "accepted"

    return Request(f"/v1/proposals/{pid}/safeguards/{MEASURE}/responses", json={"kind": "accept", "text": "We accept."},
                   check=check)  # fmt: skip


def upload(world: World, _user: str) -> Request:
    return Request(f"/v1/proposals/{world.new_draft()}/attachments", data={"kind": "other"},
                   files={"file": ("tiny.pdf", PDF, "application/pdf")},
                   check=lambda r: expect(r.json()["size_bytes"] == len(PDF) and r.json()["kind"] == "other"))  # fmt: skip


def delete_attachment(world: World, _user: str) -> Request:
    pid = world.new_draft()
    path_ = f"/v1/proposals/{pid}/attachments/{world.upload(pid)}"

    def check(_response: httpx.Response) -> None:
        assert world.client.get(path_, headers=world.auth("applicant-a")).status_code == 404

    return Request(path_, check=check)


def download(world: World, _user: str) -> Request:
    def check(response: httpx.Response) -> None:
        assert response.content == PDF
        assert response.headers["content-type"] == "application/pdf"

    return Request(f"/v1/proposals/{world.draft}/attachments/{world.attachment}/content", check=check)


def create_proposal(world: World, user: str) -> Request:
    def check(response: httpx.Response) -> None:
        assert response.json()["organisation_id"] == {"applicant-a": ORG_A, "applicant-b": ORG_B}[user]
        assert response.json()["status"] == "draft"

    return Request("/v1/proposals", json={"call_id": world.call_id, "content": complete_content(world.questionnaire)},
                   check=check)  # fmt: skip


def mine(world: World, user: str) -> Request:
    def check(response: httpx.Response) -> None:
        assert response.json()["id"] == {"applicant-a": ORG_A, "applicant-b": ORG_B}[user]

    return Request("/v1/organisations/mine", check=check)


def read_proposal(world: World, _user: str) -> Request:
    def check(response: httpx.Response) -> None:
        assert response.json()["organisation_id"] == ORG_A

    return Request(f"/v1/proposals/{world.draft}", check=check)


Build = Callable[[World, str], Request]


def path(template: str) -> Build:
    """A request without a body: the template's ids filled in from the shared objects."""

    def build(world: World, _user: str) -> Request:
        return Request(template.format(
            call_id=world.call_id, version=1, organisation_id=ORG_A, from_version=1, to_version=1,
            draft=world.draft, submitted=world.submitted, requested=world.requested,
            attachment=world.attachment, safeguarded=world.safeguarded,
        ))  # fmt: skip

    return build


def body(template: str, make: Callable[[World], Any]) -> Build:
    return lambda world, _user: Request(template, json=make(world))


def on_fresh(template: str, make: Callable[[World], str], json: Any = None, *, status: str) -> Build:
    """A write on an object of its own (`make` creates it), so that an allowed write changes nothing shared;
    once allowed, the proposal is in `status`."""

    def build(world: World, _user: str) -> Request:
        pid = make(world)

        def check(_response: httpx.Response) -> None:
            now = world.client.get(f"/v1/proposals/{pid}", headers=world.auth("applicant-a")).json()["status"]
            assert now == status

        return Request(template.format(pid=pid), json=json, check=check)

    return build


def expect(condition: object) -> None:
    assert condition


# ------------------------------------------------------------------------ the request per row

P = "/v1/proposals/{proposal_id}"
REQUESTS: dict[tuple[str, str], Build] = {
    ("GET", "/healthz"): path("/healthz"),
    ("GET", "/readyz"): path("/readyz"),
    ("GET", "/v1/programmes"): path("/v1/programmes"),
    ("POST", "/v1/programmes"): body(
        "/v1/programmes", lambda w: {"name": f"Matrix {uuid.uuid4()}", "funder": "Matrix"}
    ),
    ("GET", "/v1/calls"): path("/v1/calls"),
    ("POST", "/v1/calls"): new_call_body,
    ("GET", "/v1/calls/{call_id}"): path("/v1/calls/{call_id}"),
    ("GET", "/v1/calls/{call_id}/questionnaire"): path("/v1/calls/{call_id}/questionnaire"),
    ("GET", "/v1/calls/{call_id}/questionnaires/{version}"): path("/v1/calls/{call_id}/questionnaires/{version}"),
    ("POST", "/v1/calls/{call_id}/questionnaires"): publish,
    ("GET", "/v1/organisations/mine"): mine,
    ("PUT", "/v1/organisations/mine/profile"): profile_body,
    ("GET", "/v1/organisations/{organisation_id}"): path("/v1/organisations/{organisation_id}"),
    ("POST", "/v1/proposals"): create_proposal,
    ("GET", "/v1/proposals"): listing,
    ("GET", P): read_proposal,
    ("PUT", P + "/content"): replace_content,
    ("POST", P + "/submit"): on_fresh("/v1/proposals/{pid}/submit", World.new_draft, status="submitted"),
    ("POST", P + "/withdraw"): on_fresh(
        "/v1/proposals/{pid}/withdraw", World.new_draft, {"reason": "Changed"}, status="withdrawn"
    ),
    ("GET", P + "/versions"): path("/v1/proposals/{submitted}/versions"),
    ("GET", P + "/versions/{version}"): path("/v1/proposals/{submitted}/versions/{version}"),
    ("GET", P + "/versions/{from_version}/diff/{to_version}"): path(
        "/v1/proposals/{submitted}/versions/{from_version}/diff/{to_version}"
    ),
    ("GET", P + "/history"): path("/v1/proposals/{submitted}/history"),
    ("GET", P + "/information-requests"): path("/v1/proposals/{requested}/information-requests"),
    ("POST", P + "/information-requests/{request_id}/response"): respond,
    ("GET", P + "/safeguards"): path("/v1/proposals/{safeguarded}/safeguards"),
    ("POST", P + "/safeguards/{measure_id}/responses"): safeguard_response,
    ("POST", P + "/attachments"): upload,
    ("GET", P + "/attachments"): path("/v1/proposals/{draft}/attachments"),
    ("GET", P + "/attachments/{attachment_id}"): path("/v1/proposals/{draft}/attachments/{attachment}"),
    ("DELETE", P + "/attachments/{attachment_id}"): delete_attachment,
    ("GET", P + "/attachments/{attachment_id}/content"): download,
}

# ---------------------------------------------------------------------------------- the table

# fmt: off
TABLE = [
    # method    path template                                       anon  app-a    app-b    officer  adviser  auditor  reporter admin    no-role
    ("GET",    "/healthz",                                          OK,   OK,      OK,      OK,      OK,      OK,      OK,      OK,      OK),
    ("GET",    "/readyz",                                           OK,   OK,      OK,      OK,      OK,      OK,      OK,      OK,      OK),
    ("GET",    "/v1/programmes",                                    U,    OK,      OK,      OK,      OK,      OK,      OK,      OK,      OK),
    ("POST",   "/v1/programmes",                                    U,    F,       F,       F,       F,       F,       F,       CREATED, F),
    ("GET",    "/v1/calls",                                         U,    OK,      OK,      OK,      OK,      OK,      OK,      OK,      OK),
    ("POST",   "/v1/calls",                                         U,    F,       F,       F,       F,       F,       F,       CREATED, F),
    ("GET",    "/v1/calls/{call_id}",                               U,    OK,      OK,      OK,      OK,      OK,      OK,      OK,      OK),
    ("GET",    "/v1/calls/{call_id}/questionnaire",                 U,    OK,      OK,      OK,      OK,      OK,      OK,      OK,      OK),
    ("GET",    "/v1/calls/{call_id}/questionnaires/{version}",      U,    OK,      OK,      OK,      OK,      OK,      OK,      OK,      OK),
    ("POST",   "/v1/calls/{call_id}/questionnaires",                U,    F,       F,       F,       F,       F,       F,       CREATED, F),
    ("GET",    "/v1/organisations/mine",                            U,    OK,      OK,      NO_ORG,  NO_ORG,  NO_ORG,  NO_ORG,  NO_ORG,  NO_ORG),
    ("PUT",    "/v1/organisations/mine/profile",                    U,    OK,      OK,      F,       F,       F,       F,       F,       F),
    ("GET",    "/v1/organisations/{organisation_id}",               U,    OK,      H,       OK,      OK,      OK,      H,       OK,      H),
    ("POST",   "/v1/proposals",                                     U,    CREATED, CREATED, F,       F,       F,       F,       F,       F),
    ("GET",    "/v1/proposals",                                     U,    OK,      OK,      OK,      OK,      OK,      F,       F,       F),
    ("GET",    P,                                                   U,    OK,      H,       OK,      OK,      OK,      F,       F,       F),
    ("PUT",    P + "/content",                                      U,    OK,      H,       F,       F,       F,       F,       F,       F),
    ("POST",   P + "/submit",                                       U,    CREATED, H,       F,       F,       F,       F,       F,       F),
    ("POST",   P + "/withdraw",                                     U,    OK,      H,       F,       F,       F,       F,       F,       F),
    ("GET",    P + "/versions",                                     U,    OK,      H,       OK,      OK,      OK,      F,       F,       F),
    ("GET",    P + "/versions/{version}",                           U,    OK,      H,       OK,      OK,      OK,      F,       F,       F),
    ("GET",    P + "/versions/{from_version}/diff/{to_version}",    U,    OK,      H,       OK,      OK,      OK,      F,       F,       F),
    ("GET",    P + "/history",                                      U,    OK,      H,       OK,      OK,      OK,      F,       F,       F),
    ("GET",    P + "/information-requests",                         U,    OK,      H,       OK,      OK,      OK,      F,       F,       F),
    ("POST",   P + "/information-requests/{request_id}/response",   U,    OK,      H,       F,       F,       F,       F,       F,       F),
    ("GET",    P + "/safeguards",                                   U,    OK,      H,       OK,      OK,      OK,      F,       F,       F),
    ("POST",   P + "/safeguards/{measure_id}/responses",            U,    ACCEPTED, H,      F,       F,       F,       F,       F,       F),
    # Attachments check access in the service, not with a role dependency: who may not read
    # proposals at all (reporter, admin, no role) gets the need-to-know 404 there, not a 403.
    ("POST",   P + "/attachments",                                  U,    CREATED, H,       F,       F,       F,       H,       H,       H),
    ("GET",    P + "/attachments",                                  U,    OK,      H,       OK,      OK,      OK,      H,       H,       H),
    ("GET",    P + "/attachments/{attachment_id}",                  U,    OK,      H,       OK,      OK,      OK,      H,       H,       H),
    ("DELETE", P + "/attachments/{attachment_id}",                  U,    GONE,    H,       F,       F,       F,       H,       H,       H),
    ("GET",    P + "/attachments/{attachment_id}/content",          U,    OK,      H,       OK,      OK,      OK,      H,       H,       H),
]
# fmt: on

EXPECTED: dict[tuple[str, str], dict[str, Outcome]] = {}
for _method, _template, *_outcomes in TABLE:
    assert len(_outcomes) == len(USERS), f"{_method} {_template}: {len(_outcomes)} outcomes for {len(USERS)} users"
    assert (_method, _template) not in EXPECTED, f"{_method} {_template} is in the table twice"
    EXPECTED[(_method, _template)] = dict(zip(USERS, _outcomes, strict=True))

CELLS = [
    pytest.param(method, template, user, id=f"{method} {template} as {user}")
    for method, template in EXPECTED
    for user in USERS
]


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with migrated_engine(MIGRATIONS) as engine:
        seed(None, engine)
        yield engine


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    # Fresh tokens (they live 15 minutes; `token_for` caches them for the whole session).
    return {user: token_for.__wrapped__(user) for user in USERS if user != ANON}


@pytest.fixture(scope="module")
def client(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_for(IntakeSettings, engine.url.render_as_string(hide_password=False))
    storage = tmp_path_factory.mktemp("matrix-attachments")
    settings.attachments = AttachmentSettings(dir=storage, spool_dir=storage / ".spool")
    with TestClient(build_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def world(client: TestClient, engine: Engine, tokens: dict[str, str]) -> World:
    return World(client, engine, tokens)


# ------------------------------------------------------------------------------------ the tests


def test_the_table_covers_every_operation(client: TestClient) -> None:
    """Every operation the app serves has a row (and a request), and every row is an operation it serves."""
    served = {
        (method.upper(), template)
        for template, operations in client.app.openapi()["paths"].items()
        for method in operations
        if method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    }
    missing = sorted(served - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - served)
    assert not missing, f"add these operations to the authorization table, role by role: {missing}"
    assert not stale, f"these rows name operations the app no longer serves: {stale}"
    assert REQUESTS.keys() == EXPECTED.keys(), "every row needs a request (REQUESTS) and expectations (TABLE)"


def assert_outcome(response: httpx.Response, expected: Outcome, cell: str) -> None:
    got = f"{cell}: expected {expected}, got {response.status_code} {response.text[:300]}"
    assert response.status_code == expected.status, got
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM_JSON), got
        problem = response.json()
        assert problem["status"] == response.status_code, got
        if expected.slug:
            assert problem["type"].endswith("/" + expected.slug), got
    if expected is UNAUTH:
        assert response.headers.get("www-authenticate", "").startswith("Bearer"), got


def _without_ids(text_: str) -> str:
    return UUID.sub("<id>", text_)


def assert_indistinguishable_from_a_missing_object(
    world: World, method: str, request: Request, user: str, hidden: httpx.Response
) -> None:
    """The need-to-know 404 tells nothing a request for an object that does not exist would not."""
    missing_path = UUID.sub(lambda _: str(uuid.uuid4()), request.path)
    missing = world.client.request(method, missing_path, json=request.json, data=request.data, files=request.files,
                                   headers={**world.auth(user), **request.headers})  # fmt: skip
    assert missing.status_code == 404, f"{method} {missing_path} as {user}: {missing.status_code} {missing.text}"
    keep = ("type", "title", "status", "detail", "errors")
    seen, expected = hidden.json(), missing.json()
    assert {k: _without_ids(str(seen.get(k))) for k in keep} == {k: _without_ids(str(expected.get(k))) for k in keep}
    assert set(seen) == set(expected), "the hidden object's 404 has other fields than a missing one's"


@pytest.mark.parametrize(("method", "template", "user"), CELLS)
def test_cell(world: World, method: str, template: str, user: str) -> None:
    expected = EXPECTED[(method, template)][user]
    request = REQUESTS[(method, template)](world, user)
    before = world.fingerprint() if expected.refused else None

    response = world.client.request(
        method,
        request.path,
        json=request.json,
        data=request.data,
        files=request.files,
        headers={**world.auth(user), **request.headers},
    )

    cell = f"{method} {request.path} as {user}"
    assert_outcome(response, expected, cell)
    if expected is HIDDEN:
        assert_indistinguishable_from_a_missing_object(world, method, request, user, response)
    if before is not None:
        after = world.fingerprint()
        changed = sorted(t for t in before if before[t] != after[t])
        assert not changed, f"{cell} was refused ({response.status_code}) but changed {changed}"
    elif request.check is not None and response.is_success:
        request.check(response)


def test_applicant_b_is_refused_every_object_of_organisation_a_with_404() -> None:
    """Across the table: every operation naming one of A's objects is B's need-to-know 404, never a 403."""
    for (method, template), by_user in EXPECTED.items():
        if "{proposal_id}" in template or "{organisation_id}" in template:
            assert by_user["applicant-b"] is HIDDEN, f"{method} {template}: B must get the need-to-know 404"


def test_no_staff_role_may_change_a_proposal() -> None:
    """Across the table: no write on a proposal (or its attachments) is allowed to anyone but an applicant."""
    non_applicants = [u for u in USERS if u not in ("applicant-a", "applicant-b")]
    for (method, template), by_user in EXPECTED.items():
        if method != "GET" and template.startswith("/v1/proposals"):
            allowed = [u for u in non_applicants if not by_user[u].refused]
            assert not allowed, f"{method} {template} is allowed to {allowed}"


def test_organisation_a_sees_nothing_of_organisation_b(world: World) -> None:
    """The other way round: B's draft and B's organisation are invisible to A."""
    content = complete_content(world.questionnaire)
    created = world.client.post("/v1/proposals", json={"call_id": world.call_id, "content": content},
                                headers=world.auth("applicant-b"))  # fmt: skip
    assert created.status_code == 201, created.text
    b_draft = created.json()["id"]
    a = world.auth("applicant-a")
    for path_ in (f"/v1/proposals/{b_draft}", f"/v1/proposals/{b_draft}/attachments", f"/v1/organisations/{ORG_B}"):
        response = world.client.get(path_, headers=a)
        assert response.status_code == 404, f"{path_}: {response.status_code}"
    listed = world.client.get("/v1/proposals", params={"limit": 200}, headers=a).json()["items"]
    assert b_draft not in {p["id"] for p in listed}
    assert all(p["organisation_id"] == ORG_A for p in listed)
