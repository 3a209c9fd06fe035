"""End to end on the real servers: an applicant submits through intake, appraisal's worker screens the
snapshot it receives over Kafka and publishes `appraisal.screened`; a new list version activated
through the API re-screens the open proposals in the worker and publishes the new hit.

The real worker processes run as subprocesses on throw-away databases and their own topic prefix,
so a running `make up` stack is not disturbed."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from rsc_appraisal.watchlists.importers.demo import demo_file
from rsc_common.events import EventEnvelope
from rsc_common.events.topics import APPRAISAL
from rsc_intake.seed import DEMO_CALL_IDENTIFIER
from tests.support.kafka import read_to_end
from tests.support.keycloak import bearer
from tests.support.proposals import answer_all
from tests.support.screening import clean_content, flagged_content
from tests.support.services import intake_and_appraisal
from tests.support.workers import wait_for

A = bearer("applicant-a")
OFFICER = bearer("officer")


def submit(intake: TestClient, content: dict) -> str:
    [call] = [c for c in intake.get("/v1/calls", headers=A).json() if c["identifier"] == DEMO_CALL_IDENTIFIER]
    questionnaire = intake.get(f"/v1/calls/{call['id']}/questionnaire", headers=A).json()
    content["self_assessment"] = {
        "questionnaire_version": questionnaire["version"],
        "answers": answer_all(questionnaire["definition"]),
    }
    created = intake.post("/v1/proposals", json={"call_id": call["id"], "content": content}, headers=A)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    submitted = intake.post(f"/v1/proposals/{pid}/submit", headers={**A, "Idempotency-Key": str(uuid.uuid4())})
    assert submitted.status_code == 201, submitted.text
    return pid


def screenings(appraisal: TestClient, pid: str) -> list[dict]:
    response = appraisal.get(f"/v1/proposals/{pid}/screenings", headers=OFFICER)
    return response.json() if response.status_code == 200 else []


def appraisal_events(prefix: str) -> list[EventEnvelope]:
    return [EventEnvelope.from_bytes(r.value) for r in read_to_end(prefix + APPRAISAL)]


def test_submitted_proposals_are_screened_by_the_worker_and_list_updates_rescreen_them() -> None:
    with intake_and_appraisal() as services:
        prefix, intake, appraisal = services.prefix, services.intake, services.appraisal

        clean = submit(intake, clean_content())
        flagged = submit(intake, flagged_content())
        watched = clean_content()
        watched["partners"][0].update(name="Orion Pulse Dynamics", identifiers={})
        later_listed = submit(intake, watched)

        assert wait_for(lambda: all(screenings(appraisal, p) for p in (clean, flagged, later_listed)), timeout=120)
        assert screenings(appraisal, clean)[0]["level"] == "low"
        assert screenings(appraisal, flagged)[0]["level"] in ("high", "very_high")
        assert screenings(appraisal, later_listed)[0]["level"] == "low"

        def screened() -> dict[str, dict]:
            return {e.subject: e.data for e in appraisal_events(prefix) if e.type == "appraisal.screened"}

        assert wait_for(lambda: {clean, flagged, later_listed} <= set(screened()), timeout=60)
        event = screened()[flagged]
        assert event["level"] in ("high", "very_high")
        assert event["auto_clear"] is False
        assert any(f["category"] == "partner_organisation" for f in event["flags"])
        assert event["policy_version"] == "2026.1"

        # A new version of the funder's watch list lists the partner: the worker re-screens and reports it.
        body = demo_file("demo_funder_watchlist.csv").read_bytes().rstrip(b"\n")
        body += b"\ndemo-wl-9100,Orion Pulse Dynamics AG,,,Company,true,DE,,,,,,mil,test,Listed for the test,,,,,\n"
        imported = appraisal.post(
            "/v1/entity-lists/demo-funder-watchlist/versions",
            params={"format": "watchlist-csv", "version_label": "e2e-2", "title": "Funder list", "source": "e2e"},
            content=body,
            headers={**bearer("rsc-admin"), "Content-Type": "text/csv"},
        )
        assert imported.status_code == 201, imported.text

        def new_hits() -> list[dict]:
            return [e.data for e in appraisal_events(prefix) if e.type == "appraisal.new_list_hit"]

        assert wait_for(lambda: any(h["proposal_id"] == later_listed for h in new_hits()), timeout=120)
        [hit] = [h for h in new_hits() if h["proposal_id"] == later_listed]
        assert hit["entry_id"] == "demo-wl-9100"
        assert hit["organisation_name"] == "Orion Pulse Dynamics"
        latest = screenings(appraisal, later_listed)[0]
        assert latest["trigger"] == "rescreen_list_update"
        assert latest["reference_versions"]["list:demo-funder-watchlist"] == "e2e-2"
        assert not [h for h in new_hits() if h["proposal_id"] in (clean, flagged)]
