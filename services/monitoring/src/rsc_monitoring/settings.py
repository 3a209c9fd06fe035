from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from rsc_common.settings import ServiceSettings, service_settings_config


class MonitoringSettings(ServiceSettings):
    model_config: SettingsConfigDict = service_settings_config("RSC_MONITORING_")

    service_name: str = "rsc-monitoring"
    database_url: str = "postgresql://rsc:rsc@127.0.0.1:15432/rsc_monitoring"
    http_port: int = 8103
    # Connections that verify slices of the audit chain at once (PostgreSQL hashes on each).
    audit_verify_parallelism: int = 2
    # Threads running the (synchronous, database) activities of the grant and incident workflows.
    activity_threads: int = 4
    # Workflows run unsandboxed in the service (as in appraisal); every test worker uses the sandbox.
    temporal_sandbox: bool = False
    # Key of the tip channel's rate-limit hashes (set a real secret in production: see README).
    tip_rate_secret: SecretStr = SecretStr("local-development-only")
    # Largest tip request body accepted, in bytes.
    tip_max_bytes: int = 32_768
    # National reports: cells below this count are suppressed; sections run on this many connections.
    report_suppression_threshold: int = Field(default=5, ge=1, le=100)
    report_parallelism: int = Field(default=2, ge=1, le=16)
    # A funder's own monitoring plan (YAML, same schema as grants/data/monitoring-plan.yaml).
    monitoring_plan_file: Path | None = None
