"""The casework helpers on their own: SLA countdown classes, the factor-by-factor explanation, form
parsing, and the catalogue (every key in the three languages, every key the pages use exists)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from starlette.datastructures import FormData

from rsc_portal.casework import forms
from rsc_portal.casework.explain import explain, subject_of
from rsc_portal.casework.sla import classify
from rsc_portal.i18n import DATA, _flatten
from tests.portal.unit.test_casework_fixtures import PARTNER_ORG, PARTNER_REF, case

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
PORTAL = Path(__file__).parents[3] / "services" / "portal" / "src" / "rsc_portal"


def _sla(due: datetime, **kw: object) -> dict:
    return {
        "status": "running",
        "due_at": due.isoformat(),
        "paused": False,
        "breached": False,
        "projected_breach": False,
        "remaining_working_days": 4.0,
        **kw,
    }


@pytest.mark.parametrize(
    ("sla", "state", "days"),
    [
        (None, "none", None),
        (_sla(NOW - timedelta(hours=1)), "overdue", 1),
        (_sla(NOW - timedelta(days=3, hours=2)), "overdue", 3),
        (_sla(NOW + timedelta(days=10), breached=True), "overdue", 0),
        (_sla(NOW + timedelta(days=5)), "at_risk", 5),
        (_sla(NOW + timedelta(days=5, minutes=1)), "on_track", 5),
        (_sla(NOW + timedelta(days=30), projected_breach=True), "at_risk", 30),
        (_sla(NOW + timedelta(days=30), paused=True), "paused", 30),
        (_sla(NOW - timedelta(days=30), status="stopped"), "stopped", None),
    ],
)
def test_sla_classification_follows_the_appraisal_api(sla: dict | None, state: str, days: int | None) -> None:
    countdown = classify(sla, NOW)
    assert (countdown.state, countdown.days) == (state, days)
    assert countdown.highlighted == (state in ("overdue", "at_risk"))


def test_explanation_groups_flags_by_category_and_links_matches_to_organisations() -> None:
    screening = case()["screening"]
    decisions = [
        {
            "organisation_id": PARTNER_ORG,
            "list_key": "demo-funder-watchlist",
            "entry_id": "demo-wl-0001",
            "decision": "confirmed",
            "reason": "same PIC",
            "decided_at": "2026-12-07T10:00:00Z",
        }
    ]
    x = explain(screening, organisations={PARTNER_REF: PARTNER_ORG}, match_decisions=decisions)
    assert [c.category for c in x.categories] == [
        "applicant_organisation",
        "research_domain",
        "third_country",
        "partner_organisation",
    ]
    partner = x.categories[3]
    [flag] = partner.flags
    assert flag.subject.kind == "partner"
    assert flag.subject.position == 2
    assert flag.subject.name == "Northbridge Institut for Applied Photonics"
    assert flag.evidence[0].match["score"] == pytest.approx(0.9857)
    assert x.categories[1].phrases[0]["phrases"] == ["quantum key distribution"]
    [match] = x.matches
    assert match.organisation_id == PARTNER_ORG
    assert match.decision["decision"] == "confirmed"
    assert x.safeguards[0].triggered_by == [("partner.watchlist_match", flag.title)]
    assert x.flag_count == 3


def test_explanation_without_categories_falls_back_to_the_flags() -> None:
    screening = {**case()["screening"], "categories": []}
    x = explain(screening)
    assert [len(c.flags) for c in x.categories] == [0, 1, 1, 1]
    assert x.categories[3].level == "medium"  # the highest flag level
    assert x.matches[0].organisation_id is None
    assert x.matches[0].decision is None
    assert explain(None).categories[0].flags == []


def test_subject_names() -> None:
    assert subject_of("proposal", [], {}).kind == "proposal"
    owner = subject_of("partner:abc/owner:0", [{"pointer": "/content/partners/4/owners/0"}], {"partner:abc": "X"})
    assert (owner.kind, owner.position, owner.name) == ("partner", 5, "X")
    assert subject_of("researcher:r/appointment:0", [], {}).kind == "researcher"


def test_form_helpers() -> None:
    assert forms.end_of_day(date(2027, 2, 1)) == "2027-02-01T23:59:59+00:00"
    assert forms.signed_at(date(2027, 1, 10), NOW) == NOW.isoformat()  # signed today: now, not midday to come
    assert forms.signed_at(date(2027, 1, 9), NOW) == "2027-01-09T12:00:00+00:00"
    assert forms.parse_date("2027-13-01") is None
    with pytest.raises(forms.FormProblem) as problem:
        forms.extension(FormData([("working_days", "0"), ("reason", "")]))
    assert set(problem.value.fields) == {"working_days", "reason"}
    body = forms.decision(FormData([("outcome", "cleared"), ("reason", "Fine after review."), ("measure", "x")]))
    assert body["measures"] == []  # measures belong to cleared_with_safeguards only
    posted = forms.Posted.of("decision", FormData([("measure", "a"), ("measure", "b"), ("csrf_token", "t")]))
    assert posted.values("decision", "measure") == ["a", "b"]
    assert posted.value("decision", "csrf_token") == ""
    assert posted.value("other", "measure", "d") == "d"


def _catalogue(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    _flatten("casework", yaml.safe_load((DATA / lang / "casework.yaml").read_text(encoding="utf-8")), out)
    return out


def test_every_casework_key_exists_in_english_french_and_german() -> None:
    en, fr, de = _catalogue("en"), _catalogue("fr"), _catalogue("de")
    assert set(en) == set(fr) == set(de)
    same = [k for k in en if en[k] == fr[k] == de[k] and len(en[k]) > 8]
    assert not same, f"untranslated: {same}"
    for key, text in en.items():  # the same placeholders in every language
        wanted = set(re.findall(r"{(\w+)}", text))
        assert set(re.findall(r"{(\w+)}", fr[key])) == wanted == set(re.findall(r"{(\w+)}", de[key])), key


def test_every_key_the_casework_pages_use_exists() -> None:
    en = _catalogue("en")
    sources = [*(PORTAL / "templates" / "casework").glob("*.html"), *(PORTAL / "casework").glob("*.py")]
    used = set()
    for path in sources:
        used |= set(re.findall(r"""["'](casework\.[a-z_]+(?:\.[a-z_]+)*)["']""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in en and not k.endswith((".", "_")))
    assert not missing
    # keys built from values: every value of the vocabularies has its text
    for prefix, values in {
        "level": ("low", "medium", "high", "very_high"),
        "category": forms.CATEGORIES,
        "outcome": forms.OUTCOMES,
        "role": ("case_officer", "security_adviser"),
        "done": (
            "claim",
            "information_request",
            "appraisal",
            "decision",
            "confirm",
            "return",
            "referral",
            "referral_answer",
            "award",
            "extension",
            "verify",
            "revise",
            "match",
            "note",
        ),
    }.items():
        assert all(f"casework.{prefix}.{v}" in en for v in values), prefix
