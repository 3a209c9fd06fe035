"""Reading the case officer's forms: dates from `<input type=date>`, request bodies for the appraisal
API's actions, and the values and errors shown again when an action is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from starlette.datastructures import FormData

CATEGORIES = ("applicant_organisation", "research_domain", "third_country", "partner_organisation")
LEVELS = ("low", "medium", "high", "very_high")
OUTCOMES = ("cleared", "cleared_with_safeguards", "not_fundable")


class FormProblem(ValueError):
    """A form the portal refuses before calling the API: field name -> message key."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


@dataclass
class Posted:
    """The submitted form of one action, kept to fill the form again when the action is refused."""

    form: str = ""
    data: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, form: FormData) -> Posted:
        data: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if key != "csrf_token" and isinstance(value, str):
                data.setdefault(key, []).append(value)
        return cls(name, data)

    def value(self, form: str, name: str, default: Any = "") -> Any:
        if form != self.form or name not in self.data:
            return default
        return self.data[name][0]

    def values(self, form: str, name: str, default: list[str] | tuple[str, ...] = ()) -> list[str]:
        if form != self.form:
            return list(default)
        return self.data.get(name, [])


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def end_of_day(day: date) -> str:
    """A due date: the whole day counts (UTC)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC).isoformat()


def signed_at(day: date, now: datetime | None = None) -> str:
    """A signature date: midday UTC, never in the future (signed today: now)."""
    now = now or datetime.now(UTC)
    return min(datetime.combine(day, time(12, 0), tzinfo=UTC), now).isoformat()


def _required(form: FormData, name: str, problems: dict[str, str]) -> str:
    value = text(form, name)
    if not value:
        problems[name] = "casework.error.required"
    return value


def _due(form: FormData, name: str, problems: dict[str, str], *, required: bool = True) -> str | None:
    raw = text(form, name)
    if not raw and not required:
        return None
    day = parse_date(raw)
    if day is None:
        problems[name] = "casework.error.date" if raw else "casework.error.required"
        return None
    return end_of_day(day)


def _done(body: dict[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    if problems:
        raise FormProblem(problems)
    return body


def information_request(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    body = {"message": _required(form, "message", problems), "due_at": _due(form, "due_at", problems)}
    return _done(body, problems)


def appraisal(form: FormData) -> dict[str, Any]:
    """Every category with a rationale is recorded (at least one)."""
    problems: dict[str, str] = {}
    summary = _required(form, "summary", problems)
    factors = []
    for category in CATEGORIES:
        rationale = text(form, f"rationale__{category}")
        level = text(form, f"level__{category}")
        if not rationale:
            continue
        if level not in LEVELS:
            problems[f"level__{category}"] = "casework.error.required"
        factors.append({"category": category, "level": level, "rationale": rationale})
    if not factors:
        problems["rationale__" + CATEGORIES[0]] = "casework.error.one_factor"
    return _done({"summary": summary, "factors": factors}, problems)


def decision(form: FormData) -> dict[str, Any]:
    """The decision; for `cleared_with_safeguards` the chosen measures of the safeguard proposal builder
    (checkbox `measure` = measure id, and per measure `owner__<id>`, `due__<id>`, `evidence__<id>`,
    `terms__<id>`)."""
    problems: dict[str, str] = {}
    outcome = text(form, "outcome")
    if outcome not in OUTCOMES:
        problems["outcome"] = "casework.error.required"
    body: dict[str, Any] = {"outcome": outcome, "reason": _required(form, "reason", problems)}
    appeal_path = text(form, "appeal_path")
    if appeal_path:
        body["appeal_path"] = appeal_path
    measures = []
    chosen = [m for m in form.getlist("measure") if isinstance(m, str) and m]
    if outcome == "cleared_with_safeguards":
        if not chosen:
            problems["measure"] = "casework.error.one_measure"
        for measure_id in dict.fromkeys(chosen):
            item: dict[str, Any] = {
                "measure_id": measure_id,
                "owner": _required(form, f"owner__{measure_id}", problems),
                "due_at": _due(form, f"due__{measure_id}", problems),
                "evidence_required": _required(form, f"evidence__{measure_id}", problems),
            }
            terms = text(form, f"terms__{measure_id}")
            if terms:
                item["terms"] = terms
            measures.append(item)
    elif outcome == "not_fundable" and not appeal_path:
        problems["appeal_path"] = "casework.error.appeal_path"
    body["measures"] = measures
    return _done(body, problems)


def review(form: FormData, *, reason_required: bool) -> dict[str, Any]:
    problems: dict[str, str] = {}
    reason = _required(form, "reason", problems) if reason_required else text(form, "reason")
    return _done({"reason": reason or None}, problems)


def referral(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    body = {"authority": _required(form, "authority", problems), "reason": _required(form, "reason", problems)}
    return _done(body, problems)


def referral_answer(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    body: dict[str, Any] = {"answer": _required(form, "answer", problems)}
    if text(form, "recommendation"):
        body["recommendation"] = text(form, "recommendation")
    return _done(body, problems)


def revise_measure(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    body: dict[str, Any] = {"reason": _required(form, "reason", problems)}
    for name in ("owner", "evidence_required", "terms"):
        if text(form, name):
            body[name] = text(form, name)
    due = _due(form, "due_at", problems, required=False)
    if due:
        body["due_at"] = due
    return _done(body, problems)


def verify_measure(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    return _done({"note": _required(form, "note", problems)}, problems)


def award(form: FormData, now: datetime | None = None) -> dict[str, Any]:
    problems: dict[str, str] = {}
    reference = _required(form, "grant_reference", problems)
    raw = text(form, "signed_on")
    day = parse_date(raw)
    if day is None:
        problems["signed_on"] = "casework.error.date" if raw else "casework.error.required"
    body = {"grant_reference": reference, "signed_at": signed_at(day, now) if day else None}
    return _done(body, problems)


def extension(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    raw = text(form, "working_days")
    days = int(raw) if raw.isdigit() else 0
    if not 1 <= days <= 730:
        problems["working_days"] = "casework.error.working_days"
    return _done({"working_days": days, "reason": _required(form, "reason", problems)}, problems)


def note(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    return _done({"body": _required(form, "body", problems)}, problems)


def match_decision(form: FormData) -> tuple[str, dict[str, Any]]:
    """(organisation id, body) of a confirm / false-positive decision on one list entry."""
    problems: dict[str, str] = {}
    decision = text(form, "decision")
    if decision not in ("confirmed", "false_positive"):
        problems["decision"] = "casework.error.required"
    reason = _required(form, "reason", problems)
    if reason and len(reason) < 3:
        problems["reason"] = "casework.error.short"
    body = {
        "list_key": text(form, "list_key"),
        "entry_id": text(form, "entry_id"),
        "decision": decision,
        "reason": reason,
    }
    if not body["list_key"] or not body["entry_id"]:
        problems["entry_id"] = "casework.error.required"
    _done(body, problems)
    return text(form, "organisation_id"), body
