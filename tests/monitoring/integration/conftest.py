"""Fixtures of the monitoring workflow tests: a migrated throw-away database and the time-skipping
test server, one each per module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from rsc_monitoring.app import MIGRATIONS
from tests.support.databases import migrated_engine
from tests.support.temporal import time_skipping


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with migrated_engine(MIGRATIONS) as engine:
        yield engine


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping() as environment:
        yield environment
