"""Quality on the labelled proposals (deterministic, so asserted; the held-out split is never tuned on)."""

from __future__ import annotations

import pytest

from rsc_appraisal.classification import Classifier, default_classifier
from rsc_appraisal.classification.quality import TARGETS, Report, evaluate, load_labelled
from rsc_common.contracts.vocabulary import CriticalTechnologyArea


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return default_classifier()


@pytest.fixture(scope="module")
def heldout(clf: Classifier) -> Report:
    return evaluate(clf, load_labelled("heldout", clf.taxonomy), "heldout")


@pytest.fixture(scope="module")
def dev(clf: Classifier) -> Report:
    return evaluate(clf, load_labelled("dev", clf.taxonomy), "dev")


def test_labelled_set_is_large_varied_and_split(clf: Classifier) -> None:
    dev_items = load_labelled("dev", clf.taxonomy)
    held_items = load_labelled("heldout", clf.taxonomy)
    assert len(dev_items) + len(held_items) >= 200
    assert not {e.id for e in dev_items} & {e.id for e in held_items}
    assert not {e.title for e in dev_items} & {e.title for e in held_items}
    for items in (dev_items, held_items):
        assert sum(1 for e in items if not e.areas) >= 0.3 * len(items)  # plenty of negatives
        assert sum(1 for e in items if len(e.areas) > 1) >= 10  # multi-area proposals
        assert {e.declared is None for e in items} == {True, False}
        assert sum(1 for e in items if e.declared == frozenset() and e.areas) >= 5  # undeclared cases
        for area in CriticalTechnologyArea:
            assert sum(1 for e in items if area in e.areas) >= 5, area


def test_heldout_area_quality_meets_targets(heldout: Report) -> None:
    micro = heldout.area_micro
    assert (micro.precision or 0.0) >= TARGETS["area_micro_precision"]
    assert (micro.recall or 0.0) >= TARGETS["area_micro_recall"]
    macro_f1 = heldout.area_macro("f1")
    assert (macro_f1 or 0.0) >= TARGETS["area_macro_f1"]
    for area, counts in heldout.per_area.items():
        assert (counts.f1 or 0.0) >= 0.75, area


def test_heldout_dual_use_quality_meets_targets(heldout: Report) -> None:
    micro = heldout.dual_use_micro
    assert (micro.precision or 0.0) >= TARGETS["dual_use_micro_precision"]
    assert (micro.recall or 0.0) >= TARGETS["dual_use_micro_recall"]


def test_heldout_undeclared_detection(heldout: Report) -> None:
    # Target 0.90 per proposal is not met yet (0.87, see docs/benchmarks.md): guard the measured level and
    # the flag-level figures.
    accuracy = heldout.undeclared_item_accuracy
    assert (accuracy or 0.0) >= 0.85
    assert (heldout.undeclared.precision or 0.0) >= 0.85
    assert (heldout.undeclared.recall or 0.0) >= 0.80
    assert (heldout.implausible.precision or 0.0) >= 0.9


def test_heldout_negatives_mostly_clean(heldout: Report) -> None:
    assert heldout.negatives_clean >= 0.9 * heldout.negatives


def test_dev_split_is_not_worse_than_heldout(dev: Report, heldout: Report) -> None:
    assert (dev.area_micro.f1 or 0.0) >= (heldout.area_micro.f1 or 1.0)
