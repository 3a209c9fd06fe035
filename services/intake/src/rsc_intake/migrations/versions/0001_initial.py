"""initial: messaging tables, programmes, calls, applicant organisations

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from rsc_common.db.messaging_tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "funding_programme",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("funder", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "call",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("programme_id", sa.Uuid(), sa.ForeignKey("funding_programme.id"), nullable=False, index=True),
        sa.Column("identifier", sa.String(), nullable=False, unique=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "applicant_organisation",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("legal_name", sa.String(), nullable=False),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("organisation_type", sa.String(), nullable=False),
        sa.Column("pic", sa.String(), nullable=True),
        sa.Column("ror", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("applicant_organisation")
    op.drop_table("call")
    op.drop_table("funding_programme")
    drop_messaging_tables()
