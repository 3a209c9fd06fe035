from sqlmodel import SQLModel

import rsc_intake.calls.models
import rsc_intake.organisations.models
import rsc_intake.proposals.models
import rsc_intake.safeguards.models  # noqa: F401
from rsc_common.db.alembic_env import run_migrations

run_migrations(SQLModel.metadata)
