from rsc_common.db.engine import make_engine, session_factory
from rsc_common.db.schema import SchemaNotAtHeadError, ensure_schema_at_head, upgrade_to_head
from rsc_common.db.types import utcnow

__all__ = [
    "SchemaNotAtHeadError",
    "ensure_schema_at_head",
    "make_engine",
    "session_factory",
    "upgrade_to_head",
    "utcnow",
]
