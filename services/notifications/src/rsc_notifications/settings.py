from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from rsc_common.settings import ServiceSettings, service_settings_config


class NotificationsSettings(ServiceSettings):
    model_config: SettingsConfigDict = service_settings_config("RSC_NOTIFICATIONS_")

    service_name: str = "rsc-notifications"
    database_url: str = "postgresql://rsc:rsc@127.0.0.1:15432/rsc_notifications"
    http_port: int = 8104
    # Delivery is driven by Kafka events, not by workflows.
    uses_temporal: bool = False

    # E-mail: the local SMTP sink of `make up` by default.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 18025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "RSC <no-reply@rsc.example.org>"
    # Where links in messages point (the portal).
    portal_url: str = "http://127.0.0.1:8100"
    # User details (e-mail, locale) and role members from Keycloak's admin API are cached this long.
    directory_cache_seconds: float = Field(default=300, ge=0)
    # The delivery loop: how often it looks for due deliveries, how many it takes at once.
    dispatch_interval_seconds: float = Field(default=0.5, gt=0)
    dispatch_batch: int = Field(default=50, ge=1)
    # Retries: exponential backoff with jitter between these bounds. E-mail is retried without limit
    # (an SMTP outage delays, never loses); a webhook goes to the dead-letter store after N attempts.
    retry_initial_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Events older than this are not notified (a new deployment or a replay from the start of a topic
    # must not mail people about what happened long ago); they still fold into the routing read models.
    max_event_age_hours: float = Field(default=72, gt=0)
