"""Offline validation of Keycloak access tokens against the realm's cached JWKS.

jwcrypto is used directly (not python-keycloak's `decode_token`, which refetches the JWKS on every
call): we pick the key by `kid` ourselves, so "unknown key" (→ maybe refresh) and "bad signature"
(→ never refresh) stay distinguishable, and the claim checks give precise reasons.

A client sends the same access token with every request until it expires, so `verify` keeps the
principal of each token it verified, keyed by the token's SHA-256 (the token itself is not kept),
until the token's expiry (+ leeway): a repeat costs a hash and a dictionary look-up instead of a
parse, an RSA verification and the claim checks. Only fully verified tokens are kept (any change to
a token changes its hash); the cache is bounded (least recently used first out,
`AuthSettings.token_cache_size`, 0 turns it off) and emptied whenever a JWKS refresh changes the key
set, so a token of a retired key is refused as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK, JWKSet
from jwcrypto.jws import JWS

from rsc_common.auth.errors import AuthenticationError, AuthUnavailableError
from rsc_common.auth.principal import Principal
from rsc_common.auth.settings import AuthSettings

logger = logging.getLogger(__name__)

# Keycloak signs access tokens with RS256 by default. An allow-list (rather than a deny-list) rules
# out `none` and HS* (HMAC keyed with our public key: the classic algorithm-confusion attack).
ALLOWED_ALGORITHMS: tuple[str, ...] = ("RS256", "RS384", "RS512")


class TokenVerifier:
    """Verifies bearer tokens; thread-safe, one instance per process (``app.state.token_verifier``).

    ``jwks`` pins a fixed key set (tests, air-gapped use): it is then never fetched or refreshed.
    ``http_client`` and ``clock`` exist for tests (``httpx.MockTransport``, a fake monotonic clock).
    """

    def __init__(
        self,
        settings: AuthSettings,
        jwks: JWKSet | None = None,
        *,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._settings = settings
        self._static = jwks is not None
        # Replaced wholesale on refresh (never mutated), so readers need no lock.
        self._keys: dict[str, JWK] = {}
        if jwks is not None:
            self._keys = _index_keys(jwks.export(private_keys=False, as_dict=True))
        self._http = http_client
        self._clock = clock
        self._timeout = timeout_seconds
        self._lock = threading.Lock()
        self._last_fetch: float | None = None  # monotonic time of the last attempt, failed or not
        # SHA-256 of a verified token → (its principal, wall-clock instant after which it is expired).
        self._verified: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._verified_lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        principal = self.cached(token)
        if principal is not None:
            return principal
        claims = self.decode(token)
        principal = Principal.from_claims(claims)
        self._remember(token, principal, claims["exp"] + self._settings.leeway_seconds)
        return principal

    def cached(self, token: str) -> Principal | None:
        """The principal of `token` if it was verified before and has not expired since; else None
        (then `verify` decides). Never blocks on Keycloak, so callers may use it on an event loop."""
        size = self._settings.token_cache_size
        if not size or not isinstance(token, str):
            return None
        digest = hashlib.sha256(token.encode()).digest()
        with self._verified_lock:
            entry = self._verified.get(digest)
            if entry is None:
                return None
            if time.time() > entry[1]:
                del self._verified[digest]  # verify() now refuses it with the precise reason
                return None
            self._verified.move_to_end(digest)
            return entry[0]

    def _remember(self, token: str, principal: Principal, expires_at: float) -> None:
        size = self._settings.token_cache_size
        if not size:
            return
        digest = hashlib.sha256(token.encode()).digest()
        with self._verified_lock:
            self._verified[digest] = (principal, expires_at)
            self._verified.move_to_end(digest)
            while len(self._verified) > size:
                self._verified.popitem(last=False)

    def forget_verified(self) -> None:
        """Empty the cache of verified tokens (done automatically when the signing keys change)."""
        with self._verified_lock:
            self._verified.clear()

    def decode(self, token: str) -> dict[str, Any]:
        """Return the verified claims, or raise `AuthenticationError` / `AuthUnavailableError`."""
        jws, alg, kid = _parse(token)
        key = self._key_for(kid)
        if key.get("alg") not in (None, alg):
            raise AuthenticationError("invalid signature")
        jws.allowed_algs = list(ALLOWED_ALGORITHMS)
        try:
            jws.verify(key, alg=alg)
        except JWException:
            raise AuthenticationError("invalid signature") from None
        try:
            claims = json.loads(jws.payload)
        except (ValueError, UnicodeDecodeError):
            raise AuthenticationError("malformed token") from None
        if not isinstance(claims, dict):
            raise AuthenticationError("malformed token")
        self._check_claims(claims)
        return claims

    def refresh_keys(self) -> None:
        """Fetch the JWKS now (e.g. at startup, to fail fast); ignores the rate limit."""
        with self._lock:
            self._refresh()

    # -- keys ---------------------------------------------------------------------------------

    def _key_for(self, kid: str) -> JWK:
        key = self._keys.get(kid)
        if key is not None:
            return key
        if self._static:
            raise AuthenticationError("unknown signing key")
        with self._lock:
            # Another thread may have refreshed while we waited for the lock.
            key = self._keys.get(kid)
            if key is None and self._may_refresh():
                self._refresh()  # raises AuthUnavailableError if Keycloak is unreachable
                key = self._keys.get(kid)
        if key is not None:
            return key
        if not self._keys:
            # Never got any keys (last fetch failed, next one rate-limited): we cannot judge the token.
            raise AuthUnavailableError("signing keys are unavailable")
        raise AuthenticationError("unknown signing key")

    def _may_refresh(self) -> bool:
        return self._last_fetch is None or self._clock() - self._last_fetch >= self._settings.jwks_min_refresh_seconds

    def _refresh(self) -> None:
        self._last_fetch = self._clock()
        url = self._settings.jwks_url
        try:
            if self._http is not None:
                response = self._http.get(url, timeout=self._timeout)
            else:
                with httpx.Client(timeout=self._timeout) as client:
                    response = client.get(url)
            response.raise_for_status()
            keys = _index_keys(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("fetching JWKS from %s failed: %s", url, exc)
            raise AuthUnavailableError("cannot fetch signing keys from Keycloak") from exc
        logger.info("fetched JWKS from %s: %d signing key(s)", url, len(keys))
        changed = _fingerprints(keys) != _fingerprints(self._keys)
        self._keys = keys
        if changed:
            self.forget_verified()  # a key may have been retired: its tokens must be refused again

    # -- claims -------------------------------------------------------------------------------

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        s = self._settings
        now = time.time()
        if claims.get("iss") != s.issuer:
            raise AuthenticationError("wrong issuer")
        exp = claims.get("exp")
        if not _is_number(exp):
            raise AuthenticationError("token has no expiry")
        if now > exp + s.leeway_seconds:
            raise AuthenticationError("token expired")
        nbf = claims.get("nbf")
        if nbf is not None and (not _is_number(nbf) or now + s.leeway_seconds < nbf):
            raise AuthenticationError("token not yet valid")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if s.audience not in audiences:
            raise AuthenticationError("wrong audience")
        # Keycloak marks access tokens typ=Bearer; ID tokens ("ID") must not be used as bearer tokens.
        typ = claims.get("typ")
        if typ is not None and typ != "Bearer":
            raise AuthenticationError("not an access token")


def _parse(token: str) -> tuple[JWS, str, str]:
    # Compact serialization only: the JSON form allows unprotected headers we do not want to trust.
    if not isinstance(token, str) or token.count(".") != 2:
        raise AuthenticationError("malformed token")
    jws = JWS()
    try:
        jws.deserialize(token)
        header = jws.jose_header
    except (JWException, ValueError, TypeError):
        raise AuthenticationError("malformed token") from None
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise AuthenticationError(f"unsupported token algorithm {alg!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthenticationError("token has no key id")
    return jws, alg, kid


def _index_keys(jwks: Mapping[str, Any]) -> dict[str, JWK]:
    """Signing RSA keys by `kid`; Keycloak's JWKS also lists an RSA-OAEP encryption key (use=enc)."""
    raw = jwks.get("keys")
    if not isinstance(raw, list):
        raise ValueError("JWKS has no 'keys' list")
    keys: dict[str, JWK] = {}
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            keys[kid] = JWK(**entry)
        except (JWException, ValueError, TypeError) as exc:
            logger.warning("ignoring unusable JWKS entry %s: %s", kid, exc)
    return keys


def _fingerprints(keys: Mapping[str, JWK]) -> dict[str, str]:
    return {kid: key.thumbprint() for kid, key in keys.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
