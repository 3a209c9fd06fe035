from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from rsc_common.settings import ServiceSettings, service_settings_config


class NotificationsSettings(ServiceSettings):
    model_config: SettingsConfigDict = service_settings_config("RSC_NOTIFICATIONS_")

    service_name: str = "rsc-notifications"
    database_url: str = "postgresql://rsc:rsc@127.0.0.1:15432/rsc_notifications"
    http_port: int = 8104
    # Delivery is driven by Kafka events, not by workflows.
    uses_temporal: bool = False
