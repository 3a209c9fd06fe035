"""deliveries: e-mail notifications, routing read models, preferences, webhooks

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
    op.add_column("inbox_item", sa.Column("dedupe_key", sa.String(), nullable=True, unique=True))
    op.create_table(
        "notification",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dedupe_key", sa.String(), nullable=False, unique=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("recipient_subject", sa.String(), nullable=False, index=True),
        sa.Column("recipient_email", sa.String(), nullable=False),
        sa.Column("locale", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body_text", sa.String(), nullable=False),
        sa.Column("body_html", sa.String(), nullable=False),
        sa.Column("link", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
    )
    op.create_index("ix_notification_due", "notification", ["status", "next_attempt_at"])
    op.create_table(
        "proposal_contact",
        sa.Column("proposal_id", sa.Uuid(), primary_key=True),
        sa.Column("submitted_by", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("acronym", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("call_identifier", sa.String(), nullable=False),
    )
    op.create_table(
        "parked_event",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("proposal_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("envelope", JSONB(), nullable=False),
        sa.Column("parked_at", TS, nullable=False),
    )
    op.create_table(
        "case_assignment",
        sa.Column("proposal_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("assignees", JSONB(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "preference",
        sa.Column("subject", sa.String(), primary_key=True),
        sa.Column("category", sa.String(), primary_key=True),
        sa.Column("mode", sa.String(), nullable=False),
    )
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("event_types", JSONB(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("previous_secret", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("rotated_at", TS, nullable=True),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dedupe_key", sa.String(), nullable=False, unique=True),
        sa.Column("subscription_id", sa.Uuid(), sa.ForeignKey("webhook_subscription.id"), nullable=False, index=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("payload", JSONB(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["status", "next_attempt_at"])
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("delivery_id", sa.Uuid(), sa.ForeignKey("webhook_delivery.id"), nullable=False, index=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("milliseconds", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("webhook_attempt", "webhook_delivery", "webhook_subscription", "preference", "case_assignment"):
        op.drop_table(table)
    op.drop_table("parked_event")
    op.drop_table("proposal_contact")
    op.drop_table("notification")
    op.drop_column("inbox_item", "dedupe_key")
