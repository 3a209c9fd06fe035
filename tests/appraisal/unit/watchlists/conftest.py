"""Shared fixtures of the entity-list importer tests."""

from __future__ import annotations

import pytest

from tests.appraisal.unit.watchlists.support import RETRIEVED_AT


@pytest.fixture
def provenance() -> dict[str, object]:
    return {
        "list_key": "fixture-list",
        "title": "Fixture list",
        "version_label": "2025-03-15",
        "source": "tests/appraisal/fixtures/watchlists",
        "retrieved_at": RETRIEVED_AT,
    }
