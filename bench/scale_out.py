"""Scale-out proof on this machine: the call-deadline surge through intake with one replica, then with two
replicas of every API and worker, one of each killed (SIGKILL) in the middle; every accepted submission
must be screened exactly once and every notification sent once.

1. **One replica**: the `make up` processes, reduced to one process of each kind: intake's API (2 uvicorn
   workers under `make up`) is replaced by a single-process one on the same port, the extra appraisal worker
   processes (`appraisal-worker-2`...) are stopped. Then the surge (bench.casework_surge's drafts: clean, and a
   red-flagged share that opens cases, so that officers are notified).
2. **Two replicas**: a second API process per service (ports 8201-8204) and a second worker process per
   service (same consumer groups and Temporal task queues: partitions and tasks are shared), started with the
   settings `deploy/local/services.sh` gives the first. The same surge; at `--kill-at` of the window the second
   replica of every API and worker is SIGKILLed and, after `--restart-delay` seconds, started again (as a
   Kubernetes Deployment replaces a killed pod). The load generator spreads requests over the ready API
   replicas round-robin (a Service), retrying a submission that failed at the connection level on the other
   replica with the same Idempotency-Key.
3. Checks per run: `appraisal.screened` on Kafka and `screening` rows in the appraisal database per proposal
   version (lost: accepted and not screened; duplicated: screened twice), `proposal.submitted` per version, the
   SMTP sink's index (`.local/data/mail/index.jsonl`): no notification key twice, the applicant's "received"
   e-mail once per submission, the officers' "case opened" e-mails once per case and officer. Throughput
   (screened per second) and CPU by component.
4. Leaves the stack as it found it (its replicas stopped, `services.sh start` for any `make up` process it
   stopped), also on errors; writes the `scale-out` section of docs/benchmarks.md.

    uv run --frozen python -m bench.scale_out            # 4,000 per run in 240 s, writes docs/benchmarks.md
    uv run --frozen python -m bench.scale_out --quick    # 200 per run in 40 s, prints only
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import json
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench import replicas as rp
from bench.casework_surge import CaseworkIntake, add_load_arguments, secs
from bench.common import (
    RESULTS,
    CpuMeter,
    EventCollector,
    Table,
    arrival_times,
    cpu_table,
    machine,
    outside_load,
    percentile,
    surge_profile,
    write_section,
)
from bench.intake_surge import Draft, Submission
from bench.rawhttp import Response as RawResponse

SECTION = "scale-out"
MAIL_INDEX = rp.DATA / "mail" / "index.jsonl"
INFRA = ("postgres", "kafka", "temporal", "keycloak")
# consumer groups whose lag is reported (a notifications or appraisal worker far behind explains missing e-mail)
CONSUMERS = {
    "rsc-notifications": [f"rsc.{s}.events" for s in ("intake", "appraisal", "monitoring", "notifications")],
    "rsc-appraisal": [f"rsc.{s}.events" for s in ("intake", "appraisal", "monitoring")],
}
APPRAISAL_TYPES = {"appraisal.screened", "appraisal.cleared", "appraisal.case_changed", "appraisal.status_changed"}


# ------------------------------------------------------------------------------------- client


@dataclass
class LbSubmission(Submission):
    attempts: int = 0
    retry_errors: list[str] = field(default_factory=list)
    committed: bool | None = None  # for failed ones: did the server commit anyway (looked up after)


class ScaleOutIntake(CaseworkIntake):
    """casework_surge's drafts (clean and red-flagged), submitted through a `Balancer` over the intake API
    replicas instead of one base URL."""

    def __init__(self, args: argparse.Namespace, balancer: rp.Balancer) -> None:
        super().__init__(args)
        self.balancer = balancer
        # Submissions go through httpx here (the balancer retries on another replica). Sharded because
        # httpcore re-scans every connection and request of a pool on each request start and end (O(n)
        # per call): with thousands in flight in one pool that blocks the event loop for seconds.
        self.shards = [
            httpx.AsyncClient(
                timeout=httpx.Timeout(args.timeout, connect=10),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=None, keepalive_expiry=3.0),
            )
            for _ in range(64)
        ]
        self._next = 0

    async def close(self) -> None:
        await super().close()
        for client in self.shards:
            await client.aclose()

    async def submit(self, sub: LbSubmission) -> None:  # type: ignore[override]
        headers = {**self.tokens.header, "Idempotency-Key": str(uuid.uuid4())}  # the same on every retry

        async def send(_raw: object) -> RawResponse:
            # through the balancer's httpx client (retries on another replica), not intake's RawClient
            self._next += 1
            client = self.shards[self._next % len(self.shards)]
            response, sub.attempts, sub.retry_errors = await self.balancer.request(
                client, "POST", f"/v1/proposals/{sub.draft.id}/submit", attempts=self.args.attempts, headers=headers
            )
            return RawResponse(response.status_code, {}, response.content)

        await self.timed(sub, send)

    async def open_loop_lb(self, drafts: list[Draft], arrivals: list[tuple[float, str]], start: float):
        subs: list[LbSubmission] = []
        tasks = []
        for (offset, segment), draft in zip(arrivals, drafts, strict=False):
            at = start + offset
            if (delay := at - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            sub = LbSubmission(draft, segment, intended=at)
            subs.append(sub)
            tasks.append(asyncio.create_task(self.submit(sub)))
        await asyncio.gather(*tasks)
        return subs

    async def look_up_failed(self, subs: list[LbSubmission]) -> None:
        sem = asyncio.Semaphore(8)

        async def one(sub: LbSubmission) -> None:
            async with sem:
                try:
                    r = await self.http.get(f"/v1/proposals/{sub.draft.id}", headers=self.tokens.header, timeout=120)
                    r.raise_for_status()
                    sub.committed = r.json().get("current_version", 0) >= 1
                except Exception:
                    sub.committed = None

        await asyncio.gather(*(one(s) for s in subs if not s.accepted))


async def read_load(balancer: rp.Balancer, client: httpx.AsyncClient, rate: float, counts: collections.Counter):
    """A light read load on an API that the surge does not call (`GET /readyz` through the balancer), to show
    that its replicas keep answering while one is killed."""
    while True:
        await asyncio.sleep(1 / rate)
        try:
            response, attempts, _ = await balancer.request(client, "GET", "/readyz", timeout=5)
            counts["ok" if response.status_code == 200 else f"HTTP {response.status_code}"] += 1
            counts["retried"] += attempts > 1
        except httpx.HTTPError as exc:
            counts[type(exc).__name__] += 1


# ------------------------------------------------------------------------------------ helpers


class StackCpuMeter(CpuMeter):
    """CpuMeter over the `make up` pid files plus the benchmark's own replicas."""

    LOADGEN = "load generator (this process)"

    def _roots(self) -> dict[str, int]:  # type: ignore[override]
        roots = CpuMeter._roots()
        roots.update({r.name: r.pid for r in rp._LIVE if r.running() and r.pid})
        return roots

    def between(self, t0: float | None = None, t1: float | None = None) -> dict[str, Any]:
        """The replicas are children of this process, so CpuMeter counts them in the load generator's group
        too: taken out there (the same pids, so exactly)."""
        out = super().between(t0, t1)
        cores = out.get("cores", {})
        if self.LOADGEN in cores:
            own = {r.name for r in rp._LIVE}
            cores[self.LOADGEN] = max(0.0, cores[self.LOADGEN] - sum(c for n, c in cores.items() if n in own))
        return out


def mail_size() -> int:
    return MAIL_INDEX.stat().st_size if MAIL_INDEX.exists() else 0


def read_mail(offset: int) -> list[dict[str, Any]]:
    if not MAIL_INDEX.exists():
        return []
    with MAIL_INDEX.open("rb") as fh:
        fh.seek(offset)
        raw = fh.read().decode(errors="replace")
    lines = raw.split("\n")[:-1]  # only complete lines
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def token_subject(access_token: str) -> str:
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def db(service: str):
    return create_engine(rp.PG_URL_BASE.replace("postgresql://", "postgresql+psycopg://") + f"/rsc_{service}")


def topic_exists(bootstrap: str, topic: str) -> bool:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return topic in consumer.topics()
    finally:
        consumer.close()


@dataclass
class Recipients:
    applicant: str
    applicant_email: bool
    receipts_mode: str
    officers: set[str]
    advisers: set[str]

    def case_recipients(self, level: str) -> set[str]:
        return self.officers | (self.advisers if level in ("high", "very_high") else set())


def recipients(args: argparse.Namespace, applicant: str) -> Recipients:
    """Who the notifications worker mails (Keycloak, through notifications' own service account)."""
    from rsc_common.auth.settings import AuthSettings
    from rsc_notifications.recipients.directory import Directory

    auth = AuthSettings(
        keycloak_url=f"http://127.0.0.1:{rp.KEYCLOAK_PORT}",
        client_id="rsc-notifications",
        client_secret=rp.service_env("notifications", 0)["RSC_NOTIFICATIONS_AUTH__CLIENT_SECRET"],
    )
    directory = Directory(auth, cache_seconds=3600)
    user = directory.user(applicant)
    with db("notifications").connect() as conn:
        mode = conn.execute(
            text("select mode from preference where subject = :s and category = 'submissions'"), {"s": applicant}
        ).scalar()
    return Recipients(
        applicant=applicant,
        applicant_email=bool(user and user.email),
        receipts_mode=mode or "immediate",
        officers={c.subject for c in directory.role_members("case_officer") if c.email},
        advisers={c.subject for c in directory.role_members("security_adviser") if c.email},
    )


# -------------------------------------------------------------------------------------- a run


@dataclass
class RunResult:
    label: str
    replicas: int
    processes: list[str]
    segments: list
    subs: list[LbSubmission]
    window_start: float
    window_end: float
    drained_after: float
    cpu: dict[str, Any]
    kill: dict[str, Any] | None
    reads: dict[str, dict[str, int]]
    endpoints: dict[str, dict[str, int]]
    stats: dict[str, Any] = field(default_factory=dict)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.balancers = {s: rp.Balancer(s) for s in rp.SERVICES}
        self.intake = ScaleOutIntake(args, self.balancers["intake"])
        self.intake_events = EventCollector(args.kafka, "rsc.intake.events", {"proposal.submitted"})
        self.appraisal_events = EventCollector(args.kafka, "rsc.appraisal.events", APPRAISAL_TYPES)
        self.dlt: list[EventCollector] = []
        self.first: dict[str, rp.Replica] = {}
        self.second: list[rp.Replica] = []
        self.recipients: Recipients | None = None

    # -- topology -----------------------------------------------------------------------------

    def one_replica(self) -> list[str]:
        """Intake's API as one process on its port; one appraisal worker process."""
        rp.stop_stack_process("intake-api")
        replica = rp.register(rp.Replica("intake", "api", "intake-api-r1", rp.STACK_PORTS["intake"]))
        replica.start()
        print(f"  intake API replaced by one process on :{replica.port} ({replica.wait_ready():.0f} s)", flush=True)
        self.first["intake"] = replica
        for name in rp.expected_stack_processes():
            if name.startswith("appraisal-worker-"):
                rp.stop_stack_process(name)
                print(f"  {name} stopped", flush=True)
        for s in rp.SERVICES:
            self.balancers[s].set_urls([f"http://127.0.0.1:{rp.STACK_PORTS[s]}"])
        return [f"{s}: API :{rp.STACK_PORTS[s]}, 1 worker" for s in rp.SERVICES]

    def two_replicas(self) -> list[str]:
        for n, s in enumerate(rp.SERVICES):
            port = self.args.second_port + n
            self.second.append(rp.register(rp.Replica(s, "api", f"{s}-api-r2", port)))
            self.second.append(rp.register(rp.Replica(s, "worker", f"{s}-worker-r2", 0)))
        for r in self.second:
            r.start()
        for r in self.second:
            print(f"  {r.name} ready ({r.wait_ready():.0f} s)", flush=True)
        for s in rp.SERVICES:
            urls = [f"http://127.0.0.1:{rp.STACK_PORTS[s]}", *(r.url for r in self.second if r.service == s and r.port)]
            self.balancers[s].set_urls(urls)
        return [f"{s}: API :{rp.STACK_PORTS[s]} + :{self.args.second_port + n}, 2 workers"
                for n, s in enumerate(rp.SERVICES)]  # fmt: skip

    async def kill_and_restart(self, at: float) -> dict[str, Any]:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        killed_at = time.time()
        pids = {r.name: r.pid for r in self.second}
        for r in self.second:
            r.kill()
        print(f"  SIGKILL: {', '.join(f'{n} ({p})' for n, p in pids.items())}", flush=True)
        out: dict[str, Any] = {"at": killed_at, "pids": pids, "restart_delay": self.args.restart_delay}
        if self.args.restart_delay < 0:
            return out
        await asyncio.sleep(self.args.restart_delay)
        for r in self.second:
            r.start()
        ready = await asyncio.gather(*(asyncio.to_thread(r.wait_ready) for r in self.second), return_exceptions=True)
        out["ready_after"] = {
            r.name: (f"{x:.0f} s" if isinstance(x, float) else f"failed: {x}")
            for r, x in zip(self.second, ready, strict=True)
        }
        print(f"  restarted: {out['ready_after']}", flush=True)
        return out

    # -- one run ------------------------------------------------------------------------------

    async def run(self, label: str, replicas: int, processes: list[str], kill: bool) -> RunResult:
        args = self.args
        print(f"{label}: preparing {args.count} drafts", flush=True)
        drafts = await self.intake.prepare(args.count, f"scale-out-{label}-{time.time_ns()}")
        segments = surge_profile(len(drafts), args.duration, args.burst_factor)
        arrivals = arrival_times(segments, seed=args.seed)[: len(drafts)]
        mail_offset = mail_size()
        meter = StackCpuMeter(interval=1.0)
        meter.start()
        reads = {s: collections.Counter() for s in rp.SERVICES if s != "intake"}
        client = self.intake.http
        readers = [asyncio.create_task(read_load(self.balancers[s], client, args.read_rate, reads[s])) for s in reads]
        print(f"{label}: {len(drafts)} submissions over {args.duration:.0f} s", flush=True)
        window_start = time.time()
        start = time.perf_counter() + 0.5
        killer = asyncio.create_task(self.kill_and_restart(start + args.kill_at * args.duration)) if kill else None
        subs = await self.intake.open_loop_lb(drafts, arrivals, start)
        window_end = time.time()
        kill_info = await killer if killer else None
        for task in readers:
            task.cancel()
        await self.intake.look_up_failed(subs)
        expected = {s.draft.id for s in subs if s.accepted or s.committed}
        drained_after = await self.drain(expected, window_end)
        await self.wait_for_mail(label, subs, mail_offset)
        await asyncio.sleep(args.grace)  # late duplicates
        meter.stop()
        lag = {g: await asyncio.to_thread(rp.consumer_lag, args.kafka, g, t) for g, t in CONSUMERS.items()}
        result = RunResult(
            label, replicas, processes, segments, subs, window_start, window_end, drained_after,
            meter.between(), kill_info, {s: dict(c) for s, c in reads.items()},
            {s: {e.url: e.served for e in b.endpoints} for s, b in self.balancers.items()},
        )  # fmt: skip
        result.stats = self.analyse(result, mail_offset)
        result.stats["consumer_lag"] = lag
        print(json.dumps({k: v for k, v in result.stats.items() if k != "mail_kinds"}, default=str), flush=True)
        return result

    async def drain(self, expected: set[str], window_end: float) -> float:
        deadline = time.monotonic() + self.args.drain_timeout
        while time.monotonic() < deadline:
            seen = {e.proposal_id for e in self.appraisal_events.snapshot() if e.event_type == "appraisal.screened"}
            if expected <= seen:
                break
            await asyncio.sleep(1)
        return time.time() - window_end

    def expected_mail(self, subs: list[LbSubmission]) -> tuple[set[str], dict[tuple[str, int], set[str]]]:
        """(receipt keys, case → officers' subjects) expected for the run's proposals."""
        ids = {s.draft.id for s in subs}
        rec = self.recipients
        assert rec is not None
        receipts = set()
        if rec.applicant_email and rec.receipts_mode == "immediate":
            first: dict[tuple[str, int | None], Any] = {}
            for e in self.intake_events.snapshot():
                if e.proposal_id in ids:
                    first.setdefault((e.proposal_id, e.version), e)
            receipts = {f"{e.event_id}:{rec.applicant}:email:submitted" for e in first.values()}
        with db("appraisal").connect() as conn:
            rows = conn.execute(
                text("select proposal_id, version, level from appraisal_case "
                     "where proposal_id = any(cast(:ids as uuid[])) and opened_at is not null"),
                {"ids": list(ids)},
            ).all()  # fmt: skip
        return receipts, {(str(r.proposal_id), r.version): rec.case_recipients(r.level) for r in rows}

    async def wait_for_mail(self, label: str, subs: list[LbSubmission], offset: int) -> None:
        deadline = time.monotonic() + self.args.mail_timeout
        while time.monotonic() < deadline:
            receipts, cases = self.expected_mail(subs)
            keys = {m["notification"] for m in read_mail(offset)}
            case_events = self.case_event_proposals(subs)
            got_cases = collections.Counter(
                case_events[k.split(":")[0]]
                for k in keys
                if k.endswith(":case_opened") and k.split(":")[0] in case_events
            )
            missing_cases = sum(max(0, len(r) - got_cases[p]) for (p, _v), r in cases.items())
            if receipts <= keys and missing_cases == 0:
                return
            await asyncio.sleep(2)
        print(f"  {label}: not every expected e-mail arrived within {self.args.mail_timeout:.0f} s", flush=True)

    def case_event_proposals(self, subs: list[LbSubmission]) -> dict[str, str]:
        ids = {s.draft.id for s in subs}
        return {e.event_id: e.proposal_id for e in self.appraisal_events.snapshot()
                if e.event_type == "appraisal.case_changed" and e.proposal_id in ids}  # fmt: skip

    # -- checks -------------------------------------------------------------------------------

    def analyse(self, r: RunResult, mail_offset: int) -> dict[str, Any]:
        subs = r.subs
        ids = {s.draft.id for s in subs}
        accepted = {s.draft.id: s for s in subs if s.accepted}
        committed_unacked = {s.draft.id for s in subs if not s.accepted and s.committed}
        expected = set(accepted) | committed_unacked

        def per_version(events, event_type):
            by: dict[tuple[str, int | None], list] = collections.defaultdict(list)
            for e in events:
                if e.event_type == event_type and e.proposal_id in ids:
                    by[(e.proposal_id, e.version)].append(e)
            distinct = {k: {e.event_id for e in v} for k, v in by.items()}
            return by, {
                "versions": len(by),
                "proposals": {p for p, _ in by},
                "duplicates": sum(len(v) - 1 for v in distinct.values()),  # another event for the same version
                "redelivered": sum(len(by[k]) - len(v) for k, v in distinct.items()),  # the same event again
            }

        app_events = self.appraisal_events.snapshot()
        screened_by, screened = per_version(app_events, "appraisal.screened")
        _, cleared = per_version(app_events, "appraisal.cleared")
        _, submitted = per_version(self.intake_events.snapshot(), "proposal.submitted")
        with db("appraisal").connect() as conn:
            rows = conn.execute(
                text("select proposal_id, version, count(*) as n from screening "
                     "where proposal_id = any(cast(:ids as uuid[])) group by 1, 2"),
                {"ids": list(ids)},
            ).all()  # fmt: skip
        db_rows = {(str(x.proposal_id), x.version): x.n for x in rows}
        db_proposals = {p for p, _ in db_rows}
        dlt = collections.Counter(e.event_type for c in self.dlt for e in c.snapshot() if e.proposal_id in ids)

        # throughput: the first appraisal.screened of each version
        times = sorted(min(e.broker_ts for e in v) for v in screened_by.values())
        peak = 0.0
        j = 0
        for i, t in enumerate(times):
            while times[j] < t - 10:
                j += 1
            peak = max(peak, (i - j + 1) / 10)
        last = times[-1] if times else r.window_end
        lag = [min(e.broker_ts for e in screened_by[k]) - (s.server_at or s.done_wall)
               for k in screened_by for s in [accepted.get(k[0])] if s is not None]  # fmt: skip

        # notifications
        receipts, cases = self.expected_mail(subs)
        mails = read_mail(mail_offset)
        run_events = {e.event_id for e in app_events if e.proposal_id in ids}
        run_events |= {e.event_id for e in self.intake_events.snapshot() if e.proposal_id in ids}
        run_mail = [m for m in mails if m["notification"].split(":")[0] in run_events]
        counts = collections.Counter(m["notification"] for m in run_mail)
        # a retransmission (same notification, same Message-ID) vs a second message a reader would see
        message_ids: dict[str, set[str]] = collections.defaultdict(set)
        for m in run_mail:
            message_ids[m["notification"]].add(m.get("message_id", ""))
        case_events = self.case_event_proposals(subs)
        case_keys = collections.defaultdict(set)
        for key in counts:
            if key.endswith(":case_opened") and key.split(":")[0] in case_events:
                case_keys[case_events[key.split(":")[0]]].add(key.split(":")[1])
        case_expected = sum(len(v) for v in cases.values())
        case_received = sum(len(case_keys[p] & rcpt) for (p, _v), rcpt in cases.items())
        cpu = r.cpu
        cores = cpu.get("cores", {})
        rsc = sum(c for n, c in cores.items() if n.split("-")[0] in rp.SERVICES)
        busy = cpu.get("system_busy", 0.0) * cpu.get("ncpu", 1)
        return {
            "sent": len(subs),
            "accepted": len(accepted),
            "failed": len(subs) - len(accepted),
            "failed_kinds": dict(collections.Counter(s.error for s in subs if not s.accepted)),
            "committed_unacknowledged": len(committed_unacked),
            "retried": sum(1 for s in subs if s.attempts > 1),
            "retry_errors": dict(collections.Counter(e.split(" from ")[0] for s in subs for e in s.retry_errors)),
            "screened": len(expected & screened["proposals"]),
            "lost": len(expected - screened["proposals"]),
            "screened_twice": screened["duplicates"],
            "screened_redelivered": screened["redelivered"],
            "db_missing": len(expected - db_proposals),
            "db_duplicates": sum(n - 1 for n in db_rows.values()),
            "submitted_missing": len(expected - submitted["proposals"]),
            "submitted_duplicates": submitted["duplicates"],
            "cleared_twice": cleared["duplicates"],
            "dead_lettered": dict(dlt),
            "rate_window": sum(1 for t in times if t <= r.window_end) / max(1e-9, r.window_end - r.window_start),
            "rate_overall": len(times) / max(1e-9, last - r.window_start),
            "rate_peak_10s": peak,
            "backlog_after": max(0.0, last - r.window_end),
            "lag": {q: percentile(lag, q) for q in (50, 99)},
            "submit": {q: percentile([s.latency for s in accepted.values()], q) for q in (50, 99)},
            "receipts_expected": len(receipts),
            "receipts_once": sum(1 for k in receipts if counts[k] == 1),
            "receipts_missing": sum(1 for k in receipts if counts[k] == 0),
            "receipts_duplicated": sum(1 for k in receipts if counts[k] > 1),
            "cases_opened": len(cases),
            "case_mail_expected": case_expected,
            "case_mail_received": case_received,
            "mail_keys_twice": sum(c - 1 for c in counts.values() if c > 1),
            "mail_distinct_twice": sum(len(ids) - 1 for ids in message_ids.values() if len(ids) > 1),
            "mail_total": len(run_mail),
            "mail_kinds": dict(collections.Counter(k.rsplit(":", 1)[-1] for k in counts)),
            "cores_rsc": rsc,
            "cores_infra": sum(cores.get(n, 0.0) for n in INFRA),
            "cores_loadgen": cores.get("load generator (this process)", 0.0),
            # other processes, including short-lived ones that ended between two samples (busy minus attributed)
            "cores_outside": max(outside_load(cpu), busy - sum(cores.values())),
            "busy": busy,
        }


# ------------------------------------------------------------------------------------- report


def render(args: argparse.Namespace, runs: list[RunResult]) -> str:
    m = machine()
    a, b = runs[0], runs[-1]
    seg = ", ".join(f"{s.name} {s.rate:.1f}/s" for s in a.segments if s.count)
    lines = [
        "## Scale-out: two replicas of every API and worker, one of each killed mid-surge",
        "",
        f"`python -m bench.scale_out{' --quick' if args.quick else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{m['nproc']} cores ({m['cpu']}), {m['ram']}; load generator on the same machine.",
        "",
        "Method:",
        "",
        f"- **Load** (each run): {args.count} submissions of prepared drafts through intake in {args.duration:.0f} s "
        f"on the call-deadline surge profile ({seg}); {args.red_flag_share:.0%} red-flagged (a partner resembling "
        "a listed entity: a case opens and the case officers are e-mailed), the others clean (auto-cleared). "
        "Requests go round-robin to the ready intake API replicas (readiness probe `GET /readyz` every 0.5 s, as a "
        "Kubernetes Service); a submission that fails at the connection level is retried on another replica with "
        f"the same Idempotency-Key (at most {args.attempts} attempts). The other APIs get {args.read_rate:g} reads/s "
        "each through the same kind of balancer.",
        "- **One replica**: the `make up` processes with one process of each kind: intake's API (2 uvicorn workers "
        "under `make up`) replaced by one process on its port, `appraisal-worker-2` stopped; every service one API "
        "process and one worker process (relay, consumers, Temporal worker).",
        "- **Two replicas**: in addition, a second API process per service (ports "
        f"{args.second_port}-{args.second_port + 3}) and a second worker process per service (same consumer "
        "groups, same Temporal task queues), started with the settings `deploy/local/services.sh` gives the first. "
        f"At {args.kill_at:.0%} of the window every second replica (4 APIs, 4 workers) is killed with SIGKILL; "
        + (
            f"{args.restart_delay:g} s later they are started again (as a Deployment replaces a killed pod)."
            if args.restart_delay >= 0
            else "they are not restarted."
        )
        + " Afterwards the `make up` processes are restored (`services.sh start`).",
        "- **Checks**: `appraisal.screened` on Kafka per proposal version and `screening` rows in the appraisal "
        "database; *lost* = accepted (201, or committed although the client saw an error) and never screened; "
        "*screened twice* = two different `appraisal.screened` events (or two rows) for one version; "
        "*redelivered* = the same event id again (at-least-once publication, deduplicated by consumers). "
        "E-mails from the SMTP sink's index (`.local/data/mail/index.jsonl`), matched to the run's events by "
        "their notification key (event, recipient, channel, message): the applicant's receipt once per "
        "submission, the case-opened e-mail once per case and officer, no key twice.",
        "",
    ]
    t = Table(["measure", *(f"{r.label}" for r in runs)], align="l" + "r" * len(runs))

    def row(name, fn):
        t.add(name, *(fn(r.stats) for r in runs))

    row("submissions sent / accepted / failed", lambda s: f"{s['sent']} / {s['accepted']} / {s['failed']}")
    row("failed but committed (seen on GET)", lambda s: s["committed_unacknowledged"])
    row("submissions retried on the other replica", lambda s: s["retried"])
    row("**lost** (accepted, never screened)", lambda s: s["lost"])
    row("**screened twice** (Kafka / database rows)", lambda s: f"{s['screened_twice']} / {s['db_duplicates']}")
    row("not in the appraisal database", lambda s: s["db_missing"])
    row("`appraisal.screened` redelivered (same event id)", lambda s: s["screened_redelivered"])
    row(
        "`proposal.submitted` missing / duplicated", lambda s: f"{s['submitted_missing']} / {s['submitted_duplicates']}"
    )
    row("`appraisal.cleared` twice", lambda s: s["cleared_twice"])
    row(
        "dead-lettered events of the run", lambda s: ", ".join(f"{k} {v}" for k, v in s["dead_lettered"].items()) or "0"
    )
    row(
        "receipts expected / once / missing / **twice**",
        lambda s: (
            f"{s['receipts_expected']} / {s['receipts_once']} / {s['receipts_missing']} / {s['receipts_duplicated']}"
        ),
    )
    row("cases opened; officers' e-mails expected / received", lambda s: f"{s['cases_opened']}; "
        f"{s['case_mail_expected']} / {s['case_mail_received']}")  # fmt: skip
    row(
        "consumer lag at the end, records: rsc-notifications / rsc-appraisal",
        lambda s: " / ".join("?" if v is None else str(v) for v in s["consumer_lag"].values()),
    )
    row(
        "e-mails with the same key twice (of all the run's); **of which with a different Message-ID**",
        lambda s: f"{s['mail_keys_twice']} ({s['mail_total']}); {s.get('mail_distinct_twice', '?')}",
    )
    row("screened/s during the window / overall / peak 10 s",
        lambda s: f"{s['rate_window']:.1f} / {s['rate_overall']:.1f} / {s['rate_peak_10s']:.1f}")  # fmt: skip
    row("backlog gone after the window", lambda s: secs(s["backlog_after"]))
    row("screening lag p50 / p99", lambda s: f"{secs(s['lag'][50])} / {secs(s['lag'][99])}")
    row("submit latency p50 / p99 (with retries)", lambda s: f"{secs(s['submit'][50])} / {secs(s['submit'][99])}")
    row("CPU: machine / RSC services / servers / load gen / outside (cores)",
        lambda s: f"{s['busy']:.2f} / {s['cores_rsc']:.2f} / {s['cores_infra']:.2f} / {s['cores_loadgen']:.2f} / "
        f"{s['cores_outside']:.2f}")  # fmt: skip
    row("screened per RSC-service CPU second (start-up of restarted replicas included)",
        lambda s: f"{s['rate_overall'] / s['cores_rsc']:.1f}" if s["cores_rsc"] else "-")  # fmt: skip
    lines += t.render()
    lines += ["", "Processes:", ""]
    for r in runs:
        lines.append(f"- {r.label}: " + "; ".join(r.processes) + ".")
    for r in runs:
        spread = "; ".join(f"{s}: " + ", ".join(f"{u.rsplit(':', 1)[-1]} {n}" for u, n in e.items())
                           for s, e in r.endpoints.items())  # fmt: skip
        reads = "; ".join(f"{s} {', '.join(f'{k} {v}' for k, v in c.items())}" for s, c in r.reads.items())
        lines.append(f"- {r.label}, answers per API port (cumulative): {spread}. Reads: {reads}.")
    if b.kill:
        k = b.kill
        at = k["at"] - b.window_start
        restarted = ", ".join(f"{n} {v}" for n, v in k.get("ready_after", {}).items()) or "not restarted"
        errors = ", ".join(f"{e} {n}" for e, n in b.stats["retry_errors"].items()) or "none"
        lines += [
            "",
            f"Kill: at {at:.0f} s of the window, SIGKILL to {', '.join(k['pids'])}; ready again after (from their "
            f"restart): {restarted}. Connection failures the balancer retried: {errors}; submissions that failed "
            f"for good: {b.stats['failed_kinds'] or 'none'}.",
        ]
    for r in runs:
        lines += ["", f"CPU during {r.label} (window and drain):", "", *cpu_table(r.cpu, top=12)]
    verdict_ok = all(
        r.stats["lost"] == 0 and r.stats["screened_twice"] == 0 and r.stats["db_duplicates"] == 0
        and r.stats["mail_distinct_twice"] == 0
        for r in runs
    )  # fmt: skip
    ratio = b.stats["rate_overall"] / a.stats["rate_overall"] if a.stats["rate_overall"] else 0.0
    missing_mail = [
        f"{r.label}: {r.stats['receipts_missing']} receipts and "
        f"{r.stats['case_mail_expected'] - r.stats['case_mail_received']} officers' e-mails"
        for r in runs
        if r.stats["receipts_missing"] or r.stats["case_mail_expected"] > r.stats["case_mail_received"]
    ]
    mail_note = (
        f"**E-mail incomplete** after the {args.mail_timeout:.0f} s wait ({'; '.join(missing_mail)}; the "
        "`rsc-notifications` consumer lag in the table shows whether the notifications worker was simply behind, "
        "and the dead-letter row whether it failed on the run's events): the sent-once check covers only the "
        "e-mails that arrived. "
        if missing_mail
        else ""
    )
    lines += [
        "",
        "Reading: "
        + (
            "no submission lost, none screened twice, in either run; no notification reached a reader twice among "
            f"the {sum(r.stats['mail_total'] for r in runs)} e-mails of the runs that arrived"
            + (
                f" ({sum(r.stats['mail_keys_twice'] for r in runs)} retransmitted with the same Message-ID: a worker "
                "killed between the SMTP relay's acceptance and marking the row sent sends it again; SMTP has no "
                "exactly-once, the identical Message-ID makes the copies one message). "
                if any(r.stats["mail_keys_twice"] for r in runs)
                else ". "
            )
            if verdict_ok
            else "**a correctness check failed** (see the rows in bold). "
        )
        + mail_note
        + f"Throughput with two replicas is {ratio:.2f}x that with one (overall screened/s): every process shares the "
        f"same {m['nproc']} cores with PostgreSQL, Kafka, Temporal, Keycloak and the load generator, so a second "
        "replica adds parallelism only where one process could not use the free CPU; the point here is correctness "
        "under scale-out and failure, not speed-up.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=None, help="submissions per run (default 4000; --quick 200)")
    p.add_argument("--duration", type=float, default=None, help="window per run, s (default 240; --quick 40)")
    p.add_argument("--burst-factor", type=float, default=5.0)
    p.add_argument("--quick", action="store_true", help="200 submissions in 40 s per run; prints only")
    p.add_argument("--kill-at", type=float, default=0.5, help="fraction of the window when replicas are killed")
    p.add_argument("--restart-delay", type=float, default=10.0, help="restart killed replicas after S s; <0: never")
    p.add_argument("--no-kill", action="store_true", help="two replicas without killing any")
    p.add_argument("--skip-one", action="store_true", help="only the two-replica run")
    p.add_argument("--second-port", type=int, default=8201, help="first port of the second API replicas")
    p.add_argument("--attempts", type=int, default=3, help="attempts per submission over the replicas")
    p.add_argument("--read-rate", type=float, default=2.0, help="reads/s on each of the other APIs")
    p.add_argument("--drain-timeout", type=float, default=None, help="wait for screening, s (default 600; quick 180)")
    p.add_argument("--mail-timeout", type=float, default=None, help="wait for e-mail, s (default 300; quick 90)")
    p.add_argument("--grace", type=float, default=5.0, help="wait for late duplicates, s")
    add_load_arguments(p)
    p.add_argument(
        "--token-url", default=f"http://127.0.0.1:{rp.KEYCLOAK_PORT}/realms/rsc/protocol/openid-connect/token"
    )
    p.add_argument("--client-id", default="rsc-cli")
    p.add_argument("--user", default="applicant-a")
    p.add_argument("--password", default=None)
    p.add_argument("--call", default="DEMO-2027-RIA-01")
    p.add_argument("--kafka", default=f"127.0.0.1:{rp.KAFKA_PORT}")
    p.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = p.parse_args(argv)
    args.password = args.password or args.user
    args.count = args.count or (200 if args.quick else 4000)
    args.duration = args.duration or (40.0 if args.quick else 240.0)
    args.drain_timeout = args.drain_timeout or (180.0 if args.quick else 600.0)
    args.mail_timeout = args.mail_timeout or (90.0 if args.quick else 300.0)
    args.base_url = f"http://127.0.0.1:{rp.STACK_PORTS['intake']}"
    args.poisson = False
    return args


def preflight(args: argparse.Namespace) -> list[str]:
    ended = rp.end_leftovers()
    if ended:
        print(f"ended replicas a previous run left behind: {', '.join(ended)}", flush=True)
    expected = rp.expected_stack_processes()
    if ended:  # that run may have stopped `make up` processes too
        rp.restore_stack(expected + [f"{s}-{k}" for s in rp.SERVICES for k in ("api", "worker")])
        expected = rp.expected_stack_processes()
    missing = [f"{s}-{k}" for s in rp.SERVICES for k in ("api", "worker") if f"{s}-{k}" not in expected]
    if missing:
        raise SystemExit(f"not running: {', '.join(missing)}; start the stack with `make up`")
    busy = [p for p in range(args.second_port, args.second_port + 4) if not rp.port_free(p)]
    if busy:
        raise SystemExit(f"ports {busy} are in use: choose others with --second-port")
    return expected


async def main_async(args: argparse.Namespace) -> list[RunResult]:
    expected = preflight(args)
    bench = Bench(args)
    runs: list[RunResult] = []
    await bench.intake.setup()
    bench.recipients = await asyncio.to_thread(recipients, args, token_subject(bench.intake.tokens.access_token))
    probes = []
    try:
        bench.intake_events.start()
        bench.appraisal_events.start()
        for topic in ("rsc.intake.events.dlt", "rsc.appraisal.events.dlt"):
            if topic_exists(args.kafka, topic):
                collector = EventCollector(args.kafka, topic, {"proposal.submitted", *APPRAISAL_TYPES})
                collector.start()
                bench.dlt.append(collector)
        probe_client = httpx.AsyncClient()
        probes = [asyncio.create_task(b.probe(probe_client)) for b in bench.balancers.values()]
        processes = await asyncio.to_thread(bench.one_replica)
        if not args.skip_one:
            runs.append(await bench.run("one replica", 1, processes, kill=False))
        processes = await asyncio.to_thread(bench.two_replicas)
        label = "two replicas" + ("" if args.no_kill else ", one of each killed")
        runs.append(await bench.run(label, 2, processes, kill=not args.no_kill))
    finally:
        for task in probes:
            task.cancel()
        print("stopping the benchmark's replicas and restoring the stack", flush=True)
        await asyncio.to_thread(rp.stop_all)
        await asyncio.to_thread(rp.restore_stack, expected)
        for c in (bench.intake_events, bench.appraisal_events, *bench.dlt):
            c.stop()
        await bench.intake.close()
    return runs


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)

    def terminate(signum, frame):  # clean up on SIGTERM as on Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    runs = asyncio.run(main_async(args))
    body = render(args, runs)
    print(body)
    if not (args.quick or args.no_write):
        write_section(RESULTS, SECTION, body)
        print(f"wrote section {SECTION} of {RESULTS}")
    # An e-mail sent again with the same Message-ID (SIGKILL between the relay's acceptance and the commit)
    # is one message to its reader; a second Message-ID for one notification is a real duplicate.
    failed = any(r.stats["lost"] or r.stats["screened_twice"] or r.stats["mail_distinct_twice"] for r in runs)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
