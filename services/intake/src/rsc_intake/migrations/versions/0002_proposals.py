"""proposals: organisation profile, questionnaires, proposals, versions, history, information
requests, attachments, idempotency

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("applicant_organisation", sa.Column("profile", JSONB(), nullable=False, server_default="{}"))
    op.add_column("applicant_organisation", sa.Column("row_version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("applicant_organisation", sa.Column("updated_at", TS, nullable=True))
    op.create_table(
        "questionnaire",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("call_id", sa.Uuid(), sa.ForeignKey("call.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSONB(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("published_by", sa.String(), nullable=False),
        sa.UniqueConstraint("call_id", "version"),
    )
    op.create_table(
        "proposal",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("call_id", sa.Uuid(), sa.ForeignKey("call.id"), nullable=False, index=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False, index=True),
        sa.Column("public_status", sa.String(), nullable=True),
        sa.Column("acronym", sa.String(), nullable=True, index=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("content", JSONB(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("withdrawn_at", TS, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
    )
    op.create_index("ix_proposal_org_status", "proposal", ["organisation_id", "status"])
    op.create_table(
        "proposal_version",
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposal.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("content", JSONB(), nullable=False),
        sa.Column("organisation", JSONB(), nullable=False),
        sa.Column("attachments", JSONB(), nullable=False),
        sa.Column("questionnaire_version", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(), nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("submitted_by", sa.String(), nullable=False),
    )
    op.create_table(
        "proposal_status_change",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposal.id"), nullable=False, index=True),
        sa.Column("from_status", sa.String(), nullable=False),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "information_request",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposal.id"), nullable=False, index=True),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("response", sa.String(), nullable=True),
        sa.Column("responded_at", TS, nullable=True),
        sa.Column("responded_by", sa.String(), nullable=True),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposal.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("storage_key", sa.String(), nullable=False),
        sa.Column("uploaded_by", sa.String(), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("frozen_in_version", sa.Integer(), nullable=True),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("request_sha256", sa.String(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", JSONB(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("subject", "operation", "key"),
    )


def downgrade() -> None:
    for table in (
        "idempotency_record",
        "attachment",
        "information_request",
        "proposal_status_change",
        "proposal_version",
    ):
        op.drop_table(table)
    op.drop_index("ix_proposal_org_status", table_name="proposal")
    op.drop_table("proposal")
    op.drop_table("questionnaire")
    for column in ("updated_at", "row_version", "profile"):
        op.drop_column("applicant_organisation", column)
