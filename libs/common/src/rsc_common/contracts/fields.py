"""Field types with the input rules every RSC document shares.

Text is NFC-normalised (so the same name typed on two keyboards compares equal) but otherwise kept
as typed: no case folding, no transliteration, no stripping of diacritics. Country codes are
ISO 3166-1 alpha-2, checked against pycountry; they are data, never rules.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def text(max_length: int, min_length: int = 0) -> type[str]:
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_nfc),
    ]


Name = text(300, 1)
ShortText = text(1000)
LongText = text(10_000)
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]


class Strict(BaseModel):
    """Unknown fields are rejected everywhere: nothing is collected that the model does not name."""

    model_config = ConfigDict(extra="forbid", str_max_length=10_000)
