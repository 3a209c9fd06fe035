"""Country profiles: the indicator set (data) and the CSV importer that produces a `CountryProfileSet`."""

from rsc_appraisal.countries.importer import (
    EXAMPLE_PROFILES_PATH,
    CountryProfileImportError,
    ImportIssue,
    load_country_profiles,
    load_example_country_profiles,
    parse_country_profiles,
)
from rsc_appraisal.countries.indicators import (
    DEFAULT_INDICATORS_PATH,
    IndicatorDefinition,
    IndicatorKind,
    IndicatorSet,
    default_indicator_set,
    load_indicator_set,
)

__all__ = [
    "DEFAULT_INDICATORS_PATH",
    "EXAMPLE_PROFILES_PATH",
    "CountryProfileImportError",
    "ImportIssue",
    "IndicatorDefinition",
    "IndicatorKind",
    "IndicatorSet",
    "default_indicator_set",
    "load_country_profiles",
    "load_example_country_profiles",
    "load_indicator_set",
    "parse_country_profiles",
]
