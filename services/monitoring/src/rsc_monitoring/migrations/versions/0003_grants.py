"""grants: funded projects, obligations, attestations, milestone records; the reporting facts

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


def _json(name: str, default: str) -> sa.Column:
    return sa.Column(name, JSONB(), nullable=False, server_default=default)


def upgrade() -> None:
    op.create_table(
        "call_fact",
        sa.Column("call_id", sa.Uuid(), primary_key=True),
        sa.Column("identifier", sa.String(), nullable=False, index=True),
        sa.Column("programme", sa.String(), nullable=False),
        sa.Column("closes_at", TS, nullable=False),
    )
    op.create_table(
        "proposal_fact",
        sa.Column("proposal_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("call_identifier", sa.String(), nullable=True),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("duration_months", sa.Integer(), nullable=True),
        _json("areas", "[]"),
        _json("partner_countries", "[]"),
        sa.Column("level", sa.String(), nullable=True),
        _json("category_levels", "{}"),
        _json("flags", "[]"),
        _json("recommended_safeguards", "[]"),
        sa.Column("screened_at", TS, nullable=True),
        sa.Column("verdict", sa.String(), nullable=True),
        sa.Column("verdict_at", TS, nullable=True),
        sa.Column("auto_cleared", sa.Boolean(), nullable=True),
        _json("agreed_safeguards", "[]"),
        sa.Column("signed_at", TS, nullable=True),
        sa.Column("appraisal_days", sa.Float(), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "report_rollup",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("dim", sa.String(), primary_key=True),
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_proposal_fact_screened_at", "proposal_fact", ["screened_at"], postgresql_where="NOT superseded")
    op.create_index("ix_proposal_fact_signed_at", "proposal_fact", ["signed_at"])
    op.create_table(
        "grant_award",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("reference", sa.String(), nullable=False, unique=True),
        sa.Column("proposal_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("auto_cleared", sa.Boolean(), nullable=False),
        sa.Column("signed_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("plan_version", sa.String(), nullable=False),
        sa.Column("attestation_interval_months", sa.Integer(), nullable=True),
        sa.Column("workflow_id", sa.String(), nullable=False),
        sa.Column("awarded_by", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "obligation",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("grant_id", sa.Uuid(), sa.ForeignKey("grant_award.id"), nullable=False),
        sa.Column("measure_id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("terms", sa.String(), nullable=True),
        sa.Column("evidence_required", sa.String(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("evidence", JSONB(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decision_note", sa.String(), nullable=True),
        sa.Column("fulfilled_at", TS, nullable=True),
        sa.Column("escalated_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("uq_obligation_grant_measure", "obligation", ["grant_id", "measure_id"], unique=True)
    op.create_table(
        "attestation",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("grant_id", sa.Uuid(), sa.ForeignKey("grant_award.id"), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("changes", JSONB(), nullable=False),
        sa.Column("statement", sa.String(), nullable=True),
        sa.Column("evidence", JSONB(), nullable=False),
        sa.Column("submitted_by", sa.String(), nullable=True),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("reappraisal_requested", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", TS, nullable=True),
    )
    op.create_index("uq_attestation_grant_period", "attestation", ["grant_id", "period"], unique=True)
    op.create_table(
        "milestone_record",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("grant_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "milestone_record",
        "attestation",
        "obligation",
        "grant_award",
        "report_rollup",
        "proposal_fact",
        "call_fact",
    ):
        op.drop_table(table)
