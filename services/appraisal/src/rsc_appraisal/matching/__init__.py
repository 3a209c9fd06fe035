"""Entity matching: screen organisations against sanctions, export-control and watch lists.

Public API::

    index = EntityIndex.build(lists, MatcherSettings())   # lists: Iterable[ListVersionData]
    result = index.match(query)                            # OrganisationQuery -> MatchResult
    index.with_settings(settings)                          # same index, other query-time settings
    kind, key = organisation_key(name, identifiers, country)   # the key a canonical record is created with
    keys = organisation_keys(name, identifiers, country)      # every key it is found by (identifiers, name)

Benchmark and quality figures: docs/benchmarks.md, section "Entity matching" (bench/entity_matching.py).

**Normalisation** (`normalise.py`, built on rigour). NFKC, casefold and rigour's tokenisation (`Normalize.NAME`:
punctuation splits, marks drop). Legal forms are found with rigour's org-type table in generic mode
(`extract_org_types(..., generic=True)`: "GmbH", "Gesellschaft mit beschränkter Haftung", "Ltd", "ООО", "有限公司"
-> `llc`; "AG", "Aktiengesellschaft", "JSC", "ПАО", "S.A." -> `jsc`), taken out of the name and kept as generic
classes; CJK legal forms are set apart first (written without spaces), a few forms rigour lacks are added (Greek
"Α.Ε.", Spanish "S.L.", romanised "Youxian Gongsi", "Kabushiki Kaisha", "Jusik Hoesa"), "Co., Ltd." counts as
both classes (it renders 股份有限公司 / 株式会社 / 주식회사 too) and a trailing "Corp." or "Company" is dropped. Words
are transliterated with `rigour.text.ascii_text` (rigour's own spellings for Cyrillic, Greek, Hangul; ICU via
normality for Han, kana, Arabic), cached per word. Scripts written without word spaces become one token per
syllable (Han character, Hangul syllable, kana mora: "北京大学" -> "bei jing da xue"), as CJK search engines
index characters; the other side's words are then aligned with joined syllables. Stop words of any language
are dropped (rigour's list, checked on the native word, so "bei" and "da" survive as syllables); a few
contractions that are not prefixes are expanded ("natl", "intl", "dept"). Flags travel with the name:
*syllabic* (and *han*: pinyin is standard, kana and Hangul romanisations vary) and *abjad* (Arabic, Hebrew:
vowels not written, so such names also compare by consonant skeleton: "qahira" ~ "alqahrt" -> "qhr").
Bracketed text ("... (VIPT)") is matched as a name of its own.

**Blocking** (`index.py`). One vocabulary of keys with compressed-sparse-row postings (numpy int32 name ids):
each token; its *fold key* (transliteration digraphs folded, voiced/voiceless and l/r merged: "tsentr" / "centr",
"laggaea" / "rakgaea"); its consonant skeleton (keeping w and y when shorter than 3 letters); for CJK names the
runs of 2-4 syllables ("beijing") and their fold keys; for names of 3-8 tokens their acronym. Per query token:
the exact key; for tokens unknown to the index or carried by at most
`fuzzy_max_df` names, up to `fuzzy_neighbours` similar words found through a trigram index over the vocabulary
(its rarest 8 trigrams) and verified with rapidfuzz; its fold and skeleton keys (not for CJK syllables); joined
adjacent query tokens; for a CJK query the runs of its syllables (exact and fold keys) against words of names
in other scripts. The
*candidates* are the names carrying a key of a distinctive query token (unknown to the index or carried by at
most `blocking_rare_df` names: any of its variants up to `max_postings` names) or a rare key of another; the
other keys only add to their blocking score (membership tests in sorted postings), and the commonest
("university") are left to scoring. Blocking score: 0.7 x the share of the query's IDF weight (log(1 + N/df))
found in the name + 0.3 x the weighted Dice; the best `candidate_limit` (100) are kept, of which the first 20,
and the others whose estimated token score is at least `candidate_min_estimate`, are scored. Identifiers are
looked up exactly (sorted array of 64-bit BLAKE2 hashes, verified on the entry). Work that repeats across
queries is cached per index or process: query names' normalisation, the fuzzy neighbours of a query token.

**Pruning** (`NameScorer.token_bounds`): before the per-pair comparison, an upper bound of the token alignment
score (below) is computed for all candidates of a query name at once, with rapidfuzz `process.cdist` over the
distinct words and numpy: a word may only align with a word that is equal, at least `token_min_similarity`
similar as written or after the transliteration fold, (Latin vs abjad) as consonant skeletons, or that it may
abbreviate (same first two letters); assuming every such word aligned at similarity 1 and the others unmatched
gives a score no alignment exceeds. Pairs whose bound cannot reach the threshold are not compared (the
comparison would stop early and they are never returned), except for entries found by an identifier and
acronym pairs; CJK names and pairs whose words may be written together are always compared. On the benchmark
data about a quarter of the comparisons are left, with identical results (docs/benchmarks.md;
`prune_by_bound=False` compares all).

**Scoring** (`scoring.py`, per query name x candidate name; the best pair counts for the entry):
``name = 0.8 x tokens + 0.2 x fuzzy``. *tokens* aligns the two token lists, weighted by IDF (a CJK syllable
weighs at most its share of the commonest run it is part of, so that common words do not count two or three
times): equal words first; a word against 2-8 adjacent tokens written together (within one or two edits, also
after merging consonants; exact for pinyin); CJK against CJK in order (longest common subsequence); then similar
words: truncation 0.9 ("univ"), contraction 0.85 ("depto"), otherwise rapidfuzz `fuzz.ratio` if at least 0.78 and
within 1, 2 or 3 edits (words up to 5, 10, more letters), also on the transliteration fold and (Latin vs abjad)
the consonant skeletons, x0.95. tokens = (sum of similarity x (w_query + w_candidate) over aligned pairs - 0.5 x
weight of the words without counterpart) / total weight, so a different word costs more than a misspelt one.
*fuzzy* is rapidfuzz `token_sort_ratio` of the normalised names (for CJK also without spaces, for abjad also
on skeletons). Equal normalised names score 1.0 (`name.exact`); a one-word name of up to 6 letters (an acronym,
a short brand) matches only itself (or its syllables). A one-token query equal to a candidate's acronym scores
``0.85 - 0.05 x log2(names sharing that acronym)`` (`name.acronym`); weak aliases are capped at 0.85.
``score = max(name, identifier) - qualifiers``: an exact LEI or ROR is 1.0, PIC 0.98, VAT 0.95, registration 0.9
(`identifier.<scheme>`); without an identifier match, a different value of the same scheme on both sides subtracts
0.3 (LEI, ROR), 0.25 (PIC), 0.2 (VAT), 0.1 (registration) (`identifier.<scheme>.mismatch`); legal forms of
different classes (GmbH vs AG) subtract 0.2 (`legal_form.mismatch`); disjoint countries 0.1 (`country.mismatch`):
country is a qualifier only, never evidence. Every candidate carries its features with a readable detail.

**Threshold**: 0.82 by default (`MatcherSettings.threshold`), chosen on the labelled benchmark data: the
precision/recall table per threshold is in docs/benchmarks.md (just above 0.80, where an exact name with a legal
form of another class lands). Results: score at or above it, best first; at equal scores identifier matches
first, then by list key and entry id; one per (list_key, entry_id); at most `max_results`. The screening service
lowers it to the screening policy's `match_threshold` where that is lower (the default policy's is 0.82 too; see
`screenings/context.py`), with `with_settings`: the threshold is a query-time setting, the index is the same.

**Control** (`control.py`): majority ownership (> 50 %), decisive influence (any relation kind), or a
subsidiary relation (unless decisive influence is explicitly false) is control; a directorship is control only
with decisive influence; an ownership with no share is not (configurable). Unlisted entries controlled by a
listed one at any depth are indexed and reported with the shortest chain (listed controller first) and
`listed_controller_id`; persons count as links but are never matched themselves. Chains are computed when the
index is built (breadth-first from all listed entries, each entry visited once, so cycles end).

Only legal entities that are not persons are matched (FollowTheMoney schema check). The index lives in memory,
built from the list data in each process; the same data and query give the same candidates, scores and order.
"""

from rsc_appraisal.matching.control import control_chains, is_control
from rsc_appraisal.matching.index import EntityIndex, IndexStats, is_matchable_schema
from rsc_appraisal.matching.keys import OrganisationKeys, organisation_key, organisation_keys
from rsc_appraisal.matching.normalise import NormalisedName, normalise_identifier, normalise_name, normalise_names
from rsc_appraisal.matching.settings import MatcherSettings

__all__ = [
    "EntityIndex",
    "IndexStats",
    "MatcherSettings",
    "NormalisedName",
    "OrganisationKeys",
    "control_chains",
    "is_control",
    "is_matchable_schema",
    "normalise_identifier",
    "normalise_name",
    "normalise_names",
    "organisation_key",
    "organisation_keys",
]
