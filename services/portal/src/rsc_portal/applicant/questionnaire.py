"""The call's self-assessment questionnaire in the portal: which questions are shown for the answers
given so far, answers read from the form, and what a submission still needs.

The rules are intake's (rsc_intake.questionnaires.service): a conditional question (`show_if`) is shown
only when the earlier question it names has the given answer (`equals`) or includes the option
(`includes`); answers to hidden questions are dropped before saving (intake refuses them).
"""

from __future__ import annotations

import math
from typing import Any

from starlette.datastructures import FormData

from rsc_portal.applicant.forms import boolean, text

FIELD = "answers."


def questions(questionnaire: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list(((questionnaire or {}).get("definition") or {}).get("questions") or [])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _condition_met(show_if: dict[str, Any], answer: Any) -> bool:
    if "includes" in show_if:
        return isinstance(answer, list) and show_if["includes"] in answer
    return _same(answer, show_if.get("equals"))


def visibility(questionnaire: dict[str, Any] | None, answers: dict[str, Any]) -> dict[str, bool]:
    """Question id → shown. A question whose parent is hidden is hidden too."""
    shown: dict[str, bool] = {}
    for q in questions(questionnaire):
        cond = q.get("show_if")
        if not cond:
            shown[q["id"]] = True
        else:
            parent = cond.get("question")
            shown[q["id"]] = bool(shown.get(parent)) and _condition_met(cond, answers.get(parent))
    return shown


def controlling_ids(questionnaire: dict[str, Any] | None) -> set[str]:
    """Questions that other questions depend on: changing their answer re-renders the dependants."""
    return {q["show_if"]["question"] for q in questions(questionnaire) if q.get("show_if")}


def dependants(questionnaire: dict[str, Any] | None, question_id: str) -> list[str]:
    """Every question shown or hidden by `question_id`'s answer, directly or through another one, in order."""
    affected = {question_id}
    out = []
    for q in questions(questionnaire):
        cond = q.get("show_if")
        if cond and cond.get("question") in affected:
            affected.add(q["id"])
            out.append(q["id"])
    return out


def _number(raw: str) -> Any:
    try:
        value = float(raw)
    except ValueError:
        return raw  # the API explains ("expected a number") beside the field
    if not math.isfinite(value):
        return raw
    return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value


def answer_from_form(question: dict[str, Any], form: FormData) -> Any:
    name = FIELD + question["id"]
    kind = question.get("answer_type")
    if kind == "multi_choice":
        values = [v for v in form.getlist(name) if isinstance(v, str) and v]
        return values or None
    raw = text(form, name)
    if not raw:
        return None
    if kind == "boolean":
        return boolean(raw)
    if kind == "number":
        return _number(raw)
    return raw


def answers_from_form(questionnaire: dict[str, Any] | None, form: FormData) -> dict[str, Any]:
    """The answers in the form, without those to questions the answers hide (in question order, so a
    follow-up is judged by its parent's new answer)."""
    answers = {q["id"]: answer_from_form(q, form) for q in questions(questionnaire)}
    answers = {k: v for k, v in answers.items() if v is not None}
    shown = visibility(questionnaire, answers)
    return {k: v for k, v in answers.items() if shown.get(k)}


def _answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str | list):
        return bool(value.strip() if isinstance(value, str) else value)
    return True


def unanswered_required(questionnaire: dict[str, Any] | None, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Shown, required questions without an answer (what a submission still needs)."""
    shown = visibility(questionnaire, answers)
    return [
        q
        for q in questions(questionnaire)
        if shown.get(q["id"]) and q.get("required", True) and not _answered(answers.get(q["id"]))
    ]


def form_value(value: Any) -> Any:
    """An answer as the form shows it (booleans as the select's option values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
