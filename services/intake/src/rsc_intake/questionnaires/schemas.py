"""The questionnaire definition (versioned data) and the API schemas around it.

A definition is an ordered list of questions. A question may be conditional (`show_if`): it is
shown only when an *earlier* question has a given answer, so conditions can never form a cycle.
Choice questions carry literal option lists, also where the options come from a vocabulary (the
ten critical technology areas, the dual-use Annex I categories): a published version then stays
exactly what applicants saw, even if a vocabulary changes later.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_validator,
)

from rsc_common.contracts.fields import text as bounded_text

# Answer keys of `SelfAssessment.answers` are at most 64 characters.
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
OptionValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MAX_TEXT_LENGTH = 10_000
MAX_QUESTIONS = 200
MAX_OPTIONS = 100


class QuestionCategory(StrEnum):
    """The topics of the self-assessment (Horizon Europe security issues table; C(2023) 6689;
    Reg. (EU) 2021/821)."""

    dual_use = "dual_use"
    export_licence = "export_licence"
    military_end_use = "military_end_use"
    critical_technology = "critical_technology"
    classified_information = "classified_information"
    misuse_potential = "misuse_potential"
    sensitive_infrastructure = "sensitive_infrastructure"
    human_rights_misuse = "human_rights_misuse"


class AnswerType(StrEnum):
    boolean = "boolean"  # JSON true / false
    single_choice = "single_choice"  # one option value (string)
    multi_choice = "multi_choice"  # a list of distinct option values
    text = "text"  # a string of at most `max_length` characters
    number = "number"  # a JSON number within [min, max]
    date = "date"  # an ISO 8601 calendar date, "YYYY-MM-DD"


CHOICE_TYPES = frozenset({AnswerType.single_choice, AnswerType.multi_choice})


class _Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Option(_Forbid):
    value: OptionValue
    label: bounded_text(300, 1)


class ShowIfEquals(_Forbid):
    """Shown when the earlier question's answer equals `equals` (not for multi_choice questions)."""

    question: QuestionId
    equals: StrictBool | StrictInt | StrictFloat | StrictStr


class ShowIfIncludes(_Forbid):
    """Shown when the earlier multi_choice question's answer includes the option `includes`."""

    question: QuestionId
    includes: OptionValue


ShowIf = ShowIfEquals | ShowIfIncludes


class Question(_Forbid):
    id: QuestionId
    text: bounded_text(1000, 1)
    help: bounded_text(4000) = ""
    category: QuestionCategory
    answer_type: AnswerType
    options: Annotated[list[Option], Field(min_length=1, max_length=MAX_OPTIONS)] | None = None
    required: bool = True
    show_if: ShowIf | None = None
    max_length: Annotated[int, Field(ge=1, le=MAX_TEXT_LENGTH)] | None = None
    min: StrictInt | StrictFloat | None = None
    max: StrictInt | StrictFloat | None = None

    @model_validator(mode="after")
    def _fields_fit_the_answer_type(self) -> Question:
        kind = self.answer_type
        if kind in CHOICE_TYPES and self.options is None:
            raise ValueError(f"question {self.id!r}: a {kind} question needs options")
        if kind not in CHOICE_TYPES and self.options is not None:
            raise ValueError(f"question {self.id!r}: only choice questions have options")
        if self.options is not None:
            values = [o.value for o in self.options]
            if len(values) != len(set(values)):
                raise ValueError(f"question {self.id!r}: option values must be unique")
        if self.max_length is not None and kind != AnswerType.text:
            raise ValueError(f"question {self.id!r}: max_length is only for text questions")
        if (self.min is not None or self.max is not None) and kind != AnswerType.number:
            raise ValueError(f"question {self.id!r}: min and max are only for number questions")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"question {self.id!r}: min must not be greater than max")
        return self

    @property
    def option_values(self) -> frozenset[str]:
        return frozenset(o.value for o in self.options or ())


def _check_condition(question: Question, parent: Question) -> None:
    """The condition must be one the earlier question's answers can actually meet."""
    cond = question.show_if
    where = f"question {question.id!r}: show_if"
    if isinstance(cond, ShowIfIncludes):
        if parent.answer_type != AnswerType.multi_choice:
            raise ValueError(f"{where} 'includes' needs a multi_choice question, {parent.id!r} is {parent.answer_type}")
        if cond.includes not in parent.option_values:
            raise ValueError(f"{where} {cond.includes!r} is not an option of {parent.id!r}")
        return
    assert isinstance(cond, ShowIfEquals)
    value, kind = cond.equals, parent.answer_type
    fits = {
        AnswerType.boolean: isinstance(value, bool),
        AnswerType.single_choice: isinstance(value, str) and value in parent.option_values,
        AnswerType.text: isinstance(value, str),
        AnswerType.number: isinstance(value, int | float) and not isinstance(value, bool),
        AnswerType.date: isinstance(value, str) and is_iso_date(value),
        AnswerType.multi_choice: False,
    }[kind]
    if not fits:
        hint = " (use 'includes')" if kind == AnswerType.multi_choice else ""
        raise ValueError(f"{where} {value!r} is not a possible answer to the {kind} question {parent.id!r}{hint}")


def is_iso_date(value: str) -> bool:
    if not re.fullmatch(DATE_PATTERN, value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


class QuestionnaireDefinition(_Forbid):
    title: bounded_text(300, 1)
    description: bounded_text(4000) = ""
    questions: Annotated[list[Question], Field(min_length=1, max_length=MAX_QUESTIONS)]

    @model_validator(mode="after")
    def _consistent(self) -> QuestionnaireDefinition:
        seen: dict[str, Question] = {}
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} is used twice")
            if question.show_if is not None:
                parent = seen.get(question.show_if.question)
                if parent is None:
                    # Only earlier questions can be referred to: this also rules out cycles.
                    raise ValueError(
                        f"question {question.id!r}: show_if must refer to an earlier question, "
                        f"not {question.show_if.question!r}"
                    )
                _check_condition(question, parent)
            seen[question.id] = question
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


# --------------------------------------------------------------------------------------- API


class QuestionnaireCreate(_Forbid):
    definition: QuestionnaireDefinition


class QuestionnairePublic(BaseModel):
    id: uuid.UUID
    call_id: uuid.UUID
    version: int
    published_at: datetime
    definition: QuestionnaireDefinition
