"""Matcher settings: thresholds, candidate limits, feature weights and the control rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Score of an exact identifier match per scheme: globally unique schemes (LEI, ROR, PIC) outrank any name;
# VAT numbers are unique per country; registration numbers only within one registry (country).
DEFAULT_IDENTIFIER_SCORES: Mapping[str, float] = {"lei": 1.0, "ror": 1.0, "pic": 0.98, "vat": 0.95, "registration": 0.9}
# Subtracted when both sides carry the scheme with different values (and nothing matched on an identifier).
DEFAULT_IDENTIFIER_MISMATCH: Mapping[str, float] = {
    "lei": 0.3,
    "ror": 0.3,
    "pic": 0.25,
    "vat": 0.2,
    "registration": 0.1,
}


@dataclass(frozen=True)
class MatcherSettings:
    """Everything tunable about matching. The defaults are the ones the quality benchmark
    (`bench/entity_matching.py`, results in docs/benchmarks.md) was run with."""

    # Candidates scoring below this are not returned. Chosen on the labelled benchmark set: see docs/benchmarks.md.
    threshold: float = 0.82
    # Candidates returned per query (best first).
    max_results: int = 10
    # Names kept per query after blocking (across all query names and aliases), best blocking score first.
    candidate_limit: int = 100
    # Of those, the first candidate_always_scored are scored; the others only if the blocking estimate of their
    # token alignment (as if every blocking hit were exact) is at least candidate_min_estimate.
    candidate_always_scored: int = 20
    candidate_min_estimate: float = 0.2
    # Before the (explained, per pair) name comparison, an upper bound of the token alignment is computed for all
    # candidates at once, and the pairs that cannot reach the threshold are not compared (`NameScorer.
    # token_bounds`). The bound is exact (it never drops a pair that would be returned), so this changes speed
    # only; off compares every candidate.
    prune_by_bound: bool = True
    # Blocking: the candidates are the names carrying a query token (or a variant of it: fuzzy neighbour, other
    # romanisation) carried by at most blocking_rare_df names; tokens carried by up to max_postings names add to
    # their blocking scores; commoner ones ("university") are ignored by blocking (they count when candidates are
    # scored). A query made of common words only takes the names carrying its rarest one.
    blocking_rare_df: int = 2_000
    max_postings: int = 20_000
    # Fuzzy token look-up (typos, transliteration variants): for query tokens unknown to the index or carried by
    # at most `fuzzy_max_df` names; at most `fuzzy_neighbours` similar index tokens with similarity >= this.
    fuzzy_max_df: int = 5
    fuzzy_neighbours: int = 12
    fuzzy_min_similarity: float = 0.75
    # Two tokens count as the same word at or above this similarity (rapidfuzz `fuzz.ratio` / 100).
    token_min_similarity: float = 0.78
    # Name score = name_token_weight * weighted token alignment + (1 - name_token_weight) * token_sort_ratio.
    name_token_weight: float = 0.8
    # In the token alignment, the weight of a word without any counterpart on the other side is also subtracted,
    # times this (a different word is stronger evidence of another organisation than a misspelt one).
    unmatched_token_penalty: float = 0.5
    # Acronym evidence ("VIPT" for "Valdoria Institute of Physics and Technology"): this score when the acronym
    # is unique in the index, minus acronym_ambiguity_penalty per doubling of the names sharing it.
    acronym_score: float = 0.85
    acronym_ambiguity_penalty: float = 0.05
    # Qualifiers (never evidence on their own): subtracted from the score.
    country_mismatch_penalty: float = 0.1
    legal_form_mismatch_penalty: float = 0.2
    identifier_scores: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_IDENTIFIER_SCORES))
    identifier_mismatch_penalties: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_IDENTIFIER_MISMATCH)
    )
    # Control rule (see control.py): ownership above this share (strictly) gives control ...
    control_share_percent: float = 50.0
    # ... and an ownership without a known share is control only if this is set (default: not).
    unknown_share_is_control: bool = False
    # Weak aliases (FollowTheMoney `weakAlias`, e.g. short forms) are matched, scoring at most this.
    weak_alias_max_score: float = 0.85

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        if self.max_results < 1 or self.candidate_limit < 1:
            raise ValueError("max_results and candidate_limit must be positive")
        if not 0 <= self.name_token_weight <= 1:
            raise ValueError("name_token_weight must be in [0, 1]")
