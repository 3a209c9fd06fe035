"""Portal settings (prefix RSC_PORTAL_), validated when the process starts. The portal has no database:
sessions live in encrypted cookies, so any number of replicas can serve any request."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rsc_common.settings import TelemetrySettings

# Only for `make up` and tests: a deployment must set RSC_PORTAL_SESSION_SECRET (deploy/k8s reads it
# from a Secret); the portal logs a warning when it runs with this value.
DEV_SESSION_SECRET = "rsc-portal-dev-session-secret-change-me-0123456789"


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RSC_PORTAL_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    service_name: str = "rsc-portal"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    # The address browsers use for the portal: the OIDC redirect URI is built from it.
    public_url: str = "http://127.0.0.1:8100"

    # Keycloak: `keycloak_url` for the portal's back-channel calls (token, logout), `keycloak_public_url`
    # for the browser's redirect to the sign-in page (they differ behind an ingress).
    keycloak_url: str = "http://127.0.0.1:18080"
    keycloak_public_url: str | None = None
    realm: str = "rsc"
    client_id: str = "rsc-portal"
    # The audience the service APIs require in access tokens (an audience mapper on the portal client).
    api_audience: str = "rsc-api"

    intake_url: str = "http://127.0.0.1:8101"
    appraisal_url: str = "http://127.0.0.1:8102"
    monitoring_url: str = "http://127.0.0.1:8103"
    notifications_url: str = "http://127.0.0.1:8104"
    api_timeout_seconds: float = Field(default=30, gt=0)

    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    # Browsers treat http://127.0.0.1 and http://localhost as secure contexts, so `Secure` cookies
    # work for the local stack too; keep it on everywhere.
    cookie_secure: bool = True
    # A session ends after this long even while the Keycloak session lasts (a working day).
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    # Access tokens are refreshed this long before they expire.
    refresh_margin_seconds: int = Field(default=30, ge=0)
    # Languages of the UI: the languages the notifications are written in.
    languages: tuple[str, ...] = ("en", "fr", "de")
    # Largest attachment the portal forwards to intake (intake enforces its own per-type limits).
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1)

    telemetry: TelemetrySettings = TelemetrySettings()

    @field_validator("public_url", "keycloak_url", "keycloak_public_url", "intake_url", "appraisal_url",
                     "monitoring_url", "notifications_url")  # fmt: skip
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("session_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("the session secret needs at least 32 characters")
        return value

    @property
    def browser_keycloak_url(self) -> str:
        return self.keycloak_public_url or self.keycloak_url

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/auth/callback"
