"""SQLModel engine and session helpers (sync psycopg 3; FastAPI runs sync routes in a thread pool)."""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import Engine
from sqlmodel import Session, create_engine


def make_engine(url: str, *, pool_size: int = 10, application_name: str = "rsc") -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"application_name": application_name},
    )
    SQLAlchemyInstrumentor().instrument(engine=engine)
    return engine


def session_factory(engine: Engine) -> Callable[[], Session]:
    # expire_on_commit=False: objects stay readable after the unit of work commits.
    return lambda: Session(engine, expire_on_commit=False)
