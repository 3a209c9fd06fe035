from __future__ import annotations

from rsc_common.runtime import WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.settings import MonitoringSettings

DEFINITION = ServiceDefinition(
    name="rsc-monitoring",
    settings=MonitoringSettings,
    app=build_app,
    migrations_dir=MIGRATIONS,
    worker=lambda settings, engine: WorkerSpec(relay=True),
)


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()
