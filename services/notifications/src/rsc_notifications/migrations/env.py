from sqlmodel import SQLModel

import rsc_notifications.inbox.models  # noqa: F401
from rsc_common.db.alembic_env import run_migrations

run_migrations(SQLModel.metadata)
