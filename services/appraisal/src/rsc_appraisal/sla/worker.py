"""What the appraisal worker runs for the SLA clocks (wired in `rsc_appraisal.cli`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from rsc_appraisal.settings import AppraisalSettings
from rsc_appraisal.sla.activities import SlaActivities
from rsc_appraisal.sla.workflow import SlaClockWorkflow

# The appraisal worker's queue unless RSC_APPRAISAL_TEMPORAL__TASK_QUEUE says otherwise.
DEFAULT_TASK_QUEUE = "rsc-appraisal"

WORKFLOWS: list[type] = [SlaClockWorkflow]


def task_queue(settings: AppraisalSettings) -> str:
    return settings.temporal.task_queue or DEFAULT_TASK_QUEUE


def sla_activities(engine: Engine) -> list[Callable[..., Any]]:
    """The activities, bound to the worker's engine (synchronous: run them with an activity executor)."""
    return [SlaActivities(engine).record]
