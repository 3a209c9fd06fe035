"""Auditor pages: log search (filters, keyset pages, htmx), entry page, export pass-through, verification."""

from __future__ import annotations

import copy
import re

import httpx
import pytest

from tests.portal.pages import FakeApis, portal

PROPOSAL = "a7162b21-2f75-4f40-a05c-6a5ede8bdff2"
ENTRY = {
    "seq": 363402,
    "event_id": "7581057e-b57c-4570-90da-dc414df7c697",
    "occurred_at": "2026-12-06T19:47:36.623912Z",
    "recorded_at": "2026-12-06T19:47:36.694627Z",
    "service": "rsc-appraisal",
    "action": "appraisal.case_changed",
    "actor": "officer-7",
    "subject": PROPOSAL,
    "proposal_id": PROPOSAL,
    "grant_reference": None,
    "organisation_id": None,
    "incident_type": None,
    "severity": None,
    "exercise": False,
    "description": f"appraisal.case_changed by officer-7 on {PROPOSAL}: case decided cleared",
    "details": {"action": "decide", "from_status": "in_review", "to_status": "decided", "proposal_id": PROPOSAL},
    "event_sha256": "69bbf1b595d5f4c45092ea8e611b80ce6f5c0bd037d3489abf58a7d0cee5099d",
    "prev_hash": "4aa6fa3d3f5ac1a86ea544856c8ef444b2c10953b790bb2ee843cf15c2af7a6c",
    "entry_hash": "12bbaf7df1008e9664d2f37c2e0f8f5eb99317a5fe3b64f2c1cc50110da20dc5",
}
HEAD = "20c68d9ff9fa1dbe373e4b0ea417cf75e3bcc5b063a2756b5abf9d90dbf28f08"
INTACT = {
    "intact": True, "entries": 363406, "head_seq": 363406, "head_hash": HEAD, "anchor_ok": None,
    "first_failure": None, "verified_at": "2026-12-06T21:27:01.871508Z", "seconds": 4.124,
}  # fmt: skip


def entries(*seqs: int, next_cursor: int | None = None) -> dict:
    items = []
    for seq in seqs:
        entry = copy.deepcopy(ENTRY)
        entry["seq"] = seq
        items.append(entry)
    return {"items": items, "next_cursor": next_cursor, "order": "desc"}


def api_params(apis: FakeApis, path: str) -> dict[str, str]:
    calls = [r for r in apis.calls if r.url.path == path]
    assert calls, f"no call to {path}"
    return dict(calls[-1].url.params)


def test_search_passes_every_filter_to_the_api_and_lists_the_rows() -> None:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/entries", entries(363402, 363401, next_cursor=363401))
    with portal(["auditor"], apis) as (client, _):
        page = client.get(
            "/audit",
            params={
                "q": "decided", "proposal_id": PROPOSAL, "from": "2026-01-01", "to": "2026-01-31",
                "service": "rsc-appraisal", "action": "appraisal.case_changed", "actor": "officer-7",
                "exercise": "false", "order": "asc", "limit": "25", "severity": "", "grant_reference": "G-1",
            },
        )  # fmt: skip
    assert page.status_code == 200
    sent = api_params(apis, "/v1/audit/entries")
    assert sent == {
        "q": "decided", "proposal_id": PROPOSAL, "from": "2026-01-01T00:00:00Z",
        "to": "2026-02-01T00:00:00Z",  # the form's "to" day is inclusive, the API's `to` exclusive
        "service": "rsc-appraisal", "action": "appraisal.case_changed", "actor": "officer-7",
        "exercise": "false", "order": "asc", "limit": "25", "grant_reference": "G-1",
    }  # fmt: skip
    assert page.text.count('data-testid="audit-row"') == 2
    assert 'data-testid="audit-search"' in page.text
    assert "case decided cleared" in page.text
    assert 'href="/audit/entries/363402"' in page.text
    # the next page keeps the filters and carries the keyset cursor
    next_link = re.search(r'href="([^"]+)" rel="next" data-testid="audit-next"', page.text)
    assert next_link is not None
    assert "cursor=363401" in next_link.group(1)
    assert "q=decided" in next_link.group(1)
    # exports carry the same filters
    assert re.search(r'href="/audit/export\?format=csv&amp;[^"]*q=decided', page.text)


def test_next_page_sends_the_cursor_and_the_last_page_has_no_next_link() -> None:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/entries", entries(100))
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit", params={"q": "decided", "cursor": "363401"})
    assert api_params(apis, "/v1/audit/entries")["cursor"] == "363401"
    assert 'data-testid="audit-next"' not in page.text
    assert "First page" in page.text


def test_every_filter_has_a_visible_label() -> None:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/entries", entries())
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit")
    for field_id in ("audit-q", "audit-proposal-id", "audit-from", "audit-to", "audit-service", "audit-action"):
        assert f'<label for="{field_id}">' in page.text
    assert 'data-testid="audit-empty"' in page.text


def test_a_malformed_id_is_reported_without_asking_the_api() -> None:
    apis = FakeApis()
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit", params={"proposal_id": "not-an-id"})
    assert page.status_code == 422
    assert not apis.calls
    assert 'aria-invalid="true"' in page.text
    assert "Enter an id" in page.text


def test_an_api_validation_error_is_shown_on_the_page() -> None:
    apis = FakeApis()
    apis.on(
        "GET", "monitoring", "/v1/audit/entries",
        httpx.Response(422, json={"title": "Unprocessable Entity", "status": 422,
                                  "detail": "`from` must be before `to`."}),
    )  # fmt: skip
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit", params={"q": "x"})
    assert page.status_code == 200
    assert "`from` must be before `to`." in page.text
    assert 'role="alert"' in page.text


def test_htmx_search_returns_only_the_results_fragment() -> None:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/entries", entries(5))
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit?q=decided", headers={"HX-Request": "true", "HX-Target": "audit-results"})
    assert page.status_code == 200
    assert "<html" not in page.text
    assert page.text.count('data-testid="audit-row"') == 1


@pytest.mark.parametrize(("fmt", "media"), [("csv", "text/csv; charset=utf-8"), ("json", "application/json")])
def test_export_streams_the_api_file_with_its_type_and_name(fmt: str, media: str) -> None:
    body = b"seq,event_id\n1,abc\n" if fmt == "csv" else b'[{"seq":1}]'
    apis = FakeApis()
    apis.on(
        "GET", "monitoring", "/v1/audit/export",
        httpx.Response(200, content=body, headers={"content-type": media,
                                                   "content-disposition": f'attachment; filename="audit-log.{fmt}"'}),
    )  # fmt: skip
    with portal(["auditor"], apis) as (client, _):
        download = client.get("/audit/export", params={"format": fmt, "q": "decided", "proposal_id": PROPOSAL})
    assert download.status_code == 200
    assert download.content == body
    assert download.headers["content-type"] == media
    assert download.headers["content-disposition"] == f'attachment; filename="audit-log.{fmt}"'
    assert api_params(apis, "/v1/audit/export") == {"format": fmt, "q": "decided", "proposal_id": PROPOSAL}


def test_export_refusal_shows_the_error_page() -> None:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/export", httpx.Response(403, json={"title": "Forbidden", "status": 403}))
    with portal(["auditor"], apis) as (client, _):
        download = client.get("/audit/export?format=csv")
    assert download.status_code == 403
    assert "text/html" in download.headers["content-type"]


def test_entry_page_shows_the_change_and_its_neighbours() -> None:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/entries/363402", ENTRY)
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit/entries/363402")
    assert page.status_code == 200
    assert re.search(r'diff-removed">in_review<', page.text)
    assert re.search(r'diff-added">decided<', page.text)
    assert 'href="/audit/entries/363401"' in page.text
    assert 'href="/audit/entries/363403"' in page.text
    assert ENTRY["entry_hash"] in page.text


def test_verification_of_an_intact_chain() -> None:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/verification", INTACT)
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit/verification")
    assert page.status_code == 200
    block = re.search(r'<section[^>]*data-testid="chain-verification"[^>]*>(.*?)</section>', page.text, re.S)
    assert block is not None
    assert 'data-status="intact"' in block.group(0)
    assert "intact" in block.group(1)
    assert "verified" in block.group(1)
    assert "363406" in block.group(1)
    assert HEAD in block.group(1)
    assert "NOT intact" not in page.text


def test_verification_of_a_broken_chain_names_the_failure() -> None:
    broken = {
        **INTACT, "intact": False,
        "first_failure": {"seq": 120, "event_id": ENTRY["event_id"], "kind": "altered",
                          "detail": "entry 120 no longer matches its hash"},
    }  # fmt: skip
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/verification", broken)
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit/verification")
    block = re.search(r'<section[^>]*data-testid="chain-verification"[^>]*>(.*?)</section>', page.text, re.S)
    assert block is not None
    assert 'data-status="altered"' in block.group(0)
    assert "NOT intact" in block.group(1)
    assert "Entry altered" in block.group(1)
    assert "entry 120 no longer matches its hash" in block.group(1)
    assert 'href="/audit/entries/120"' in block.group(1)


def test_verification_with_an_anchor_passes_it_and_shows_a_lost_anchor() -> None:
    lost = {**INTACT, "intact": False, "anchor_ok": False}
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/audit/verification", lost)
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit/verification", params={"anchor_seq": "300000", "anchor_hash": HEAD})
    assert api_params(apis, "/v1/audit/verification") == {"anchor_seq": "300000", "anchor_hash": HEAD}
    assert 'data-status="anchor_mismatch"' in page.text
    assert "no longer has the noted hash" in page.text


def test_half_an_anchor_is_refused_locally() -> None:
    apis = FakeApis()
    with portal(["auditor"], apis) as (client, _):
        page = client.get("/audit/verification", params={"anchor_seq": "5"})
    assert page.status_code == 422
    assert not apis.calls
    assert 'data-testid="chain-verification"' not in page.text


@pytest.mark.parametrize("path", ["/audit", "/audit/export?format=csv", "/audit/verification", "/audit/entries/1"])
def test_pages_are_for_auditors_only(path: str) -> None:
    apis = FakeApis()
    with portal(["case_officer", "reporting_officer"], apis) as (client, _):
        assert client.get(path).status_code == 403
    assert not apis.calls


def test_signed_out_users_are_sent_to_sign_in() -> None:
    with portal(None) as (client, _):
        answer = client.get("/audit")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
