"""SLA configuration and calendars as data: the shipped files load, bad files are refused with locations,
and neither the SLA code nor its data names a country."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
import yaml

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.policy.loader import PolicyError, parse_document
from rsc_appraisal.sla import config as sla_config
from rsc_appraisal.sla.config import (
    CalendarSet,
    SlaConfig,
    check_calendars,
    default_calendars,
    default_sla_config,
    review_warnings,
)
from tests.appraisal.unit.policy.test_no_country_literals import CODES, NAMES

SLA_PACKAGE = Path(sla_config.__file__).parent


def test_the_shipped_configuration_loads_with_the_documented_defaults() -> None:
    config = default_sla_config()
    programme = config.programme("default")
    assert programme.time_to_grant_months == 8
    assert programme.appraisal_budget_working_days == {
        RiskLevel.medium: 20,
        RiskLevel.high: 40,
        RiskLevel.very_high: 60,
    }
    assert programme.reminders == (0.5, 0.8)
    assert programme.escalation.at == 1.0
    assert programme.escalation.role == "appraisal_supervisor"
    assert programme.pause_while_waiting_on_applicant is True
    assert programme.config_version == config.version
    # a programme without its own entry gets the default one
    assert config.programme("some-other-programme").programme == "default"


def test_the_shipped_calendars_load() -> None:
    calendars = default_calendars()
    default = calendars.calendar("default")
    assert default.example_data
    assert default.version == calendars.version
    assert not default.is_working_day(date(2027, 3, 26))  # listed holiday
    assert not default.is_working_day(date(2027, 3, 27))  # weekend
    assert default.is_working_day(date(2027, 3, 30))
    assert calendars.calendar("weekdays").holidays == ()
    with pytest.raises(KeyError, match="no calendar"):
        calendars.calendar("nowhere")


def test_budget_for_an_unconfigured_level_is_refused() -> None:
    programme = default_sla_config().programme()
    with pytest.raises(ValueError, match="no appraisal budget for level 'low'"):
        programme.budget_for("low")


GOOD = """
version: "1"
title: t
default_programme: p
programmes:
  p:
    title: p
    calendar: weekdays
    appraisal_budget_working_days: {medium: 10}
"""


@pytest.mark.parametrize(
    ("change", "message", "where"),
    [
        ("reminders: [0.8, 0.5]", "unique and ascending", "programmes.p.reminders"),
        ("reminders: [0.5, 1.0]", "strictly between 0 and 1", "programmes.p.reminders"),
        ("escalation: {at: 1.5}", "less than or equal to 1", "programmes.p.escalation.at"),
        ("appraisal_budget_working_days: {medium: 0}", "budgets must be", "programmes.p.appraisal_budget_working_days"),
        ("appraisal_budget_working_days: {urgent: 5}", "Input should be", "programmes.p.appraisal_budget_working_days"),
        ("time_to_grant_months: 0", "greater than or equal to 1", "programmes.p.time_to_grant_months"),
        ("pause_while_waiting: true", "unknown key", "programmes.p.pause_while_waiting"),
    ],
)
def test_bad_programme_entries_are_refused_with_their_location(change: str, message: str, where: str) -> None:
    document = GOOD.replace("    appraisal_budget_working_days: {medium: 10}\n", "") + "    " + change + "\n"
    if "appraisal_budget_working_days" not in change:
        document += "    appraisal_budget_working_days: {medium: 10}\n"
    with pytest.raises(PolicyError) as caught:
        parse_document(document, SlaConfig, name="sla.yaml")
    issues = caught.value.issues
    assert any(message in issue.message and issue.where.startswith(where) for issue in issues), issues
    assert all(issue.line for issue in issues)


def test_unknown_default_programme_and_calendar_are_refused() -> None:
    with pytest.raises(PolicyError, match="default_programme 'q'"):
        parse_document(GOOD.replace("default_programme: p", "default_programme: q"), SlaConfig)
    config = parse_document(GOOD.replace("calendar: weekdays", "calendar: elsewhere"), SlaConfig)
    with pytest.raises(PolicyError, match="unknown calendar 'elsewhere'"):
        check_calendars(config, default_calendars())


def test_calendar_files_are_checked() -> None:
    bad = """
version: "1"
title: t
calendars:
  c:
    title: c
    timezone: Nowhere/Land
    holidays_listed_until: 2027-01-01
    holidays: [{date: 2027-05-01, name: x}]
"""
    with pytest.raises(PolicyError) as caught:
        parse_document(bad, CalendarSet)
    text = str(caught.value)
    assert "unknown IANA time zone" in text
    with pytest.raises(PolicyError, match="after holidays_listed_until"):
        parse_document(bad.replace("Nowhere/Land", "UTC"), CalendarSet)


def test_review_dates_warn() -> None:
    warnings = review_warnings(default_sla_config(), default_calendars(), date(2040, 1, 1))
    assert any("SLA configuration" in w for w in warnings)
    assert any("lists holidays only until" in w for w in warnings)
    assert review_warnings(default_sla_config(), default_calendars(), date(2026, 12, 1)) == []


# ------------------------------------------------------------------------------ no country named


SLA_CODE = sorted(SLA_PACKAGE.glob("*.py"))
SLA_DATA = sorted((SLA_PACKAGE / "data").glob("*.yaml"))


def test_the_sla_files_are_found() -> None:
    assert len(SLA_CODE) >= 8
    assert len(SLA_DATA) == 2


@pytest.mark.parametrize("path", SLA_CODE + SLA_DATA, ids=lambda p: p.name)
def test_sla_code_and_data_name_no_country(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert NAMES.findall(text) == []
    if path.suffix == ".py":
        literals = [
            node.value
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() in CODES
        ]
    else:

        def strings(value: object) -> list[str]:
            if isinstance(value, dict):
                return [s for k, v in value.items() for s in strings(k) + strings(v)]
            if isinstance(value, list):
                return [s for item in value for s in strings(item)]
            return [value] if isinstance(value, str) else []

        literals = [s for s in strings(yaml.safe_load(text)) if s.strip() in CODES]
    assert literals == []
