from __future__ import annotations

from rsc_appraisal.app import MIGRATIONS, build_app
from rsc_appraisal.calls.handlers import on_call_opened
from rsc_appraisal.screenings.handlers import on_proposal_submitted, on_proposal_withdrawn, on_reference_changed
from rsc_appraisal.seed import seed
from rsc_appraisal.settings import AppraisalSettings
from rsc_common.events import topics
from rsc_common.runtime import ConsumerSpec, WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run


def worker(_settings: AppraisalSettings, _engine: object) -> WorkerSpec:
    return WorkerSpec(
        relay=True,
        consumers=[
            ConsumerSpec(
                group_id="rsc-appraisal",
                topics=[topics.INTAKE, topics.APPRAISAL],
                handlers={
                    "call.opened": on_call_opened,
                    "proposal.submitted": on_proposal_submitted,
                    "proposal.resubmitted": on_proposal_submitted,
                    "proposal.withdrawn": on_proposal_withdrawn,
                    "appraisal.reference_changed": on_reference_changed,
                },
            )
        ],
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
