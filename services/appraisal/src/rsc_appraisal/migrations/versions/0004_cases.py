"""cases: appraisal case read model, append-only change audit, need-to-know notes

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "appraisal_case",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_ref", sa.String(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(), nullable=False),
        sa.Column("call_identifier", sa.String(), nullable=False),
        sa.Column("programme", sa.String(), nullable=True),
        sa.Column("screening_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("auto_cleared", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("flag_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("route", JSONB(), nullable=False),
        sa.Column("assignees", JSONB(), nullable=False),
        sa.Column("state", JSONB(), nullable=False),
        sa.Column("decision", JSONB(), nullable=True),
        sa.Column("measures", JSONB(), nullable=False),
        sa.Column("organisation_ids", JSONB(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("cleared_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_appraisal_case_case_ref", "appraisal_case", ["case_ref"])
    op.create_index("ix_appraisal_case_call_identifier", "appraisal_case", ["call_identifier"])
    op.create_index("ix_case_proposal_version", "appraisal_case", ["proposal_id", "version"], unique=True)
    op.create_index(
        "ix_case_active", "appraisal_case", ["status", "level"], postgresql_where=sa.text("closed_at IS NULL")
    )
    op.create_index("ix_case_assignees", "appraisal_case", ["assignees"], postgresql_using="gin")
    op.create_table(
        "case_change",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("actor_roles", JSONB(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=False),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("before", JSONB(), nullable=False),
        sa.Column("after", JSONB(), nullable=False),
        sa.Column("details", JSONB(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )
    op.create_index("ix_case_change_case", "case_change", ["case_id", "seq"], unique=True)
    op.create_table(
        "case_note",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_case_note_case_id", "case_note", ["case_id"])


def downgrade() -> None:
    op.drop_table("case_note")
    op.drop_table("case_change")
    op.drop_table("appraisal_case")
