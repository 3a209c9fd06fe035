"""The canonical JSON of a screening input and its SHA-256: identical inputs give identical hashes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel

from rsc_appraisal.engine.contracts import ScreeningInput


def canonical_json(value: BaseModel | Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (not ASCII-escaped); models in pydantic's JSON mode."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def input_hash(screening_input: ScreeningInput) -> str:
    return hashlib.sha256(canonical_json(screening_input)).hexdigest()
