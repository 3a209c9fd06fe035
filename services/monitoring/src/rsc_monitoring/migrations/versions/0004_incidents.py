"""incidents: incidents, need-to-know evidence, measures, transitions, deadlines, exercises, tip rates

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
        "exercise",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("participants", JSONB(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("reference", sa.String(), nullable=False, unique=True),
        sa.Column("grant_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("grant_reference", sa.String(), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("reporter_subject", sa.String(), nullable=True),
        sa.Column("reporter_contact", sa.String(), nullable=True),
        sa.Column("occurred_at", TS, nullable=True),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("triage_due_at", TS, nullable=False),
        sa.Column("triaged_at", TS, nullable=True),
        sa.Column("investigation_due_at", TS, nullable=True),
        sa.Column("measures_decided_at", TS, nullable=True),
        sa.Column("assignees", JSONB(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("lessons_learned", sa.String(), nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("exercise_id", sa.Uuid(), sa.ForeignKey("exercise.id"), nullable=True, index=True),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_incident_open", "incident", ["status", "severity"], postgresql_where="status <> 'closed'")
    op.create_table(
        "incident_evidence",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("incident_id", sa.Uuid(), sa.ForeignKey("incident.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("attachments", JSONB(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=True),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_table(
        "incident_measure",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("incident_id", sa.Uuid(), sa.ForeignKey("incident.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "incident_change",
        sa.Column("incident_id", sa.Uuid(), sa.ForeignKey("incident.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=False),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("details", JSONB(), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "deadline_record",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("incident_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )
    op.create_table(
        "tip_rate",
        sa.Column("bucket", sa.String(), primary_key=True),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    tables = ["tip_rate", "deadline_record", "incident_change", "incident_measure", "incident_evidence"]
    for table in [*tables, "incident", "exercise"]:
        op.drop_table(table)
