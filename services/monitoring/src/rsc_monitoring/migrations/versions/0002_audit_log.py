"""audit log: append-only, hash-chained entries and the chain head

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("grant_reference", sa.String(), nullable=False, server_default=""),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("incident_type", sa.String(), nullable=False, server_default=""),
        sa.Column("severity", sa.String(), nullable=False, server_default=""),
        sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("details", sa.String(), nullable=False),
        sa.Column("event_sha256", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column(
            "search",
            sa.dialects.postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('simple', description)", persisted=True),
        ),
    )
    op.create_index("ix_audit_entry_occurred_at", "audit_entry", ["occurred_at"])
    op.create_index("ix_audit_entry_service_action", "audit_entry", ["service", "action"])
    op.create_index("ix_audit_entry_actor", "audit_entry", ["actor"])
    op.create_index(
        "ix_audit_entry_proposal", "audit_entry", ["proposal_id"], postgresql_where="proposal_id IS NOT NULL"
    )
    op.create_index(
        "ix_audit_entry_grant", "audit_entry", ["grant_reference"], postgresql_where="grant_reference <> ''"
    )
    op.create_index(
        "ix_audit_entry_organisation",
        "audit_entry",
        ["organisation_id"],
        postgresql_where="organisation_id IS NOT NULL",
    )
    op.create_index(
        "ix_audit_entry_incident", "audit_entry", ["incident_type", "severity"], postgresql_where="incident_type <> ''"
    )
    op.create_index("ix_audit_entry_search", "audit_entry", ["search"], postgresql_using="gin")
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_chain_head_single_row"),
    )
    op.execute(f"INSERT INTO audit_chain_head (id, last_seq, last_hash, updated_at) VALUES (1, 0, '{GENESIS}', now())")
    # Append-only: the service's own role loses UPDATE/DELETE/TRUNCATE, and triggers refuse them for
    # any role (a superuser must drop or disable the triggers first, which is itself visible).
    op.execute(
        """
        CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
    )
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM PUBLIC, CURRENT_USER")


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_table("audit_entry")
    op.execute("DROP FUNCTION audit_entry_append_only()")
