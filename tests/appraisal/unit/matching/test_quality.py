"""Quality smoke test on generated data: recall and precision on 300 labelled queries against ~20k entries.

These are quality assertions (the targets of the issue), not timing ones; the full-size figures are in
docs/benchmarks.md (bench/entity_matching.py)."""

from __future__ import annotations

import pytest

from bench.entity_data import NEGATIVE_KINDS, POSITIVE_KINDS, core_key, generate
from rsc_appraisal.matching import EntityIndex


@pytest.fixture(scope="module")
def data():
    return generate(20_000, per_kind=20)


@pytest.fixture(scope="module")
def outcome(data):
    index = EntityIndex.build(data.lists)
    found = false_positives = positives = 0
    for lq in data.queries:
        returned = [(c.list_key, c.entry_id) for c in index.match(lq.query).candidates]
        if lq.expected:
            positives += 1
            found += any(key in lq.expected for key in returned)
            false_positives += sum(1 for key in returned if key not in lq.expected)
        else:
            false_positives += len(returned)
    return found, false_positives, positives


def test_generator_is_deterministic_and_labelled(data) -> None:
    again = generate(20_000, per_kind=20)
    assert [e.names for e in again.lists[0].entries[:200]] == [e.names for e in data.lists[0].entries[:200]]
    assert [q.query for q in again.queries] == [q.query for q in data.queries]
    assert data.n_entries >= 20_000
    kinds = {q.kind for q in data.queries}
    assert kinds == {f"positive.{k}" for k in POSITIVE_KINDS} | {f"negative.{k}" for k in NEGATIVE_KINDS}
    assert 280 <= len(data.queries) <= 300
    entries = {(lv.list_key, e.entry_id) for lv in data.lists for e in lv.entries}
    assert all(key in entries for q in data.queries for key in q.expected)


def test_recall_and_precision_meet_the_targets(outcome) -> None:
    found, false_positives, positives = outcome
    recall = found / positives
    precision = found / (found + false_positives)
    assert recall >= 0.95, (recall, precision)
    assert precision >= 0.90, (recall, precision)


def test_unlisted_organisations_are_on_no_list_and_change_nothing_else(data) -> None:
    more = generate(20_000, per_kind=20, unlisted=200)
    assert [q.query for q in more.queries] == [q.query for q in data.queries]
    assert [e.names for lv in more.lists for e in lv.entries] == [e.names for lv in data.lists for e in lv.entries]
    assert len(more.unlisted) == 200
    assert len({name for name, _ in more.unlisted}) == 200
    listed = {core_key(n) for lv in more.lists for e in lv.entries for n in e.names}
    assert not any(core_key(name) in listed for name, _ in more.unlisted)
