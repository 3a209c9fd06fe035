"""Extra replicas of the local stack's services for the scale-out benchmark, and a client-side load
balancer over API replicas.

- `service_env` builds a service's settings environment exactly as `deploy/local/services.sh`
  (`export_settings`) does, for another HTTP port.
- `Replica` is one process the benchmark started (`rsc-<service> api` or `worker`), in a session of its
  own (so SIGKILL of its group ends everything it started), logging to `.local/logs/scale-out-<name>.log`;
  every live one is recorded in `.local/bench/scale-out/processes.json` so that a later run can end the
  leftovers of a run that was itself killed.
- `stop_stack_process` stops a `make up` process by its pid file as `stop_bg` does (TERM to the group,
  30 s, KILL; the pid file is removed, so `services.sh start` starts it again); `restore_stack` runs
  `services.sh start` when a `make up` process is missing.
- `Balancer` spreads requests over the ready replicas of one API round-robin, with a readiness probe
  (`GET /readyz` every 0.5 s) like a Kubernetes Service's endpoints, and retries a request that failed
  at the connection level on another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import ROOT, RUN_DIR

SERVICES = ("intake", "appraisal", "monitoring", "notifications")
BIN = ROOT / ".venv" / "bin"
STATE = Path(os.environ.get("RSC_STATE", ROOT / ".local"))
LOGS = STATE / "logs"
DATA = STATE / "data"
STATE_FILE = STATE / "bench" / "scale-out" / "processes.json"
SERVICES_SH = ROOT / "deploy" / "local" / "services.sh"

# Ports of deploy/local/lib.sh and services.sh (overridable by the same variables).
PG_PORT = os.environ.get("RSC_PG_PORT", "15432")
KAFKA_PORT = os.environ.get("RSC_KAFKA_PORT", "19092")
TEMPORAL_PORT = os.environ.get("RSC_TEMPORAL_PORT", "17233")
KEYCLOAK_PORT = os.environ.get("RSC_KEYCLOAK_PORT", "18080")
SMTP_PORT = os.environ.get("RSC_SMTP_PORT", "18025")
STACK_PORTS = {
    "intake": int(os.environ.get("RSC_INTAKE_HTTP_PORT", "8101")),
    "appraisal": int(os.environ.get("RSC_APPRAISAL_HTTP_PORT", "8102")),
    "monitoring": int(os.environ.get("RSC_MONITORING_HTTP_PORT", "8103")),
    "notifications": int(os.environ.get("RSC_NOTIFICATIONS_HTTP_PORT", "8104")),
}
PG_URL_BASE = os.environ.get("RSC_PG_URL_BASE", f"postgresql://rsc:rsc@127.0.0.1:{PG_PORT}")

# Log lines a worker writes once each of its loops runs (relay, every consumer group, Temporal).
WORKER_READY = {
    "intake": ["outbox relay started", "consumer rsc-intake subscribed"],
    "appraisal": ["outbox relay started", "consumer rsc-appraisal subscribed", "temporal worker polling"],
    "monitoring": [
        "outbox relay started",
        "consumer rsc-monitoring-audit subscribed",
        "consumer rsc-monitoring subscribed",
        "temporal worker polling",
    ],
    "notifications": ["consumer rsc-notifications subscribed"],
}


def service_env(service: str, port: int) -> dict[str, str]:
    """The environment `services.sh` gives `rsc-<service>` (its `export_settings`), on `port`; one uvicorn
    process per API (`RSC_INTAKE_API_WORKERS=1`: a replica is one process, as on Kubernetes)."""
    up = service.upper()
    env = dict(os.environ)
    env.update(
        {
            "RSC_PG_PORT": PG_PORT,
            "RSC_KAFKA_PORT": KAFKA_PORT,
            "RSC_TEMPORAL_PORT": TEMPORAL_PORT,
            "RSC_KEYCLOAK_PORT": KEYCLOAK_PORT,
            f"RSC_{up}_HTTP_PORT": str(port),
            f"RSC_{up}_DATABASE_URL": f"{PG_URL_BASE}/rsc_{service}",
            f"RSC_{up}_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{KAFKA_PORT}",
            f"RSC_{up}_TEMPORAL__ADDRESS": f"127.0.0.1:{TEMPORAL_PORT}",
            f"RSC_{up}_AUTH__KEYCLOAK_URL": f"http://127.0.0.1:{KEYCLOAK_PORT}",
            f"RSC_{up}_AUTH__CLIENT_ID": f"rsc-{service}",
            f"RSC_{up}_ATTACHMENTS__DIR": str(DATA / "attachments"),
            f"RSC_{up}_SMTP_PORT": SMTP_PORT,
            "RSC_INTAKE_API_WORKERS": "1",
        }
    )
    env.setdefault(f"RSC_{up}_AUTH__CLIENT_SECRET", f"rsc-{service}-dev-secret")
    return env


# --------------------------------------------------------------------------- stack processes


def stack_pid(name: str) -> int | None:
    try:
        return int((RUN_DIR / f"{name}.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stack_running(name: str) -> bool:
    return alive(stack_pid(name))


def expected_stack_processes() -> list[str]:
    """The `make up` processes of the services (and the SMTP sink and portal) that are running now."""
    names = [p.stem for p in sorted(RUN_DIR.glob("*.pid"))]
    wanted = {f"{s}-api" for s in SERVICES} | {f"{s}-worker" for s in SERVICES} | {"smtp-sink", "portal"}
    wanted |= {n for n in names if n.startswith("appraisal-worker-")}
    return sorted(n for n in wanted if stack_running(n))


def stop_group(pgid: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """TERM a process group, wait for it to end, KILL what is left (as lib.sh `stop_bg`). `proc`: our own
    child leading the group, reaped while waiting (an unreaped child stays in the group as a zombie)."""
    stop_groups([(pgid, proc)], timeout)


def stop_groups(groups: list[tuple[int, subprocess.Popen | None]], timeout: float = 30.0) -> None:
    """`stop_group` for several groups at once (all TERMed first, then one common wait)."""
    for pgid, _ in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _, proc in groups:
            if proc is not None:
                proc.poll()
        if not any(group_alive(pgid) for pgid, _ in groups):
            break
        time.sleep(0.2)
    for pgid, proc in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)


def stop_stack_process(name: str) -> None:
    """Stop one `make up` process by its pid file (the group it leads) and remove the pid file, as
    `services.sh stop` does; `services.sh start` starts it again."""
    pid = stack_pid(name)
    if pid and (alive(pid) or group_alive(pid)):
        stop_group(pid)
    with contextlib.suppress(FileNotFoundError):
        (RUN_DIR / f"{name}.pid").unlink()


def restore_stack(expected: list[str]) -> list[str]:
    """Run `services.sh start` (starts what is missing) if any of `expected` is not running; returns the
    names that were missing."""
    missing = [n for n in expected if not stack_running(n)]
    if missing:
        print(f"restoring the stack (missing: {', '.join(missing)}): bash deploy/local/services.sh start", flush=True)
        subprocess.run(["bash", str(SERVICES_SH), "start"], cwd=ROOT, check=False, stdin=subprocess.DEVNULL)
    return missing


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# -------------------------------------------------------------------------- bench replicas


@dataclass
class Replica:
    service: str
    kind: str  # "api" or "worker"
    name: str
    port: int
    proc: subprocess.Popen | None = None
    log_offset: int = 0
    started_at: float = 0.0  # wall clock
    ready_at: float | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return LOGS / f"scale-out-{self.name}.log"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN / f"rsc-{self.service}"), self.kind],
                env=service_env(self.service, self.port),
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: SIGKILL of the group ends all of it
            )
        self.started_at, self.ready_at = time.time(), None
        self.starts += 1
        _record_processes()

    def kill(self) -> None:
        """SIGKILL, no warning: what a node failure or an OOM kill does."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        _record_processes()

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc.pid, proc=self.proc)
        _record_processes()

    def is_ready(self) -> bool:
        if not self.running():
            return False
        if self.kind == "api":
            try:
                return _HTTP.get(self.url + "/readyz").status_code == 200
            except httpx.HTTPError:
                return False
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(self.log_offset)
                text = fh.read().decode(errors="replace")
        except OSError:
            return False
        return all(marker in text for marker in WORKER_READY[self.service])

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Seconds from start until ready; raises if it exits or takes longer."""
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if not self.running():
                raise RuntimeError(f"{self.name} exited during start-up; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s; see {self.log_path}")
            time.sleep(1.0)
        self.ready_at = time.time()
        return self.ready_at - self.started_at


_LIVE: list[Replica] = []
# One client for the readiness checks (httpx.get would build a new client, and its TLS context, every time).
_HTTP = httpx.Client(timeout=2)


def register(replica: Replica) -> Replica:
    _LIVE.append(replica)
    return replica


def _record_processes() -> None:
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    live = [{"name": r.name, "pid": r.pid} for r in _LIVE if r.running()]
    STATE_FILE.write_text(json.dumps(live))


def stop_all() -> None:
    """Stop every replica the benchmark started (TERM, a common 30 s wait, KILL)."""
    stop_groups([(r.proc.pid, r.proc) for r in _LIVE if r.proc is not None and r.running()])
    _record_processes()


def end_leftovers() -> list[str]:
    """End the replicas a previous run left behind (it was killed before its clean-up ran)."""
    try:
        entries = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return []
    ended = []
    for entry in entries:
        pid = entry.get("pid")
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "rsc-" in cmdline:  # the pid was not reused by something else
            stop_group(pid)
            ended.append(entry["name"])
    STATE_FILE.write_text("[]")
    return ended


# ------------------------------------------------------------------------------- balancer


@dataclass
class Endpoint:
    url: str
    ready: bool = True
    served: int = 0  # answers received (any status)
    failures: int = 0  # connection-level failures


@dataclass
class Balancer:
    """Round-robin over the ready endpoints of one API (a Kubernetes Service: kube-proxy picks among the
    endpoints whose readiness probe passes). A request that fails at the connection level (refused,
    reset, closed without an answer: the replica died) marks the endpoint not ready until the probe sees
    it again, and is retried on another one; the caller decides whether that is safe (submissions carry
    an Idempotency-Key, so a retry returns the first answer if the first attempt committed)."""

    service: str
    endpoints: list[Endpoint] = field(default_factory=list)
    transitions: list[tuple[float, str, bool]] = field(default_factory=list)
    _rr: itertools.count = field(default_factory=itertools.count)

    def set_urls(self, urls: list[str]) -> None:
        known = {e.url: e for e in self.endpoints}
        self.endpoints = [known.get(u) or Endpoint(u) for u in urls]

    def pick(self, exclude: set[str]) -> Endpoint:
        candidates = [e for e in self.endpoints if e.ready and e.url not in exclude]
        candidates = candidates or [e for e in self.endpoints if e.url not in exclude] or self.endpoints
        return candidates[next(self._rr) % len(candidates)]

    def mark(self, endpoint: Endpoint, ready: bool) -> None:
        if endpoint.ready != ready:
            endpoint.ready = ready
            self.transitions.append((time.time(), endpoint.url, ready))

    async def probe(self, client: httpx.AsyncClient, period: float = 0.5) -> None:
        while True:
            for e in list(self.endpoints):
                try:
                    ok = (await client.get(e.url + "/readyz", timeout=1.0)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.mark(e, ok)
            await asyncio.sleep(period)

    async def request(
        self, client: httpx.AsyncClient, method: str, path: str, attempts: int = 3, **kwargs
    ) -> tuple[httpx.Response, int, list[str]]:
        """(response, attempts used, errors of the failed attempts); raises the last error when every
        attempt failed at the connection level. Timeouts are not retried (the request may still run)."""
        tried: set[str] = set()
        errors: list[str] = []
        for attempt in range(1, attempts + 1):
            endpoint = self.pick(tried if len(tried) < len(self.endpoints) else set())
            tried.add(endpoint.url)
            try:
                response = await client.request(method, endpoint.url + path, **kwargs)
            except httpx.TimeoutException:
                raise
            except httpx.TransportError as exc:
                endpoint.failures += 1
                self.mark(endpoint, False)
                errors.append(f"{type(exc).__name__} from {endpoint.url}")
                if attempt == attempts:
                    raise
                continue
            endpoint.served += 1
            if response.status_code in (502, 503, 504) and attempt < attempts:
                errors.append(f"HTTP {response.status_code} from {endpoint.url}")
                continue
            return response, attempt, errors
        raise AssertionError("unreachable")


def consumer_lag(bootstrap: str, group: str, topics: list[str]) -> int | None:
    """Records of `topics` the consumer group has not committed yet (None if unknown). Reads the committed
    offsets without joining the group."""
    from kafka import KafkaConsumer, TopicPartition

    try:
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        try:
            tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
            ends = consumer.end_offsets(tps)
            return sum(max(0, ends[tp] - (consumer.committed(tp) or 0)) for tp in tps)
        finally:
            consumer.close()
    except Exception:
        return None
