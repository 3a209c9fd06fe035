"""Safeguard agreement as both sides see it: a measure's status and what an applicant's response does.

Appraisal (the authority: its case machine checks every response) and intake (which refuses at once
what appraisal would refuse, and shows the status a response leads to) use this one table.
"""

from __future__ import annotations

from enum import StrEnum


class MeasureStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    change_requested = "change_requested"
    evidence_submitted = "evidence_submitted"
    verified = "verified"


class SafeguardResponseKind(StrEnum):
    accept = "accept"
    request_change = "request_change"
    submit_evidence = "submit_evidence"


M, K = MeasureStatus, SafeguardResponseKind

# The measure statuses a response of each kind is accepted from.
RESPONSE_ALLOWED_FROM: dict[SafeguardResponseKind, frozenset[MeasureStatus]] = {
    K.accept: frozenset({M.proposed}),
    K.request_change: frozenset({M.proposed, M.accepted}),
    K.submit_evidence: frozenset({M.proposed, M.accepted, M.evidence_submitted}),
}

# The status a response leads to.
RESPONSE_LEADS_TO: dict[SafeguardResponseKind, MeasureStatus] = {
    K.accept: M.accepted,
    K.request_change: M.change_requested,
    K.submit_evidence: M.evidence_submitted,
}
