from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from rsc_appraisal.app import MIGRATIONS, build_app
from rsc_appraisal.calls.handlers import on_call_opened
from rsc_appraisal.cases.activities import case_activities
from rsc_appraisal.cases.client import AppraisalGateway
from rsc_appraisal.cases.handlers import case_handlers, submission_handlers
from rsc_appraisal.cases.workflow import AppraisalWorkflow
from rsc_appraisal.screenings.handlers import on_reappraisal_requested, on_reference_changed
from rsc_appraisal.seed import seed
from rsc_appraisal.settings import AppraisalSettings
from rsc_appraisal.sla.worker import WORKFLOWS as SLA_WORKFLOWS
from rsc_appraisal.sla.worker import sla_activities
from rsc_appraisal.sla.worker import task_queue as temporal_task_queue
from rsc_common.events import topics
from rsc_common.runtime import ConsumerSpec, WorkerSpec, worker_bridge
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_common.temporal import workflow_runner


def temporal_worker(settings: AppraisalSettings, engine: Engine) -> Callable[[Client], Worker]:
    """Appraisal's Temporal worker: the appraisal (casework) workflows and their SLA clocks."""
    threads = settings.activity_threads

    def build(client: Client) -> Worker:
        return Worker(
            client,
            task_queue=temporal_task_queue(settings),
            workflows=[AppraisalWorkflow, *SLA_WORKFLOWS],
            activities=[*case_activities(engine), *sla_activities(engine)],
            # The activities are synchronous (database): they run in this pool.
            activity_executor=ThreadPoolExecutor(max_workers=threads, thread_name_prefix="appraisal-activity"),
            max_concurrent_activities=threads,
            workflow_runner=workflow_runner() if settings.temporal_sandbox else UnsandboxedWorkflowRunner(),
        )

    return build


def worker(settings: AppraisalSettings, engine: Engine) -> WorkerSpec:
    # the handlers start workflows through this process's own worker client: eager start (runtime.worker_bridge)
    gateway = AppraisalGateway(worker_bridge, temporal_task_queue(settings))
    return WorkerSpec(
        relay=True,
        consumers=[
            ConsumerSpec(
                group_id="rsc-appraisal",
                # monitoring's topic for grant.reappraisal_requested (its other events are skipped)
                topics=[topics.INTAKE, topics.APPRAISAL, topics.MONITORING],
                handlers={
                    "call.opened": on_call_opened,
                    **case_handlers(gateway),
                    "appraisal.reference_changed": on_reference_changed,
                    "grant.reappraisal_requested": on_reappraisal_requested,
                },
                batch_handlers=submission_handlers(gateway),
                concurrency=settings.consumer_concurrency,
            )
        ],
        temporal_worker=temporal_worker(settings, engine),
    )


DEFINITION = ServiceDefinition(
    name="rsc-appraisal",
    settings=AppraisalSettings,
    app=build_app,
    migrations_dir=MIGRATIONS,
    worker=worker,
    seed=seed,
)


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()
