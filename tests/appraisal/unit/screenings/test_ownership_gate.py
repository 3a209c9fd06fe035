"""End to end without a database: FollowTheMoney list data through the real importer, the real `EntityIndex`
(control chains computed at build time) and the real engine under the default policy, up to the ownership hard
gate `partner.owned_by_sanctioned_party`: a partner owned through a chain by a listed group."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from rsc_appraisal.classification import Classifier
from rsc_appraisal.engine.contracts import ListVersionData, RiskLevel, ScreeningResult
from rsc_appraisal.engine.inputs import from_snapshot
from rsc_appraisal.engine.references import References
from rsc_appraisal.engine.screen import screen
from rsc_appraisal.matching import EntityIndex
from rsc_appraisal.policy import default_policy
from rsc_appraisal.screenings.context import matcher_settings
from rsc_appraisal.watchlists.importers.demo import load_demo_lists
from rsc_appraisal.watchlists.importers.ftm import import_ftm_jsonl
from tests.appraisal.unit.engine.support import TODAY, neutral, partner, profile_set, snapshot

GATE = "partner.owned_by_sanctioned_party"
DIRECT = "partner.sanctions_match_confirmed"
POSSIBLE = "partner.sanctions_match_possible"


def _ftm(entity_id: str, schema: str, target: bool = False, **properties: Any) -> dict[str, Any]:
    props = {k: v if isinstance(v, list) else [v] for k, v in properties.items()}
    return {"id": entity_id, "schema": schema, "properties": props, "target": target, "datasets": ["fixture"]}


# Fictitious: a listed group owns 75 % of a holding, which owns 60 % of a laboratory (control at each step), and
# 40 % of a sensor company (a minority stake: not control).
FIXTURE = [
    _ftm(
        "fx-group",
        "Company",
        target=True,
        name="Harrowgate Strategic Systems Holding Plc",
        country="sg",
        topics="sanction",
        program="FX-REGIME (fictitious)",
    ),
    _ftm("fx-sanction", "Sanction", entity="fx-group", program="FX-REGIME (fictitious)", reason="Fixture listing."),
    _ftm("fx-holding", "Company", name="Harrowgate Capital Partners Ltd", country="ie"),
    _ftm("fx-own-1", "Ownership", owner="fx-group", asset="fx-holding", percentage="75"),
    _ftm("fx-lab", "Organization", name="Brightwater Institute for Quantum Optics", country="de"),
    _ftm("fx-own-2", "Ownership", owner="fx-holding", asset="fx-lab", percentage="60"),
    _ftm("fx-minority", "Company", name="Coldstream Sensor Works Ltd", country="de"),
    _ftm("fx-own-3", "Ownership", owner="fx-group", asset="fx-minority", percentage="40"),
]


@pytest.fixture(scope="module")
def fixture_list() -> ListVersionData:
    raw = "\n".join(json.dumps(line) for line in FIXTURE).encode()
    result = import_ftm_jsonl(
        raw,
        list_key="fx-sanctions",
        title="Fixture sanctions list",
        version_label="fx-1",
        source="unit tests",
        retrieved_at=datetime(2026, 8, 1, tzinfo=UTC),
    )
    return result.data


@pytest.fixture(scope="module")
def demo_lists() -> list[ListVersionData]:
    return [demo.result.data for demo in load_demo_lists()]


def screen_partners(lists: list[ListVersionData], *partners: dict[str, Any]) -> ScreeningResult:
    policy = default_policy()
    index = EntityIndex.build(lists, matcher_settings(policy))
    references = References(
        classify=Classifier().classify,
        classifier_version=Classifier().version,
        match=index.match,
        list_versions={f"list:{v.list_key}": v.version_label for v in lists},
        countries=profile_set(neutral("FR", "DE", "GB", "IE", "SG")),
    )
    return screen(from_snapshot(snapshot(partners=list(partners))), policy, references, today=TODAY)


def flags_of(result: ScreeningResult, rule_id: str, subject_prefix: str = "partner:") -> list:
    return [f for f in result.flags if f.rule_id == rule_id and f.subject.startswith(subject_prefix)]


def test_a_partner_owned_through_a_chain_by_a_listed_group_hits_the_ownership_hard_gate(fixture_list) -> None:
    result = screen_partners([fixture_list], partner("Brightwater Institute for Quantum Optics", "DE", identifiers={}))
    [flag] = flags_of(result, GATE)
    assert flag.hard_gate
    assert flag.level == RiskLevel.very_high
    assert result.level == RiskLevel.very_high
    assert not result.auto_clear
    [evidence] = flag.evidence
    assert evidence.kind == "ownership_chain"
    assert evidence.data["entry_id"] == "fx-lab"
    assert evidence.data["listed_controller_id"] == "fx-group"
    chain = evidence.data["control_chain"]
    assert [(link["controller_id"], link["controlled_id"], link["share_percent"]) for link in chain] == [
        ("fx-group", "fx-holding", 75.0),
        ("fx-holding", "fx-lab", 60.0),
    ]
    assert "controlled by listed Harrowgate Strategic Systems Holding Plc" in evidence.detail
    assert evidence.pointer == "/content/partners/0"
    # the partner itself is not listed: the direct-match gate (control_chain: exclude) does not fire for it
    assert not flags_of(result, DIRECT)


def test_a_declared_owner_controlled_by_the_listed_group_hits_the_gate_as_partner_controller(fixture_list) -> None:
    declared = {"name": "Harrowgate Capital Partners", "country": "IE", "kind": "shareholder", "share_percent": "70"}
    result = screen_partners(
        [fixture_list], partner("Unrelated Research Partner", "DE", identifiers={}, owners_and_controllers=[declared])
    )
    [flag] = flags_of(result, GATE, "partner:")
    [evidence] = flag.evidence
    assert evidence.data["entry_id"] == "fx-holding"
    assert [link["controlled_id"] for link in evidence.data["control_chain"]] == ["fx-holding"]
    assert evidence.pointer == "/content/partners/0/owners_and_controllers/0"


def test_a_minority_stake_is_not_control_and_the_listed_group_itself_is_a_direct_match(fixture_list) -> None:
    minority = screen_partners([fixture_list], partner("Coldstream Sensor Works", "DE", identifiers={}))
    assert not flags_of(minority, GATE)
    assert not [f for f in minority.flags if f.rule_id in (DIRECT, POSSIBLE)]

    group = screen_partners([fixture_list], partner("Harrowgate Strategic Systems Holding", "SG", identifiers={}))
    assert not flags_of(group, GATE)
    [direct] = flags_of(group, DIRECT)
    assert direct.evidence[0].kind == "list_match"
    assert direct.evidence[0].data["entry_id"] == "fx-group"


def test_the_demo_lakeshore_partner_hits_the_gate_through_the_demo_ftm_list(demo_lists) -> None:
    """The demo scenario of watchlists/data/README.md: Lakeshore is 60 % owned by a holding 75 % owned by the
    listed Meridian Vale group."""
    result = screen_partners(demo_lists, partner("Lakeshore Centre of Photonic Materials", "DE", identifiers={}))
    [flag] = flags_of(result, GATE)
    [evidence] = flag.evidence
    assert evidence.data["list_key"] == "demo-ftm-sanctions"
    assert evidence.data["entry_id"] == "demo-lakeshore"
    assert evidence.data["listed_controller_id"] == "demo-mv-group"
    assert [link["controller_id"] for link in evidence.data["control_chain"]] == ["demo-mv-group", "demo-mv-holdings"]
    assert result.level == RiskLevel.very_high
    assert "ownership_control_assessment" in {s.measure_id for s in result.safeguards}
