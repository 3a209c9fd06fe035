"""Throw-away PostgreSQL databases: every test module gets its own, never the development ones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from rsc_common.db import upgrade_to_head
from tests.support.servers import PG_ADMIN_URL


@contextmanager
def temporary_database(prefix: str = "rsc_test") -> Iterator[str]:
    """Create a fresh database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_database(migrations_dir: Path, prefix: str = "rsc_test") -> Iterator[str]:
    with temporary_database(prefix) as url:
        upgrade_to_head(migrations_dir, url)
        yield url


@contextmanager
def migrated_engine(migrations_dir: Path, prefix: str = "rsc_test") -> Iterator[Engine]:
    """An engine on a fresh database at the migrations' head (the usual module-scoped `engine` fixture)."""
    with migrated_database(migrations_dir, prefix) as url:
        engine = create_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()
