"""Constants of the entity-list importer tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "watchlists"
RETRIEVED_AT = datetime(2025, 3, 15, 9, 30, tzinfo=UTC)
