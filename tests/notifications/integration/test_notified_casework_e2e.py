"""The casework end to end again, on the real stack (intake, appraisal and notifications workers, Kafka,
Temporal, Keycloak, the SMTP sink), with every human step triggered by what that person was notified
of: each actor reads their e-mail to learn that it is their turn and finds the id to act on in it, from
the submission to the award."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from rsc_notifications import smtp_sink
from rsc_notifications.app import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from rsc_notifications.app import build_app as build_notifications
from rsc_notifications.settings import NotificationsSettings
from tests.appraisal.integration.test_casework_e2e import act, detail
from tests.appraisal.integration.test_screening_flow import submit
from tests.notifications.integration.test_delivery_flow import free_port, notifications_env
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer
from tests.support.screening import flagged_content
from tests.support.services import intake_and_appraisal
from tests.support.workers import wait_for, worker

APPLICANT, OFFICER, ADVISER = bearer("applicant-a"), bearer("officer"), bearer("adviser")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TIMEOUT = 120


def test_every_human_step_follows_a_notification(tmp_path: Path) -> None:
    with intake_and_appraisal(demo_policy=True) as services:
        intake, appraisal = services.intake, services.appraisal
        port = free_port()
        controller, mailbox = smtp_sink.start(tmp_path / "mail", port)
        services.stack.callback(controller.stop)
        database = services.stack.enter_context(migrated_database(NOTIFICATIONS_MIGRATIONS))
        notifications = services.stack.enter_context(
            TestClient(build_notifications(settings_for(NotificationsSettings, database)))
        )
        services.stack.enter_context(worker("notifications", notifications_env(database, services.prefix, port)))
        seen: set[str] = set()

        def mail(address: str, subject: Callable[[str], bool]) -> tuple[dict, str]:
            """The first new e-mail to `address` whose subject matches, and its plain-text body."""

            def found() -> dict | None:
                return next(
                    (m for m in mailbox.messages()
                     if address in m["to"] and subject(m["subject"]) and m["file"] not in seen), None,
                )  # fmt: skip

            assert wait_for(lambda: found() is not None, timeout=TIMEOUT), (address, mailbox.messages()[-5:])
            entry = found()
            seen.add(entry["file"])
            return entry, mailbox.read(entry).get_body(preferencelist=("plain",)).get_content()

        pid = submit(intake, flagged_content())
        mail("applicant-a@example.test", lambda s: "received" in s)

        # the officer and the adviser learn of the new high-risk case by e-mail; the case id is in it
        entry, _ = mail("officer@example.test", lambda s: s.startswith("New case in the queue"))
        case_id = re.search(UUID, entry["subject"]).group(0)
        act(appraisal, case_id, "claim", {"role": "case_officer"}, OFFICER)
        entry, _ = mail("adviser@example.test", lambda s: s.startswith("New case in the queue"))
        assert re.search(UUID, entry["subject"]).group(0) == case_id
        act(appraisal, case_id, "claim", {"role": "security_adviser"}, ADVISER)

        # the officer asks; the applicant's e-mail carries the request reference to answer
        due = (datetime.now(UTC) + timedelta(days=10)).isoformat()
        act(appraisal, case_id, "information-requests", {"message": "Who owns the partner?", "due_at": due},
            OFFICER, 201)  # fmt: skip
        _, body = mail("applicant-a@example.test", lambda s: s.startswith("Information requested"))
        assert "Who owns the partner?" in body
        request_id = re.search(r"Request reference: (" + UUID + ")", body).group(1)
        answered = intake.post(
            f"/v1/proposals/{pid}/information-requests/{request_id}/response",
            json={"response": "A university foundation owns it; no state ownership."},
            headers=APPLICANT,
        )
        assert answered.status_code == 200, answered.text

        # the officer hears that the applicant answered, appraises and proposes a decision
        mail("officer@example.test", lambda s: s == f"Case {case_id}: the applicant answered")
        act(appraisal, case_id, "appraisal", {
            "summary": "Partner resembles a listed entity; ownership explained.",
            "factors": [{"category": "partner_organisation", "level": "high",
                         "rationale": "name close to a listed entity"}],
        }, OFFICER)  # fmt: skip
        measure_id = detail(appraisal, case_id)["screening"]["safeguards"][0]["measure_id"]
        act(appraisal, case_id, "decision", {
            "outcome": "cleared_with_safeguards",
            "reason": "Manageable with compartmentalised access and a partnership-agreement clause.",
            "measures": [{"measure_id": measure_id, "owner": "project coordinator",
                          "due_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                          "evidence_required": "signed clause in the consortium agreement"}],
        }, OFFICER)  # fmt: skip

        # the adviser is asked to confirm (four-eyes)
        mail("adviser@example.test", lambda s: s == f"Case {case_id}: a decision awaits your confirmation")
        act(appraisal, case_id, "decision/confirm", {"reason": "Agree."}, ADVISER)

        # the applicant is offered the safeguard; its id is in the e-mail
        _, body = mail("applicant-a@example.test", lambda s: s.startswith("Safeguards proposed"))
        offered = re.search(r"\[([^\]]+)\]", body).group(1)
        assert offered == measure_id
        accepted = intake.post(
            f"/v1/proposals/{pid}/safeguards/{offered}/responses",
            json={"kind": "accept", "text": "We accept the clause."},
            headers={**APPLICANT, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert accepted.status_code == 202, accepted.text

        # the officer hears of the response and verifies; then hears the case is cleared and awards
        mail("officer@example.test", lambda s: s == f"Case {case_id}: the applicant responded to a safeguard")
        act(appraisal, case_id, f"measures/{offered}/verify", {"note": "Clause checked."}, OFFICER)
        mail("officer@example.test", lambda s: s == f"Case {case_id} is cleared: the grant can be awarded")
        award = {"grant_reference": "GA-NOTIFIED-1", "signed_at": datetime.now(UTC).isoformat()}
        act(appraisal, case_id, "award", award, OFFICER)
        assert detail(appraisal, case_id)["status"] == "awarded"

        # the applicant learns the outcome, by e-mail and in the inbox; nothing was sent twice
        mail("applicant-a@example.test", lambda s: s.endswith("cleared with safeguards"))
        titles = [i["title"] for i in notifications.get("/v1/inbox", headers=APPLICANT).json()]
        assert any(t.startswith("Information requested") for t in titles)
        assert any(t.endswith("cleared with safeguards") for t in titles)
        keys = [m["notification"] for m in mailbox.messages()]
        assert len(keys) == len(set(keys))
