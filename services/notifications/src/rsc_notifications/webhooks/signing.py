"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>`, in the header

    RSC-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex with the previous secret>]

During a secret rotation both the new and the previous secret sign, so a receiver can switch over at
its own pace. Receivers should reject timestamps older than a few minutes (replay protection)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "RSC-Signature"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(timestamp: int, body: bytes, secret: str, previous: str | None = None) -> str:
    parts = [f"t={timestamp}", f"v1={signature(secret, timestamp, body)}"]
    if previous:
        parts.append(f"v1={signature(previous, timestamp, body)}")
    return ",".join(parts)


def verify(value: str, body: bytes, secret: str, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (used by the tests' receiver and documented for integrators)."""
    fields = [p.split("=", 1) for p in value.split(",") if "=" in p]
    stamps = [int(v) for k, v in fields if k == "t" and v.isdigit()]
    if not stamps or abs(now - stamps[0]) > tolerance:
        return False
    expected = signature(secret, stamps[0], body)
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in fields)
