"""Alembic helpers: each service owns its migrations; none starts on a schema that is not at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


class SchemaNotAtHeadError(RuntimeError):
    pass


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    # '%' must be escaped for ConfigParser interpolation.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade_to_head(migrations_dir: Path, database_url: str) -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), "head")


def ensure_schema_at_head(engine: Engine, migrations_dir: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config(migrations_dir, str(engine.url)))
    heads = set(script.get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        raise SchemaNotAtHeadError(
            f"database schema is at {sorted(current) or 'nothing'} but the code expects {sorted(heads)}: "
            "run the service's `migrate` command first"
        )
