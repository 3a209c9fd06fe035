"""A service's FastAPI app on a throw-away, migrated database, pointed at the test servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rsc_common.settings import ServiceSettings
from tests.support.databases import migrated_database
from tests.support.servers import KAFKA_BOOTSTRAP, KEYCLOAK_URL, TEMPORAL_ADDRESS


def settings_for(settings_cls: type[ServiceSettings], database_url: str) -> ServiceSettings:
    return settings_cls(
        database_url=database_url,
        kafka={"bootstrap_servers": KAFKA_BOOTSTRAP},
        temporal={"address": TEMPORAL_ADDRESS},
        auth={"keycloak_url": KEYCLOAK_URL},
    )


@contextmanager
def service_client(
    build_app: Callable[[ServiceSettings], FastAPI], settings_cls: type[ServiceSettings], migrations: Path
) -> Iterator[TestClient]:
    with migrated_database(migrations) as url, TestClient(build_app(settings_for(settings_cls, url))) as client:
        yield client
