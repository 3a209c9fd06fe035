"""initial: messaging tables, inbox

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
        "inbox_item",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("recipient_subject", sa.String(), nullable=False, index=True),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("link", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("inbox_item")
    drop_messaging_tables()
