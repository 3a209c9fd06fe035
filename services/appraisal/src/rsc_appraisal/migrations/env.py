from sqlmodel import SQLModel

import rsc_appraisal.calls.models  # noqa: F401
from rsc_common.db.alembic_env import run_migrations

run_migrations(SQLModel.metadata)
