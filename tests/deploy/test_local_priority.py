"""The local stack's CPU tiers (`background_priority` in deploy/local/lib.sh): a daemon started with
`start_bg` (a session of its own) gets the nice value both as a process and for its session's autogroup,
because with autogroup scheduling a plain nice value only counts inside its own session."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "deploy" / "local" / "lib.sh"

SCRIPT = """
source "$LIB"
start_bg tier-probe sleep 60
background_priority tier-probe 7
p="$(pid_of tier-probe)"
echo "nice=$(ps -o ni= -p "$p" | tr -d ' ')"
echo "sid=$(ps -o sid= -p "$p" | tr -d ' ')"
echo "pid=$p"
if [[ -r /proc/$p/autogroup ]]; then echo "autogroup=$(cat /proc/$p/autogroup)"; fi
stop_bg tier-probe 2>/dev/null
"""


def run(tmp_path: Path, nice: str) -> dict[str, str]:
    script = SCRIPT.replace("background_priority tier-probe 7", f"background_priority tier-probe {nice}")
    done = subprocess.run(
        ["bash", "-c", script],
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LIB": str(LIB), "RSC_STATE": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def test_a_background_daemon_gets_the_nice_value_for_itself_and_its_session(tmp_path: Path) -> None:
    out = run(tmp_path, "7")
    assert out["nice"] == "7"
    assert out["sid"] == out["pid"]  # its own session, so its own autogroup
    if "autogroup" in out:  # kernels with autogroup scheduling: "/autogroup-<n> nice <value>"
        assert out["autogroup"].endswith(" nice 7"), out["autogroup"]


def test_zero_leaves_the_priority_alone(tmp_path: Path) -> None:
    inherited = str(os.nice(0))  # whatever this test runs at: the daemon keeps it
    assert run(tmp_path, "0")["nice"] == inherited
