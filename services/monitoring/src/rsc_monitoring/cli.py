from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from rsc_common.events import topics
from rsc_common.runtime import ConsumerSpec, WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_common.temporal import TemporalBridge, workflow_runner
from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.audit.handlers import GROUP_ID as AUDIT_GROUP
from rsc_monitoring.audit.handlers import audit_handlers
from rsc_monitoring.gateway import MonitoringGateway
from rsc_monitoring.grants.activities import grant_activities
from rsc_monitoring.grants.handlers import GROUP_ID as MONITORING_GROUP
from rsc_monitoring.grants.handlers import grant_handlers
from rsc_monitoring.grants.plan import load_plan
from rsc_monitoring.grants.workflow import GrantMonitoringWorkflow
from rsc_monitoring.incidents.activities import incident_activities
from rsc_monitoring.incidents.handlers import incident_handlers
from rsc_monitoring.incidents.workflow import IncidentHandlingWorkflow
from rsc_monitoring.settings import MonitoringSettings

WORKFLOWS: list[type] = [GrantMonitoringWorkflow, IncidentHandlingWorkflow]


def task_queue(settings: MonitoringSettings) -> str:
    return settings.temporal.task_queue or "rsc-monitoring"


def activities(engine: Engine) -> list:
    return [*grant_activities(engine), *incident_activities(engine)]


def temporal_worker(settings: MonitoringSettings, engine: Engine) -> Callable[[Client], Worker]:
    def build(client: Client) -> Worker:
        threads = settings.activity_threads
        return Worker(
            client,
            task_queue=task_queue(settings),
            workflows=WORKFLOWS,
            activities=activities(engine),
            activity_executor=ThreadPoolExecutor(max_workers=threads, thread_name_prefix="monitoring-activity"),
            max_concurrent_activities=threads,
            workflow_runner=workflow_runner() if settings.temporal_sandbox else UnsandboxedWorkflowRunner(),
        )

    return build


def worker(settings: MonitoringSettings, engine: Engine) -> WorkerSpec:
    gateway = MonitoringGateway(lambda: TemporalBridge(settings.temporal), task_queue(settings))
    return WorkerSpec(
        relay=True,
        consumers=[
            ConsumerSpec(
                group_id=MONITORING_GROUP,
                topics=[topics.INTAKE, topics.APPRAISAL, topics.MONITORING],
                handlers={
                    **grant_handlers(gateway, load_plan(settings.monitoring_plan_file)),
                    **incident_handlers(gateway),
                },
            ),
            # every service's events, chained into the audit log (its own group: it reads everything)
            ConsumerSpec(
                group_id=AUDIT_GROUP, topics=list(topics.DOMAIN_TOPICS), handlers={}, batch_handlers=audit_handlers()
            ),
        ],
        temporal_worker=temporal_worker(settings, engine),
    )


DEFINITION = ServiceDefinition(
    name="rsc-monitoring",
    settings=MonitoringSettings,
    app=build_app,
    migrations_dir=MIGRATIONS,
    worker=worker,
)


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()
