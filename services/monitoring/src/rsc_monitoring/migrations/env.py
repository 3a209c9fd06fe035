from sqlmodel import SQLModel

from rsc_common.db.alembic_env import run_migrations

run_migrations(SQLModel.metadata)
