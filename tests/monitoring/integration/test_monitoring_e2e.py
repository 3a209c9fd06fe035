"""End to end on the real servers with the real intake, appraisal and monitoring worker processes: a
proposal is submitted and cleared, the grant awarded; monitoring follows it (its workflow on the
Temporal server), the grantee attests a change (back to appraisal as a re-appraisal request), reports
an incident that is triaged, investigated, acted on and closed (its workflow ends); auditors find all of
it in the verified audit log; the national report counts the proposal."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from rsc_common.temporal import connect
from rsc_monitoring.app import MIGRATIONS as MONITORING_MIGRATIONS
from rsc_monitoring.app import build_app as build_monitoring
from rsc_monitoring.grants.plan import DEFAULT_PLAN
from rsc_monitoring.settings import MonitoringSettings
from tests.appraisal.integration.test_casework_e2e import case_of
from tests.appraisal.integration.test_screening_flow import submit
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer, subject_of
from tests.support.screening import clean_content
from tests.support.services import intake_and_appraisal
from tests.support.workers import env_for, wait_for, worker

GRANTEE, OFFICER, AUDITOR = bearer("applicant-a"), bearer("officer"), bearer("auditor")
TIMEOUT = 120


def workflow_status(env: dict[str, str], workflow_id: str) -> WorkflowExecutionStatus | None:
    async def describe() -> WorkflowExecutionStatus | None:
        settings = MonitoringSettings(temporal={"address": env["RSC_MONITORING_TEMPORAL__ADDRESS"]})
        client = await connect(settings.temporal)
        try:
            return (await client.get_workflow_handle(workflow_id).describe()).status
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:  # not started yet
                return None
            raise

    # in a thread of its own: asyncio.run would leave the test session's event loop unset behind it
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, describe()).result()


def test_award_attestation_incident_closure_audit_and_report(tmp_path: Path) -> None:
    # a funder's own plan: attestations every 6 months even for low risk (the default asks none)
    plan = yaml.safe_load(DEFAULT_PLAN.read_text())
    plan["version"], plan["attestation_interval_months"]["low"] = "e2e-1", 6
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(plan))
    with intake_and_appraisal(demo_policy=True) as services:
        monitoring_db = services.stack.enter_context(migrated_database(MONITORING_MIGRATIONS))
        settings = settings_for(MonitoringSettings, monitoring_db).model_copy(
            update={"monitoring_plan_file": plan_file}
        )
        monitoring = services.stack.enter_context(TestClient(build_monitoring(settings)))
        env = {
            **env_for("monitoring", monitoring_db, services.prefix),
            "RSC_MONITORING_MONITORING_PLAN_FILE": str(plan_file),
        }
        services.stack.enter_context(worker("monitoring", env))
        appraisal = services.appraisal

        pid = submit(services.intake, clean_content())
        assert wait_for(lambda: (case_of(appraisal, pid) or {}).get("status") == "cleared", timeout=TIMEOUT)
        case_id = case_of(appraisal, pid)["id"]
        reference = f"GA-{uuid.uuid4().hex[:6]}"
        awarded = appraisal.post(
            f"/v1/cases/{case_id}/award",
            json={"grant_reference": reference, "signed_at": datetime.now(UTC).isoformat()},
            headers=OFFICER,
        )
        assert awarded.status_code == 200, awarded.text

        # monitoring creates the grant for the grantee organisation and starts its workflow
        def grant() -> dict:
            response = monitoring.get(f"/v1/grants/{reference}", headers=GRANTEE)
            return response.json() if response.status_code == 200 else {}

        assert wait_for(lambda: bool(grant()), timeout=TIMEOUT)
        assert grant()["plan_version"] == "e2e-1"
        assert len(grant()["attestations"]) >= 1
        workflow_id = f"grant:{reference}"
        assert wait_for(lambda: workflow_status(env, workflow_id) == WorkflowExecutionStatus.RUNNING, timeout=60)

        # the grantee attests a change: re-appraisal requested
        attested = monitoring.post(
            f"/v1/grants/{reference}/attestations",
            headers=GRANTEE,
            json={"period": 1, "no_change": False, "changes": ["new_partner"], "statement": "A new partner joined."},
        )
        assert attested.status_code == 201
        assert attested.json()["reappraisal_requested"] is True

        # an incident from report to closure
        incident = monitoring.post(
            "/v1/incidents",
            headers=GRANTEE,
            json={
                "grant_reference": reference,
                "type": "suspicious_approach",
                "severity": "medium",
                "title": "Unsolicited request for our data set",
                "description": "An unknown company asked for the full sensor data set.",
            },
        )
        assert incident.status_code == 201, incident.text
        iid = incident.json()["id"]
        incident_workflow = f"incident:{iid}"
        assert wait_for(lambda: workflow_status(env, incident_workflow) == WorkflowExecutionStatus.RUNNING, timeout=60)
        url = f"/v1/incidents/{iid}"
        steps = [
            ("triage", {"severity": "high", "assignees": [subject_of("officer")], "note": "credible approach"}),
            ("investigation", {"note": "interviewing the team"}),
            ("measures", {"note": "brief the team", "measures": [
                {"kind": "corrective_plan", "owner": "grantee", "note": "security briefing for all staff"}]}),
        ]  # fmt: skip
        for path, body in steps:
            response = monitoring.post(f"{url}/{path}", headers=OFFICER, json=body)
            assert response.status_code == 200, response.text
        measure = response.json()["measures"][0]["id"]
        done = monitoring.post(
            f"{url}/measures/{measure}/status", headers=OFFICER, json={"status": "done", "note": "held"}
        )
        assert done.status_code == 200
        closed = monitoring.post(
            f"{url}/closure", headers=OFFICER, json={"outcome": "no data left the project", "lessons_learned": "brief"}
        )
        assert closed.json()["status"] == "closed"
        assert wait_for(
            lambda: workflow_status(env, incident_workflow) == WorkflowExecutionStatus.COMPLETED, timeout=60
        )

        # the auditor finds the whole story in the audit log, and the chain is intact
        def actions() -> set[str]:
            page = monitoring.get("/v1/audit/entries", params={"limit": 500}, headers=AUDITOR).json()
            return {e["action"] for e in page["items"]}

        expected = {
            "proposal.submitted", "appraisal.screened", "appraisal.cleared", "grant.awarded",
            "grant.attestation_submitted", "grant.reappraisal_requested", "incident.reported", "incident.changed",
            "incident.measure_updated",
        }  # fmt: skip
        assert wait_for(lambda: expected <= actions(), timeout=TIMEOUT), expected - actions()
        by_grant = monitoring.get("/v1/audit/entries", params={"grant_reference": reference}, headers=AUDITOR).json()
        assert {"grant.awarded", "incident.changed"} <= {e["action"] for e in by_grant["items"]}
        verification = monitoring.get("/v1/audit/verification", headers=AUDITOR).json()
        assert verification["intact"] is True

        # the national report counts the screened proposal (a single cell: suppressed where small)
        report = monitoring.get(
            "/v1/reports/national", params={"year": datetime.now(UTC).year}, headers=bearer("reporter")
        ).json()
        assert report["proposals_screened"] == 1
        assert report["by_risk_level"] == [{"key": "low", "count": None, "suppressed": True}]
