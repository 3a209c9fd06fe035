"""organisation keys: every identifier and name key of a canonical organisation

A canonical organisation was found only by the key it was created with (its strongest identifier, else its name
key), so the same organisation declared once with a LEI and once without became two records. It is now found by
any identifier (LEI, ROR, PIC, VAT) and any normalised name key it was declared with. The existing records get
their creation key, and their name keys from their name and every declared name of their occurrences.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisation_identifier",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisation.id"), nullable=False, index=True),
        sa.Column("scheme", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("organisation_id", "scheme", name="uq_organisation_identifier_scheme"),
    )
    op.create_table(
        "organisation_name_key",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisation.id"), primary_key=True, index=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.execute(
        "INSERT INTO organisation_identifier (key, organisation_id, scheme, created_at) "
        "SELECT key, id, split_part(key, ':', 1), created_at FROM organisation WHERE key_kind = 'identifier' "
        "ON CONFLICT DO NOTHING"
    )
    op.execute(
        "INSERT INTO organisation_name_key (key, organisation_id, created_at) "
        "SELECT key, id, created_at FROM organisation WHERE key_kind = 'name' ON CONFLICT DO NOTHING"
    )
    _backfill_name_keys()


def _backfill_name_keys() -> None:
    """Name keys of the records created with an identifier: computed with the application's normalisation (the
    one resolution uses), from the record's name and the names it was declared under."""
    from rsc_appraisal.matching.keys import name_key

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT o.id, o.name, o.country, o.created_at FROM organisation o WHERE o.key_kind = 'identifier' "
            "UNION SELECT o.id, c.declared_name, o.country, o.created_at FROM organisation o "
            "JOIN organisation_occurrence c ON c.organisation_id = o.id WHERE o.key_kind = 'identifier'"
        )
    ).all()
    keys = sorted({(name_key(name, country), oid, created_at) for oid, name, country, created_at in rows})
    insert = sa.text(
        "INSERT INTO organisation_name_key (key, organisation_id, created_at) "
        "VALUES (:key, :organisation_id, :created_at) ON CONFLICT DO NOTHING"
    )
    for start in range(0, len(keys), 1000):
        bind.execute(
            insert, [{"key": k, "organisation_id": o, "created_at": at} for k, o, at in keys[start : start + 1000]]
        )


def downgrade() -> None:
    op.drop_table("organisation_name_key")
    op.drop_table("organisation_identifier")
