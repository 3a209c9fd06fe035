"""Webhooks on the real Kafka and the real worker: a receiver on loopback verifies every signature
(also across a secret rotation), sees retries after failures, and a delivery that keeps failing goes to
the dead-letter store until an admin replays it. An institution's subscription gets applicant-safe
fields only."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, text

from rsc_common.events.types import AppraisalStatusChanged, ProposalScreened, ProposalSubmitted
from rsc_notifications.webhooks import signing
from tests.notifications.integration.test_delivery_flow import Publisher, free_port, notifications_env
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer
from tests.support.screening import DEMO_ORG_ID, clean_content, snapshot
from tests.support.servers import KAFKA_BOOTSTRAP
from tests.support.workers import wait_for, worker

ADMIN = bearer("rsc-admin")


class Receiver:
    """Answers 500 to the first `fail` requests, then 200; records each request and its signature check."""

    def __init__(self, fail: int) -> None:
        self.fail, self.secrets, self.seen = fail, [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers.get(signing.HEADER, "")
                valid = {s: signing.verify(header, body, s, now=int(time.time())) for s in receiver.secrets}
                receiver.seen.append({"body": json.loads(body), "valid": valid, "headers": dict(self.headers)})
                status = 500 if len(receiver.seen) <= receiver.fail else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def test_signed_retried_dead_lettered_and_replayed(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from rsc_common.events.topics import all_topics, ensure_topics
    from rsc_notifications import smtp_sink
    from rsc_notifications.app import MIGRATIONS, build_app
    from rsc_notifications.settings import NotificationsSettings

    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(KAFKA_BOOTSTRAP, all_topics(prefix), partitions=2)
    port = free_port()
    controller, _mailbox = smtp_sink.start(tmp_path / "mail", port)
    funder, institution = Receiver(fail=2), Receiver(fail=10**6)
    with migrated_database(MIGRATIONS) as database:
        api = TestClient(build_app(settings_for(NotificationsSettings, database)))
        env = notifications_env(database, prefix, port, WEBHOOK_MAX_ATTEMPTS="3")
        with api, worker("notifications", env):
            created = api.post("/v1/webhooks/subscriptions", headers=ADMIN,
                               json={"event_types": ["appraisal.screened", "appraisal.status_changed"],
                                     "url": funder.url}).json()  # fmt: skip
            funder.secrets.append(created["secret"])
            rotated = api.post(f"/v1/webhooks/subscriptions/{created['id']}/rotation", headers=ADMIN).json()
            funder.secrets.append(rotated["secret"])  # both sign during the rotation
            org = api.post("/v1/webhooks/subscriptions", headers=ADMIN,
                           json={"organisation_id": str(DEMO_ORG_ID), "event_types": ["*"],
                                 "url": institution.url}).json()  # fmt: skip
            institution.secrets.append(org["secret"])
            assert api.post("/v1/webhooks/subscriptions", headers=bearer("officer"), json={}).status_code == 403
            bad = api.post(
                "/v1/webhooks/subscriptions", headers=ADMIN, json={"event_types": ["nope"], "url": funder.url}
            )
            assert bad.status_code == 422

            publisher = Publisher(prefix)
            snap = snapshot(clean_content())
            publisher.publish(ProposalSubmitted(**snap.model_dump()), str(snap.proposal_id))
            publisher.publish(
                ProposalScreened(
                    screening_id=uuid.uuid4(),
                    proposal_id=snap.proposal_id,
                    version=1,
                    trigger="submission",
                    level="high",
                    category_levels={"partner_organisation": "high"},
                    auto_clear=False,
                    flags=[],
                    safeguards=["SG-TRAINING"],
                    policy_version="p1",
                    reference_versions={},
                    input_hash="h",
                    screened_at=datetime.now(UTC),
                ),
                str(snap.proposal_id),
            )
            publisher.publish(
                AppraisalStatusChanged(
                    proposal_id=snap.proposal_id,
                    version=1,
                    status="under_security_appraisal",
                    changed_at=datetime.now(UTC),
                ),
                str(snap.proposal_id),
            )
            # the funder's system: two failures, then every event, each signed with both secrets
            assert wait_for(lambda: len([s for s in funder.seen if s["valid"]]) >= 4, timeout=60)
            assert wait_for(
                lambda: {d["event_type"] for d in delivered(api)} >= {"appraisal.screened", "appraisal.status_changed"},
                timeout=60,
            )
            assert all(all(s["valid"].values()) for s in funder.seen)
            screened = [s for s in funder.seen if s["body"]["type"] == "appraisal.screened"]
            assert screened[-1]["body"]["data"]["level"] == "high"  # the funder's own systems get everything
            log = api.get(f"/v1/webhooks/deliveries/{delivered(api)[0]['id']}/attempts", headers=ADMIN).json()
            assert log
            assert log[-1]["status_code"] == 200

            # the institution: applicant-safe fields only, never the screening; it keeps failing: dead
            assert wait_for(
                lambda: {d["event_type"] for d in dead(api)} == {"proposal.submitted", "appraisal.status_changed"},
                timeout=60,
            ), api.get("/v1/webhooks/deliveries", headers=ADMIN).json()
            kinds = {s["body"]["type"] for s in institution.seen}
            assert "appraisal.screened" not in kinds
            assert "appraisal.status_changed" in kinds
            assert all("level" not in json.dumps(s["body"]["data"]) for s in institution.seen)
            [letter] = [d for d in dead(api) if d["event_type"] == "appraisal.status_changed"]
            attempts = api.get(f"/v1/webhooks/deliveries/{letter['id']}/attempts", headers=ADMIN).json()
            assert [a["status_code"] for a in attempts] == [500, 500, 500]

            # the receiver is fixed; an admin replays the dead letter: delivered once more, no duplicate rows
            institution.fail = 0
            before = len(institution.seen)
            replayed = api.post(f"/v1/webhooks/deliveries/{letter['id']}/replay", headers=ADMIN)
            assert replayed.status_code == 200
            assert replayed.json()["status"] == "pending"
            assert wait_for(lambda: any(d["id"] == letter["id"] for d in delivered(api)), timeout=60)
            assert len(institution.seen) > before
            again = api.post(f"/v1/webhooks/deliveries/{letter['id']}/replay", headers=ADMIN)
            assert again.status_code == 409
            with create_engine(database).connect() as conn:
                rows = conn.execute(text("SELECT count(*) FROM webhook_delivery")).scalar_one()
            assert rows == 2 + 2  # the funder: screened, status; the institution: submitted, status
    controller.stop()
    funder.server.shutdown()
    institution.server.shutdown()


def delivered(api) -> list[dict]:
    return api.get("/v1/webhooks/deliveries", params={"status": "delivered"}, headers=ADMIN).json()


def dead(api) -> list[dict]:
    return api.get("/v1/webhooks/deliveries", params={"status": "dead"}, headers=ADMIN).json()
