"""Incident states and the transitions between them, keyed by (from, to): anything else is refused. The
vocabulary itself is part of the API contract (`rsc_common.contracts.incidents`), shared with the portal."""

from __future__ import annotations

from enum import StrEnum

from rsc_common.contracts.incidents import MeasureStatus, Status
from rsc_common.http.problem import ProblemError


class Channel(StrEnum):
    grantee = "grantee"
    officer = "officer"
    tip = "tip"
    list_hit = "list_hit"
    exercise = "exercise"


S = Status
TRANSITIONS: dict[tuple[Status, Status], str] = {
    (S.reported, S.triaged): "triage",
    (S.reported, S.closed): "dismiss",
    (S.triaged, S.investigating): "investigate",
    (S.triaged, S.closed): "dismiss",
    (S.investigating, S.measures): "decide_measures",
    (S.investigating, S.closed): "close",
    (S.measures, S.closed): "close",
}
MEASURE_TRANSITIONS: set[tuple[MeasureStatus, MeasureStatus]] = {
    (MeasureStatus.planned, MeasureStatus.in_progress),
    (MeasureStatus.planned, MeasureStatus.done),
    (MeasureStatus.in_progress, MeasureStatus.done),
    (MeasureStatus.planned, MeasureStatus.cancelled),
    (MeasureStatus.in_progress, MeasureStatus.cancelled),
}


def next_statuses(current: str) -> list[tuple[Status, str]]:
    """The statuses an incident may go to from `current`, each with the action that goes there (status order)."""
    source = Status(current)
    return [(target, TRANSITIONS[(source, target)]) for target in Status if (source, target) in TRANSITIONS]


def next_measure_statuses(current: str) -> list[MeasureStatus]:
    """The statuses a measure may go to from `current` (status order); none once done or cancelled."""
    source = MeasureStatus(current)
    return [target for target in MeasureStatus if (source, target) in MEASURE_TRANSITIONS]


def check(current: str, target: Status, action: str) -> str:
    """The action's name if (current, target) is allowed for it; a 409 problem otherwise."""
    allowed = TRANSITIONS.get((Status(current), target))
    if allowed != action:
        raise ProblemError(
            409,
            "illegal-transition",
            f"An incident cannot go from {current} to {target} by {action}.",
            from_status=current,
            to_status=target.value,
        )
    return action


def check_measure(current: str, target: MeasureStatus) -> None:
    if (MeasureStatus(current), target) not in MEASURE_TRANSITIONS:
        raise ProblemError(
            409,
            "illegal-transition",
            f"A measure cannot go from {current} to {target}.",
            from_status=current,
            to_status=target.value,
        )
