"""safeguards: the measures appraisal proposes per proposal version, and the applicant's responses

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "safeguard_set",
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposal.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("agreed_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "safeguard_measure",
        sa.Column("proposal_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("measure_id", sa.String(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("evidence_required", sa.String(), nullable=False),
        sa.Column("terms", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("appraisal_updated_at", TS, nullable=False),
        sa.Column("responded_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id", "version"], ["safeguard_set.proposal_id", "safeguard_set.version"], ondelete="CASCADE"
        ),
    )
    op.create_table(
        "safeguard_response",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposal.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("evidence", JSONB(), nullable=False),
        sa.Column("responded_by", sa.String(), nullable=False),
        sa.Column("responded_at", TS, nullable=False),
    )
    op.create_index("ix_safeguard_response_measure", "safeguard_response", ["proposal_id", "version", "measure_id"])


def downgrade() -> None:
    op.drop_index("ix_safeguard_response_measure", table_name="safeguard_response")
    for table in ("safeguard_response", "safeguard_measure", "safeguard_set"):
        op.drop_table(table)
