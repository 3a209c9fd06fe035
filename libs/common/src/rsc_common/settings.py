"""Service settings: one env prefix per service, validated when the process starts.

Each service subclasses `ServiceSettings` and sets its own prefix, e.g.::

    class IntakeSettings(ServiceSettings):
        model_config = service_settings_config("RSC_INTAKE_")

Nested blocks use a double underscore: ``RSC_INTAKE_AUTH__CLIENT_SECRET``.
Defaults point at the local stack started by ``make up``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rsc_common.auth.settings import AuthSettings


class TelemetryExporter(StrEnum):
    none = "none"
    console = "console"
    otlp = "otlp"


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:19092"
    client_id_prefix: str = "rsc"
    # Prepended to every topic name: lets several environments (or test runs) share one cluster.
    topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    # Default partition count for project topics: the unit of consumer parallelism.
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    # Client authentication. PLAINTEXT for the local broker; on the Kubernetes platform (Strimzi with a
    # SCRAM KafkaUser per service and least-privilege ACLs, deploy/k8s/platform) SASL_SSL or
    # SASL_PLAINTEXT with SCRAM-SHA-512, the service's user name and the password Strimzi generates.
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # CA bundle that signed the brokers' certificates (SSL / SASL_SSL), e.g. Strimzi's cluster CA.
    ssl_cafile: str | None = None

    @model_validator(mode="after")
    def _sasl_complete(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL_") and not (
            self.sasl_mechanism and self.sasl_username and self.sasl_password
        ):
            raise ValueError(f"{self.security_protocol} needs sasl_mechanism, sasl_username and sasl_password")
        return self

    def client_options(self) -> dict[str, Any]:
        """Connection options for every kafka-python client (producer, consumer, admin)."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL_"):
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.get_secret_value() if self.sasl_password else None,
            }
        if self.ssl_cafile:
            options["ssl_cafile"] = self.ssl_cafile
        return options


class TemporalSettings(BaseModel):
    address: str = "127.0.0.1:17233"
    namespace: str = "default"
    task_queue: str = ""


class TelemetrySettings(BaseModel):
    exporter: TelemetryExporter = TelemetryExporter.none
    otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    log_level: str = "INFO"
    json_logs: bool = True


class OutboxSettings(BaseModel):
    batch_size: int = Field(default=200, ge=1, le=5000)
    poll_interval_seconds: float = Field(default=0.2, gt=0)


def service_settings_config(env_prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=env_prefix, env_nested_delimiter="__", extra="ignore", validate_default=True)


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set `service_name`, the prefix and the database."""

    model_config = service_settings_config("RSC_")

    service_name: str
    database_url: str = Field(description="postgresql:// or postgresql+psycopg:// URL")
    database_pool_size: int = Field(default=10, ge=1)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    kafka: KafkaSettings = KafkaSettings()
    temporal: TemporalSettings = TemporalSettings()
    auth: AuthSettings = AuthSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    outbox: OutboxSettings = OutboxSettings()
    # Which dependencies /readyz checks (notifications, for example, needs no Temporal).
    uses_temporal: bool = True

    @field_validator("database_url")
    @classmethod
    def _psycopg3_driver(cls, value: str) -> str:
        # SQLAlchemy picks psycopg2 for plain postgresql://; we ship psycopg 3.
        if value.startswith("postgresql://"):
            return value.replace("postgresql://", "postgresql+psycopg://", 1)
        if not value.startswith("postgresql+psycopg://"):
            raise ValueError("must be a postgresql:// URL")
        return value
