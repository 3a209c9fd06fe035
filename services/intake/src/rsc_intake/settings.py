from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rsc_common.settings import ServiceSettings, service_settings_config
from rsc_intake.attachments.settings import AttachmentSettings


class IntakeSettings(ServiceSettings):
    model_config: SettingsConfigDict = service_settings_config("RSC_INTAKE_")

    service_name: str = "rsc-intake"
    database_url: str = "postgresql://rsc:rsc@127.0.0.1:15432/rsc_intake"
    http_port: int = 8101
    attachments: AttachmentSettings = AttachmentSettings()
    # Processes serving the API (`rsc-intake api`), sharing one listening socket (uvicorn's
    # supervisor restarts a worker that dies). One process runs Python on one core at a time, so a
    # machine with spare cores serves more submissions with more workers. 1 in Kubernetes, where
    # replicas scale horizontally; the local stack sets RSC_INTAKE_API_WORKERS (default 2).
    api_workers: int = Field(default=1, ge=1, le=64)
