"""Field types with the input rules every RSC document shares.

Text is NFC-normalised (so the same name typed on two keyboards compares equal) but otherwise kept
as typed: no case folding, no transliteration, no stripping of diacritics. Country codes are
ISO 3166-1 alpha-2, checked against pycountry; they are data, never rules.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator


def _nfc(value: str) -> str:
    # PostgreSQL text and JSONB cannot hold NUL: refuse it here (422) instead of failing on insert.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
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


# Non-discrimination principle (shared/reference/domain.md §8): these are never collected. Unknown
# fields are rejected anyway; these get a message that says why.
NOT_COLLECTED = frozenset(
    {
        "nationality", "nationalities", "citizenship", "citizenships", "ethnicity", "ethnic_origin", "race",
        "place_of_birth", "birthplace", "birth_place", "country_of_birth", "birth_country", "date_of_birth",
        "birth_date", "religion", "passport", "passport_number", "passport_country",
    }
)  # fmt: skip


def _normalise_key(key: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in key.strip().lower())


class Strict(BaseModel):
    """Unknown fields are rejected everywhere: nothing is collected that the model does not name."""

    model_config = ConfigDict(extra="forbid", str_max_length=10_000)

    @model_validator(mode="before")
    @classmethod
    def _refuse_personal_origin_data(cls, data: object) -> object:
        if isinstance(data, dict):
            for key in data:
                if isinstance(key, str) and _normalise_key(key) in NOT_COLLECTED:
                    raise ValueError(
                        f"'{key}' is not collected: RSC never asks for nationality, ethnicity, birthplace or "
                        "similar personal origin data (non-discrimination principle)"
                    )
        return data
