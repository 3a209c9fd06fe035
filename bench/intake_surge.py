"""Call-deadline surge against the intake API, end to end to Kafka.

1. Prepares drafts (create, then PUT a complete document with 3-8 partners) outside the measured
   window.
2. Submits them open-loop: every submission leaves at its scheduled instant whatever the earlier
   ones are doing, so a slow server does not lower the offered load. The arrival schedule is the
   surge profile of the reference (compressed into --duration) or a constant rate.
3. A Kafka consumer (own group, from the end offsets at start) collects `proposal.submitted` and
   matches them to the accepted submissions: outbox-to-Kafka lag, lost and duplicate events.
4. A step test at increasing constant rates finds the highest rate with submit p99 ≤ 200 ms and
   no errors.
5. Writes its section of docs/benchmarks.md (between `bench:intake-surge` markers).

Needs the stack up (`make up`). Run from the repository root:
    uv run --frozen python -m bench.intake_surge            # 10,000 in 600 s + step test
    uv run --frozen python -m bench.intake_surge --quick    # ~1-minute smoke, prints only
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import json
import random
import shlex
import sys
import time
import types
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    RESULTS,
    ROOT,
    CpuMeter,
    EventCollector,
    Segment,
    Table,
    TokenSource,
    arrival_times,
    constant_profile,
    cpu_table,
    epoch,
    machine,
    ms,
    outside_load,
    quiet_check,
    summarise,
    surge_profile,
    write_section,
)
from bench.rawhttp import ProtocolError, RawClient, ServerDisconnected
from bench.rawhttp import Response as RawResponse
from tests.support.proposals import complete_content

SECTION = "intake-surge"
SAVE_DIR = ROOT / ".local" / "bench"  # raw results of every run (git-ignored)
EVENT_TYPE = "proposal.submitted"
TARGET_P99 = 0.200  # s, submit latency
TARGET_LAG_P99 = 1.0  # s, outbox → Kafka
DEFAULT_STEPS = "10,20,30,40,50,60,70,80,100,120,140,160"  # /s; the step test stops at the first failing rate


# --------------------------------------------------------------------------------------- records


@dataclass
class Draft:
    id: str
    partners: int


@dataclass
class Submission:
    draft: Draft
    segment: str
    intended: float  # perf_counter instant the arrival was scheduled for
    sent: float = 0.0  # perf_counter when the request started
    done: float = 0.0  # perf_counter when the answer (or the error) arrived
    done_wall: float = 0.0  # wall clock of `done` (compared with Kafka timestamps)
    status: int | None = None
    error: str | None = None
    version: int | None = None
    sent_wall: float = 0.0  # wall clock of `sent`
    server_at: float | None = None  # wall clock the API stamped as `submitted_at` (inside the handler)

    @property
    def accepted(self) -> bool:
        return self.status == 201

    @property
    def latency(self) -> float:
        return self.done - self.sent


@dataclass
class WindowResult:
    label: str
    offered: list[Segment]
    subs: list[Submission]
    events: list[Any]
    cpu: dict[str, Any]
    segment_cpu: dict[str, dict[str, Any]]
    drain_seconds: float
    wall_start: float
    stats: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ the client


class Intake:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # Preparation, tokens and look-ups go through httpx; the measured submissions through the
        # lighter RawClient (bench/rawhttp.py): the generator shares the 2 cores with the server, and
        # httpx's ~3 ms of CPU per request was taken from it. One unbounded keep-alive pool (open loop).
        self.http = httpx.AsyncClient(
            base_url=args.base_url,
            timeout=httpx.Timeout(args.timeout, connect=10),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=None, keepalive_expiry=3.0),
        )
        self.raw = RawClient(args.base_url, timeout=args.timeout)
        self.tokens = TokenSource(args.token_url, args.client_id, args.user, args.password)
        self.call_id = ""
        self.questionnaire: dict[str, Any] = {}

    async def setup(self) -> None:
        try:
            await self.tokens.fetch(self.http)
            (await self.http.get("/readyz")).raise_for_status()
        except httpx.HTTPError as exc:
            raise SystemExit(f"the local stack is not reachable ({exc!r}): start it with `make up`") from None
        self.tokens.start(self.http)
        response = await self.http.get("/v1/calls", headers=self.tokens.header)
        response.raise_for_status()
        calls = {c["identifier"]: c for c in response.json()}
        if self.args.call not in calls:
            raise SystemExit(f"call {self.args.call} not found (calls: {', '.join(calls)})")
        call = calls[self.args.call]
        if not call.get("is_open", True):
            raise SystemExit(f"call {self.args.call} is not open")
        self.call_id = call["id"]
        response = await self.http.get(f"/v1/calls/{self.call_id}/questionnaire", headers=self.tokens.header)
        response.raise_for_status()
        self.questionnaire = response.json()

    async def close(self) -> None:
        await self.tokens.stop()
        await self.http.aclose()
        await self.raw.aclose()

    # -- preparation --------------------------------------------------------------------------

    async def _prepare_one(self, seed: int, rng: random.Random) -> Draft | None:
        partners = rng.randint(self.args.partners_min, self.args.partners_max)
        last: Exception | None = None
        for _attempt in range(4):
            try:
                created = await self.http.post(
                    "/v1/proposals", json={"call_id": self.call_id, "content": {}}, headers=self.tokens.header
                )
                if created.status_code != 201:
                    raise RuntimeError(f"create {created.status_code}: {created.text[:200]}")
                proposal_id = created.json()["id"]
                content = complete_content(self.questionnaire, partners=partners, seed=seed)
                content["details"]["acronym"] = f"BENCH{seed % 100_000}"
                put = await self.http.put(
                    f"/v1/proposals/{proposal_id}/content",
                    json=content,
                    headers={**self.tokens.header, "If-Match": created.headers["ETag"]},
                )
                if put.status_code != 200:
                    raise RuntimeError(f"content {put.status_code}: {put.text[:200]}")
                return Draft(proposal_id, partners)
            except Exception as exc:  # retried; a draft that never succeeds is left out
                last = exc
                await asyncio.sleep(0.5)
        print(f"  draft preparation failed: {last!r}", file=sys.stderr)
        return None

    async def prepare(self, count: int, label: str) -> list[Draft]:
        sem = asyncio.Semaphore(self.args.prep_concurrency)
        rng = random.Random(f"{self.args.seed}-{label}")
        base = rng.randrange(1_000_000_000)
        done = 0
        started = time.monotonic()

        async def one(i: int) -> Draft | None:
            nonlocal done
            async with sem:
                draft = await self._prepare_one(base + i, random.Random(base + i))
            done += 1
            if done % 1000 == 0:
                print(f"  {label}: {done}/{count} drafts ({done / (time.monotonic() - started):.0f}/s)", flush=True)
            return draft

        drafts = [d for d in await asyncio.gather(*(one(i) for i in range(count))) if d is not None]
        elapsed = time.monotonic() - started
        print(f"  {label}: {len(drafts)} drafts ready in {elapsed:.0f} s ({len(drafts) / elapsed:.1f}/s)", flush=True)
        if len(drafts) < count:
            print(f"  warning: {count - len(drafts)} drafts could not be prepared", file=sys.stderr)
        return drafts

    # -- submission ---------------------------------------------------------------------------

    async def submit(self, sub: Submission) -> None:
        headers = {**self.tokens.header, "Idempotency-Key": str(uuid.uuid4())}
        await self.timed(sub, lambda raw: raw.post(f"/v1/proposals/{sub.draft.id}/submit", headers))

    async def timed(self, sub: Submission, send: Callable[[RawClient], Awaitable[RawResponse]]) -> None:
        """Send one submission (`send`), recording its timing, status and version."""
        sub.sent, sub.sent_wall = time.perf_counter(), time.time()
        try:
            response = await send(self.raw)
            sub.status = response.status_code
            if response.status_code == 201:
                version = json.loads(response.body)["version"]
                sub.version, sub.server_at = version["version"], epoch(version.get("submitted_at"))
            else:
                sub.error = f"HTTP {response.status_code}"
        except (TimeoutError, httpx.TimeoutException) as exc:
            sub.error = f"timeout ({type(exc).__name__})"
        except (OSError, ServerDisconnected, ProtocolError, httpx.HTTPError) as exc:
            sub.error = type(exc).__name__
        finally:
            sub.done, sub.done_wall = time.perf_counter(), time.time()

    async def reconcile(self, subs: list[Submission]) -> collections.Counter:
        """For submissions the client saw fail: did the server commit them anyway? (A client timeout
        does not stop the server from working through its queue.) Asked after the drain; the GETs queue
        behind whatever the API still has to do, so they also wait for its backlog."""
        sem = asyncio.Semaphore(8)
        outcome: collections.Counter = collections.Counter()

        async def one(sub: Submission) -> None:
            async with sem:
                try:
                    r = await self.http.get(f"/v1/proposals/{sub.draft.id}", headers=self.tokens.header, timeout=120)
                    r.raise_for_status()
                    outcome["committed" if r.json().get("current_version", 0) >= 1 else "not committed"] += 1
                except Exception as exc:
                    outcome[f"unknown ({type(exc).__name__})"] += 1

        await asyncio.gather(*(one(s) for s in subs if not s.accepted))
        return outcome

    async def open_loop(self, drafts: list[Draft], arrivals: list[tuple[float, str]], start: float) -> list[Submission]:
        """Fire one submission per arrival at its scheduled instant (never waiting for answers);
        `start` is the perf_counter instant of offset 0."""
        subs: list[Submission] = []
        tasks: list[asyncio.Task] = []
        for (offset, segment), draft in zip(arrivals, drafts, strict=False):
            at = start + offset
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sub = Submission(draft, segment, intended=at)
            subs.append(sub)
            tasks.append(asyncio.create_task(self.submit(sub)))
        await asyncio.gather(*tasks)
        return subs


# ---------------------------------------------------------------------------------------- window


async def run_window(
    intake: Intake, collector: EventCollector, label: str, segments: list[Segment], drafts: list[Draft]
) -> WindowResult:
    args = intake.args
    arrivals = arrival_times(segments, poisson=args.poisson, seed=args.seed)
    if len(drafts) < len(arrivals):
        arrivals = arrivals[: len(drafts)]
    total = len(arrivals)
    duration = max(s.end for s in segments)
    print(f"  {label}: {total} submissions over {duration:.0f} s (" +
          ", ".join(f"{s.name} {s.rate:.1f}/s" for s in segments if s.count) + ")", flush=True)  # fmt: skip
    meter = CpuMeter(interval=1.0)
    meter.start()
    wall_start = time.time()
    progress = asyncio.create_task(_progress(label, duration))
    start = time.perf_counter() + 0.5
    # The collector reads the topic after the submissions, not during them: its timestamps are the
    # records' own (set by the relay's producer), and a Kafka consumer thread in this process would take
    # the GIL and CPU from the generator while it is measured.
    collector.pause()
    try:
        subs = await intake.open_loop(drafts, arrivals, start)
    finally:
        collector.resume()
    progress.cancel()
    meter.stop()
    cpu = meter.between()
    segment_cpu = {seg.name: meter.between(start + seg.start, start + seg.end) for seg in segments}
    # Drain: wait until every accepted submission has its event (or the timeout), then a short grace
    # period so that late duplicates are caught as well.
    accepted = {s.draft.id for s in subs if s.accepted}
    drain_started = time.monotonic()
    while time.monotonic() - drain_started < args.drain_timeout:
        seen = {e.proposal_id for e in collector.snapshot()}
        if accepted <= seen:
            break
        await asyncio.sleep(0.25)
    drain_seconds = time.monotonic() - drain_started
    await asyncio.sleep(args.grace)
    failed_outcome = await intake.reconcile(subs) if any(not s.accepted for s in subs) else collections.Counter()
    ids = {d.id for d in drafts}
    events = [e for e in collector.snapshot() if e.proposal_id in ids]
    result = WindowResult(label, segments, subs, events, cpu, segment_cpu, drain_seconds, wall_start)
    result.stats = analyse(result)
    result.stats["failed_outcome"] = dict(failed_outcome)
    print_summary(result)
    return result


async def _progress(label: str, duration: float) -> None:
    started = time.monotonic()
    while True:
        await asyncio.sleep(60)
        print(f"  {label}: {time.monotonic() - started:.0f}/{duration:.0f} s", flush=True)


def analyse(r: WindowResult) -> dict[str, Any]:
    subs = r.subs
    accepted = [s for s in subs if s.accepted]
    errors = collections.Counter(s.error for s in subs if not s.accepted)
    by_proposal: dict[str, list] = collections.defaultdict(list)
    for e in r.events:
        by_proposal[e.proposal_id].append(e)
    id_counts = collections.Counter(e.event_id for e in r.events)
    dup_same_id = sum(c - 1 for c in id_counts.values() if c > 1)
    versions: dict[tuple[str, int | None], set[str]] = collections.defaultdict(set)
    for e in r.events:
        versions[(e.proposal_id, e.version)].add(e.event_id)
    dup_same_version = sum(len(v) - 1 for v in versions.values() if len(v) > 1)
    lost = [s for s in accepted if s.draft.id not in by_proposal]
    unacknowledged = [s for s in subs if not s.accepted and s.draft.id in by_proposal]
    header_mismatch = sum(1 for e in r.events if e.header_event_id not in (None, e.event_id))

    # Per accepted submission, from its first event on Kafka:
    #   lag        = record timestamp - when the client received the 201
    #   commit_lag = record timestamp - when the API created the event (envelope `time`, just before commit)
    # (No receive lag: the collector reads the topic only after the window, see run_window.)
    lags: dict[str, tuple[float, float | None]] = {}
    for s in accepted:
        if evs := by_proposal.get(s.draft.id):
            first = min(evs, key=lambda e: e.broker_ts)
            commit = first.broker_ts - first.envelope_time if first.envelope_time is not None else None
            lags[s.draft.id] = (first.broker_ts - s.done_wall, commit)

    def lag_stats(group: list[Submission]) -> dict[str, dict[str, float | None]]:
        values = [lags[s.draft.id] for s in group if s.draft.id in lags]
        return {
            "lag": summarise([v[0] for v in values]),
            "commit_lag": summarise([v[1] for v in values if v[1] is not None]),
        }

    span = (max(s.done for s in subs) - min(s.sent for s in subs)) if subs else 0.0
    per_segment = {}
    for seg in r.offered:
        group = [s for s in subs if s.segment == seg.name]
        if group:
            group_span = max(s.done for s in group) - min(s.sent for s in group)
            group_accepted = [s for s in group if s.accepted]
            per_segment[seg.name] = {
                "offered_rate": seg.rate,
                "sent": len(group),
                "accepted": len(group_accepted),
                "errors": sum(1 for s in group if not s.accepted),
                "error_kinds": dict(collections.Counter(s.error for s in group if not s.accepted)),
                "throughput": len(group_accepted) / group_span if group_span > 0 else 0.0,
                "lost": sum(1 for s in group_accepted if s.draft.id not in by_proposal),
                "latency": summarise([s.latency for s in group if s.accepted]),
                **lag_stats(group),
                "cpu": r.segment_cpu.get(seg.name, {}),
            }
    return {
        "sent": len(subs),
        "accepted": len(accepted),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "events": len(r.events),
        "lost": len(lost),
        "dup_same_id": dup_same_id,
        "dup_same_version": dup_same_version,
        "unacknowledged_published": len(unacknowledged),
        "header_mismatch": header_mismatch,
        "latency": summarise([s.latency for s in accepted]),
        "from_intended": summarise([s.done - s.intended for s in accepted]),
        # where the time went: request sent → handler running (queues in the server), handler → answer received
        "to_handler": summarise([s.server_at - s.sent_wall for s in accepted if s.server_at is not None]),
        "from_handler": summarise([s.done_wall - s.server_at for s in accepted if s.server_at is not None]),
        "dispatch_late": summarise([s.sent - s.intended for s in subs]),
        **lag_stats(accepted),
        "span": span,
        "throughput": len(accepted) / span if span > 0 else 0.0,
        "offered_rate": len(subs) / max(seg.end for seg in r.offered),
        "per_segment": per_segment,
        "timestamp_types": {str(k): v for k, v in collections.Counter(e.timestamp_type for e in r.events).items()},
        "drain_seconds": r.drain_seconds,
        "cpu": r.cpu,
    }


def passed(stats: dict[str, Any]) -> bool:
    p99 = stats["latency"]["p99"]
    return stats["errors"] == 0 and p99 is not None and p99 <= TARGET_P99


def print_summary(r: WindowResult) -> None:
    s = r.stats
    lat, lag = s["latency"], s["lag"]
    print(
        f"  {r.label}: sent {s['sent']}, accepted {s['accepted']}, errors {s['errors']} {s['error_kinds'] or ''}; "
        f"throughput {s['throughput']:.1f}/s (offered {s['offered_rate']:.1f}/s)\n"
        f"    submit p50 {ms(lat['p50'], 1)} ms, p99 {ms(lat['p99'], 1)} ms, max {ms(lat['max'])} ms; "
        f"from intended p99 {ms(s['from_intended']['p99'], 1)} ms; "
        f"dispatch late max {ms(s['dispatch_late']['max'], 1)} ms\n"
        f"    events {s['events']}, lost {s['lost']}, duplicates {s['dup_same_id']} (same id) / "
        f"{s['dup_same_version']} (same proposal+version); outbox lag p50 {ms(lag['p50'])} ms, "
        f"p99 {ms(lag['p99'])} ms, max {ms(lag['max'])} ms",
        flush=True,
    )
    if r.cpu:
        top = sorted(r.cpu["cores"].items(), key=lambda kv: -kv[1])[:5]
        print("    CPU (cores): " + ", ".join(f"{k} {v:.2f}" for k, v in top) +
              f"; machine {r.cpu['system_busy'] * 100:.0f}% busy", flush=True)  # fmt: skip


# ----------------------------------------------------------------------------------- scenarios


async def scenario(args: argparse.Namespace) -> tuple[WindowResult | None, list[WindowResult]]:
    intake = Intake(args)
    collector = EventCollector(args.kafka, args.topic, {EVENT_TYPE})
    await intake.setup()
    collector.start()
    surge: WindowResult | None = None
    steps: list[WindowResult] = []
    try:
        if not args.skip_surge:
            if args.rate or args.profile == "constant":
                segments = constant_profile(args.count, args.duration)
            else:
                segments = surge_profile(args.count, args.duration, args.burst_factor)
            print(f"surge: preparing {args.count} drafts", flush=True)
            drafts = await intake.prepare(args.count, "surge")
            await asyncio.sleep(args.settle)
            surge = await run_window(intake, collector, "surge", segments, drafts)
        failed = 0
        for rate in args.steps:
            count = round(rate * args.step_duration)
            for attempt in range(1 + args.retries):
                label = f"step {rate:g}/s" + (f" (repeat {attempt})" if attempt else "")
                print(f"{label}: preparing {count} drafts", flush=True)
                drafts = await intake.prepare(count, label)
                await asyncio.sleep(args.settle)
                result = await run_window(intake, collector, label, constant_profile(count, args.step_duration), drafts)
                result.stats["rate"] = rate
                steps.append(result)
                if passed(result.stats):
                    break
                if attempt < args.retries:
                    print(
                        f"  {label}: failed (outside load {outside_load(result.cpu):.2f} cores): repeating", flush=True
                    )
            # a rate counts as sustainable if any of its runs passed
            if not any(passed(r.stats) for r in steps if r.stats["rate"] == rate):
                failed += 1
                if not args.all_steps and failed >= args.stop_after_failures:
                    break
    finally:
        collector.stop()
        await intake.close()
    if collector.errors:
        print(f"Kafka consumer errors: {collector.errors}", file=sys.stderr)
    return surge, steps


# ------------------------------------------------------------------------------------- reporting


def fmt_rate(x: float) -> str:
    return f"{x:.1f}"


def window_row(label: str, s: dict[str, Any]) -> list[str]:
    """One table row; works for a whole window and for one segment of it (no duplicates column there)."""
    errors = f"{s['errors']:,}"
    if s.get("error_kinds"):
        errors += " (" + ", ".join(f"{k}: {v}" for k, v in s["error_kinds"].items()) + ")"
    cpu = s.get("cpu") or {}
    return [
        label,
        fmt_rate(s["offered_rate"]),
        f"{s['sent']:,}",
        f"{s['accepted']:,}",
        errors,
        fmt_rate(s["throughput"]),
        ms(s["latency"]["p50"], 1),
        ms(s["latency"]["p99"], 1),
        ms(s["latency"]["max"]),
        ms(s["lag"]["p50"]),
        ms(s["lag"]["p99"]),
        ms(s["commit_lag"]["p99"]),
        f"{s['lost']}",
        f"{s['dup_same_id']} / {s['dup_same_version']}" if "dup_same_id" in s else "",
        f"{cpu['cores'].get('intake-api', 0):.2f}" if cpu else "-",
        f"{cpu['system_busy'] * 100:.0f}%" if cpu else "-",
        f"{outside_load(cpu):.2f}" if cpu else "-",
    ]


WINDOW_HEADERS = [
    "window", "offered /s", "sent", "accepted", "errors", "achieved /s", "submit p50 ms", "submit p99 ms",
    "submit max ms", "lag p50 ms", "lag p99 ms", "created→Kafka p99 ms", "lost", "dup (id / version)",
    "intake-api cores", "machine busy", "outside load cores",
]  # fmt: skip


def render(
    args: argparse.Namespace,
    surge: WindowResult | None,
    steps: list[WindowResult],
    command: str,
    before: dict[str, Any],
    m: dict[str, str],
    when: str,
) -> str:
    out: list[str] = [
        "## Intake: call-deadline surge (`bench/intake_surge.py`)",
        "",
        f"- **Date**: {when}" + (" (quick smoke run)" if args.quick else ""),
        f"- **Machine**: {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}, Python {m['python']}."
        " The whole stack (PostgreSQL, Kafka, Temporal, Keycloak, 4 APIs + 4 workers) runs on it, and so does"
        " the load generator: every number below includes that contention.",
        f"- **Command**: `{command}`",
        f"- **Parameters**: user `{args.user}` (one token, refreshed in the background), call `{args.call}`,"
        f" {args.partners_min}-{args.partners_max} partners per proposal, drafts prepared before each window"
        f" ({args.prep_concurrency} in parallel: create + PUT complete content), open-loop"
        f" {'Poisson' if args.poisson else 'evenly spaced'} arrivals, client timeout {args.timeout:g} s,"
        f" drain timeout {args.drain_timeout:g} s. Measured: the `POST /v1/proposals/{{id}}/submit` call"
        " (request sent → response received). *lag* = Kafka record timestamp of the `proposal.submitted` event"
        " minus the instant the client received the 201 (one host clock; negative when the relay published the"
        " event before the API's answer reached the client); *created→Kafka* = record timestamp minus the"
        " envelope `time` the API stamped when it wrote the outbox row (just before the commit), i.e. the outbox"
        " relay's own delay. *achieved* = accepted ÷ (last answer - first request) of that row's submissions;"
        " CPU columns are averages over the row's time span (1.00 = one core); *outside load* = processes that"
        " are neither the stack nor this benchmark (e.g. a test run from another checkout).",
        f"- **Before the run** (idle stack, {before.get('elapsed', 0):.0f} s): machine"
        f" {before.get('system_busy', 0) * 100:.0f}% busy, outside load {outside_load(before):.2f} cores.",
        "",
    ]
    if surge is not None:
        s = surge.stats
        out += [
            f"### Surge: {s['sent']:,} submissions in {max(x.end for x in surge.offered):.0f} s",
            "",
            "Arrival profile (reference §2 compressed into the window: half evenly over the first 5/6, half in the"
            f" last 1/6 ending in a burst of 1/30 of the window at {args.burst_factor:g}x the final-window rate):"
            if not args.rate and args.profile == "surge"
            else "Arrival profile: constant rate.",
            "",
        ]
        t = Table(["segment", "from-to s", "count", "offered /s"])
        for seg in surge.offered:
            t.add(seg.name, f"{seg.start:.0f}-{seg.end:.0f}", f"{seg.count:,}", fmt_rate(seg.rate))
        out += [*t.render(), ""]
        t = Table(WINDOW_HEADERS)
        for name, ps in s["per_segment"].items():
            t.rows.append(window_row(name, ps))
        t.rows.append(window_row("**whole window**", s))
        out += [*t.render(), ""]
        lat = s["latency"]
        ok = lambda b: "yes" if b else "**no**"  # noqa: E731
        t = Table(["target", "measured", "met"], align="llr")
        t.add("0 lost", f"{s['lost']} lost of {s['accepted']:,} accepted", ok(s["lost"] == 0))
        t.add(
            "0 duplicates",
            f"{s['dup_same_id']} same event id, {s['dup_same_version']} same proposal+version",
            ok(s["dup_same_id"] == 0 and s["dup_same_version"] == 0),
        )
        t.add("submit p99 ≤ 200 ms", f"{ms(lat['p99'], 1)} ms", ok(lat["p99"] is not None and lat["p99"] <= TARGET_P99))
        lag_ok = all(s[k]["p99"] is not None and s[k]["p99"] <= TARGET_LAG_P99 for k in ("lag", "commit_lag"))
        t.add(
            "outbox lag p99 ≤ 1 s",
            f"{ms(s['lag']['p99'])} ms after the 201; {ms(s['commit_lag']['p99'])} ms after the event was created",
            ok(lag_ok),
        )
        t.add("every submission accepted (0 errors)", f"{s['accepted']:,} of {s['sent']:,}, {s['errors']} errors",
              ok(s["errors"] == 0))  # fmt: skip
        out += [*t.render(), ""]
        out += [
            f"Also measured: submit p90 {ms(lat['p90'], 1)} ms, mean {ms(lat['mean'], 1)} ms; latency from the"
            f" *scheduled* instant (includes generator lateness) p99 {ms(s['from_intended']['p99'], 1)} ms;"
            f" generator dispatch lateness p99 {ms(s['dispatch_late']['p99'], 1)} ms, max"
            f" {ms(s['dispatch_late']['max'], 1)} ms; max outbox lag {ms(s['lag']['max'])} ms;"
            + (
                f" time from sending the request to the handler running p50/p99"
                f" {ms(s['to_handler']['p50'])}/{ms(s['to_handler']['p99'])} ms and from the handler to the answer"
                f" arriving p50/p99 {ms(s['from_handler']['p50'])}/{ms(s['from_handler']['p99'])} ms;"
                if s.get("to_handler")
                else ""
            )
            + f" events for submissions the client saw fail: {s['unacknowledged_published']}"
            + (
                " (checked afterwards with GET: " + ", ".join(f"{v} {k}" for k, v in s["failed_outcome"].items()) + ")"
                if s.get("failed_outcome")
                else ""
            )
            + ";"
            f" Kafka timestamp type {_ts_type(s)}; all events in {s['drain_seconds']:.1f} s after the last answer.",
            "",
            "CPU during the window:",
            "",
            *cpu_table(surge.cpu),
            "",
        ]
    if steps:
        out += [
            f"### Maximum sustainable submission rate (step test, {args.step_duration:g} s per step)",
            "",
            "Constant open-loop rate per step, fresh drafts prepared before each step; a step passes with"
            " submit p99 ≤ 200 ms and 0 errors"
            + ("" if args.all_steps else f"; stops after {args.stop_after_failures} failing rate(s)")
            + (
                f"; a failing step is repeated (up to {args.retries}x, fresh drafts) and the rate passes if any of its"
                " runs passed, so a one-off stall does not decide the result (every run is listed)"
                if args.retries
                else ""
            )
            + ".",
            "",
        ]
        t = Table([*WINDOW_HEADERS, "pass"])
        for r in steps:
            t.rows.append([*window_row(r.label, r.stats), "yes" if passed(r.stats) else "**no**"])
        out += [*t.render(), ""]
        best = max((r for r in steps if passed(r.stats)), key=lambda r: r.stats["offered_rate"], default=None)
        out += [
            "**Maximum sustainable rate**: "
            + (f"{best.stats['offered_rate']:.0f} submissions/s" if best else "none of the tested rates passed")
            + (f" (next step tested: {_next_failed(steps, best)})" if best and _next_failed(steps, best) else ""),
            "",
        ]
    out += ["### Interpretation", "", *interpret(args, surge, steps), ""]
    return "\n".join(out)


def _ts_type(s: dict[str, Any]) -> str:
    names = {"0": "CreateTime (set by the relay's producer)", "1": "LogAppendTime (set by the broker)"}
    return ", ".join(names.get(k, str(k)) for k in s["timestamp_types"]) or "-"


def _next_failed(steps: list[WindowResult], best: WindowResult) -> str:
    higher = [r for r in steps if r.stats["offered_rate"] > best.stats["offered_rate"] and not passed(r.stats)]
    if not higher:
        return ""
    r = min(higher, key=lambda r: r.stats["offered_rate"])
    s = r.stats
    return (
        f"{s['offered_rate']:.0f}/s failed: p99 {ms(s['latency']['p99'])} ms, {s['errors']} errors,"
        f" achieved {s['throughput']:.1f}/s"
    )


def interpret(args: argparse.Namespace, surge: WindowResult | None, steps: list[WindowResult]) -> list[str]:
    """Plain statements derived from the numbers; the hand-written analysis goes in `notes`."""
    lines: list[str] = []
    if surge is not None:
        s = surge.stats
        met = {
            "0 lost": s["lost"] == 0,
            "0 duplicates": s["dup_same_id"] == 0 and s["dup_same_version"] == 0,
            "submit p99": s["latency"]["p99"] is not None and s["latency"]["p99"] <= TARGET_P99,
            "outbox lag p99": all(
                s[k]["p99"] is not None and s[k]["p99"] <= TARGET_LAG_P99 for k in ("lag", "commit_lag")
            ),
        }
        missed = [name for name, ok in met.items() if not ok]
        lines.append(
            f"- Surge: {s['accepted']:,} of {s['sent']:,} submissions accepted ({s['errors']} errors);"
            f" {sum(met.values())} of 4 targets met"
            + (f" (not met: {', '.join(missed)})." if missed else f" ({', '.join(met)}).")
        )
        worst = max(s["per_segment"].items(), key=lambda kv: kv[1]["latency"]["p99"] or 0, default=None)
        if worst:
            name, ps = worst
            lines.append(
                f'- The worst segment is "{name}" ({ps["offered_rate"]:.1f}/s offered): submit p99'
                f" {ms(ps['latency']['p99'])} ms, outbox lag p99 {ms(ps['lag']['p99'])} ms, served at"
                f" {ps['throughput']:.1f}/s"
                + (
                    f" with intake-api at {ps['cpu']['cores'].get('intake-api', 0):.2f} cores and the machine"
                    f" {ps['cpu']['system_busy'] * 100:.0f}% busy."
                    if ps.get("cpu")
                    else "."
                )
            )
        if surge.cpu:
            api = surge.cpu["cores"].get("intake-api", 0.0)
            lines.append(
                f"- intake-api used {api:.2f} cores on average over the window; the machine was"
                f" {surge.cpu['system_busy'] * 100:.0f}% busy."
            )
    if steps:
        top = max(steps, key=lambda r: r.stats["throughput"])
        lines.append(
            f"- Highest throughput reached in the step test: {top.stats['throughput']:.1f} accepted/s"
            f" (at {top.stats['offered_rate']:.0f}/s offered)."
        )
    if args.notes and Path(args.notes).exists():
        lines += ["", Path(args.notes).read_text().strip()]
    return lines


# ------------------------------------------------------------------------------------------- CLI


def wait_quiet(args: argparse.Namespace) -> dict[str, Any]:
    """Measure the machine before starting; with --wait-quiet, wait (up to that long) until
    processes outside the stack use less than 0.2 cores."""
    deadline = time.monotonic() + args.wait_quiet
    while True:
        before = quiet_check(5.0)
        load = outside_load(before)
        print(
            f"before the run: machine {before.get('system_busy', 0) * 100:.0f}% busy, outside load {load:.2f} cores",
            flush=True,
        )
        if load < 0.2 or time.monotonic() >= deadline:
            break
        time.sleep(10)
    if load >= 0.2:
        top = sorted(before.get("other", {}).items(), key=lambda kv: -kv[1])[:3]
        print(
            "warning: other processes are using the CPU (" + ", ".join(f"{n} {c:.2f}" for n, c in top) + "): "
            "results will be lower than on a quiet machine",
            file=sys.stderr,
        )
    return before


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.intake_surge",
        description="Call-deadline surge on the intake API with outbox→Kafka lag, plus a max-rate step test.",
    )
    p.add_argument("--count", type=int, default=None, help="submissions in the surge window (default 10000)")
    p.add_argument("--duration", type=float, default=None, help="surge window in seconds (default 600)")
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        help="constant rate instead of the surge profile (count = rate x duration unless --count)",
    )
    p.add_argument(
        "--profile",
        choices=["surge", "constant"],
        default="surge",
        help="arrival profile of the surge window (default: the reference's surge, compressed)",
    )
    p.add_argument("--burst-factor", type=float, default=5.0, help="deadline burst rate ÷ final-window rate")
    p.add_argument("--poisson", action="store_true", help="random (Poisson) arrival instants instead of even spacing")
    p.add_argument("--steps", default=None, help=f"comma-separated rates for the step test (default {DEFAULT_STEPS})")
    p.add_argument("--step-duration", type=float, default=None, help="seconds per step (default 60)")
    p.add_argument("--all-steps", action="store_true", help="run every step even after failures")
    p.add_argument("--stop-after-failures", type=int, default=1, help="failing steps before the step test stops")
    p.add_argument(
        "--retries", type=int, default=1, help="repeat a failing step this many times before the rate counts as failed"
    )
    p.add_argument("--skip-surge", action="store_true", help="only the step test")
    p.add_argument("--no-steps", action="store_true", help="only the surge window")
    p.add_argument(
        "--quick",
        action="store_true",
        help="~1-minute smoke: 1000 submissions in 60 s (same rates), steps 10,20/s x 15 s; prints only",
    )
    p.add_argument("--partners-min", type=int, default=3)
    p.add_argument("--partners-max", type=int, default=8)
    p.add_argument("--prep-concurrency", type=int, default=8, help="parallel draft preparation requests")
    p.add_argument("--timeout", type=float, default=30.0, help="client timeout per request, seconds")
    p.add_argument("--drain-timeout", type=float, default=None, help="wait for missing events (default 60 s)")
    p.add_argument("--grace", type=float, default=3.0, help="extra wait for late duplicates, seconds")
    p.add_argument("--settle", type=float, default=3.0, help="pause between preparation and a window, seconds")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="wait up to this many seconds for other processes (outside the stack) to go quiet",
    )
    p.add_argument("--seed", type=int, default=2027)
    p.add_argument("--base-url", default="http://127.0.0.1:8101")
    p.add_argument("--token-url", default="http://127.0.0.1:18080/realms/rsc/protocol/openid-connect/token")
    p.add_argument("--client-id", default="rsc-cli")
    p.add_argument("--user", default="applicant-a")
    p.add_argument("--password", default=None, help="default: the user name (demo realm)")
    p.add_argument("--call", default="DEMO-2027-RIA-01", help="call identifier")
    p.add_argument("--kafka", default="127.0.0.1:19092")
    p.add_argument("--topic", default="rsc.intake.events")
    p.add_argument(
        "--output",
        default=None,
        help=f"results file (default {RESULTS.relative_to(RESULTS.parent.parent)}; --quick: none)",
    )
    p.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    p.add_argument("--notes", default=None, help="markdown file appended to the interpretation")
    p.add_argument("--render", default=None, metavar="JSON", help="only re-render a saved run (.local/bench/*.json)")
    args = p.parse_args(argv)
    args.password = args.password or args.user
    if args.quick:
        args.count = args.count or 1000
        args.duration = args.duration or 60.0
        args.step_duration = args.step_duration or 15.0
        args.steps = args.steps or "10,20"
        args.drain_timeout = args.drain_timeout or 30.0
    args.duration = args.duration or 600.0
    if args.count is None:
        args.count = round(args.rate * args.duration) if args.rate else 10_000
    args.step_duration = args.step_duration or 60.0
    args.drain_timeout = args.drain_timeout or 60.0
    args.steps = [] if args.no_steps else [float(x) for x in (args.steps or DEFAULT_STEPS).split(",") if x]
    if args.output is None and not args.quick:
        args.output = str(RESULTS)
    if not 1 <= args.partners_min <= args.partners_max:
        p.error("need 1 ≤ --partners-min ≤ --partners-max")
    return args


def _saved(r: WindowResult) -> dict[str, Any]:
    t0 = min((s.intended for s in r.subs), default=0.0)
    return {
        "label": r.label,
        "offered": [dataclasses.asdict(s) for s in r.offered],
        "stats": r.stats,
        "cpu": r.cpu,
        # one row per submission: [sent s from window start, segment, latency ms, sent→handler ms, status or error]
        "samples": [
            [
                round(s.sent - t0, 4),
                s.segment,
                round(s.latency * 1000, 2),
                round((s.server_at - s.sent_wall) * 1000, 2) if s.server_at is not None else None,
                s.status if s.accepted else s.error,
            ]
            for s in r.subs
        ],
    }


def _loaded(d: dict[str, Any]) -> Any:
    return types.SimpleNamespace(
        label=d["label"], offered=[Segment(**s) for s in d["offered"]], stats=d["stats"], cpu=d["cpu"]
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.render:
        # Re-render a saved run (e.g. with --notes added afterwards); nothing is measured.
        saved = json.loads(Path(args.render).read_text())
        run_args = argparse.Namespace(**saved["args"])
        run_args.notes = args.notes or run_args.notes
        surge = _loaded(saved["surge"]) if saved["surge"] else None
        steps = [_loaded(d) for d in saved["steps"]]
        section = render(run_args, surge, steps, saved["command"], saved["before"], saved["machine"], saved["date"])
    else:
        command = "uv run --frozen python -m bench.intake_surge" + ("" if not argv else " " + shlex.join(argv))
        try:
            import uvloop  # lighter event loop for the generator when it is installed

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        before = wait_quiet(args)
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        surge, steps = runner(scenario(args))  # Ctrl-C stops the run and writes nothing
        m = machine()
        SAVE_DIR.mkdir(parents=True, exist_ok=True)
        save = SAVE_DIR / f"intake_surge-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
        save.write_text(
            json.dumps(
                {
                    "args": vars(args),
                    "command": command,
                    "date": when,
                    "machine": m,
                    "before": before,
                    "surge": _saved(surge) if surge else None,
                    "steps": [_saved(r) for r in steps],
                },
                indent=1,
            )
        )
        print(f"results saved: {save} (re-render with --render {save})")
        section = render(args, surge, steps, command, before, m, when)
    if args.output and not args.no_write:
        write_section(Path(args.output), SECTION, section)
        print(f"\nwritten: {args.output} (section {SECTION})")
    else:
        print("\n" + section)


if __name__ == "__main__":
    main()
