"""A worker killed mid-workflow (SIGKILL, no graceful stop) and started again loses no step and repeats no
side effect: every submitted proposal gets exactly one screening and one case, every case change is
recorded once, and every event reaches Kafka once. An officer action sent while no worker runs is
carried out when the worker is back."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections import Counter
from contextlib import ExitStack

from sqlalchemy import text
from sqlmodel import create_engine

from rsc_common.events import EventEnvelope
from rsc_common.events.topics import APPRAISAL
from tests.appraisal.integration.test_screening_flow import submit
from tests.support.kafka import read_to_end
from tests.support.keycloak import bearer
from tests.support.screening import clean_content, flagged_content
from tests.support.services import intake_and_appraisal
from tests.support.workers import BIN, wait_for, worker

OFFICER = bearer("officer")
CLEAN, FLAGGED = 6, 4


def start_appraisal_worker(stack: ExitStack, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN / "rsc-appraisal"), "worker"], env=env)
    stack.callback(proc.kill)  # whatever happens, no worker outlives its test database
    return proc


def test_a_killed_worker_loses_no_step_and_repeats_no_side_effect() -> None:
    with intake_and_appraisal(demo_policy=True, appraisal_worker=False) as services:
        prefix, intake, appraisal = services.prefix, services.intake, services.appraisal
        stack, appraisal_env = services.stack, services.appraisal_env
        engine = create_engine(services.appraisal_db)
        first = start_appraisal_worker(stack, appraisal_env)

        def count(sql: str) -> int:
            with engine.connect() as connection:
                return connection.execute(text(sql)).scalar_one()

        proposals = [submit(intake, clean_content()) for _ in range(CLEAN)]
        proposals += [submit(intake, flagged_content()) for _ in range(FLAGGED)]
        # kill as soon as the worker is part-way through: some screened, not all
        assert wait_for(lambda: count("SELECT count(*) FROM case_change") >= 1, timeout=120)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        done_before_kill = count("SELECT count(*) FROM appraisal_case WHERE status <> 'screening'")

        second = start_appraisal_worker(stack, appraisal_env)
        settled = "SELECT count(*) FROM appraisal_case WHERE status IN ('cleared', 'open')"
        assert wait_for(lambda: count(settled) == CLEAN + FLAGGED, timeout=240), done_before_kill

        # an officer claims a case while no worker runs: the update is carried out when one is back
        second.send_signal(signal.SIGKILL)
        second.wait(timeout=30)
        with engine.connect() as connection:
            case_id = connection.execute(text("SELECT id FROM appraisal_case WHERE status = 'open' LIMIT 1")).scalar()
        claim_result: dict = {}

        def claim() -> None:
            response = appraisal.post(f"/v1/cases/{case_id}/claim", json={"role": "case_officer"}, headers=OFFICER)
            claim_result["status"], claim_result["body"] = response.status_code, response.text

        claimer = threading.Thread(target=claim)
        claimer.start()
        claimer.join(timeout=10)
        assert claimer.is_alive(), claim_result  # still waiting: nobody runs the workflow
        stack.enter_context(worker("appraisal", appraisal_env))
        claimer.join(timeout=120)
        assert claim_result.get("status") == 200, claim_result
        assert count("SELECT count(*) FROM appraisal_case WHERE status = 'in_review'") == 1

        # no step lost, none repeated
        assert count("SELECT count(*) FROM screening WHERE trigger = 'submission'") == CLEAN + FLAGGED
        assert count("SELECT count(DISTINCT (proposal_id, version)) FROM screening") == CLEAN + FLAGGED
        assert count("SELECT count(*) FROM appraisal_case WHERE auto_cleared") == CLEAN
        changes = count("SELECT count(*) FROM case_change")
        assert changes == CLEAN + FLAGGED + 1  # auto_clear or open, and the claim

        # clean: screened, case_changed, cleared, status_changed; flagged: screened, case_changed,
        # status_changed, sla.clock_changed (started); the claim: case_changed
        expected = CLEAN * 4 + FLAGGED * 4 + 1

        def mine() -> list[EventEnvelope]:
            records = read_to_end(prefix + APPRAISAL)
            events = map(EventEnvelope.from_bytes, (r.value for r in records))
            # re-screenings after the seeded lists' activation events are legitimate extra screenings
            return [e for e in events if e.subject in proposals and e.data.get("trigger", "submission") == "submission"]

        def distinct() -> list[EventEnvelope]:
            # The relay publishes at least once: killed between the broker's acknowledgement and marking the
            # rows sent, it publishes them again with the same envelope id (consumers skip what they
            # processed). A repeated side effect would be a second envelope with another id.
            return list({e.id: e for e in mine()}.values())

        assert wait_for(lambda: len(distinct()) >= expected, timeout=60)
        received = distinct()
        assert len(received) == expected, Counter(e.type for e in received)
        by_type = Counter(e.type for e in received)
        assert by_type["appraisal.screened"] == CLEAN + FLAGGED
        assert by_type["appraisal.cleared"] == CLEAN
        assert by_type["appraisal.case_changed"] == changes
        keys = Counter((e.subject, e.data["seq"]) for e in received if e.type == "appraisal.case_changed")
        assert max(keys.values()) == 1  # no case change emitted twice
