"""from_snapshot, queries and the input hash: what the engine may see, and nothing personal."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from rsc_appraisal.engine.contracts import ResearcherFacts, ScreeningInput
from rsc_appraisal.engine.hashing import canonical_json, input_hash
from rsc_appraisal.engine.inputs import from_snapshot, pointer, queries, screened_organisations
from rsc_common.contracts.fields import NOT_COLLECTED
from tests.appraisal.unit.engine.support import organisation, partner, researcher, snapshot


def resolve_pointer(document: Any, json_pointer: str) -> Any:
    for raw in json_pointer.split("/")[1:]:
        key = raw.replace("~1", "/").replace("~0", "~")
        document = document[int(key)] if isinstance(document, list) else document[key]
    return document


def rich_snapshot():
    return snapshot(
        org={
            "largest_non_eu_funders": [{"name": "Big Foundation", "country": "CH", "share_percent": "12.00"}],
            "foreign_ownership": {"owned_or_controlled_from_abroad": True, "countries": ["NO"]},
        },
        partners=[
            partner(
                "Alpha Lab",
                "DE",
                aliases=["Alpha Laboratory", "Alpha Lab"],
                identifiers={"ror": "https://ror.org/012345678"},
            ),
            partner(
                "Beta Corp",
                "NO",
                partner_type="company",
                ownership_control_countries=["CH", "NO"],
                owners_and_controllers=[
                    {"name": "Beta Holding", "country": "CH", "kind": "parent_organisation", "share_percent": "80.00"},
                    {"name": "State Board", "country": "NO", "kind": "controlling_body", "decisive_influence": True},
                ],
            ),
        ],
        researchers=[
            researcher(
                "Dana Researcher",
                current_appointments=[
                    {"organisation": "Gamma University", "country": "JP", "position": "Visiting professor"}
                ],
                talent_programmes=[{"name": "Star Scholars", "sponsor": "Star Agency", "sponsor_country": "SG"}],
                outside_support=[{"source": "Delta Fund", "country": "US", "kind": "funding", "amount_eur": "10000"}],
            ),
            researcher("Eli Second"),
        ],
    )


def test_from_snapshot_drops_names_orcid_and_contact_but_keeps_affiliations() -> None:
    snap = rich_snapshot()
    screening_input = from_snapshot(snap)
    text = canonical_json(screening_input).decode()
    for personal in ("Dana Researcher", "Eli Second", "0000-0002-1825-0097", "Alex Example", "security@example.org"):
        assert personal not in text
    facts = screening_input.researchers[0]
    assert facts.researcher_id == snap.content.researchers[0].researcher_id
    assert facts.role_in_project == "principal investigator"
    assert facts.current_appointments[0].organisation == "Gamma University"
    assert facts.talent_programmes[0].sponsor == "Star Agency"
    assert facts.outside_support[0].source == "Delta Fund"
    assert screening_input.applicant.security_contact is not None  # that a contact exists still counts
    assert screening_input.self_assessment_answers["dual_use_items"] is False
    assert [p.name for p in screening_input.partners] == ["Alpha Lab", "Beta Corp"]


def test_queries_cover_every_organisation_in_order_with_pointers_into_the_snapshot() -> None:
    snap = rich_snapshot()
    document = snap.model_dump(mode="json")
    screening_input = from_snapshot(snap)
    organisations = screened_organisations(screening_input)
    alpha, beta = snap.content.partners
    dana = snap.content.researchers[0].researcher_id
    assert [(o.kind, o.query.ref) for o in organisations] == [
        ("applicant", "applicant"),
        ("non_eu_funder", "applicant/funder:0"),
        ("partner", f"partner:{alpha.partner_id}"),
        ("partner", f"partner:{beta.partner_id}"),
        ("partner_controller", f"partner:{beta.partner_id}/owner:0"),
        ("partner_controller", f"partner:{beta.partner_id}/owner:1"),
        ("researcher_appointment", f"researcher:{dana}/appointment:0"),
        ("talent_programme_sponsor", f"researcher:{dana}/talent_programme:0"),
        ("outside_support_source", f"researcher:{dana}/outside_support:0"),
    ]
    name_field = {
        "applicant": "legal_name",
        "non_eu_funder": "name",
        "partner": "name",
        "partner_controller": "name",
        "researcher_appointment": "organisation",
        "talent_programme_sponsor": "sponsor",
        "outside_support_source": "source",
    }
    for organisation_ in organisations:
        target = resolve_pointer(document, organisation_.query.pointer)
        assert target[name_field[organisation_.kind]] == organisation_.query.name
    by_ref = {q.ref: q for q in queries(screening_input)}
    alpha_query = by_ref[f"partner:{alpha.partner_id}"]
    assert alpha_query.pointer == "/content/partners/0"
    assert alpha_query.aliases == ("Alpha Laboratory",)
    assert alpha_query.identifiers == {"ror": "https://ror.org/012345678"}
    assert by_ref[f"partner:{beta.partner_id}"].countries == ("NO", "CH")
    assert by_ref["applicant"].identifiers == {"pic": "999999901"}
    assert by_ref["applicant"].countries == ("FR",)
    assert by_ref[f"researcher:{dana}/talent_programme:0"].countries == ("SG",)


def test_pointer_maps_input_fields_to_snapshot_locations() -> None:
    assert pointer("applicant", "security_policy_in_place") == "/organisation/security_policy_in_place"
    assert pointer("partners", 2) == "/content/partners/2"
    assert pointer("self_assessment_answers", "a/b~c") == "/content/self_assessment/answers/a~1b~0c"
    assert pointer("details", "critical_technology_areas", 0) == "/content/details/critical_technology_areas/0"


@pytest.mark.parametrize("key", sorted(NOT_COLLECTED))
def test_engine_input_cannot_carry_personal_origin_data(key: str) -> None:
    facts = {"researcher_id": str(uuid.uuid4()), "role_in_project": "PI"}
    with pytest.raises(ValidationError):
        ResearcherFacts.model_validate({**facts, key: "anything"})
    base = from_snapshot(snapshot()).model_dump(mode="json")
    with pytest.raises(ValidationError):
        ScreeningInput.model_validate({**base, key: "anything"})
    appointment = {"organisation": "Gamma University", "country": "JP", "position": "Professor", key: "x"}
    with pytest.raises(ValidationError):
        ResearcherFacts.model_validate({**facts, "current_appointments": [appointment]})


def test_input_model_has_no_field_for_nationality_ethnicity_or_birthplace() -> None:
    def fields(model: Any, seen: set[Any]) -> set[str]:
        names: set[str] = set()
        if model in seen or not hasattr(model, "model_fields"):
            return names
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(name)
            for arg in (*getattr(info.annotation, "__args__", ()), info.annotation):
                for inner in (*getattr(arg, "__args__", ()), arg):
                    if isinstance(inner, type):
                        names |= fields(inner, seen)
        return names

    assert not fields(ScreeningInput, set()) & NOT_COLLECTED


def test_canonical_json_is_sorted_and_compact() -> None:
    screening_input = from_snapshot(snapshot())
    raw = canonical_json(screening_input)
    assert b"\n" not in raw
    assert raw.startswith(b'{"applicant":{')
    assert raw == json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_input_hash_is_stable_and_ignores_personal_data() -> None:
    first = input_hash(from_snapshot(snapshot()))
    assert first == input_hash(from_snapshot(snapshot()))
    assert len(first) == 64
    renamed = snapshot(researchers=[researcher("Dana Researcher", full_name="Someone Else", orcid=None)])
    assert input_hash(from_snapshot(renamed)) == first
    other_contact = snapshot(org={"security_contact": {"name": "Other Person", "email": "other@example.org"}})
    assert input_hash(from_snapshot(other_contact)) == first
    assert input_hash(from_snapshot(snapshot(partners=[partner()]))) != first
    assert input_hash(from_snapshot(snapshot(org=organisation(security_contact=None)))) != first
