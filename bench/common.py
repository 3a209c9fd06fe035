"""Helpers shared by the benchmark scenarios: tokens, percentiles, arrival schedules, a Kafka
event collector, CPU accounting of the local stack, machine facts and the results file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import re
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"
RUN_DIR = ROOT / ".local" / "run"

# --------------------------------------------------------------------------------------- tokens


class TokenSource:
    """A password-grant token for one user, refreshed in the background well before it expires
    (Keycloak's access tokens last 900 s here; a long run outlives several)."""

    def __init__(self, token_url: str, client_id: str, username: str, password: str) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.username = username
        self.password = password
        self.access_token = ""
        self._refresh_token: str | None = None
        self._expires_at = 0.0
        self._refresh_expires_at = 0.0
        self._task: asyncio.Task | None = None
        self.refreshes = 0

    async def fetch(self, client: httpx.AsyncClient) -> None:
        data = {"client_id": self.client_id}
        if self._refresh_token and time.monotonic() < self._refresh_expires_at - 30:
            data |= {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
        else:
            data |= {"grant_type": "password", "username": self.username, "password": self.password}
        response = await client.post(self.token_url, data=data, timeout=30)
        if response.status_code != 200 and data["grant_type"] == "refresh_token":
            self._refresh_token = None
            return await self.fetch(client)
        response.raise_for_status()
        body = response.json()
        self.access_token = body["access_token"]
        self._refresh_token = body.get("refresh_token")
        now = time.monotonic()
        self._expires_at = now + float(body.get("expires_in", 300))
        self._refresh_expires_at = now + float(body.get("refresh_expires_in", 0))
        self.refreshes += 1

    @property
    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    async def _loop(self, client: httpx.AsyncClient) -> None:
        while True:
            # refresh at 1/3 of the remaining lifetime (≥ 20 s before expiry)
            await asyncio.sleep(max(5.0, min((self._expires_at - time.monotonic()) * 2 / 3, 300)))
            for attempt in range(5):
                try:
                    await self.fetch(client)
                    break
                except Exception:  # keep the old token; try again shortly
                    await asyncio.sleep(2 * (attempt + 1))

    def start(self, client: httpx.AsyncClient) -> None:
        self._task = asyncio.create_task(self._loop(client))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# ---------------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); None for no values."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summarise(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
        "mean": sum(values) / len(values) if values else None,
    }


def ms(value: float | None, digits: int = 0) -> str:
    """Seconds → milliseconds text."""
    if value is None:
        return "-"
    return f"{value * 1000:,.{digits}f}"


# -------------------------------------------------------------------------------------- arrivals


@dataclass(frozen=True)
class Segment:
    name: str
    start: float  # seconds from the window start
    end: float
    count: int

    @property
    def rate(self) -> float:
        return self.count / (self.end - self.start) if self.end > self.start else 0.0


def constant_profile(count: int, duration: float) -> list[Segment]:
    return [Segment("constant", 0.0, duration, count)]


def surge_profile(count: int, duration: float, burst_factor: float = 5.0) -> list[Segment]:
    """The call-deadline surge of docs/reference (§2), compressed proportionally into `duration`:
    half of the proposals spread evenly over the first 5/6 of the window; the other half in the
    final 1/6, which ends with a burst lasting 1/30 of the window (the "1 minute of a 30-minute
    call") at `burst_factor` x the rest of the final window's rate."""
    early_end = duration * 5 / 6
    burst_len = duration / 30
    burst_start = duration - burst_len
    early = count // 2
    final = count - early
    base_len = burst_start - early_end
    base_rate = final / (base_len + burst_factor * burst_len)
    burst = round(base_rate * burst_factor * burst_len)
    return [
        Segment("early (even spread)", 0.0, early_end, early),
        Segment("final window", early_end, burst_start, final - burst),
        Segment("deadline burst", burst_start, duration, burst),
    ]


def arrival_times(segments: Iterable[Segment], *, poisson: bool = False, seed: int = 1) -> list[tuple[float, str]]:
    """Offsets (seconds from the window start) of every arrival with its segment name: evenly spaced
    within a segment, or (poisson=True) exponential gaps at the segment's rate."""
    import random

    rng = random.Random(seed)
    out: list[tuple[float, str]] = []
    for seg in segments:
        if seg.count <= 0:
            continue
        length = seg.end - seg.start
        if poisson:
            # the same count, at uniformly random instants (= a Poisson process conditioned on the count)
            out.extend((seg.start + rng.random() * length, seg.name) for _ in range(seg.count))
        else:
            out.extend((seg.start + (k + 0.5) * length / seg.count, seg.name) for k in range(seg.count))
    out.sort()
    return out


# ------------------------------------------------------------------------------ Kafka collector


@dataclass
class SeenEvent:
    event_id: str  # envelope id
    header_event_id: str | None
    event_type: str
    proposal_id: str | None
    version: int | None
    broker_ts: float  # record timestamp, seconds since the epoch
    timestamp_type: int  # 0 = CreateTime (producer), 1 = LogAppendTime (broker)
    received_at: float  # wall clock when this consumer got it
    envelope_time: float | None  # when the API created the event (just before its commit)
    partition: int
    offset: int


class EventCollector:
    """Reads a topic from its end offsets at start (own consumer group, partitions assigned
    directly, so no rebalance delay) in a background thread and keeps the events of the wanted types."""

    def __init__(self, bootstrap: str, topic: str, event_types: set[str]) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.event_types = event_types
        self.group_id = f"rsc-bench-{uuid.uuid4().hex[:12]}"
        self.events: list[SeenEvent] = []
        self.records_seen = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._polling = threading.Event()
        self._polling.set()
        self._thread = threading.Thread(target=self._run, name="bench-kafka", daemon=True)

    def start(self, timeout: float = 60) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"Kafka consumer not ready after {timeout} s: {self.errors}")
        if self.errors:
            raise RuntimeError(f"Kafka consumer failed: {self.errors}")

    def stop(self) -> None:
        self._stop.set()
        self._polling.set()
        self._thread.join(30)

    def pause(self) -> None:
        """Stop polling until `resume` (the partitions stay assigned, nothing is skipped); `received_at` of
        the events read afterwards is then when they were read, not when they were published."""
        self._polling.clear()

    def resume(self) -> None:
        self._polling.set()

    def snapshot(self) -> list[SeenEvent]:
        with self._lock:
            return list(self.events)

    def _run(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        try:
            consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap,
                group_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                fetch_max_wait_ms=50,
                max_poll_records=2000,
            )
            partitions = None
            deadline = time.monotonic() + 30
            while not partitions and time.monotonic() < deadline:
                partitions = consumer.partitions_for_topic(self.topic)
                if not partitions:
                    time.sleep(0.5)
            if not partitions:
                raise RuntimeError(f"topic {self.topic} not found")
            tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            consumer.seek_to_end(*tps)
            self.start_offsets = {tp.partition: consumer.position(tp) for tp in tps}  # resolve now
        except Exception as exc:
            self.errors.append(repr(exc))
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                if not self._polling.wait(0.1):
                    continue
                batches = consumer.poll(timeout_ms=100)
                now = time.time()
                got: list[SeenEvent] = []
                for records in batches.values():
                    for record in records:
                        self.records_seen += 1
                        headers = {k: v.decode(errors="replace") for k, v in (record.headers or [])}
                        event_type = headers.get("event_type")
                        if event_type is not None and event_type not in self.event_types:
                            continue
                        try:
                            envelope = json.loads(record.value)
                        except ValueError:
                            continue
                        event_type = envelope.get("type", event_type)
                        if event_type not in self.event_types:
                            continue
                        data = envelope.get("data") or {}
                        got.append(
                            SeenEvent(
                                event_id=str(envelope.get("id")),
                                header_event_id=headers.get("event_id"),
                                event_type=event_type,
                                proposal_id=data.get("proposal_id"),
                                version=data.get("version"),
                                broker_ts=record.timestamp / 1000,
                                timestamp_type=record.timestamp_type,
                                received_at=now,
                                envelope_time=epoch(envelope.get("time")),
                                partition=record.partition,
                                offset=record.offset,
                            )
                        )
                if got:
                    with self._lock:
                        self.events.extend(got)
        except Exception as exc:  # reported with the results
            self.errors.append(repr(exc))
        finally:
            consumer.close()


def epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# ----------------------------------------------------------------------------- CPU accounting

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_table() -> dict[int, tuple[int, int, str]]:
    """pid → (ppid, utime+stime ticks, command name) for every process (Linux /proc)."""
    table: dict[int, tuple[int, int, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                raw = fh.read().decode(errors="replace")
        except OSError:
            continue
        comm = raw[raw.find("(") + 1 : raw.rfind(")")]
        rest = raw[raw.rfind(")") + 2 :].split()
        # fields after "(comm)": state ppid ... utime(14th overall → rest[11]) stime(rest[12])
        table[int(entry.name)] = (int(rest[1]), int(rest[11]) + int(rest[12]), comm)
    return table


def _system_ticks() -> tuple[int, int, int]:
    """(total, idle incl. iowait, iowait) jiffies of all CPUs."""
    with open("/proc/stat") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    iowait = parts[4] if len(parts) > 4 else 0
    return sum(parts), parts[3] + iowait, iowait


class CpuMeter:
    """CPU used by each part of the local stack, in cores (1.0 = one core busy), from samples of
    /proc taken every `interval` seconds in a background thread. Groups are the pid files under
    .local/run (each with its descendants) plus this load generator. Short-lived children (e.g.
    PostgreSQL backends of a connection pool's overflow) that exit between two samples are not
    counted, so those groups can read a little low."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self.available = Path("/proc/stat").exists()
        self.samples: list[tuple[float, dict[str, dict[int, int]], tuple[int, int], dict[int, tuple[int, str]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-cpu", daemon=True)

    @staticmethod
    def _roots() -> dict[str, int]:
        roots: dict[str, int] = {}
        if RUN_DIR.is_dir():
            for pid_file in sorted(RUN_DIR.glob("*.pid")):
                try:
                    roots[pid_file.stem] = int(pid_file.read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
        roots["load generator (this process)"] = os.getpid()
        return roots

    def sample(self) -> None:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        groups: dict[str, dict[int, int]] = {}
        for name, root in self._roots().items():
            pids, todo = {}, [root] if root in table else []
            while todo:
                pid = todo.pop()
                if pid not in pids:
                    pids[pid] = table[pid][1]
                    todo.extend(children.get(pid, []))
            groups[name] = pids
        grouped = {pid for pids in groups.values() for pid in pids}
        others = {pid: (ticks, comm) for pid, (_, ticks, comm) in table.items() if pid not in grouped}
        self.samples.append((time.perf_counter(), groups, _system_ticks(), others))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        if self.available:
            self.sample()
            self._thread.start()

    def stop(self) -> None:
        if self.available:
            self._stop.set()
            self._thread.join(10)
            self.sample()

    def between(self, t0: float | None = None, t1: float | None = None) -> dict[str, Any]:
        """Average use between the first sample at/after t0 and the last at/before t1 (perf_counter)."""
        if len(self.samples) < 2:
            return {}
        first = next((s for s in self.samples if t0 is None or s[0] >= t0 - 0.01), self.samples[0])
        last = next((s for s in reversed(self.samples) if t1 is None or s[0] <= t1 + 0.01), self.samples[-1])
        if last[0] - first[0] < 0.5:
            return {}
        elapsed = last[0] - first[0]
        cores = {}
        for name, pids in last[1].items():
            before = first[1].get(name, {})
            # processes that exist at both ends: difference; born in between: everything they used
            ticks = sum(t - before.get(pid, 0) for pid, t in pids.items())
            cores[name] = max(0, ticks) / _CLK_TCK / elapsed
        # everything else on the machine (other sessions, test runs, ...), by command name
        other: dict[str, float] = {}
        for pid, (ticks, comm) in last[3].items():
            used = ticks - first[3].get(pid, (0, ""))[0]
            if used > 0:
                other[comm] = other.get(comm, 0.0) + used / _CLK_TCK / elapsed
        total, idle = last[2][0] - first[2][0], last[2][1] - first[2][1]
        busy = (total - idle) / total if total else 0.0
        iowait = (last[2][2] - first[2][2]) / total if total else 0.0
        return {
            "iowait": iowait,
            "elapsed": elapsed,
            "cores": cores,
            "other": other,
            "system_busy": busy,
            "ncpu": os.cpu_count() or 1,
        }


def cpu_table(cpu: dict[str, Any], top: int = 8) -> list[str]:
    if not cpu:
        return ["(CPU accounting needs Linux /proc)"]
    ncpu = cpu["ncpu"]
    lines = [
        f"Whole machine busy: {cpu['system_busy'] * 100:.0f}% of {ncpu} cores "
        f"({cpu['system_busy'] * ncpu:.2f} cores) over {cpu['elapsed']:.0f} s"
        + (f"; I/O wait {cpu['iowait'] * 100:.0f}%." if "iowait" in cpu else "."),
        "",
        "| process (with children) | cores used |",
        "|---|---:|",
    ]
    ranked = sorted(cpu["cores"].items(), key=lambda kv: -kv[1])
    for name, cores in ranked[:top]:
        lines.append(f"| {name} | {cores:.2f} |")
    rest = sum(c for _, c in ranked[top:])
    if len(ranked) > top:
        lines.append(f"| other RSC stack parts ({len(ranked) - top}) | {rest:.2f} |")
    other = sorted(cpu.get("other", {}).items(), key=lambda kv: -kv[1])
    other_total = sum(c for _, c in other)
    if other:
        names = ", ".join(f"{n} {c:.2f}" for n, c in other[:3] if c >= 0.01)
        lines.append(f"| not part of the stack or the benchmark ({names or 'various'}) | {other_total:.2f} |")
    return lines


def outside_load(cpu: dict[str, Any]) -> float:
    """Cores used by processes that are neither the stack nor this benchmark."""
    return sum(cpu.get("other", {}).values()) if cpu else 0.0


def quiet_check(seconds: float = 5.0) -> dict[str, Any]:
    """How busy the machine is before the benchmark starts (the stack idling plus anything else)."""
    meter = CpuMeter(interval=seconds)
    meter.start()
    time.sleep(seconds)
    meter.stop()
    return meter.between()


# ------------------------------------------------------------------------------ machine facts


def machine() -> dict[str, str]:
    mem_kib = 0
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    cpu_model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "ram": f"{mem_kib / 1024 / 1024:.1f} GiB" if mem_kib else "?",
        "cpu": cpu_model or "?",
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


# -------------------------------------------------------------------------------- results file

HEADER = """# Benchmarks

Measured on the local stack (`make up`: PostgreSQL, Kafka, Temporal, Keycloak and the four RSC
services, each one API and one worker process; intake's API runs `RSC_INTAKE_API_WORKERS` uvicorn
worker processes, 2 by default) with the load generator on the same machine.
Each scenario owns one section between `bench:<name>` markers and rewrites only that section;
see `bench/README.md` for how to run them. Targets and reference figures:
`/work/shared/reference/load-and-benchmarks.md` (copy kept outside the repository).
"""


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the section between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`
    (appended if absent; the file is created with a short header if missing)."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    text = pattern.sub(lambda _: block, text, count=1) if pattern.search(text) else text.rstrip() + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    align: str | None = None  # e.g. "lrr"

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def render(self) -> list[str]:
        align = self.align or "l" + "r" * (len(self.headers) - 1)
        sep = ["---:" if a == "r" else "---" for a in align]
        return ["| " + " | ".join(self.headers) + " |", "|" + "|".join(sep) + "|"] + [
            "| " + " | ".join(r) + " |" for r in self.rows
        ]


# ----------------------------------------------------------------------------- outside load


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


@dataclass
class LoadWindow:
    """Machine load over a measured phase of an in-process benchmark: how busy the whole machine was, how much of
    that was this process, and the rest (*outside load*: other processes, e.g. a test run from another session),
    in cores. `start()` before the phase, `stop()` after it."""

    started: tuple[float, float, tuple[int, int], tuple[float, float, float]] | None = None
    busy_fraction: float = 0.0  # of all cores
    busy_cores: float = 0.0
    own_cores: float = 0.0
    outside_cores: float = 0.0
    loadavg: str = ""

    def start(self) -> LoadWindow:
        self.started = (time.perf_counter(), time.process_time(), _machine_ticks(), os.getloadavg())
        return self

    def stop(self) -> LoadWindow:
        assert self.started is not None, "start() first"
        wall0, cpu0, ticks0, load0 = self.started
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        busy1, total1 = _machine_ticks()
        busy, total = busy1 - ticks0[0], total1 - ticks0[1]
        ncpu = os.cpu_count() or 1
        self.busy_fraction = busy / total if total else 0.0
        self.busy_cores = self.busy_fraction * ncpu
        self.own_cores = cpu / wall if wall > 0 else 0.0
        self.outside_cores = max(0.0, self.busy_cores - self.own_cores)
        load1 = os.getloadavg()
        self.loadavg = " / ".join(f"{a:.1f}-{b:.1f}" for a, b in zip(load0, load1, strict=True))
        return self

    def describe(self) -> str:
        return (
            f"machine {self.busy_fraction:.0%} busy ({self.busy_cores:.2f} cores: this process {self.own_cores:.2f}, "
            f"outside load {self.outside_cores:.2f}), load average (1/5/15 min, start-end) {self.loadavg}"
        )


def wait_until_quiet(max_seconds: float, outside_cores: float = 0.5, window: float = 5.0) -> tuple[float, bool]:
    """Before a measured phase: sample `window`-second load windows until other processes use less than
    `outside_cores` cores, for at most `max_seconds`. Returns (seconds waited, whether it got quiet)."""
    started = time.perf_counter()
    while True:
        load = LoadWindow().start()
        time.sleep(window)
        load.stop()
        waited = time.perf_counter() - started
        if load.outside_cores < outside_cores:
            return waited, True
        if waited >= max_seconds:
            return waited, False
