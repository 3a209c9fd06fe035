from __future__ import annotations

from rsc_appraisal.app import MIGRATIONS, build_app
from rsc_appraisal.calls.handlers import on_call_opened
from rsc_appraisal.settings import AppraisalSettings
from rsc_common.events import topics
from rsc_common.runtime import ConsumerSpec, WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run


def worker(_settings: AppraisalSettings, _engine: object) -> WorkerSpec:
    return WorkerSpec(
        relay=True,
        consumers=[
            ConsumerSpec(group_id="rsc-appraisal", topics=[topics.INTAKE], handlers={"call.opened": on_call_opened})
        ],
    )


DEFINITION = ServiceDefinition(
    name="rsc-appraisal", settings=AppraisalSettings, app=build_app, migrations_dir=MIGRATIONS, worker=worker
)


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()
