"""Loader errors (location, line, message), JSON, JSON Schema, and the checks behind them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from rsc_appraisal.countries import default_indicator_set
from rsc_appraisal.policy import (
    DEFAULT_POLICY_PATH,
    Policy,
    PolicyError,
    SafeguardCatalogue,
    default_policy,
    default_safeguard_catalogue,
    load_policy,
    parse_document,
    parse_policy,
    policy_document,
    policy_json_schema,
)
from tests.appraisal.unit.engine.support import policy_document as make_document
from tests.appraisal.unit.engine.support import rule

OK_RULE = rule("r.ok", "declaration", when={"field": "applicant.security_policy_in_place", "op": "is_false"})


def problems(document: dict[str, Any], **kwargs: Any) -> list[tuple[str, str, int | None]]:
    text = yaml.safe_dump(document, sort_keys=False)
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, name="test.yaml", **kwargs)
    return [(issue.where, issue.message, issue.line) for issue in caught.value.issues]


def only_problem(document: dict[str, Any], **kwargs: Any) -> tuple[str, str, int | None]:
    found = problems(document, **kwargs)
    assert len(found) == 1, found
    return found[0]


def test_valid_documents_load() -> None:
    text = yaml.safe_dump(make_document(OK_RULE))
    assert parse_policy(text).rules[0].id == "r.ok"
    assert load_policy(DEFAULT_POLICY_PATH).version == "2026.1"


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy("version: '1'\nrules: [\n  - oops: : :\n", name="broken.yaml")
    (issue,) = caught.value.issues
    assert issue.message.startswith("not valid YAML")
    assert issue.line == 3
    assert "broken.yaml" in str(caught.value)


def test_top_level_must_be_a_mapping_and_json_errors_have_lines() -> None:
    with pytest.raises(PolicyError, match="must be a mapping"):
        parse_policy("- a\n- b\n")
    with pytest.raises(PolicyError) as caught:
        parse_policy('{\n  "version": "1",\n  oops\n}', name="p.json")
    assert caught.value.issues[0].line == 3


def test_duplicate_keys_are_an_error() -> None:
    text = yaml.safe_dump(make_document(OK_RULE), sort_keys=False) + "version: '9'\n"
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert "duplicate key 'version'" in caught.value.issues[0].message


def test_unknown_key_is_reported_with_its_location_and_line() -> None:
    document = make_document({**OK_RULE, "colour": "red"})
    where, message, line = only_problem(document)
    assert where == "rules[0].colour"
    assert message == "unknown key 'colour'"
    text = yaml.safe_dump(document, sort_keys=False).splitlines()
    assert "colour" in text[line - 1]


def test_type_errors_and_missing_fields() -> None:
    document = make_document(OK_RULE)
    document["version"] = 2026.1  # unquoted YAML number
    where, message, _ = only_problem(document)
    assert (where, message) == ("version", "Input should be a valid string")
    document = make_document(OK_RULE)
    del document["review_by"]
    assert only_problem(document)[:2] == ("review_by", "Field required")
    bad_type = make_document({**OK_RULE, "type": "horoscope"})
    where, message, _ = only_problem(bad_type)
    assert where == "rules[0]"
    assert "declaration" in message


def test_condition_shape_errors() -> None:
    both = make_document({**OK_RULE, "when": {"field": "x", "op": "is_true", "all": []}})
    assert "exactly one of" in only_problem(both)[1]
    valueless = make_document({**OK_RULE, "when": {"field": "applicant.country", "op": "present", "value": 1}})
    assert "takes no value" in only_problem(valueless)[1]
    needs_list = make_document({**OK_RULE, "when": {"field": "applicant.organisation_type", "op": "in", "value": "x"}})
    assert "non-empty list" in only_problem(needs_list)[1]


def test_unknown_source_and_duplicate_ids() -> None:
    document = make_document({**OK_RULE, "sources": ["src", "nowhere"]}, {**OK_RULE, "title": "again"})
    found = problems(document)
    assert ("rules[0].sources[1]", "unknown source 'nowhere' (define it under sources)") in [f[:2] for f in found]
    assert any(f[0] == "rules[1].id" and "already used by rules[0]" in f[1] for f in found)


def test_field_paths_are_checked_against_the_models() -> None:
    typo = make_document(rule("r", "declaration", when={"field": "applicant.security_polcy", "op": "is_true"}))
    where, message, line = only_problem(typo)
    assert where == "rules[0].when.field"
    assert "has no field 'security_polcy'" in message
    assert "security_policy_in_place" in message  # the known fields are listed
    assert line is not None
    star = make_document(rule("r", "partner_attribute", when={"field": "shares[*].x", "op": "present"}))
    assert "has no field 'x'" in only_problem(star)[1]
    numeric = make_document(rule("r", "declaration", when={"field": "applicant.legal_name", "op": "gt", "value": 1}))
    assert "needs a number field" in only_problem(numeric)[1]
    enum = make_document(
        rule("r", "partner_attribute", when={"field": "partner_type", "op": "equals", "value": "militray"})
    )
    assert "'militray' is not a value of partner_type" in only_problem(enum)[1]
    threshold = make_document(
        rule("r", "threshold", field="applicant.largest_non_eu_funders[*].share_percent", op="gt", value=1)
    )
    assert "needs an aggregate" in only_problem(threshold)[1]
    fact = make_document(rule("r", "researcher", facts=["appointment"], when={"field": "sponsor", "op": "present"}))
    assert "has no field 'sponsor'" in only_problem(fact)[1]


def test_rules_cannot_name_a_country() -> None:
    in_value = make_document(
        rule("r", "declaration", when={"field": "self_assessment_answers.where", "op": "equals", "value": "DE"})
    )
    where, message, _ = only_problem(in_value)
    assert where == "rules[0].when.value"
    assert "names a country ('DE')" in message
    in_title = make_document({**OK_RULE, "title": "Partners from Freedonia or Japan"})
    assert "'Japan'" in only_problem(in_title)[1]
    country_field = make_document(
        rule("r", "partner_attribute", when={"field": "country", "op": "equals", "value": "x"})
    )
    where, message, _ = only_problem(country_field)
    assert where == "rules[0].when.op"
    assert "holds country codes" in message
    country_list = make_document(
        rule("r", "partner_attribute", when={"field": "ownership_control_countries", "op": "contains", "value": "x"})
    )
    assert "holds country codes" in only_problem(country_list)[1]


def test_country_conditions_are_restricted() -> None:
    negated = make_document(
        rule(
            "c",
            "country_indicator",
            relations=["partner_establishment"],
            when={"not": {"field": "arms_embargo", "op": "is_true"}},
        )
    )
    assert "'not' is not allowed" in only_problem(negated)[1]
    presence = make_document(
        rule(
            "c",
            "country_indicator",
            relations=["partner_establishment"],
            when={"field": "arms_embargo", "op": "missing"},
        )
    )
    assert "country_data_gap" in only_problem(presence)[1]
    indicators = default_indicator_set()
    unknown = make_document(
        rule(
            "c", "country_indicator", relations=["partner_establishment"], when={"field": "happiness", "op": "is_true"}
        )
    )
    where, message, _ = only_problem(unknown, indicators=indicators)
    assert (where, message.split(" (")[0]) == ("rules[0].when.field", "unknown indicator 'happiness'")
    wrong_kind = make_document(
        rule(
            "c",
            "country_indicator",
            relations=["partner_establishment"],
            when={"field": "arms_embargo", "op": "lt", "value": 0.5},
        )
    )
    assert "use is_true or is_false" in only_problem(wrong_kind, indicators=indicators)[1]
    wrong_score = make_document(
        rule(
            "c",
            "country_indicator",
            relations=["partner_establishment"],
            when={"field": "rule_of_law_index", "op": "lt", "value": 40},
        )
    )
    assert "score from 0 to 1" in only_problem(wrong_score, indicators=indicators)[1]


def test_combination_references_must_exist_and_come_first() -> None:
    later = rule("later", "declaration", when={"field": "version", "op": "present"})
    combo = rule("combo", "combination", all_rules=["later", "ghost"], any_rules=["combo"])
    found = [f[:2] for f in problems(make_document(combo, later))]
    assert (
        "rules[0].all_rules[0]",
        "'later' must come before this combination (it only sees earlier combinations)",
    ) in found
    assert ("rules[0].all_rules[1]", "unknown rule 'ghost'") in found
    assert ("rules[0].any_rules[0]", "a combination cannot refer to itself") in found
    empty = rule("combo", "combination")
    assert "needs all_categories, all_rules or any_rules" in only_problem(make_document(empty))[1]


def test_levels_dates_and_matching_are_checked() -> None:
    document = make_document(OK_RULE)
    document["levels"]["category_thresholds"] = [{"min_score": 4, "level": "high"}, {"min_score": 2, "level": "medium"}]
    assert only_problem(document)[0] == "levels.category_thresholds[1]"
    document = make_document(OK_RULE, review_by="2025-12-31")
    assert only_problem(document)[0] == "review_by"
    document = make_document(OK_RULE, matching={"match_threshold": 0.9, "confirmed_threshold": 0.8})
    assert only_problem(document)[0] == "matching.confirmed_threshold"
    document = make_document(OK_RULE)
    del document["levels"]["meanings"]["very_high"]
    assert "missing very_high" in only_problem(document)[1]
    document = make_document(OK_RULE)
    del document["factors"]["third_country"]
    assert "missing third_country" in only_problem(document)[1]
    gate = make_document({**OK_RULE, "hard_gate": True, "requires_review": False})
    assert only_problem(gate)[:2] == ("rules[0].requires_review", "a hard gate always requires review")


def test_safeguards_are_checked_against_the_catalogue() -> None:
    document = make_document({**OK_RULE, "safeguards": ["training", "magic"]})
    where, message, _ = only_problem(document, catalogue=default_safeguard_catalogue())
    assert where == "rules[0].safeguards[1]"
    assert message == "unknown safeguard 'magic' (catalogue 2026.1)"


def test_policy_model_validate_runs_the_same_checks() -> None:
    document = make_document({**OK_RULE, "sources": ["nowhere"]})
    with pytest.raises(ValidationError, match="unknown source 'nowhere'"):
        Policy.model_validate(document)


def test_json_documents_and_round_trip(tmp_path: Path) -> None:
    policy = default_policy()
    document = policy_document(policy)
    assert document["rules"][0]["when"]["any"][0]["field"] == "applicant.security_policy_in_place"
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document, indent=2))
    assert load_policy(path) == policy
    assert Policy.model_validate(json.loads(json.dumps(document))) == policy
    broken = copy.deepcopy(document)
    broken["rules"][3]["when"]["all"][0]["op"] = "is_maybe"
    path.write_text(json.dumps(broken, indent=2))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    (issue,) = caught.value.issues
    assert issue.where == "rules[3].when.all[0].op"
    assert issue.line is not None
    assert '"op": "is_maybe"' in path.read_text().splitlines()[issue.line - 1]


def test_json_schema_export() -> None:
    schema = policy_json_schema()
    json.dumps(schema)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    definitions = schema["$defs"]
    for name in (
        "DeclarationRule",
        "ThresholdRule",
        "ClassificationRule",
        "CountryIndicatorRule",
        "CountryDataGapRule",
        "ListMatchRule",
        "PartnerAttributeRule",
        "ResearcherRule",
        "CombinationRule",
        "NotOf",
    ):
        assert definitions[name]["additionalProperties"] is False
    assert "not" in definitions["NotOf"]["properties"]
    rules = schema["properties"]["rules"]["items"]
    assert set(rules["discriminator"]["mapping"]) == {
        "declaration",
        "threshold",
        "classification",
        "country_indicator",
        "country_data_gap",
        "list_match",
        "partner_attribute",
        "researcher",
        "combination",
    }


def test_safeguard_catalogue_errors() -> None:
    catalogue = default_safeguard_catalogue().model_dump(mode="json")
    catalogue["measures"].append(dict(catalogue["measures"][0]))
    catalogue["measures"][1]["sources"] = ["nowhere"]
    with pytest.raises(PolicyError) as caught:
        parse_document(yaml.safe_dump(catalogue), SafeguardCatalogue, name="catalogue.yaml")
    message = caught.value.issues[0].message
    assert "is used twice" in message
    assert "unknown source 'nowhere'" in message
