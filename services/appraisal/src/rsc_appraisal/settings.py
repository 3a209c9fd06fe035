from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rsc_common.settings import ServiceSettings, service_settings_config


class AppraisalSettings(ServiceSettings):
    model_config: SettingsConfigDict = service_settings_config("RSC_APPRAISAL_")

    service_name: str = "rsc-appraisal"
    database_url: str = "postgresql://rsc:rsc@127.0.0.1:15432/rsc_appraisal"
    http_port: int = 8102
    # `rsc-appraisal seed` loads the default policy and the example country profiles; with this on
    # (local stack, demos) also the fictitious demo entity lists. Off in production (deploy/k8s).
    seed_demo_lists: bool = True
    # Kafka consumers of the worker's group per process (the topics have 6 partitions by default).
    consumer_concurrency: int = Field(default=3, ge=1, le=32)
