"""Ownership and control: the control rule, chains at any depth, cycles, persons as links."""

from __future__ import annotations

import pytest

from rsc_appraisal.engine.contracts import Relation, RelationKind
from rsc_appraisal.matching import EntityIndex, MatcherSettings, control_chains, is_control
from tests.appraisal.unit.matching.support import entry, ids, query, version


def rel(kind: str, controller: str, controlled: str, share: float | None = None, decisive: bool | None = None):
    return Relation(
        kind=RelationKind(kind),
        controller_id=controller,
        controlled_id=controlled,
        share_percent=share,
        decisive_influence=decisive,
    )


@pytest.mark.parametrize(
    ("relation", "control"),
    [
        (rel("ownership", "a", "b", 50.1), True),
        (rel("ownership", "a", "b", 50.0), False),  # majority means more than half
        (rel("ownership", "a", "b", 30.0), False),
        (rel("ownership", "a", "b", 30.0, True), True),  # decisive influence whatever the share
        (rel("ownership", "a", "b"), False),  # unknown share: not control by default
        (rel("subsidiary", "a", "b"), True),
        (rel("subsidiary", "a", "b", decisive=False), False),
        (rel("directorship", "a", "b"), False),  # a seat on the board
        (rel("directorship", "a", "b", decisive=True), True),
        (rel("ownership", "a", "a", 100.0), False),  # self-ownership
    ],
)
def test_control_rule(relation: Relation, control: bool) -> None:
    assert is_control(relation) is control


def test_unknown_share_is_configurable() -> None:
    assert is_control(rel("ownership", "a", "b"), MatcherSettings(unknown_share_is_control=True))


@pytest.fixture(scope="module")
def data():
    entries = [
        entry("listed", "Vorbex Defence Holding", countries=("XX",)),
        entry("owner", "Ivo Petrak", schema="Person", listed=False),  # a related party, not a target
        entry("sub1", "Vorbex Trading Ltd", listed=False),
        entry("sub2", "Marlow Precision Parts Ltd", listed=False),
        entry("sub3", "Tessaline Optics GmbH", listed=False),
        entry("minority", "Quillon Software Ltd", listed=False),
        entry("board", "Bastrel Logistics Ltd", listed=False),
        entry("person-co", "Halden Microsystems Ltd", listed=False),
        entry("orphan", "Orphan Widgets Ltd", listed=False),
    ]
    relations = [
        rel("ownership", "listed", "sub1", 75.0),
        rel("subsidiary", "sub1", "sub2"),
        rel("directorship", "sub2", "sub3", decisive=True),
        rel("ownership", "sub3", "sub1", 60.0),  # a cycle back up the chain
        rel("ownership", "sub2", "listed", 10.0),  # and a minority stake in the listed one
        rel("ownership", "listed", "minority", 49.0),
        rel("directorship", "listed", "board"),
        rel("ownership", "owner", "person-co", 100.0),
    ]
    return version(entries, relations)


def test_chains_at_any_depth_with_a_cycle(data) -> None:
    chains = control_chains(data)
    chain, controller = chains["sub3"]
    assert controller == "listed"
    assert [(link.controller_id, link.controlled_id) for link in chain] == [
        ("listed", "sub1"),
        ("sub1", "sub2"),
        ("sub2", "sub3"),
    ]
    assert [link.kind for link in chain] == [RelationKind.ownership, RelationKind.subsidiary, RelationKind.directorship]
    assert chain[0].controller_name == "Vorbex Defence Holding"
    assert chain[-1].controlled_name == "Tessaline Optics GmbH"
    assert chain[0].share_percent == 75.0
    # the person is not a target; minority stake, board seat, no relation: no control
    assert set(chains) == {"sub1", "sub2", "sub3"}


def test_listed_person_controls_through_ownership() -> None:
    data = version(
        [entry("p", "Ivo Petrak", schema="Person"), entry("c", "Halden Microsystems Ltd", listed=False)],
        [rel("ownership", "p", "c", 100.0)],
    )
    chain, controller = control_chains(data)["c"]
    assert controller == "p"
    assert chain[0].controller_name == "Ivo Petrak"
    index = EntityIndex.build([data])
    assert ids(index.match(query("Halden Microsystems"))) == ["c"]  # the company is reported
    assert ids(index.match(query("Ivo Petrak"))) == []  # the person is never matched


def test_controlled_entries_are_reported_with_their_chain(data) -> None:
    index = EntityIndex.build([data])
    result = index.match(query("Tessaline Optics"))
    assert ids(result) == ["sub3"]
    candidate = result.candidates[0]
    assert candidate.listed_controller_id == "listed"
    assert [link.controlled_id for link in candidate.control_chain] == ["sub1", "sub2", "sub3"]
    feature = next(f for f in candidate.features if f.feature == "control.listed_controller")
    assert "Vorbex Defence Holding -> Vorbex Trading Ltd -> Marlow Precision Parts Ltd -> Tessaline Optics GmbH" in (
        feature.detail
    )
    listed = index.match(query("Vorbex Defence Holding")).candidates[0]
    assert listed.control_chain == ()
    assert listed.listed_controller_id is None


@pytest.mark.parametrize(
    "name", ["Quillon Software Ltd", "Bastrel Logistics Ltd", "Orphan Widgets Ltd", "Halden Microsystems Ltd"]
)
def test_unlisted_entries_without_a_listed_controller_are_never_reported(data, name: str) -> None:
    assert ids(EntityIndex.build([data]).match(query(name))) == []


def test_chains_are_deterministic(data) -> None:
    assert control_chains(data) == control_chains(data)
