"""The engine context on the real PostgreSQL: its index matches down to the active policy's threshold, a newly
activated policy gets its own threshold over the same index (nothing rebuilt), new list versions a new index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from rsc_appraisal.app import MIGRATIONS
from rsc_appraisal.matching import MatcherSettings
from rsc_appraisal.policy.loader import DEFAULT_POLICY_PATH
from rsc_appraisal.references import parsers
from rsc_appraisal.references import service as references
from rsc_appraisal.screenings.context import ContextCache, build_context
from rsc_appraisal.seed import seed_references
from rsc_appraisal.watchlists.importers.demo import demo_file
from tests.support.databases import migrated_engine


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with migrated_engine(MIGRATIONS) as engine:
        with Session(engine) as session:
            seed_references(session)
        yield engine


def activate_policy(engine: Engine, version: str, match_threshold: float) -> None:
    document = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    document["version"] = version
    document["matching"]["match_threshold"] = match_threshold
    with Session(engine) as session:
        dataset = parsers.policy_dataset(yaml.safe_dump(document).encode(), "application/yaml", "test")
        references.activate(session, references.add_dataset(session, dataset, "test"), "test")
        session.commit()


def test_a_policy_change_keeps_the_index_with_the_new_threshold_and_a_list_change_rebuilds_it(engine) -> None:
    cache = ContextCache()
    with Session(engine) as session:
        first = cache.get(session)
    assert first.policy.version == "2026.1"
    # the default policy's threshold is the matcher's own cut-off (its calibrated operating point)
    assert first.index.settings.threshold == first.policy.matching.match_threshold == 0.82
    assert first.index.settings == MatcherSettings()

    activate_policy(engine, "2026.5-lenient", 0.75)
    with Session(engine) as session:
        second = cache.get(session)  # another process noticed the new active policy: no clear()
    assert second.fingerprint != first.fingerprint
    assert second.policy.version == "2026.5-lenient"
    assert second.index.settings.threshold == 0.75
    assert second.index._postings is first.index._postings, "same lists: the index is kept, not rebuilt"
    assert second.list_versions == first.list_versions
    assert first.index.settings.threshold == 0.82, "the previous context keeps its own threshold"

    activate_policy(engine, "2026.6-strict", 0.9)
    with Session(engine) as session:
        third = cache.get(session)
    assert third.index.settings.threshold == MatcherSettings().threshold  # never above the matcher's cut-off
    assert third.index._postings is first.index._postings

    csv = demo_file("demo_funder_watchlist.csv").read_bytes()
    data = parsers.entity_list(
        csv,
        "watchlist-csv",
        list_key="demo-funder-watchlist",
        title="Funder watch list",
        kind=None,
        version_label="ctx-v2",
        source="test",
        retrieved_at=datetime.now(UTC),
    )
    with Session(engine) as session:
        dataset = references.add_entity_list(session, data, references.sha256(csv), "test", file_format="watchlist-csv")
        references.activate(session, dataset, "test")
        session.commit()
    with Session(engine) as session:
        fourth = cache.get(session)
        rebuilt = build_context(session)
    assert fourth.index._postings is not third.index._postings, "a new list version: a new index"
    assert fourth.list_versions["list:demo-funder-watchlist"] == "ctx-v2"
    assert fourth.index.settings.threshold == MatcherSettings().threshold
    assert fourth.list_fingerprint == rebuilt.list_fingerprint
