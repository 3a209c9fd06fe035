from __future__ import annotations

from sqlalchemy import Engine

from rsc_common.events import topics
from rsc_common.runtime import ConsumerSpec, WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.audit.handlers import GROUP_ID as AUDIT_GROUP
from rsc_monitoring.audit.handlers import audit_handlers
from rsc_monitoring.settings import MonitoringSettings


def worker(settings: MonitoringSettings, engine: Engine) -> WorkerSpec:
    return WorkerSpec(
        relay=True,
        consumers=[
            # every service's events, chained into the audit log (its own group: it reads everything)
            ConsumerSpec(
                group_id=AUDIT_GROUP, topics=list(topics.DOMAIN_TOPICS), handlers={}, batch_handlers=audit_handlers()
            ),
        ],
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
