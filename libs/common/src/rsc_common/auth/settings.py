"""Keycloak connection settings, embedded (nested) in each service's settings."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, computed_field, field_validator


class AuthSettings(BaseModel):
    keycloak_url: str = "http://127.0.0.1:18080"
    realm: str = "rsc"
    # Tokens must name this audience (added by an audience mapper in the realm).
    audience: str = "rsc-api"
    # Confidential client of this service, for client-credentials (service-to-service) tokens.
    client_id: str | None = None
    client_secret: SecretStr | None = None
    leeway_seconds: int = Field(default=30, ge=0)
    # Lower bound between two JWKS fetches, so tokens with made-up `kid`s cannot hammer Keycloak.
    jwks_min_refresh_seconds: float = Field(default=10, ge=0)
    # Verified tokens remembered (by SHA-256, until they expire) so that a client's repeated token is
    # not verified again on every request; least recently used first out; 0 verifies every request.
    token_cache_size: int = Field(default=10_000, ge=0)

    @field_validator("keycloak_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        # `iss` is compared verbatim, so "http://kc/" and "http://kc" must yield the same issuer.
        return value.rstrip("/")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def issuer(self) -> str:
        return f"{self.keycloak_url}/realms/{self.realm}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"
