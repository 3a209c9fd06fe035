"""Publishing questionnaire versions, and checking a self-assessment's answers against one.

Answers to hidden questions are rejected, in drafts and submissions alike: a question whose
`show_if` condition is not met must have no answer (a JSON null counts as no answer). A frozen
submission therefore never carries stale follow-ups that contradict a visible answer (e.g.
"no dual-use items" together with a list of Annex I categories); clients drop follow-up answers
when the answer they depend on changes (`drop_hidden_answers` does exactly that).
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections import OrderedDict
from importlib import resources
from typing import Any

from sqlmodel import Session, col, select

from rsc_common.http import ProblemError
from rsc_intake.calls.models import Call
from rsc_intake.questionnaires.models import Questionnaire
from rsc_intake.questionnaires.schemas import (
    MAX_TEXT_LENGTH,
    AnswerType,
    Question,
    QuestionnaireDefinition,
    QuestionnairePublic,
    ShowIfEquals,
    is_iso_date,
)

ANSWERS_POINTER = "/self_assessment/answers/"
DEFAULT_DEFINITION_FILE = "default_questionnaire.json"


# --------------------------------------------------------------------------- answer validation


def _pointer(question_id: str) -> str:
    # RFC 6901 escaping, for unknown keys that may contain '~' or '/'.
    return ANSWERS_POINTER + question_id.replace("~", "~0").replace("/", "~1")


def _type_error(question: Question, value: Any) -> str | None:
    """Why `value` is not a possible answer to `question`, or None if it is."""
    kind = question.answer_type
    if kind == AnswerType.boolean:
        return None if isinstance(value, bool) else "expected true or false"
    if kind == AnswerType.single_choice:
        if not isinstance(value, str):
            return "expected one option value (a string)"
        return None if value in question.option_values else f"{value!r} is not one of the options"
    if kind == AnswerType.multi_choice:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of option values"
        unknown = [v for v in value if v not in question.option_values]
        if unknown:
            return f"not among the options: {', '.join(map(repr, unknown))}"
        return "an option is chosen more than once" if len(value) != len(set(value)) else None
    if kind == AnswerType.text:
        if not isinstance(value, str):
            return "expected text"
        limit = question.max_length or MAX_TEXT_LENGTH
        return f"at most {limit} characters" if len(value) > limit else None
    if kind == AnswerType.number:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return "expected a number"
        if question.min is not None and value < question.min:
            return f"must be at least {question.min}"
        if question.max is not None and value > question.max:
            return f"must be at most {question.max}"
        return None
    if kind == AnswerType.date:
        return None if isinstance(value, str) and is_iso_date(value) else "expected a date as YYYY-MM-DD"
    raise AssertionError(kind)  # pragma: no cover


def _is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value)
    return True


def _same_json_value(a: Any, b: Any) -> bool:
    # JSON semantics: true is not 1, but 1 equals 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _condition_met(question: Question, parent_answer: Any) -> bool:
    cond = question.show_if
    if isinstance(cond, ShowIfEquals):
        return _same_json_value(parent_answer, cond.equals)
    assert cond is not None
    return isinstance(parent_answer, list) and cond.includes in parent_answer


def _visibility(definition: QuestionnaireDefinition, answers: dict[str, Any]) -> dict[str, bool | None]:
    """Per question: shown (True), hidden (False), or unknown (None) because an answer it depends
    on is itself invalid. Questions are evaluated in order; a condition always names an earlier one."""
    state: dict[str, bool | None] = {}
    valid: dict[str, bool] = {}
    for question in definition.questions:
        value = answers.get(question.id)
        valid[question.id] = value is None or _type_error(question, value) is None
        cond = question.show_if
        if cond is None:
            state[question.id] = True
            continue
        parent_state = state[cond.question]
        if parent_state is None or (parent_state and not valid[cond.question]):
            state[question.id] = None
        elif not parent_state:
            state[question.id] = False
        else:
            state[question.id] = _condition_met(question, answers.get(cond.question))
    return state


def _hidden_message(question: Question) -> str:
    cond = question.show_if
    assert cond is not None
    if isinstance(cond, ShowIfEquals):
        when = f"{cond.question!r} is answered {json.dumps(cond.equals)}"
    else:
        when = f"{cond.question!r} includes {cond.includes!r}"
    return f"this question is only asked when {when}; remove the answer"


def validate_answers(
    definition: QuestionnaireDefinition, answers: dict[str, Any], *, for_submission: bool
) -> list[dict[str, str]]:
    """Problems with `answers` as `{"pointer", "message"}` pairs; an empty list means valid.

    Always: no unknown question ids, each answer of the question's type and among its options,
    no answer to a hidden question. For a submission also: every required shown question answered
    (blank text and empty selections count as unanswered). A draft may be incomplete.
    """
    problems: list[dict[str, str]] = []
    visibility = _visibility(definition, answers)
    for question in definition.questions:
        value = answers.get(question.id)
        shown = visibility[question.id]
        if value is not None:
            if shown is False:
                problems.append({"pointer": _pointer(question.id), "message": _hidden_message(question)})
                continue
            error = _type_error(question, value)
            if error is not None:
                problems.append({"pointer": _pointer(question.id), "message": error})
                continue
        if for_submission and shown and question.required and not _is_answered(value):
            problems.append({"pointer": _pointer(question.id), "message": "an answer is required for submission"})
    known = {q.id for q in definition.questions}
    problems.extend(
        {"pointer": _pointer(key), "message": "no such question in this questionnaire version"}
        for key in answers
        if key not in known
    )
    return problems


def visible_question_ids(definition: QuestionnaireDefinition, answers: dict[str, Any]) -> list[str]:
    """Ids of the questions shown for `answers`, in order (questions of unknown visibility included)."""
    visibility = _visibility(definition, answers)
    return [q.id for q in definition.questions if visibility[q.id] is not False]


def drop_hidden_answers(definition: QuestionnaireDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """`answers` without the answers to questions that those answers hide (follow-ups of hidden
    questions are hidden too). Unknown keys are kept, so that validation still reports them."""
    visibility = _visibility(definition, answers)
    return {key: value for key, value in answers.items() if visibility.get(key) is not False}


# ------------------------------------------------------------------------------- persistence


def definition_of(questionnaire: Questionnaire) -> QuestionnaireDefinition:
    return QuestionnaireDefinition.model_validate(questionnaire.definition)


def to_public(questionnaire: Questionnaire) -> QuestionnairePublic:
    return QuestionnairePublic(
        id=questionnaire.id,
        call_id=questionnaire.call_id,
        version=questionnaire.version,
        published_at=questionnaire.published_at,
        definition=definition_of(questionnaire),
    )


# Published versions are immutable (rows are never updated: a change is the next version), so a
# parsed definition can be kept for the life of the process: no query and no validation of the
# definition per draft save or submission. Keyed by the database as well (tests use many databases
# in one process); misses (unknown versions) are not cached. Bounded: the least recently used goes.
DEFINITION_CACHE_SIZE = 256
_definitions: OrderedDict[tuple[object, uuid.UUID, int], QuestionnaireDefinition] = OrderedDict()
_definitions_lock = threading.Lock()


def get_definition(session: Session, call_id: uuid.UUID, version: int) -> QuestionnaireDefinition:
    """The definition of the call's questionnaire `version` (422 if there is none), cached."""
    cache_key = (session.get_bind().url, call_id, version)
    with _definitions_lock:
        definition = _definitions.get(cache_key)
        if definition is not None:
            _definitions.move_to_end(cache_key)
            return definition
    definition = definition_of(get_questionnaire(session, call_id, version))
    with _definitions_lock:
        _definitions[cache_key] = definition
        while len(_definitions) > DEFINITION_CACHE_SIZE:
            _definitions.popitem(last=False)
    return definition


def get_questionnaire(session: Session, call_id: uuid.UUID, version: int) -> Questionnaire:
    questionnaire = session.exec(
        select(Questionnaire).where(Questionnaire.call_id == call_id, Questionnaire.version == version)
    ).first()
    if questionnaire is None:
        raise ProblemError(
            422,
            "unknown-questionnaire-version",
            f"call {call_id} has no questionnaire version {version}",
        )
    return questionnaire


def latest_questionnaire(session: Session, call_id: uuid.UUID) -> Questionnaire | None:
    return session.exec(
        select(Questionnaire).where(Questionnaire.call_id == call_id).order_by(col(Questionnaire.version).desc())
    ).first()


def publish(session: Session, call_id: uuid.UUID, definition: QuestionnaireDefinition, actor: str) -> Questionnaire:
    """Publish `definition` as the call's next version (1 for the first); earlier versions stay as they are."""
    # Locking the call row serialises concurrent publications for the same call.
    if session.get(Call, call_id, with_for_update=True) is None:
        raise ProblemError(404, "not-found", f"call {call_id} not found")
    latest = latest_questionnaire(session, call_id)
    questionnaire = Questionnaire(
        call_id=call_id,
        version=(latest.version + 1) if latest else 1,
        definition=definition.model_dump(mode="json", exclude_none=True),
        published_by=actor,
    )
    session.add(questionnaire)
    session.commit()
    return questionnaire


def load_default_definition() -> QuestionnaireDefinition:
    """The default RSC research-security self-assessment shipped with the service."""
    raw = resources.files(__package__).joinpath(DEFAULT_DEFINITION_FILE).read_text(encoding="utf-8")
    return QuestionnaireDefinition.model_validate(json.loads(raw))


def ensure_default_questionnaire(session: Session, call_id: uuid.UUID, actor: str = "seed") -> Questionnaire:
    """The call's latest questionnaire; if it has none yet, version 1 with the default definition."""
    if session.get(Call, call_id, with_for_update=True) is None:
        raise ProblemError(404, "not-found", f"call {call_id} not found")
    existing = latest_questionnaire(session, call_id)
    if existing is not None:
        session.commit()  # ends the transaction that holds the row lock
        return existing
    return publish(session, call_id, load_default_definition(), actor)
