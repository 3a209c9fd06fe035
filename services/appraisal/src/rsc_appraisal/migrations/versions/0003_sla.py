"""sla: SLA-clock read model and the idempotency ledger of its notices

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sla_clock",
        sa.Column("clock_id", sa.String(), primary_key=True),
        sa.Column("case_ref", sa.String(), nullable=False, index=True),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(), nullable=False),
        sa.Column("config_version", sa.String(), nullable=False),
        sa.Column("calendar_id", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_since", TS, nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("budget_working_days", sa.Integer(), nullable=False),
        sa.Column("extension_working_days", sa.Integer(), nullable=False),
        sa.Column("used_working_days", sa.Float(), nullable=False),
        sa.Column("remaining_working_days", sa.Float(), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("breached_at", TS, nullable=True),
        sa.Column("escalated_at", TS, nullable=True),
        sa.Column("projected_breach", sa.Boolean(), nullable=False),
        sa.Column("time_to_grant_due_at", TS, nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("as_of", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    # Queue filters: open clocks by due date ("SLA due within N days", "overdue").
    op.create_index("ix_sla_clock_open_due", "sla_clock", ["due_at"], postgresql_where=sa.text("status <> 'stopped'"))
    op.create_index("ix_sla_clock_proposal", "sla_clock", ["proposal_id", "version"])
    op.create_table(
        "sla_clock_event",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("clock_id", sa.String(), nullable=False, index=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("sla_clock_event")
    op.drop_table("sla_clock")
