"""Notification lag: from a domain event to the e-mail accepted by the SMTP sink, through the real
notifications worker, Kafka and Keycloak (the servers of `make up`), on a throw-away database and a topic
prefix of its own (the running stack's notifications worker is not involved).

1. Starts an SMTP sink (aiosmtpd) on a free port and `rsc-notifications worker` pointed at it.
2. Publishes one `proposal.submitted` per proposal (submitters: the demo applicants, so recipients come
   from Keycloak), waits for those receipts, then publishes `appraisal.status_changed` events evenly at
   `--rate` per second for `--duration` seconds.
3. Lag = the sink's receipt time minus the event's time (one host clock); reports p50/p90/p99/max,
   delivered/expected and duplicates (same notification twice), and writes the `notification-lag`
   section of docs/benchmarks.md.

    uv run --frozen python -m bench.notification_lag              # 20/s for 60 s
    uv run --frozen python -m bench.notification_lag --quick      # 10/s for 15 s, prints only
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import RESULTS, LoadWindow, Table, machine, percentile, write_section
from rsc_common.auth import TokenVerifier
from rsc_common.db import upgrade_to_head
from rsc_common.events import EventEnvelope
from rsc_common.events.producer import make_producer
from rsc_common.events.topics import all_topics, ensure_topics
from rsc_common.events.types import AppraisalStatusChanged, ProposalSubmitted
from rsc_notifications import smtp_sink
from rsc_notifications.app import MIGRATIONS
from rsc_notifications.settings import NotificationsSettings
from tests.support.screening import clean_content, snapshot
from tests.support.servers import free_port

SECTION = "notification-lag"
ADMIN_URL = "postgresql+psycopg://rsc:rsc@127.0.0.1:15432/postgres"
KAFKA = "127.0.0.1:19092"
STATUSES = ["under_security_appraisal", "safeguards_proposed", "cleared_with_safeguards", "cleared"]


def token(user: str) -> str:
    import httpx

    response = httpx.post(
        "http://127.0.0.1:18080/realms/rsc/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "rsc-cli", "username": user, "password": user},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def main() -> None:
    args = parse()
    rate, duration = (10.0, 15.0) if args.quick else (args.rate, args.duration)
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    ensure_topics(KAFKA, all_topics(prefix), partitions=6)
    name = f"rsc_bench_notifications_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="rsc-bench-mail-"))
    port = free_port()
    controller, mailbox = smtp_sink.start(folder, port)
    worker = None
    try:
        upgrade_to_head(MIGRATIONS, url)
        p = "RSC_NOTIFICATIONS_"
        env = {
            **os.environ,
            p + "DATABASE_URL": url,
            p + "KAFKA__BOOTSTRAP_SERVERS": KAFKA,
            p + "KAFKA__TOPIC_PREFIX": prefix,
            p + "SMTP_PORT": str(port),
            p + "AUTH__CLIENT_ID": "rsc-notifications",
            p + "AUTH__CLIENT_SECRET": "rsc-notifications-dev-secret",
            p + "DISPATCH_INTERVAL_SECONDS": "0.05",
        }
        worker = subprocess.Popen([str(Path(sys.executable).parent / "rsc-notifications"), "worker"], env=env)
        verifier = TokenVerifier(NotificationsSettings().auth)
        submitters = [verifier.verify(token(u)).subject for u in ("applicant-a", "applicant-b")]
        producer = make_producer(KAFKA, "bench-notification-lag")

        def send(data, subject: str) -> EventEnvelope:
            envelope = EventEnvelope(
                type=data.event_type, schema_version=1, source="bench", subject=subject,
                data=data.model_dump(mode="json"),
            )  # fmt: skip
            producer.send(prefix + data.topic, key=subject.encode(), value=envelope.to_bytes())
            return envelope

        proposals = []
        for n in range(args.proposals):
            snap = snapshot(clean_content())
            send(ProposalSubmitted(**{**snap.model_dump(), "submitted_by": submitters[n % 2]}), str(snap.proposal_id))
            proposals.append(snap.proposal_id)
        producer.flush()
        deadline = time.monotonic() + 120
        while len(mailbox.messages()) < args.proposals and time.monotonic() < deadline:
            time.sleep(0.2)
        warmed = len(mailbox.messages())
        print(f"{warmed} receipts delivered; now {rate:g} status changes/s for {duration:g} s", flush=True)

        sent: dict[str, float] = {}
        load = LoadWindow().start()
        started, count = time.monotonic(), int(rate * duration)
        for i in range(count):
            target = started + i / rate
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            proposal = proposals[i % len(proposals)]
            data = AppraisalStatusChanged(
                proposal_id=proposal, version=1, status=STATUSES[i % len(STATUSES)], changed_at=datetime.now(UTC)
            )
            envelope = send(data, str(proposal))
            sent[str(envelope.id)] = envelope.time.timestamp()
            if i % 20 == 0:
                producer.flush()
        producer.flush()
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            received = [m for m in mailbox.messages() if m["notification"].split(":")[0] in sent]
            if len(received) >= count:
                break
            time.sleep(0.5)
        load.stop()
        received = [m for m in mailbox.messages() if m["notification"].split(":")[0] in sent]
        lags = [m["received_at"] - sent[m["notification"].split(":")[0]] for m in received]
        duplicates = sum(n - 1 for n in Counter(m["notification"] for m in received).values())
        body = render(args, rate, duration, count, received, lags, duplicates, load)
        if args.no_write or args.quick:
            print(body)
        else:
            write_section(RESULTS, SECTION, body)
            print(f"wrote the {SECTION} section of {RESULTS}")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        controller.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def render(args, rate, duration, count, received, lags, duplicates, load) -> str:
    m = machine()
    table = Table(["measure", "value"], align="lr")
    table.add("events (one e-mail each)", f"{count:,}")
    table.add("e-mails accepted by the sink", f"{len(received):,}")
    table.add("duplicates (same notification twice)", duplicates)
    for q in (50, 90, 99):
        value = percentile(lags, q) if lags else None
        table.add(f"lag p{q}", f"{value * 1000:,.0f} ms" if value is not None else "-")
    table.add("lag max", f"{max(lags) * 1000:,.0f} ms" if lags else "-")
    return "\n".join([
        "## Notifications: event to e-mail (`bench/notification_lag.py`)",
        "",
        f"- **Date**: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- **Machine**: {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM; Kafka, PostgreSQL and Keycloak of `make up`, "
        "one `rsc-notifications worker` process on its own database and topic prefix, the SMTP sink in the "
        "benchmark process.",
        f"- **Load**: {args.proposals} proposals (receipts first, not measured), then `appraisal.status_changed` "
        f"evenly at {rate:g}/s for {duration:g} s, each routed to the proposal's submitter (recipient details from "
        f"Keycloak, cached), rendered in their locale and sent over SMTP. Lag: the sink's receipt time minus the "
        "event's time (one host clock).",
        f"- **Machine during the run**: {load.describe()}",
        "",
        *table.render(),
        "",
    ])  # fmt: skip


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.notification_lag", description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=20.0, help="status changes per second")
    p.add_argument("--duration", type=float, default=60.0, help="seconds")
    p.add_argument("--proposals", type=int, default=50)
    p.add_argument("--drain", type=float, default=120.0, help="wait this long for the last e-mails, seconds")
    p.add_argument("--quick", action="store_true", help="10/s for 15 s; prints only")
    p.add_argument("--no-write", action="store_true")
    return p.parse_args()


if __name__ == "__main__":
    main()
