"""Questionnaire definitions and answer validation: pure functions, no servers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from rsc_common.contracts.vocabulary import CriticalTechnologyArea, DualUseCategory
from rsc_intake.questionnaires.schemas import QuestionCategory, QuestionnaireDefinition
from rsc_intake.questionnaires.service import (
    drop_hidden_answers,
    load_default_definition,
    validate_answers,
    visible_question_ids,
)

P = "/self_assessment/answers/"


def q(qid: str, answer_type: str = "boolean", **extra: Any) -> dict[str, Any]:
    return {"id": qid, "text": f"Question {qid}?", "category": "dual_use", "answer_type": answer_type, **extra}


def opts(*values: str) -> list[dict[str, str]]:
    return [{"value": v, "label": v.upper()} for v in values]


def definition(*questions: dict[str, Any]) -> QuestionnaireDefinition:
    return QuestionnaireDefinition.model_validate({"title": "Test", "questions": list(questions)})


SAMPLE = definition(
    q("uses_items"),
    q("categories", "multi_choice", options=opts("0", "3", "5"), show_if={"question": "uses_items", "equals": True}),
    q("crypto_detail", "text", max_length=20, show_if={"question": "categories", "includes": "5"}),
    q("licence", "single_choice", options=opts("yes", "no", "unknown")),
    q("licence_date", "date", required=False, show_if={"question": "licence", "equals": "yes"}),
    q("partners", "number", min=0, max=50),
    q("notes", "text", required=False),
)


def pointers(problems: list[dict[str, str]]) -> list[str]:
    return [p["pointer"].removeprefix(P) for p in problems]


# ------------------------------------------------------------------------- definition rules


@pytest.mark.parametrize(
    ("questions", "fragment"),
    [
        ([q("a"), q("a")], "used twice"),
        ([q("a", show_if={"question": "b", "equals": True}), q("b")], "earlier question"),
        ([q("a", show_if={"question": "a", "equals": True})], "earlier question"),
        ([q("a", show_if={"question": "missing", "equals": True})], "earlier question"),
        ([q("a", "single_choice")], "needs options"),
        ([q("a", "multi_choice", options=[])], "at least 1 item"),
        ([q("a", options=opts("x"))], "only choice questions have options"),
        ([q("a", "single_choice", options=opts("x", "x"))], "unique"),
        ([q("a", max_length=10)], "max_length is only for text"),
        ([q("a", "text", min=1)], "min and max are only for number"),
        ([q("a", "number", min=5, max=1)], "min must not be greater"),
        ([q("a"), q("b", show_if={"question": "a", "equals": "yes"})], "not a possible answer"),
        ([q("a", "single_choice", options=opts("x")), q("b", show_if={"question": "a", "equals": "y"})], "possible"),
        ([q("a", "multi_choice", options=opts("x")), q("b", show_if={"question": "a", "equals": "x"})], "includes"),
        ([q("a"), q("b", show_if={"question": "a", "includes": "x"})], "needs a multi_choice"),
        ([q("a", "multi_choice", options=opts("x")), q("b", show_if={"question": "a", "includes": "y"})], "option"),
        ([q("a", show_if={"question": "a", "equals": True, "includes": "x"})], "show_if"),
        ([q("Bad-Id")], "pattern"),
        ([q("a", category="espionage")], "category"),
        ([q("a", answer_type="file")], "answer_type"),
        ([q("a", colour="red")], "Extra inputs are not permitted"),
        ([], "at least 1 item"),
    ],
)
def test_invalid_definitions_are_rejected(questions: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        definition(*questions)


def test_a_definition_round_trips_through_json() -> None:
    dumped = SAMPLE.model_dump(mode="json", exclude_none=True)
    assert QuestionnaireDefinition.model_validate(json.loads(json.dumps(dumped))) == SAMPLE


# ------------------------------------------------------------------------ answer validation


def test_a_draft_may_be_empty_or_partial_but_a_submission_needs_every_shown_required_answer() -> None:
    assert validate_answers(SAMPLE, {}, for_submission=False) == []
    assert validate_answers(SAMPLE, {"uses_items": True}, for_submission=False) == []
    problems = validate_answers(SAMPLE, {"uses_items": True}, for_submission=True)
    assert pointers(problems) == ["categories", "licence", "partners"]
    assert {p["message"] for p in problems} == {"an answer is required for submission"}


def test_required_follow_ups_are_required_only_when_shown() -> None:
    base = {"licence": "no", "partners": 3}
    assert validate_answers(SAMPLE, {"uses_items": False, **base}, for_submission=True) == []
    assert pointers(validate_answers(SAMPLE, {"uses_items": True, **base}, for_submission=True)) == ["categories"]
    chained = {"uses_items": True, "categories": ["0", "5"], **base}
    assert pointers(validate_answers(SAMPLE, chained, for_submission=True)) == ["crypto_detail"]
    assert validate_answers(SAMPLE, {**chained, "crypto_detail": "AES in firmware"}, for_submission=True) == []


def test_answers_to_hidden_questions_are_rejected_in_drafts_and_submissions() -> None:
    answers = {"uses_items": False, "categories": ["3"], "licence": "no", "licence_date": "2027-01-01", "partners": 1}
    for for_submission in (False, True):
        problems = validate_answers(SAMPLE, answers, for_submission=for_submission)
        assert pointers(problems) == ["categories", "licence_date"]
        assert "only asked when 'uses_items' is answered true" in problems[0]["message"]
        assert "'licence' is answered \"yes\"" in problems[1]["message"]
    # Hiding cascades: the grandchild of an unanswered question is hidden too.
    assert pointers(validate_answers(SAMPLE, {"crypto_detail": "x"}, for_submission=False)) == ["crypto_detail"]
    assert pointers(validate_answers(SAMPLE, {"categories": ["5"], "crypto_detail": "x"}, for_submission=False)) == [
        "categories",
        "crypto_detail",
    ]
    # null means "no answer", so it is fine anywhere.
    assert validate_answers(SAMPLE, {"uses_items": False, "categories": None}, for_submission=False) == []


def test_drop_hidden_answers_removes_stale_follow_ups_only() -> None:
    answers = {"uses_items": False, "categories": ["5"], "crypto_detail": "x", "licence": "no", "typo": 1}
    cleaned = drop_hidden_answers(SAMPLE, answers)
    assert cleaned == {"uses_items": False, "licence": "no", "typo": 1}
    assert pointers(validate_answers(SAMPLE, cleaned, for_submission=False)) == ["typo"]
    assert visible_question_ids(SAMPLE, cleaned) == ["uses_items", "licence", "partners", "notes"]


@pytest.mark.parametrize(
    ("qid", "value", "fragment"),
    [
        ("uses_items", "yes", "true or false"),
        ("uses_items", 1, "true or false"),
        ("licence", True, "one option value"),
        ("licence", "maybe", "not one of the options"),
        ("partners", "3", "expected a number"),
        ("partners", True, "expected a number"),
        ("partners", -1, "at least 0"),
        ("partners", 50.5, "at most 50"),
        ("notes", 42, "expected text"),
        ("notes", "x" * 10_001, "at most 10000 characters"),
    ],
)
def test_answers_must_fit_the_question_type(qid: str, value: Any, fragment: str) -> None:
    [problem] = validate_answers(SAMPLE, {qid: value}, for_submission=False)
    assert problem["pointer"] == P + qid
    assert fragment in problem["message"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("3", "list of option values"),
        (["3", 5], "list of option values"),
        (["3", "9"], "'9'"),
        (["3", "3"], "more than once"),
    ],
)
def test_multi_choice_answers_are_distinct_options(value: Any, fragment: str) -> None:
    [problem] = validate_answers(SAMPLE, {"uses_items": True, "categories": value}, for_submission=False)
    assert problem["pointer"] == P + "categories"
    assert fragment in problem["message"]


@pytest.mark.parametrize("value", ["2027-02-30", "2027-1-5", "20270105", "2027-01-05T00:00:00", 20270105])
def test_dates_are_iso_calendar_dates(value: Any) -> None:
    [problem] = validate_answers(SAMPLE, {"licence": "yes", "licence_date": value}, for_submission=False)
    assert problem["pointer"] == P + "licence_date"
    assert validate_answers(SAMPLE, {"licence": "yes", "licence_date": "2027-01-05"}, for_submission=False) == []


def test_text_length_uses_the_question_limit_and_blank_text_is_not_an_answer() -> None:
    base = {"uses_items": True, "categories": ["5"], "licence": "no", "partners": 0}
    [too_long] = validate_answers(SAMPLE, {**base, "crypto_detail": "x" * 21}, for_submission=False)
    assert "at most 20 characters" in too_long["message"]
    [blank] = validate_answers(SAMPLE, {**base, "crypto_detail": "   "}, for_submission=True)
    assert blank["message"] == "an answer is required for submission"
    [empty] = validate_answers(SAMPLE, {**base, "categories": []}, for_submission=True)
    assert empty["pointer"] == P + "categories"


def test_an_invalid_answer_does_not_cascade_into_visibility_errors() -> None:
    # `categories` is invalid, so whether `crypto_detail` is shown is unknown: only its type is checked.
    answers = {"uses_items": True, "categories": "5", "crypto_detail": "x"}
    assert pointers(validate_answers(SAMPLE, answers, for_submission=True)) == ["categories", "licence", "partners"]


def test_unknown_question_ids_are_rejected_with_escaped_pointers() -> None:
    problems = validate_answers(SAMPLE, {"nationality": "XX", "a/b~c": 1}, for_submission=False)
    assert [p["pointer"] for p in problems] == [P + "nationality", P + "a~1b~0c"]
    assert all("no such question" in p["message"] for p in problems)


def test_show_if_equals_follows_json_equality() -> None:
    d = definition(
        q("count", "number"),
        q("many", "text", show_if={"question": "count", "equals": 3}),
    )
    assert validate_answers(d, {"count": 3.0, "many": "x"}, for_submission=False) == []
    assert pointers(validate_answers(d, {"count": 4, "many": "x"}, for_submission=False)) == ["many"]
    b = definition(q("flag"), q("follow", "text", show_if={"question": "flag", "equals": True}))
    assert pointers(validate_answers(b, {"flag": 1, "follow": "x"}, for_submission=False)) == ["flag"]


# ------------------------------------------------------------------------ default questionnaire


def test_the_default_questionnaire_covers_all_categories_with_conditional_follow_ups() -> None:
    default = load_default_definition()
    assert 12 <= len(default.questions) <= 20
    assert {question.category for question in default.questions} == set(QuestionCategory)
    assert any(question.show_if for question in default.questions)
    for question in default.questions:
        assert question.help, f"{question.id} explains itself and cites a source"
    by_id = {question.id: question for question in default.questions}
    assert [o.value for o in by_id["dual_use_categories"].options or []] == [c.value for c in DualUseCategory]
    assert [o.value for o in by_id["critical_technology_areas"].options or []] == [
        a.value for a in CriticalTechnologyArea
    ]


def test_the_default_questionnaire_accepts_realistic_answers() -> None:
    default = load_default_definition()
    complete = {
        "dual_use_items": True,
        "dual_use_categories": ["3", "6"],
        "dual_use_description": "High-power fibre lasers (6A005) built in the photonics work package.",
        "research_nature": "applied",
        "export_licence_needed": "yes",
        "export_licence_status": "applied_for",
        "military_end_use": False,
        "critical_technology": True,
        "critical_technology_areas": ["advanced_semiconductors", "advanced_materials_manufacturing_recycling"],
        "classified_information": False,
        "misuse_potential": False,
        "sensitive_infrastructure": True,
        "sensitive_infrastructure_description": "Clean-room line of the coordinator; partners get supervised access.",
        "human_rights_misuse": False,
    }
    assert validate_answers(default, complete, for_submission=True) == []
    assert validate_answers(default, {"dual_use_items": False}, for_submission=False) == []
    nothing_to_declare = {
        "dual_use_items": False,
        "export_licence_needed": "no",
        "military_end_use": False,
        "critical_technology": False,
        "classified_information": False,
        "misuse_potential": False,
        "sensitive_infrastructure": False,
        "human_rights_misuse": False,
    }
    assert validate_answers(default, nothing_to_declare, for_submission=True) == []
    stale = {**nothing_to_declare, "dual_use_categories": ["3"]}
    assert pointers(validate_answers(default, stale, for_submission=True)) == ["dual_use_categories"]
    incomplete = {**nothing_to_declare, "human_rights_misuse": True}
    assert pointers(validate_answers(default, incomplete, for_submission=True)) == [
        "human_rights_misuse_kinds",
        "human_rights_measures",
    ]
