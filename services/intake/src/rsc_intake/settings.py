from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from rsc_common.settings import ServiceSettings, service_settings_config
from rsc_intake.attachments.settings import AttachmentSettings


class IntakeSettings(ServiceSettings):
    model_config: SettingsConfigDict = service_settings_config("RSC_INTAKE_")

    service_name: str = "rsc-intake"
    database_url: str = "postgresql://rsc:rsc@127.0.0.1:15432/rsc_intake"
    http_port: int = 8101
    attachments: AttachmentSettings = AttachmentSettings()
