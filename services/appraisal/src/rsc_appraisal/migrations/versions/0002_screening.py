"""screening: reference datasets, entity-list entries, canonical organisations, screenings

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
    op.create_table(
        "reference_dataset",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("version_label", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("retrieved_at", TS, nullable=True),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("example_data", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("summary", JSONB(), nullable=False),
        sa.Column("document", JSONB(), nullable=False),
        sa.Column("imported_by", sa.String(), nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("activated_by", sa.String(), nullable=True),
        sa.Column("activated_at", TS, nullable=True),
        sa.UniqueConstraint("kind", "key", "version_label", name="uq_reference_dataset_version"),
    )
    op.create_index("ix_reference_dataset_active", "reference_dataset", ["kind", "key", "status"])
    # At most one active version per (kind, key), enforced by the database.
    op.create_index(
        "uq_reference_dataset_one_active",
        "reference_dataset",
        ["kind", "key"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "list_entry",
        sa.Column("dataset_id", sa.Uuid(), sa.ForeignKey("reference_dataset.id"), primary_key=True),
        sa.Column("entry_id", sa.String(), primary_key=True),
        sa.Column("document", JSONB(), nullable=False),
    )
    op.create_table(
        "reference_change",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dataset_id", sa.Uuid(), sa.ForeignKey("reference_dataset.id"), nullable=False, index=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("details", JSONB(), nullable=False),
    )
    op.create_table(
        "organisation",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("key_kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("key_kind", "key", name="uq_organisation_key"),
    )
    op.create_table(
        "organisation_occurrence",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisation.id"), nullable=False, index=True),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("pointer", sa.String(), nullable=False),
        sa.Column("declared_name", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("organisation_id", "proposal_id", "version", "ref", name="uq_organisation_occurrence"),
    )
    op.create_index("ix_organisation_occurrence_proposal", "organisation_occurrence", ["proposal_id", "version"])
    op.create_table(
        "match_decision",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("list_key", sa.String(), nullable=False),
        sa.Column("entry_id", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )
    op.create_index("ix_match_decision_lookup", "match_decision", ["organisation_id", "list_key", "entry_id"])
    op.create_table(
        "appraisal_proposal",
        sa.Column("proposal_id", sa.Uuid(), primary_key=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("call_identifier", sa.String(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False, index=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "proposal_snapshot",
        sa.Column("proposal_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("document", JSONB(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_table(
        "screening",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("reference_versions", JSONB(), nullable=False),
        sa.Column("input_hash", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False, index=True),
        sa.Column("auto_clear", sa.Boolean(), nullable=False),
        sa.Column("flag_count", sa.Integer(), nullable=False),
        sa.Column("result", JSONB(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_screening_proposal", "screening", ["proposal_id", "version", "created_at"])


def downgrade() -> None:
    for table in (
        "screening",
        "proposal_snapshot",
        "appraisal_proposal",
        "match_decision",
        "organisation_occurrence",
        "organisation",
        "reference_change",
        "list_entry",
        "reference_dataset",
    ):
        op.drop_table(table)
