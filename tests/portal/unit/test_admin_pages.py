"""Admin pages: programmes, calls, questionnaire versions, reference data (activation, policy upload,
country-profile and entity-list imports): the requests sent and the API's validation errors shown."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import pytest

from tests.portal.pages import FakeApis, csrf, portal

PROGRAMME = {
    "name": "Demo Research Programme", "funder": "Demo National Research Funder", "description": "Grants.",
    "id": "7959aebe-9a23-4bfa-9e9c-588feaa997d0", "created_at": "2026-12-06T12:59:58.356639Z",
}  # fmt: skip
CALL = {
    "identifier": "DEMO-2027-RIA-01", "title": "Trustworthy and secure advanced materials",
    "opens_at": "2026-11-29T12:59:58Z", "closes_at": "2027-03-06T12:59:58Z",
    "id": "9d9868fa-cfa2-4f74-baf1-b4d56e2b9b75", "programme_id": PROGRAMME["id"], "is_open": True,
    "created_at": "2026-12-06T12:59:58.363319Z",
}  # fmt: skip
DEFINITION = {
    "title": "Research-security self-assessment",
    "description": "Answer for the project as a whole.",
    "questions": [
        {"id": "dual_use_items", "text": "Dual-use items?", "help": "", "category": "dual_use",
         "answer_type": "boolean", "options": None, "required": True, "show_if": None},
        {"id": "dual_use_categories", "text": "Which Annex I categories?", "help": "", "category": "dual_use",
         "answer_type": "multi_choice", "options": [{"value": "0", "label": "Category 0"}], "required": True,
         "show_if": {"question": "dual_use_items", "equals": True}},
    ],
}  # fmt: skip
QUESTIONNAIRE = {
    "id": "d2ba738c-6d8b-421d-af2c-b2371fe45ea9", "call_id": CALL["id"], "version": 2,
    "published_at": "2026-12-06T12:59:58.392906Z", "definition": DEFINITION,
}  # fmt: skip
DRAFT_POLICY = {
    "id": "d81519e1-daae-4485-b535-69bfcd7305a4", "kind": "policy", "key": "default", "version_label": "2026.2",
    "status": "draft", "title": "Screening policy 2026.2", "source": "Funder; sources: cr-2024",
    "retrieved_at": None, "review_by": "2026-06-30", "review_overdue": True, "example_data": False,
    "sha256": "31e6195d8b2f2b49c7962fc6f3f7fc7e36f692b2cad92867fdb90313b9752eb3",
    "summary": {"rules": 24}, "imported_by": "rsc-admin", "imported_at": "2026-12-06T13:00:09.859241Z",
    "activated_by": None, "activated_at": None,
}  # fmt: skip
ACTIVE_LIST = {
    **DRAFT_POLICY, "id": "62fe56bb-e072-4941-8144-3d3a151b7dfb", "kind": "entity_list", "key": "demo-ftm-sanctions",
    "version_label": "demo-2025-01", "status": "active", "title": "DEMO sanctions list", "review_by": None,
    "review_overdue": False, "summary": {"format": "ftm-jsonl", "listed": 2, "entries": 4},
    "activated_by": "rsc-appraisal-seed", "activated_at": "2026-12-06T13:00:09.948067Z",
}  # fmt: skip


def problem(detail: str, errors: list[dict]) -> httpx.Response:
    return httpx.Response(
        422, json={"type": "https://rsc.example.org/problems/validation", "title": "Invalid request",
                   "status": 422, "detail": detail, "errors": errors},
        headers={"content-type": "application/problem+json"},
    )  # fmt: skip


def admin_apis() -> FakeApis:
    apis = FakeApis()
    apis.on("GET", "intake", "/v1/programmes", [PROGRAMME])
    apis.on("GET", "intake", "/v1/calls", [CALL])
    apis.on("GET", "intake", f"/v1/calls/{CALL['id']}", CALL)
    apis.on("GET", "intake", f"/v1/calls/{CALL['id']}/questionnaire", QUESTIONNAIRE)
    apis.on("GET", "intake", f"/v1/calls/{CALL['id']}/questionnaires/2", QUESTIONNAIRE)
    apis.on("GET", "appraisal", "/v1/reference-datasets", [DRAFT_POLICY, ACTIVE_LIST])
    return apis


def last(apis: FakeApis, method: str, path: str) -> httpx.Request:
    calls = [r for r in apis.calls if r.method == method and r.url.path == path]
    assert calls, f"no {method} {path}"
    return calls[-1]


def test_the_overview_links_every_area() -> None:
    with portal(["admin"], admin_apis()) as (client, _):
        page = client.get("/admin")
    for href in ("/admin/programmes", "/admin/calls", "/admin/reference-data"):
        assert f'href="{href}"' in page.text


def test_creating_a_programme_posts_json_and_redirects() -> None:
    apis = admin_apis()
    apis.on("POST", "intake", "/v1/programmes", httpx.Response(201, json=PROGRAMME))
    with portal(["admin"], apis) as (client, _):
        page = client.get("/admin/programmes")
        assert "Demo Research Programme" in page.text
        answer = client.post(
            "/admin/programmes",
            data={"csrf_token": csrf(client), "name": " New programme ", "funder": "Funder", "description": "D"},
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/programmes?done=programme"
    assert apis.sent("POST", "/v1/programmes") == [{"name": "New programme", "funder": "Funder", "description": "D"}]


def test_a_refused_programme_shows_the_errors_beside_the_fields() -> None:
    apis = admin_apis()
    apis.on(
        "POST", "intake", "/v1/programmes",
        problem("name: String should have at least 2 characters",
                [{"pointer": "/name", "location": ["body", "name"],
                  "message": "String should have at least 2 characters"}]),
    )  # fmt: skip
    with portal(["admin"], apis) as (client, _):
        page = client.post("/admin/programmes", data={"csrf_token": csrf(client), "name": "X", "funder": "Funder"})
    assert page.status_code == 422
    assert "<code>/name</code>: String should have at least 2 characters" in page.text
    assert 'id="programme-name-error">String should have at least 2 characters' in page.text
    assert 'value="Funder"' in page.text  # what was typed is kept


def test_a_form_without_the_csrf_token_is_refused() -> None:
    apis = admin_apis()
    with portal(["admin"], apis) as (client, _):
        answer = client.post("/admin/programmes", data={"name": "New programme", "funder": "Funder"})
    assert answer.status_code == 403
    assert not [r for r in apis.calls if r.method == "POST"]


def test_the_pages_embed_the_csrf_token_in_their_forms() -> None:
    with portal(["admin"], admin_apis()) as (client, _):
        page = client.get("/admin/reference-data")
        token = csrf(client)
    assert page.text.count(f'name="csrf_token" value="{token}"') >= 4  # activate + three imports


def test_opening_a_call_sends_utc_timestamps_and_goes_to_the_call() -> None:
    apis = admin_apis()
    apis.on("POST", "intake", "/v1/calls", httpx.Response(201, json=CALL))
    with portal(["admin"], apis) as (client, _):
        answer = client.post(
            "/admin/calls",
            data={"csrf_token": csrf(client), "programme_id": PROGRAMME["id"], "identifier": "DEMO-2027-RIA-01",
                  "title": "Trustworthy", "opens_at": "2027-01-10T09:00", "closes_at": "2027-04-01T17:00"},
        )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/admin/calls/{CALL['id']}?done=call"
    assert apis.sent("POST", "/v1/calls") == [
        {"programme_id": PROGRAMME["id"], "identifier": "DEMO-2027-RIA-01", "title": "Trustworthy",
         "opens_at": "2027-01-10T09:00:00Z", "closes_at": "2027-04-01T17:00:00Z"},
    ]  # fmt: skip


def test_a_refused_call_shows_the_api_reason() -> None:
    apis = admin_apis()
    apis.on(
        "POST", "intake", "/v1/calls",
        problem("body: Value error, closes_at must be after opens_at",
                [{"pointer": "/", "location": ["body"], "message": "Value error, closes_at must be after opens_at"}]),
    )  # fmt: skip
    with portal(["admin"], apis) as (client, _):
        page = client.post(
            "/admin/calls",
            data={"csrf_token": csrf(client), "programme_id": PROGRAMME["id"], "identifier": "DEMO-1",
                  "title": "Trustworthy", "opens_at": "2027-04-10T09:00", "closes_at": "2027-04-01T17:00"},
        )  # fmt: skip
    assert page.status_code == 422
    assert "closes_at must be after opens_at" in page.text
    assert 'value="DEMO-1"' in page.text


def test_a_call_page_lists_the_questionnaire_versions() -> None:
    with portal(["admin"], admin_apis()) as (client, _):
        page = client.get(f"/admin/calls/{CALL['id']}")
        version = client.get(f"/admin/calls/{CALL['id']}/questionnaires/2")
    assert page.status_code == 200
    for v in (1, 2):
        assert f'href="/admin/calls/{CALL["id"]}/questionnaires/{v}"' in page.text
    assert version.status_code == 200
    assert "<code>dual_use_categories</code>" in version.text
    assert "Category 0" in version.text


def test_publishing_a_pasted_yaml_definition_wraps_it_for_the_api() -> None:
    apis = admin_apis()
    apis.on("POST", "intake", f"/v1/calls/{CALL['id']}/questionnaires", httpx.Response(201, json=QUESTIONNAIRE))
    yaml_text = "title: Research-security self-assessment\nquestions:\n  - id: q1\n    text: Dual use?\n" \
                "    category: dual_use\n    answer_type: boolean\n"  # fmt: skip
    with portal(["admin"], apis) as (client, _):
        answer = client.post(
            f"/admin/calls/{CALL['id']}/questionnaires",
            data={"csrf_token": csrf(client), "definition_text": yaml_text},
            files={"definition_file": ("", b"", "application/octet-stream")},
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/admin/calls/{CALL['id']}/questionnaires/2?done=questionnaire"
    body = apis.sent("POST", f"/v1/calls/{CALL['id']}/questionnaires")[0]
    assert body == {"definition": {"title": "Research-security self-assessment", "questions": [
        {"id": "q1", "text": "Dual use?", "category": "dual_use", "answer_type": "boolean"}]}}  # fmt: skip


def test_publishing_a_json_file_that_already_has_a_definition_field() -> None:
    apis = admin_apis()
    apis.on("POST", "intake", f"/v1/calls/{CALL['id']}/questionnaires", httpx.Response(201, json=QUESTIONNAIRE))
    with portal(["admin"], apis) as (client, _):
        client.post(
            f"/admin/calls/{CALL['id']}/questionnaires",
            data={"csrf_token": csrf(client), "definition_text": ""},
            files={"definition_file": ("q.json", json.dumps({"definition": DEFINITION}).encode(), "application/json")},
        )
    assert apis.sent("POST", f"/v1/calls/{CALL['id']}/questionnaires") == [{"definition": DEFINITION}]


def test_an_unreadable_definition_is_reported_without_asking_the_api() -> None:
    apis = admin_apis()
    with portal(["admin"], apis) as (client, _):
        page = client.post(
            f"/admin/calls/{CALL['id']}/questionnaires",
            data={"csrf_token": csrf(client), "definition_text": "{not json"},
        )
    assert page.status_code == 422
    assert "neither valid JSON nor valid YAML" in page.text
    assert "{not json" in page.text  # the pasted text is kept
    assert not [r for r in apis.calls if r.method == "POST"]


def test_a_refused_questionnaire_lists_the_json_pointers() -> None:
    apis = admin_apis()
    apis.on(
        "POST", "intake", f"/v1/calls/{CALL['id']}/questionnaires",
        problem("definition.questions.1: Value error, question 'b': a multi_choice question needs options", [
            {"pointer": "/definition/questions/1",
             "message": "Value error, question 'b': a multi_choice question needs options"},
            {"pointer": "/definition/title", "message": "Field required"},
        ]),
    )  # fmt: skip
    with portal(["admin"], apis) as (client, _):
        page = client.post(
            f"/admin/calls/{CALL['id']}/questionnaires",
            data={"csrf_token": csrf(client), "definition_text": '{"questions": []}'},
        )
    assert page.status_code == 422
    assert "<code>/definition/questions/1</code>: Value error, question &#39;b&#39;" in page.text
    assert "<code>/definition/title</code>: Field required" in page.text


def test_reference_data_shows_versions_status_and_review_dates() -> None:
    with portal(["admin"], admin_apis()) as (client, _):
        page = client.get("/admin/reference-data")
    assert page.status_code == 200
    assert 'data-status="draft"' in page.text
    assert 'data-status="active"' in page.text
    assert "2026-06-30" in page.text
    assert "review overdue" in page.text
    assert page.text.count('data-testid="dataset-activate"') == 1  # only the draft can be activated
    for field_id in ("policy-file", "profiles-file", "profiles-version", "list-file", "list-key", "list-format"):
        assert f'<label for="{field_id}">' in page.text


def test_activating_a_version_posts_and_redirects() -> None:
    apis = admin_apis()
    path = f"/v1/reference-datasets/{DRAFT_POLICY['id']}/activate"
    apis.on("POST", "appraisal", path, {**DRAFT_POLICY, "status": "active"})
    with portal(["admin"], apis) as (client, _):
        answer = client.post(f"/admin/reference-data/{DRAFT_POLICY['id']}/activate", data={"csrf_token": csrf(client)})
        page = client.get(answer.headers["location"])
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/reference-data?done=activated&version=2026.2"
    assert last(apis, "POST", path)
    assert "Version 2026.2 is now active." in page.text


def test_a_policy_upload_sends_the_raw_document_with_its_type() -> None:
    apis = admin_apis()
    apis.on(
        "POST", "appraisal", "/v1/policies", httpx.Response(201, json={**DRAFT_POLICY, "document": {}, "warnings": []})
    )
    document = b"version: 2026.2\ntitle: Screening policy\n"
    with portal(["admin"], apis) as (client, _):
        answer = client.post(
            "/admin/policies",
            data={"csrf_token": csrf(client), "policy_format": ""},
            files={"policy_file": ("policy.yaml", document, "application/octet-stream")},
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/reference-data?done=policy&version=2026.2"
    sent = last(apis, "POST", "/v1/policies")
    assert sent.content == document
    assert sent.headers["content-type"] == "application/yaml"


def test_a_pasted_json_policy_is_sent_as_json() -> None:
    apis = admin_apis()
    apis.on(
        "POST", "appraisal", "/v1/policies", httpx.Response(201, json={**DRAFT_POLICY, "document": {}, "warnings": []})
    )
    with portal(["admin"], apis) as (client, _):
        client.post("/admin/policies", data={"csrf_token": csrf(client), "policy_text": '{"version": "x"}'})
    sent = last(apis, "POST", "/v1/policies")
    assert sent.headers["content-type"] == "application/json"
    assert sent.content == b'{"version": "x"}'


def test_a_refused_policy_lists_each_problem_with_its_place() -> None:
    apis = admin_apis()
    apis.on(
        "POST", "appraisal", "/v1/policies",
        problem("the policy was not loaded: 2 problem(s)", [
            {"location": "rules[3].when.field", "line": 41, "message": "unknown field 'partner.colour'"},
            {"location": "review_by", "line": None, "message": "must be a date"},
        ]),
    )  # fmt: skip
    with portal(["admin"], apis) as (client, _):
        page = client.post("/admin/policies", data={"csrf_token": csrf(client), "policy_text": "version: x\n"})
    assert page.status_code == 422
    assert "the policy was not loaded: 2 problem(s)" in page.text
    assert "<code>rules[3].when.field (line 41)</code>: unknown field &#39;partner.colour&#39;" in page.text
    assert "<code>review_by</code>: must be a date" in page.text
    assert "version: x" in page.text  # the pasted policy is kept


def test_a_policy_upload_needs_a_file_or_text() -> None:
    apis = admin_apis()
    with portal(["admin"], apis) as (client, _):
        page = client.post("/admin/policies", data={"csrf_token": csrf(client), "policy_text": "  "})
    assert page.status_code == 422
    assert "Choose a file." in page.text
    assert not [r for r in apis.calls if r.method == "POST"]


def test_country_profiles_are_imported_as_csv_with_their_labels() -> None:
    apis = admin_apis()
    created = {**DRAFT_POLICY, "kind": "country_profiles", "version_label": "2027.1", "document": {}, "warnings": []}
    apis.on("POST", "appraisal", "/v1/country-profiles", httpx.Response(201, json=created))
    csv_body = b"iso2,name,eu_member_state\nFR,France,true\n"
    with portal(["admin"], apis) as (client, _):
        answer = client.post(
            "/admin/country-profiles",
            data={"csrf_token": csrf(client), "version_label": "2027.1", "source": "National list 2027",
                  "example_data": "true"},
            files={"profiles_file": ("profiles.csv", csv_body, "text/csv")},
        )  # fmt: skip
    assert answer.status_code == 303
    sent = last(apis, "POST", "/v1/country-profiles")
    assert sent.content == csv_body
    assert sent.headers["content-type"] == "text/csv"
    assert parse_qs(sent.url.query.decode()) == {
        "version_label": ["2027.1"], "source": ["National list 2027"], "example_data": ["true"],
    }  # fmt: skip


def test_country_profiles_need_their_labels() -> None:
    apis = admin_apis()
    with portal(["admin"], apis) as (client, _):
        page = client.post(
            "/admin/country-profiles",
            data={"csrf_token": csrf(client), "version_label": "", "source": ""},
            files={"profiles_file": ("profiles.csv", b"iso2\nFR\n", "text/csv")},
        )
    assert page.status_code == 422
    assert 'id="profiles-version-error">This field is required.' in page.text
    assert not [r for r in apis.calls if r.method == "POST"]


def test_an_entity_list_version_goes_to_its_list_with_format_and_options() -> None:
    apis = admin_apis()
    apis.on("POST", "appraisal", "/v1/entity-lists/eu-fsf/versions", httpx.Response(201, json=ACTIVE_LIST))
    xml = b"<export><sanctionEntity/></export>"
    with portal(["admin"], apis) as (client, _):
        answer = client.post(
            "/admin/entity-lists",
            data={"csrf_token": csrf(client), "list_key": "eu-fsf", "list_format": "eu-fsf-xml",
                  "version_label": "2026-12-01", "title": "EU financial sanctions", "source": "FISMA",
                  "list_kind": "sanctions"},
            files={"list_file": ("fsf.xml", xml, "application/xml")},
        )  # fmt: skip
    assert answer.status_code == 303
    sent = last(apis, "POST", "/v1/entity-lists/eu-fsf/versions")
    assert sent.content == xml
    assert sent.headers["content-type"] == "application/xml"
    assert parse_qs(sent.url.query.decode()) == {
        "format": ["eu-fsf-xml"], "version_label": ["2026-12-01"], "title": ["EU financial sanctions"],
        "source": ["FISMA"], "kind": ["sanctions"], "activate": ["false"],  # the box was not ticked
    }  # fmt: skip


def test_a_refused_entity_list_shows_the_api_errors_in_its_form() -> None:
    apis = admin_apis()
    apis.on(
        "POST", "appraisal", "/v1/entity-lists/watch/versions",
        problem("the list was not imported", [{"location": "row 3", "line": 3, "message": "name is empty"}]),
    )  # fmt: skip
    with portal(["admin"], apis) as (client, _):
        page = client.post(
            "/admin/entity-lists",
            data={"csrf_token": csrf(client), "list_key": "watch", "list_format": "watchlist-csv",
                  "version_label": "v2", "title": "Watch list", "source": "Funder", "activate": "true"},
            files={"list_file": ("w.csv", b"name\n\n", "text/csv")},
        )  # fmt: skip
    assert page.status_code == 422
    assert "<code>row 3 (line 3)</code>: name is empty" in page.text
    assert parse_qs(last(apis, "POST", "/v1/entity-lists/watch/versions").url.query.decode())["activate"] == ["true"]


def test_a_bad_list_key_is_refused_locally() -> None:
    apis = admin_apis()
    with portal(["admin"], apis) as (client, _):
        page = client.post(
            "/admin/entity-lists",
            data={"csrf_token": csrf(client), "list_key": "../x", "list_format": "watchlist-csv",
                  "version_label": "v2", "title": "Watch list", "source": "Funder"},
            files={"list_file": ("w.csv", b"name\nACME\n", "text/csv")},
        )  # fmt: skip
    assert page.status_code == 422
    assert 'id="list-key-error"' in page.text
    assert not [r for r in apis.calls if r.method == "POST"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/admin"), ("GET", "/admin/calls"), ("GET", "/admin/reference-data"), ("POST", "/admin/policies")],
)
def test_pages_are_for_admins_only(method: str, path: str) -> None:
    apis = admin_apis()
    with portal(["case_officer", "auditor"], apis) as (client, _):
        data = {"csrf_token": csrf(client), "policy_text": "x"} if method == "POST" else None
        assert client.request(method, path, data=data).status_code == 403
    assert not apis.calls
