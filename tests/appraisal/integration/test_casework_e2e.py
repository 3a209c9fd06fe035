"""End to end on the real servers (PostgreSQL, Kafka, Temporal, Keycloak) with the real intake and
appraisal worker processes: a clean proposal is cleared automatically; a red-flagged one becomes a case,
the officer requests information (the SLA clock pauses), the applicant answers through intake, officer
and adviser clear it with safeguards (four-eyes), the applicant accepts through intake, the officer
verifies, the grant is awarded, and every event arrives on Kafka once.

Throw-away databases and a topic prefix of their own; the demo policy variant (auto-clearance allowed
on the example country data) is seeded as `make up` does."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from rsc_common.events import EventEnvelope
from rsc_common.events.topics import APPRAISAL
from tests.appraisal.integration.test_screening_flow import submit
from tests.support.kafka import read_to_end
from tests.support.keycloak import bearer
from tests.support.screening import clean_content, flagged_content
from tests.support.services import intake_and_appraisal
from tests.support.workers import wait_for

APPLICANT = bearer("applicant-a")
OFFICER = bearer("officer")
ADVISER = bearer("adviser")
TIMEOUT = 120


def case_of(appraisal: TestClient, pid: str) -> dict | None:
    page = appraisal.get("/v1/cases", params={"proposal_id": pid, "include_closed": True}, headers=OFFICER).json()
    return page["items"][0] if page.get("items") else None


def detail(appraisal: TestClient, case_id: str, headers: dict | None = None) -> dict:
    response = appraisal.get(f"/v1/cases/{case_id}", headers=headers or OFFICER)
    assert response.status_code == 200, response.text
    return response.json()


def act(appraisal: TestClient, case_id: str, path: str, body: dict, headers: dict, expected: int = 200) -> dict:
    response = appraisal.post(f"/v1/cases/{case_id}/{path}", json=body, headers=headers)
    assert response.status_code == expected, response.text
    return response.json()


def events(prefix: str) -> list[EventEnvelope]:
    return [EventEnvelope.from_bytes(r.value) for r in read_to_end(prefix + APPRAISAL)]


def test_clean_is_auto_cleared_and_flagged_goes_through_the_whole_casework() -> None:
    with intake_and_appraisal(demo_policy=True) as services:
        prefix, intake, appraisal = services.prefix, services.intake, services.appraisal

        clean = submit(intake, clean_content())
        flagged = submit(intake, flagged_content())

        # proportionality: the clean one is cleared without anybody, and the applicant sees it
        assert wait_for(lambda: (case_of(appraisal, clean) or {}).get("status") == "cleared", timeout=TIMEOUT)
        cleared = case_of(appraisal, clean)
        assert cleared["auto_cleared"] is True
        assert cleared["level"] == "low"
        assert wait_for(
            lambda: intake.get(f"/v1/proposals/{clean}", headers=APPLICANT).json().get("public_status") == "cleared",
            timeout=60,
        )

        # the red-flagged one is a case in the queue, at high risk, with an SLA clock
        assert wait_for(lambda: (case_of(appraisal, flagged) or {}).get("status") == "open", timeout=TIMEOUT)
        case = case_of(appraisal, flagged)
        cid = case["id"]
        assert case["level"] in ("high", "very_high")
        assert wait_for(lambda: case_of(appraisal, flagged)["sla"] is not None, timeout=60)
        queue = appraisal.get("/v1/cases", headers=OFFICER).json()
        assert cid in [c["id"] for c in queue["items"]]
        assert clean not in [c["proposal_id"] for c in queue["items"]]  # cleared cases are not work

        act(appraisal, cid, "claim", {"role": "case_officer"}, OFFICER)
        act(appraisal, cid, "claim", {"role": "security_adviser"}, ADVISER)
        refused = appraisal.post(f"/v1/cases/{cid}/claim", json={"role": "case_officer"}, headers=bearer("officer-2"))
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "use reassignment" in refused.json()["detail"]
        note = act(appraisal, cid, "notes", {"body": "Partner name close to a watch-list entry."}, OFFICER, 201)
        assert note["note_id"]
        assert detail(appraisal, cid, bearer("officer-2"))["notes"] is None  # need-to-know
        assert detail(appraisal, cid, OFFICER)["notes"][0]["body"] == "Partner name close to a watch-list entry."

        # information request: the clock pauses until the applicant answers through intake
        due = (datetime.now(UTC) + timedelta(days=10)).isoformat()
        asked = act(appraisal, cid, "information-requests", {"message": "Who owns the partner?", "due_at": due},
                    OFFICER, 201)  # fmt: skip
        assert wait_for(lambda: case_of(appraisal, flagged)["sla"]["paused"] is True, timeout=60)
        request_id = asked["request_id"]
        assert wait_for(
            lambda: any(r["id"] == request_id for r in
                        intake.get(f"/v1/proposals/{flagged}/information-requests", headers=APPLICANT).json()),
            timeout=60,
        )  # fmt: skip
        answered = intake.post(
            f"/v1/proposals/{flagged}/information-requests/{request_id}/response",
            json={"response": "The partner is owned by a university foundation; no state ownership."},
            headers=APPLICANT,
        )
        assert answered.status_code == 200, answered.text
        assert wait_for(lambda: case_of(appraisal, flagged)["status"] == "in_review", timeout=60)
        assert wait_for(lambda: case_of(appraisal, flagged)["sla"]["paused"] is False, timeout=60)

        # four-eyes clearance with safeguards
        act(appraisal, cid, "appraisal", {
            "summary": "Partner resembles a listed entity; ownership explained; photonics is a critical area.",
            "factors": [
                {"category": "partner_organisation", "level": "high", "rationale": "name close to a listed entity"},
                {"category": "research_domain", "level": "medium", "rationale": "quantum communication"},
            ],
        }, OFFICER)  # fmt: skip
        measure_id = detail(appraisal, cid)["screening"]["safeguards"][0]["measure_id"]
        act(appraisal, cid, "decision", {
            "outcome": "cleared_with_safeguards",
            "reason": "Manageable with compartmentalised access and a partnership-agreement clause.",
            "measures": [{"measure_id": measure_id, "owner": "project coordinator",
                          "due_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                          "evidence_required": "signed clause in the consortium agreement"}],
        }, OFFICER)  # fmt: skip
        same_person = appraisal.post(f"/v1/cases/{cid}/decision/confirm", json={}, headers=OFFICER)
        assert same_person.status_code == 409
        assert "second, different person" in same_person.json()["detail"]
        act(appraisal, cid, "decision/confirm", {"reason": "Agree."}, ADVISER)
        assert case_of(appraisal, flagged)["status"] == "safeguards_pending"

        # the applicant accepts the measure through intake; the officer verifies: cleared with safeguards
        def offered() -> list[dict]:
            response = intake.get(f"/v1/proposals/{flagged}/safeguards", headers=APPLICANT)
            return response.json().get("measures", []) if response.status_code == 200 else []

        assert wait_for(lambda: any(m["measure_id"] == measure_id for m in offered()), timeout=60)
        accepted = intake.post(
            f"/v1/proposals/{flagged}/safeguards/{measure_id}/responses",
            json={"kind": "accept", "text": "We accept the clause."},
            headers={**APPLICANT, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert accepted.status_code == 202, accepted.text
        assert wait_for(
            lambda: any(m["measure_id"] == measure_id and m["status"] == "accepted"
                        for m in detail(appraisal, cid)["measures"]),
            timeout=60,
        )  # fmt: skip
        act(appraisal, cid, f"measures/{measure_id}/verify", {"note": "Clause checked in the signed agreement."},
            OFFICER)  # fmt: skip
        assert case_of(appraisal, flagged)["status"] == "cleared"
        assert wait_for(
            lambda: (
                intake.get(f"/v1/proposals/{flagged}", headers=APPLICANT).json().get("public_status")
                == "cleared_with_safeguards"
            ),
            timeout=60,
        )
        act(appraisal, cid, "award", {"grant_reference": "GA-101", "signed_at": datetime.now(UTC).isoformat()},
            OFFICER)  # fmt: skip
        final = detail(appraisal, cid)
        assert final["status"] == "awarded"
        assert len(set(final["decision"]["decided_by"])) == 2  # four-eyes
        actions = [c["action"] for c in final["timeline"]]
        assert actions[0] == "open"
        assert actions[-1] == "award"
        assert "confirm_decision" in actions

        # every event once on Kafka
        def mine() -> list[EventEnvelope]:
            return [e for e in events(prefix) if e.subject == flagged]

        assert wait_for(lambda: any(e.type == "grant.awarded" for e in mine()), timeout=60)
        # (re-screenings after the seeded lists' activation events are legitimate extra screenings)
        received = [e for e in mine() if e.data.get("trigger", "submission") == "submission"]
        assert len({e.id for e in received}) == len(received)
        counts = Counter(e.type for e in received)
        for event_type in ("appraisal.screened", "appraisal.decided", "safeguards.proposed", "safeguards.agreed",
                           "appraisal.cleared", "grant.awarded", "appraisal.information_requested"):  # fmt: skip
            assert counts[event_type] == 1, (event_type, counts)
        # reading need-to-know notes is audited: the assigned officer read them, officer-2 was refused them
        readers = {e.data["read_by"] for e in received if e.type == "appraisal.notes_read"}
        assert len(readers) == 1
        seqs = [e.data["seq"] for e in received if e.type == "appraisal.case_changed"]
        assert sorted(seqs) == list(range(1, len(actions) + 1))
        grant = next(e for e in received if e.type == "grant.awarded")
        assert [o["measure_id"] for o in grant.data["obligations"]] == [measure_id]
        clean_events = [e for e in events(prefix) if e.subject == clean]
        assert Counter(e.type for e in clean_events)["appraisal.cleared"] == 1

        stats = appraisal.get("/v1/case-statistics", headers=bearer("reporter"))
        assert stats.status_code == 200, stats.text
        assert stats.json()["auto_cleared"] == 1
        assert stats.json()["total"] == 2
