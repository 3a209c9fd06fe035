"""What the monitoring API's incident state machine allows (a copy of rsc_monitoring.incidents.machine),
only to decide which action forms a page offers. The API enforces it: a form shown by mistake is refused
there with a 409, and shown on the page like any refusal."""

from __future__ import annotations

STATUSES = ("reported", "triaged", "investigating", "measures", "closed")
SEVERITIES = ("low", "medium", "high", "critical")
CHANNELS = ("grantee", "officer", "tip", "list_hit", "exercise")
MEASURE_KINDS = (
    "request_for_information",
    "corrective_plan",
    "stricter_safeguards",
    "payment_suspension",
    "switch_to_reimbursement",
    "termination",
    "recovery_of_funds",
    "authority_notification",
)
MEASURE_STATUSES = ("planned", "in_progress", "done", "cancelled")
EVIDENCE_KINDS = ("note", "evidence")

# (from, to) -> the action that makes that transition
TRANSITIONS: dict[tuple[str, str], str] = {
    ("reported", "triaged"): "triage",
    ("reported", "closed"): "dismiss",
    ("triaged", "investigating"): "investigate",
    ("triaged", "closed"): "dismiss",
    ("investigating", "measures"): "decide_measures",
    ("investigating", "closed"): "close",
    ("measures", "closed"): "close",
}
MEASURE_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("planned", "in_progress"),
        ("planned", "done"),
        ("in_progress", "done"),
        ("planned", "cancelled"),
        ("in_progress", "cancelled"),
    }
)


def actions_from(status: str) -> set[str]:
    """The transition actions the machine allows from `status`."""
    return {action for (source, _), action in TRANSITIONS.items() if source == status}


def next_measure_statuses(status: str) -> list[str]:
    return [target for target in MEASURE_STATUSES if (status, target) in MEASURE_TRANSITIONS]
