"""Optimistic locking: an ETag per row version; edits must send it back in If-Match."""

from __future__ import annotations

from rsc_common.http import ProblemError


def etag(row_version: int) -> str:
    return f'"{row_version}"'


def check_if_match(if_match: str | None, row_version: int) -> None:
    if if_match is None:
        raise ProblemError(428, "precondition-required", "send the ETag you last read in an If-Match header")
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in candidates and etag(row_version) not in candidates:
        raise ProblemError(
            412,
            "stale-version",
            "the resource changed since you read it: reload it and apply your change again",
            current_etag=etag(row_version),
        )
