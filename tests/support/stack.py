"""The whole platform as `make up` runs it (the four APIs and workers as real processes, the SMTP sink, the
portal) on throw-away databases, a topic prefix and task queues of its own: for browser tests, which must
go through HTTP ports like a user does, never against the development data."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlmodel import Session, create_engine

from rsc_appraisal.app import MIGRATIONS as APPRAISAL_MIGRATIONS
from rsc_appraisal.seed import seed_references
from rsc_common.events.topics import all_topics, ensure_topics
from rsc_intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from rsc_intake.seed import seed as seed_intake
from rsc_monitoring.app import MIGRATIONS as MONITORING_MIGRATIONS
from rsc_notifications import smtp_sink
from rsc_notifications.app import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from tests.support.databases import migrated_database
from tests.support.servers import KAFKA_BOOTSTRAP, KEYCLOAK_URL, free_port
from tests.support.workers import BIN, env_for, worker

SERVICES = ("intake", "appraisal", "monitoring", "notifications")


@dataclass
class FullStack:
    portal_url: str
    api_urls: dict[str, str]
    mailbox: smtp_sink.Mailbox
    prefix: str


@contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("ab") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def full_stack(logs: Path) -> Iterator[FullStack]:
    """`logs`: a folder for the processes' output (shown when one fails to start)."""
    logs.mkdir(parents=True, exist_ok=True)
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(KAFKA_BOOTSTRAP, all_topics(prefix), partitions=2)
    with ExitStack() as stack:
        migrations = {
            "intake": INTAKE_MIGRATIONS, "appraisal": APPRAISAL_MIGRATIONS,
            "monitoring": MONITORING_MIGRATIONS, "notifications": NOTIFICATIONS_MIGRATIONS,
        }  # fmt: skip
        databases = {s: stack.enter_context(migrated_database(migrations[s])) for s in SERVICES}
        seed_intake(None, create_engine(databases["intake"]))
        with Session(create_engine(databases["appraisal"])) as session:
            seed_references(session, demo_policy=True)  # the demo policy, as `make up` seeds it
        smtp_port = free_port()
        controller, mailbox = smtp_sink.start(logs / "mail", smtp_port)
        stack.callback(controller.stop)

        ports = {s: free_port() for s in SERVICES}
        portal_port = free_port()
        portal_url = f"http://127.0.0.1:{portal_port}"
        api_urls = {s: f"http://127.0.0.1:{ports[s]}" for s in SERVICES}
        started = []
        for s in SERVICES:
            p = f"RSC_{s.upper()}_"
            # API and worker share one environment: the same task queue, topics and database.
            env = {**env_for(s, databases[s], prefix), p + "HTTP_PORT": str(ports[s])}
            if s == "notifications":
                env |= {
                    p + "SMTP_PORT": str(smtp_port), p + "AUTH__CLIENT_ID": "rsc-notifications",
                    p + "AUTH__CLIENT_SECRET": "rsc-notifications-dev-secret", p + "PORTAL_URL": portal_url,
                    p + "DISPATCH_INTERVAL_SECONDS": "0.2",
                }  # fmt: skip
            api = stack.enter_context(process([str(BIN / f"rsc-{s}"), "api"], env, logs / f"{s}-api.log"))
            started.append((api_urls[s], api, logs / f"{s}-api.log"))
            stack.enter_context(worker(s, env))
        portal_env = {
            **os.environ,
            "RSC_PORTAL_HTTP_PORT": str(portal_port),
            "RSC_PORTAL_PUBLIC_URL": portal_url,
            "RSC_PORTAL_KEYCLOAK_URL": KEYCLOAK_URL,
            **{f"RSC_PORTAL_{s.upper()}_URL": api_urls[s] for s in SERVICES},
        }
        portal = stack.enter_context(process([str(BIN / "rsc-portal"), "api"], portal_env, logs / "portal.log"))
        started.append((portal_url, portal, logs / "portal.log"))
        for url, proc, log in started:
            wait_ready(url, proc, log)
        yield FullStack(portal_url, api_urls, mailbox, prefix)
