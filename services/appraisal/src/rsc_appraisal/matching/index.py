"""The in-memory entity index: blocking structures built once per process, then `match()` per query."""

from __future__ import annotations

import copy
import hashlib
import math
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from followthemoney import model
from rapidfuzz import fuzz, process

from rsc_appraisal.engine.contracts import (
    FeatureScore,
    ListEntry,
    ListVersionData,
    MatchCandidate,
    MatchResult,
    OrganisationQuery,
)
from rsc_appraisal.matching.control import ControlInfo, control_chains
from rsc_appraisal.matching.normalise import (
    NormalisedName,
    acronym,
    fold_key,
    normalise_identifier,
    normalise_identifiers,
    normalise_name,
    normalise_names,
    skeleton_key,
    split_bracketed,
    vat_without_prefix,
)
from rsc_appraisal.matching.scoring import NameComparison, NameScorer
from rsc_appraisal.matching.settings import MatcherSettings

__all__ = ["EntityIndex", "IndexStats", "is_matchable_schema"]

# Key namespaces inside the one token vocabulary (plain tokens have no prefix).
_ACRONYM = "\x01"
_SKELETON = "\x02"
_FOLD = "\x03"
# Blocking weights of variant hits, relative to the weight of the key found
_SKELETON_WEIGHT = 0.8  # a consonant skeleton is weaker evidence than the token itself
_CONCAT_WEIGHT = 0.9  # query words written together / apart
_FOLD_WEIGHT = 0.9  # another romanisation of the word
_SEED_WEIGHT = 1e-6  # a key that only makes names candidates
_SYLLABLE_RUNS = (2, 3, 4)  # runs of syllables of CJK names indexed (and looked up) as words
_FUZZY_TRIGRAMS = 8  # rarest trigrams of a query token used to find similar index tokens
_TRIGRAM_MAX_DF = 30_000  # ... unless that many words carry them
_DENSE_ACCUMULATION = 100_000  # hits above which candidates are marked in a name-sized array instead of sorted
_FUZZY_CACHE = 10_000  # query tokens whose fuzzy neighbours are kept (cleared when full; about 1 kB each)
_PRUNE_MIN_CANDIDATES = 4  # fewer candidates are compared without computing bounds (that costs a few comparisons)

_FLAG_SYLLABIC = 1
_FLAG_ABJAD = 2
_FLAG_WEAK = 4
_FLAG_HAN = 8


@lru_cache(maxsize=256)
def is_matchable_schema(schema_name: str) -> bool:
    """Organisations and other legal entities are matched; persons, vessels and other assets are not.
    A schema FollowTheMoney does not know is treated as a legal entity (screening errs on reporting)."""
    schema = model.get(schema_name)
    if schema is None:
        return True
    return schema.is_a("LegalEntity") and not schema.is_a("Person")


@dataclass(frozen=True)
class IndexStats:
    lists: int
    entries: int  # matchable entries indexed
    names: int  # indexed names (names, aliases, weak aliases, bracketed parts), deduplicated per entry
    vocabulary: int  # distinct keys (tokens, joined syllables, skeletons, acronyms)
    postings: int
    identifiers: int
    controlled_entries: int  # unlisted entries reported through a listed controller
    array_bytes: int  # numpy arrays and the name-key buffer (Python dicts and lists not included)
    build_seconds: float


class _Postings:
    """Compressed-sparse-row postings: key id -> sorted int32 ids."""

    __slots__ = ("ids", "offsets")

    def __init__(self, keys: np.ndarray, values: np.ndarray, n_keys: int) -> None:
        order = np.argsort(keys, kind="stable")
        self.ids = values[order].astype(np.int32)
        counts = np.bincount(keys, minlength=n_keys)
        self.offsets = np.zeros(n_keys + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])

    def get(self, key: int) -> np.ndarray:
        return self.ids[self.offsets[key] : self.offsets[key + 1]]

    def df(self, key: int) -> int:
        return int(self.offsets[key + 1] - self.offsets[key])

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.offsets.nbytes


def _stable_hash(text: str) -> int:
    """64-bit hash that is the same in every process (Python's str hash is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


def _unique_counts(runs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(np.concatenate(runs), return_counts=True)` for sorted runs of distinct ids (postings): a stable
    sort (timsort) merges the runs in a few passes, several times faster than the quicksort `np.unique` uses."""
    if len(runs) == 1:
        return runs[0], np.ones(len(runs[0]), dtype=np.int64)
    ids = np.sort(np.concatenate(runs), kind="stable")
    if len(ids) == 0:
        return ids, np.zeros(0, dtype=np.int64)
    first = np.empty(len(ids), dtype=bool)
    first[0] = True
    np.not_equal(ids[1:], ids[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return ids[starts], np.diff(starts, append=len(ids))


def _trigrams(token: str) -> list[str]:
    padded = f"^{token}$"
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


class EntityIndex:
    """Blocking index over the organisation names of one or more list versions.

    Build with `EntityIndex.build(lists, settings)`; `match(query)` returns the candidates scoring at or above
    `settings.threshold`, best first, one per (list_key, entry_id)."""

    def __init__(self, lists: Iterable[ListVersionData], settings: MatcherSettings | None = None) -> None:
        started = time.perf_counter()
        self.settings = settings or MatcherSettings()
        self._lists: list[ListVersionData] = list(lists)
        self._entries: list[ListEntry] = []
        entry_list = array("H")
        self._control: dict[int, ControlInfo] = {}
        name_entry = array("i")
        name_pos = array("H")
        name_flags = array("B")
        name_legal = array("B")
        keys: list[str] = []
        legal_sets: dict[frozenset[str], int] = {frozenset(): 0}
        vocab: dict[str, int] = {}
        post_key = array("i")
        post_name = array("i")
        core_mask = array("B")
        id_hash = array("q")
        id_entry = array("i")
        seen_entries: set[tuple[str, str]] = set()
        for li, data in enumerate(self._lists):
            chains = control_chains(data, self.settings)
            for entry in data.entries:
                if (data.list_key, entry.entry_id) in seen_entries or not is_matchable_schema(entry.schema_name):
                    continue
                control = chains.get(entry.entry_id)
                if not entry.listed and control is None:
                    continue  # a related party only: reported through its listed controller, or never
                seen_entries.add((data.list_key, entry.entry_id))
                eidx = len(self._entries)
                self._entries.append(entry)
                entry_list.append(li)
                if control is not None:
                    self._control[eidx] = control
                for scheme, value in normalise_identifiers(entry.identifiers).items():
                    for variant in self._identifier_variants(scheme, value):
                        id_hash.append(_stable_hash(variant))
                        id_entry.append(eidx)
                seen_names: set[tuple[tuple[str, ...], frozenset[str]]] = set()
                all_names = (*entry.names, *entry.weak_aliases)
                n_strong = len(entry.names)
                for pos, raw in enumerate(all_names[:65535]):
                    for part in split_bracketed(raw):
                        nn = normalise_name(part)
                        if not nn.tokens or (nn.tokens, nn.legal_forms) in seen_names:
                            continue
                        seen_names.add((nn.tokens, nn.legal_forms))
                        nid = len(keys)
                        keys.append(nn.key)
                        name_entry.append(eidx)
                        name_pos.append(pos)
                        flags = (
                            (_FLAG_SYLLABIC if nn.syllabic else 0)
                            | (_FLAG_ABJAD if nn.abjad else 0)
                            | (_FLAG_HAN if nn.han else 0)
                        )
                        name_flags.append(flags | (_FLAG_WEAK if pos >= n_strong else 0))
                        legal_id = legal_sets.get(nn.legal_forms)
                        if legal_id is None:
                            legal_id = legal_sets[nn.legal_forms] = len(legal_sets)
                        name_legal.append(legal_id)
                        core_keys, extra_keys = self._name_keys(nn)
                        kids = [vocab.setdefault(key, len(vocab)) for key in core_keys]
                        kids.extend(vocab.setdefault(key, len(vocab)) for key in extra_keys)
                        post_key.extend(kids)
                        post_name.extend([nid] * len(kids))
                        core_mask.extend(b"\x01" * len(core_keys) + b"\x00" * len(extra_keys))
        self._entry_list = np.frombuffer(entry_list, dtype=np.uint16).copy()
        self._name_entry = np.frombuffer(name_entry, dtype=np.int32).copy()
        self._name_pos = np.frombuffer(name_pos, dtype=np.uint16).copy()
        self._name_flags = np.frombuffer(name_flags, dtype=np.uint8).copy()
        self._name_legal = np.frombuffer(name_legal, dtype=np.uint8).copy() if len(legal_sets) < 256 else None
        self._legal_sets = sorted(legal_sets, key=legal_sets.__getitem__)
        if self._name_legal is None:  # pragma: no cover - more than 255 distinct legal-form combinations
            raise ValueError("too many distinct legal-form combinations")
        self._key_buffer = "\n".join(keys)
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        if keys:
            np.cumsum(np.fromiter((len(k) + 1 for k in keys), dtype=np.int64, count=len(keys)), out=offsets[1:])
        self._key_offsets = offsets
        del keys
        self._vocab = vocab
        self._vocab_list: list[str] = list(vocab)  # ids were given in insertion order
        n_names = len(self._name_entry)
        keys_arr = np.frombuffer(post_key, dtype=np.int32)
        names_arr = np.frombuffer(post_name, dtype=np.int32)
        self._postings = _Postings(keys_arr, names_arr, len(vocab))
        df = np.diff(self._postings.offsets)
        self._n_names = max(n_names, 1)
        self._max_weight = math.log1p(self._n_names)
        with np.errstate(divide="ignore"):
            self._key_weight = np.log1p(self._n_names / np.maximum(df, 1)).astype(np.float32)
        self._weights = array("f", self._key_weight.tobytes())  # fast scalar access
        core = np.frombuffer(core_mask, dtype=np.uint8).astype(bool)
        self._name_weight = np.bincount(
            names_arr[core], weights=self._key_weight[keys_arr[core]], minlength=n_names
        ).astype(np.float32)
        # keys that are a word of some name (not only a joined-syllable, fold, skeleton or acronym key)
        is_word = np.zeros(len(vocab), dtype=bool)
        is_word[keys_arr[core]] = True
        del post_key, post_name, core_mask, keys_arr, names_arr, core
        # identifiers: sorted hashes (verified against the entry on a hit)
        hashes = np.frombuffer(id_hash, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        self._id_hash = hashes[order].copy()
        self._id_entry = np.frombuffer(id_entry, dtype=np.int32)[order].copy()
        # trigram index over plain word tokens, for fuzzy token look-up
        tri_vocab: dict[str, int] = {}
        tri_key = array("i")
        tri_token = array("i")
        vocab_list = self._vocab_list
        for tid in np.flatnonzero(is_word).tolist():  # fuzzy look-up finds words, not the other keys
            token = vocab_list[tid]
            if len(token) < 3:
                continue
            gids = [tri_vocab.setdefault(gram, len(tri_vocab)) for gram in set(_trigrams(token))]
            tri_key.extend(gids)
            tri_token.extend([tid] * len(gids))
        self._tri_vocab = tri_vocab
        self._trigrams = _Postings(
            np.frombuffer(tri_key, dtype=np.int32), np.frombuffer(tri_token, dtype=np.int32), len(tri_vocab)
        )
        self._fuzzy_cache: dict[tuple[str, int, float], list[tuple[int, float]]] = {}
        self._build_seconds = time.perf_counter() - started

    @classmethod
    def build(cls, lists: Iterable[ListVersionData], settings: MatcherSettings | None = None) -> EntityIndex:
        return cls(lists, settings)

    def with_settings(self, settings: MatcherSettings) -> EntityIndex:
        """The same index (shared structures, nothing copied) matching with other query-time settings: threshold,
        limits, weights, penalties. The control rule is applied when the index is built and stays as it was."""
        other = copy.copy(self)
        other.settings = settings
        return other

    # ------------------------------------------------------------------------------------ building

    @staticmethod
    def _identifier_variants(scheme: str, value: str) -> list[str]:
        variants = [f"{scheme}:{value}"]
        if scheme == "vat":
            bare = vat_without_prefix(value)
            if bare != value:
                variants.append(f"vat:{bare}")
        return variants

    @staticmethod
    def _name_keys(nn: NormalisedName) -> tuple[list[str], list[str]]:
        """Blocking keys of one name: its tokens (they make the name's weight) and the other keys (fold and
        skeleton keys, joined syllables, the acronym)."""
        tokens = nn.tokens
        core = list(dict.fromkeys(tokens))
        extra: dict[str, None] = {}
        for token in core:
            extra[_FOLD + fold_key(token)] = None
            skel = skeleton_key(token)
            if len(skel) >= 2:
                extra[_SKELETON + skel] = None
        if nn.syllabic:  # runs of 2-4 syllables, as other scripts write them ("bei jing" -> "beijing")
            for size in _SYLLABLE_RUNS:
                for i in range(len(tokens) - size + 1):
                    joined = "".join(tokens[i : i + size])
                    extra[joined] = None
                    extra[_FOLD + fold_key(joined)] = None
        if nn.latin:
            acr = acronym(tokens)
            if acr:
                extra[_ACRONYM + acr] = None
        for token in core:
            extra.pop(token, None)
        return core, list(extra)

    # ------------------------------------------------------------------------------------- stats

    def stats(self) -> IndexStats:
        arrays = [
            self._entry_list,
            self._name_entry,
            self._name_pos,
            self._name_flags,
            self._name_legal,
            self._key_offsets,
            self._key_weight,
            self._name_weight,
            self._id_hash,
            self._id_entry,
        ]
        return IndexStats(
            lists=len(self._lists),
            entries=len(self._entries),
            names=len(self._name_entry),
            vocabulary=len(self._vocab),
            postings=len(self._postings.ids),
            identifiers=len(self._id_hash),
            controlled_entries=len(self._control),
            array_bytes=sum(a.nbytes for a in arrays if a is not None)
            + self._postings.nbytes
            + self._trigrams.nbytes
            + len(self._key_buffer),
            build_seconds=self._build_seconds,
        )

    # ----------------------------------------------------------------------------------- helpers

    def _name_weights(self, nn: NormalisedName) -> list[float]:
        """Token weights; a syllable of a CJK name weighs no more than its share of the weight of the most common
        run of 2-4 syllables it is part of, so that the syllables of a common word ("cai liao", "yan jiu suo")
        together weigh about what the word weighs, not two or three times that."""
        toks = nn.tokens
        out = [self._weight_of(t) for t in toks]
        if not nn.syllabic or len(toks) < 2:
            return out
        for size in _SYLLABLE_RUNS:
            for i in range(len(toks) - size + 1):
                kid = self._vocab.get("".join(toks[i : i + size]))
                if kid is None:
                    continue
                share = self._weights[kid] / size
                for k in range(i, i + size):
                    if share < out[k]:
                        out[k] = share
        return out

    def _weight_of(self, token: str) -> float:
        kid = self._vocab.get(token)
        return self._weights[kid] if kid is not None else self._max_weight

    def _name(self, nid: int) -> NormalisedName:
        return self._names(np.array([nid], dtype=np.int32))[0][0]

    def _names(self, ids: np.ndarray) -> list[tuple[NormalisedName, int, bool]]:
        """`_name` for many names at once, with each one's entry index and whether it is a weak alias."""
        if len(ids) == 0:
            return []
        starts = self._key_offsets[ids].tolist()
        ends = self._key_offsets[ids + 1].tolist()
        flags = self._name_flags[ids].tolist()
        entries = self._name_entry[ids].tolist()
        positions = self._name_pos[ids].tolist()
        legal = self._name_legal[ids].tolist()
        buffer = self._key_buffer
        legal_sets = self._legal_sets
        all_entries = self._entries
        out = []
        for start, end, flag, eidx, pos, lid in zip(starts, ends, flags, entries, positions, legal, strict=True):
            entry = all_entries[eidx]
            names = entry.names
            original = names[pos] if pos < len(names) else entry.weak_aliases[pos - len(names)]
            name = NormalisedName(
                original,
                tuple(buffer[start : end - 1].split(" ")),
                legal_sets[lid],
                bool(flag & _FLAG_SYLLABIC),
                bool(flag & _FLAG_ABJAD),
                bool(flag & _FLAG_HAN),
            )
            out.append((name, eidx, bool(flag & _FLAG_WEAK)))
        return out

    def _fuzzy_tokens(self, token: str) -> list[tuple[int, float]]:
        """Index tokens similar to `token` (typos, other transliterations), best first; cached per token (the same
        names recur across queries: an applicant, its partners' names in many proposals)."""
        settings = self.settings
        key = (token, settings.fuzzy_neighbours, settings.fuzzy_min_similarity)
        found = self._fuzzy_cache.get(key)
        if found is None:
            found = self._find_fuzzy_tokens(token)
            if len(self._fuzzy_cache) >= _FUZZY_CACHE:
                self._fuzzy_cache.clear()
            self._fuzzy_cache[key] = found
        return found

    def _find_fuzzy_tokens(self, token: str) -> list[tuple[int, float]]:
        trigrams = self._trigrams
        grams = [self._tri_vocab[g] for g in set(_trigrams(token)) if g in self._tri_vocab]
        if not grams:
            return []
        # the rarest trigrams only (a word with a typo or two keeps most of them): bounded work per token
        grams.sort(key=lambda g: (trigrams.df(g), g))
        grams = [g for g in grams[:_FUZZY_TRIGRAMS] if trigrams.df(g) <= _TRIGRAM_MAX_DF] or grams[:2]
        uniq, counts = _unique_counts([trigrams.get(g) for g in grams])
        need = max(1, math.ceil(len(grams) * 0.35))
        keep = counts >= need
        uniq, counts = uniq[keep], counts[keep]
        if len(uniq) == 0:
            return []
        if len(uniq) > 256:
            top = np.lexsort((uniq, -counts))[:256]
            uniq = uniq[top]
        vocab_list = self._vocab_list
        choices = [vocab_list[t] for t in uniq.tolist()]
        cutoff = self.settings.fuzzy_min_similarity * 100.0
        found = process.extract(
            token, choices, scorer=fuzz.ratio, limit=self.settings.fuzzy_neighbours + 1, score_cutoff=cutoff
        )
        out = []
        for choice, score, idx in sorted(found, key=lambda x: (-x[1], x[0])):
            if choice == token:
                continue
            out.append((int(uniq[idx]), score / 100.0))
        return out[: self.settings.fuzzy_neighbours]

    def _fold_variants(self, token: str, covered: float) -> list[tuple[int, float]]:
        """The index key of the names with a word of the same fold key as `token` (another romanisation)."""
        fid = self._vocab.get(_FOLD + fold_key(token))
        return [] if fid is None else [(fid, max(covered, self._weights[fid]) * _FOLD_WEIGHT)]

    def _term_postings(self, kid: int) -> np.ndarray | None:
        if self._postings.df(kid) > self.settings.max_postings:
            return None
        return self._postings.get(kid)

    def _accumulate(
        self, terms: list[tuple[list[tuple[int, float]], bool]], exclude_syllabic: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Candidate names and, per name, the sum over the query terms (a query token and its variants: exact,
        fuzzy neighbours, fold and skeleton keys) of the weight of the best variant it carries.

        The candidates are the names carrying any variant (up to `max_postings` names) of a distinctive term (a
        token unknown to the index or carried by at most `blocking_rare_df` names, a joined word, an acronym),
        or a rare variant of another; the other variants only add to their scores (membership tests in sorted
        postings), so a query's generic words cost little however many names carry them. With no such variant,
        the candidates are the names carrying the rarest one. Returns the candidates, their sums over all terms
        and over the distinctive terms."""
        settings = self.settings
        postings = self._postings
        rare: list[np.ndarray] = []
        usable: list[tuple[int, int]] = []  # (df, key id) of variants that may add weight
        for variants, distinctive in terms:
            for kid, _ in variants:
                df = postings.df(kid)
                if df == 0 or df > settings.max_postings:
                    continue
                usable.append((df, kid))
                if distinctive or df <= settings.blocking_rare_df:
                    rare.append(postings.get(kid))
        if not usable:
            return None
        if rare:
            pool = np.concatenate(rare) if len(rare) > 1 else rare[0]
            if len(pool) > _DENSE_ACCUMULATION:
                seen = np.zeros(self._n_names, dtype=bool)
                seen[pool] = True
                candidates = np.flatnonzero(seen).astype(np.int32)
            else:
                candidates = _unique_counts(rare)[0]
        else:
            candidates = postings.get(min(usable)[1])
        if exclude_syllabic and len(candidates):
            candidates = candidates[(self._name_flags[candidates] & _FLAG_SYLLABIC) == 0]
        if len(candidates) == 0:
            return None
        n = len(candidates)
        acc = np.zeros(n, dtype=np.float64)
        acc_distinctive = np.zeros(n, dtype=np.float64)
        for variants, distinctive in terms:
            best: np.ndarray | None = None
            for kid, w in variants:
                df = postings.df(kid)
                if df == 0 or df > settings.max_postings or w <= 0.0:
                    continue
                posting = postings.get(kid)
                # positions of the candidates carrying the key: the posting looked up in the candidates, or the
                # candidates in the posting, whichever is shorter
                if df < n:
                    at = np.searchsorted(candidates, posting)
                    inside = at < n
                    at = at[inside]
                    at = at[candidates[at] == posting[inside]]
                else:
                    at = np.searchsorted(posting, candidates)
                    at[at == df] = df - 1
                    at = np.flatnonzero(posting[at] == candidates)
                if best is None:
                    best = np.zeros(n, dtype=np.float64)
                    best[at] = w
                else:
                    best[at] = np.maximum(best[at], w)
            if best is not None:
                acc += best
                if distinctive:
                    acc_distinctive += best
        keep = acc > 0
        return candidates[keep], acc[keep], acc_distinctive[keep]

    def _block(self, qnames: list[NormalisedName]) -> np.ndarray:
        """Candidate name ids for the query names, best blocking score first (at most candidate_limit)."""
        settings = self.settings
        weights = self._weights
        all_ids: list[np.ndarray] = []
        all_scores: list[np.ndarray] = []
        all_approx: list[np.ndarray] = []
        for qn in qnames:
            terms: list[tuple[list[tuple[int, float]], bool]] = []  # (variants, distinctive)
            runs: list[tuple[list[tuple[int, float]], bool]] = []  # syllable runs of a syllabic query vs words
            seeds: list[tuple[int, float]] = []
            frequent: list[tuple[int, int]] = []  # (df, key id) of tokens too frequent to block on
            q_weight = 0.0
            q_distinctive = 0.0
            token_weight: list[float] = []
            syllable_weights = self._name_weights(qn) if qn.syllabic else None
            for position, token in enumerate(qn.tokens):
                kid = self._vocab.get(token)
                w = weights[kid] if kid is not None else self._max_weight
                if syllable_weights is not None:
                    w = syllable_weights[position]
                variants: list[tuple[int, float]] = []
                if kid is not None:
                    df = self._postings.df(kid)
                    if df > settings.max_postings:
                        frequent.append((df, kid))
                    else:
                        variants.append((kid, w))
                    fuzzy = len(token) >= 4 and df <= settings.fuzzy_max_df
                else:
                    df = 0
                    fuzzy = len(token) >= 4
                if fuzzy:
                    for nid, sim in self._fuzzy_tokens(token):
                        variants.append((nid, weights[nid] * sim))
                        if kid is None:
                            w = min(w, weights[nid])
                if syllable_weights is None and (kid is None or df <= settings.blocking_rare_df):
                    # other spellings of a distinctive word ("tsentr" / "centr"); not for syllables: their runs
                    # find other scripts
                    variants.extend(self._fold_variants(token, 1.0))
                    skel = skeleton_key(token)
                    skid = self._vocab.get(_SKELETON + skel) if len(skel) >= 2 else None
                    if skid is not None:
                        variants.append((skid, weights[skid] * _SKELETON_WEIGHT))
                if syllable_weights is not None:  # a syllable counts what it weighs in this name, however found
                    variants = [(vid, min(vw, w)) for vid, vw in variants]
                q_weight += w
                token_weight.append(w)
                distinctive = syllable_weights is None and (kid is None or df <= settings.blocking_rare_df)
                terms.append((variants, distinctive))
                if distinctive:
                    q_distinctive += w
            toks = qn.tokens
            if qn.syllabic:
                # syllables of a name in a script without word spaces vs words of a name in another script:
                # a run of syllables that is (nearly) a word counts what its syllables weigh
                for size in _SYLLABLE_RUNS:
                    for i in range(len(toks) - size + 1):
                        joined = "".join(toks[i : i + size])
                        covered = sum(token_weight[i : i + size])
                        run: list[tuple[int, float]] = []
                        kid = self._vocab.get(joined)
                        if kid is not None:  # a rare joined word counts its own rarity
                            run.append((kid, max(covered, weights[kid]) * _CONCAT_WEIGHT))
                            # and makes names in the same script candidates (their syllables score them)
                            seeds.append((kid, _SEED_WEIGHT))
                        # other romanisations of the run: its fold key (no fuzzy look-up: too many runs)
                        run.extend(self._fold_variants(joined, covered))
                        if run:
                            # distinctive (its keys make candidates) unless it is a common word ("daxue")
                            common = kid is not None and self._postings.df(kid) > settings.blocking_rare_df
                            runs.append((run, not common))
            else:
                for i in range(len(toks) - 1):  # words split on the query side ("gaz prom")
                    kid = self._vocab.get(toks[i] + toks[i + 1])
                    if kid is not None:
                        terms.append(([(kid, weights[kid] * _CONCAT_WEIGHT)], True))
            if len(toks) == 1 and 2 <= len(toks[0]) <= 8:
                kid = self._vocab.get(_ACRONYM + toks[0])
                if kid is not None:
                    terms.append(([(kid, weights[kid])], True))
            acr = acronym(toks) if qn.latin else None
            if acr:
                kid = self._vocab.get(acr)
                if kid is not None:
                    terms.append(([(kid, weights[kid])], True))
            for _, kid in frequent:
                q_weight += weights[kid]
            if seeds:  # rare runs only: a common word ("daxue") makes no candidates
                terms.append((seeds, False))
            results = [
                (*found, is_runs)
                for found, is_runs in ((self._accumulate(terms), False), (self._accumulate(runs, True), True))
                if found is not None
            ]
            if not results and frequent:
                # nothing but frequent words: names carrying the two rarest of them
                frequent.sort()
                pool = self._postings.get(frequent[0][1])
                for _, kid in frequent[1:2]:
                    pool = np.intersect1d(pool, self._postings.get(kid), assume_unique=True)
                pool = pool[: settings.max_postings]
                acc = np.full(len(pool), weights[frequent[0][1]], dtype=np.float64)
                results.append((pool, acc, acc, False))
            for uniq, acc, acc_distinctive, is_runs in results:
                # blocking score: mostly the share of the query's weight the name carries (of its distinctive
                # words, when it has any: generic words hardly tell names apart), a little the weighted Dice (so
                # that among names carrying it all, the ones without much else come first). The syllable runs of
                # a CJK query count in full.
                if q_distinctive > 0 and not is_runs:
                    coverage = np.minimum(acc_distinctive / q_distinctive, 1.0)
                else:
                    coverage = np.minimum(acc / (q_weight + 1e-9), 1.0)
                total = q_weight + self._name_weight[uniq] + 1e-9
                dice = 2.0 * acc / total
                all_ids.append(uniq)
                all_scores.append(0.7 * coverage + 0.3 * dice)
                # estimate of the token alignment score, were every blocking hit an exact match
                penalty = settings.unmatched_token_penalty
                all_approx.append(np.clip((2.0 * acc - penalty * (total - 2.0 * acc)) / total, 0.0, 1.0))
        if not all_ids:
            return np.empty(0, dtype=np.int32)
        ids = np.concatenate(all_ids)
        scores = np.concatenate(all_scores)
        approx = np.concatenate(all_approx)
        limit = settings.candidate_limit
        if len(all_ids) > 1:  # a name found through several query names: its best score
            order = np.lexsort((-scores, ids))
            ids, scores, approx = ids[order], scores[order], approx[order]
            first = np.ones(len(ids), dtype=bool)
            first[1:] = ids[1:] != ids[:-1]
            ids, scores, approx = ids[first], scores[first], approx[first]
        if len(ids) > limit:  # the best `limit` (all of those tied with the last one, so the cut is deterministic)
            kth = np.partition(-scores, limit - 1)[limit - 1]
            keep = -scores <= kth
            ids, scores, approx = ids[keep], scores[keep], approx[keep]
        order = np.lexsort((ids, -scores))
        ids, approx = ids[order][:limit], approx[order][:limit]
        # beyond the first few, names whose estimate is hopeless are not scored (measured on the benchmark data:
        # about 70 % fewer comparisons, no change in recall)
        keep = approx >= settings.candidate_min_estimate
        keep[: settings.candidate_always_scored] = True
        return ids[keep]

    def _identifier_hits(self, qids: dict[str, str]) -> dict[int, list[str]]:
        hits: dict[int, list[str]] = {}
        for scheme, value in qids.items():
            for variant in self._identifier_variants(scheme, value):
                h = _stable_hash(variant)
                lo = int(np.searchsorted(self._id_hash, h, side="left"))
                hi = int(np.searchsorted(self._id_hash, h, side="right"))
                for k in range(lo, hi):
                    eidx = int(self._id_entry[k])
                    theirs = normalise_identifier(scheme, self._entries[eidx].identifiers.get(scheme))
                    if theirs is None:
                        continue
                    if theirs == value or (scheme == "vat" and vat_without_prefix(theirs) == vat_without_prefix(value)):
                        schemes = hits.setdefault(eidx, [])
                        if scheme not in schemes:
                            schemes.append(scheme)
        return hits

    # -------------------------------------------------------------------------------------- match

    def match(self, query: OrganisationQuery) -> MatchResult:
        settings = self.settings
        qnames = normalise_names([query.name, *query.aliases])
        qids = normalise_identifiers(query.identifiers)
        scorer = NameScorer(self._weight_of, settings, self._name_weights, self._n_names)
        id_hits = self._identifier_hits(qids) if qids else {}
        best: dict[int, tuple[float, NameComparison, int]] = {}  # entry -> (name score, comparison, name id)
        if qnames:
            ids = self._block(qnames)
            candidates = self._names(ids)
            names = [cand for cand, _, _ in candidates]
            # pairs whose token alignment cannot reach the threshold (an upper bound computed for all candidates
            # at once) are not compared: `compare` would stop early for them and they are never returned. Not
            # skipped: entries found by an identifier (their best name is explained) and acronym pairs.
            weight = settings.name_token_weight
            reach = [
                (weight * scorer.token_bounds(qn, names) + (1.0 - weight) >= settings.threshold - 1e-9).tolist()
                if settings.prune_by_bound and len(names) >= _PRUNE_MIN_CANDIDATES
                else [True] * len(names)
                for qn in qnames
            ]
            for k, (nid, (cand, eidx, weak)) in enumerate(zip(ids.tolist(), candidates, strict=True)):
                for qi, qn in enumerate(qnames):
                    if (
                        not reach[qi][k]
                        and eidx not in id_hits
                        and self._acronym_score(qn, cand, 0.0) < settings.threshold
                    ):
                        continue
                    comparison = scorer.compare(qn, cand)
                    score = self._acronym_score(qn, cand, comparison.score)
                    if weak:
                        score = min(score, settings.weak_alias_max_score)
                    # the entry's best name is the best after the legal-form qualifier (an alias "Co., Ltd." must
                    # not hide a conflicting legal form of a name that scores the same)
                    rank = score - self._legal_penalty(qn, cand)
                    current = best.get(eidx)
                    if current is None or rank > current[0] - self._legal_penalty(
                        current[1].query, current[1].candidate
                    ):
                        best[eidx] = (score, comparison, nid)
        for eidx in id_hits:
            if eidx not in best and qnames:
                for cand in normalise_names(self._entries[eidx].names):
                    for qn in qnames:
                        comparison = scorer.compare(qn, cand)
                        current = best.get(eidx)
                        if current is None or comparison.score > current[0]:
                            best[eidx] = (comparison.score, comparison, -1)
        kept: list[tuple[float, bool, str, str, int, list[tuple[str, float, str]]]] = []
        for eidx in set(best) | set(id_hits):
            name_best = best.get(eidx)
            id_schemes = id_hits.get(eidx, [])
            name_score = name_best[0] if name_best is not None else 0.0
            id_score = max((settings.identifier_scores.get(s, 0.85) for s in id_schemes), default=0.0)
            if max(name_score, id_score) < settings.threshold:
                continue  # qualifiers only ever lower a score
            qualifiers = self._qualifiers(query, qids, eidx, name_best[1] if name_best else None, id_schemes)
            score = max(name_score, id_score) + sum(q[1] for q in qualifiers)
            score = round(min(max(score, 0.0), 1.0), 4)
            if score < settings.threshold:
                continue
            entry = self._entries[eidx]
            list_key = self._lists[int(self._entry_list[eidx])].list_key
            # best first; at equal scores an identifier match first, then by list key and entry id
            kept.append((-score, not id_schemes, list_key, entry.entry_id, eidx, qualifiers))
        kept.sort(key=lambda x: x[:4])
        candidates = tuple(
            self._candidate(query, qids, eidx, -neg_score, best.get(eidx), id_hits.get(eidx, []), qualifiers)
            for neg_score, _, _, _, eidx, qualifiers in kept[: settings.max_results]
        )
        return MatchResult(query=query, candidates=candidates)

    def _legal_penalty(self, q: NormalisedName, c: NormalisedName) -> float:
        if q.legal_forms and c.legal_forms and not (q.legal_forms & c.legal_forms):
            return self.settings.legal_form_mismatch_penalty
        return 0.0

    def _acronym_score(self, q: NormalisedName, c: NormalisedName, score: float) -> float:
        """'VIPT' vs 'Valdoria Institute of Physics and Technology' (either side), scaled by ambiguity."""
        if len(q.tokens) == 1:
            short, full = q, c
        elif len(c.tokens) == 1:
            short, full = c, q
        else:
            return score
        if not full.latin or len(full.tokens) < 3:
            return score
        acr = acronym(full.tokens)
        if acr is None or acr != short.tokens[0]:
            return score
        kid = self._vocab.get(_ACRONYM + acr)
        sharing = self._postings.df(kid) if kid is not None else 1
        value = self.settings.acronym_score - self.settings.acronym_ambiguity_penalty * math.log2(max(sharing, 1))
        return max(score, value)

    def _qualifiers(
        self,
        query: OrganisationQuery,
        qids: dict[str, str],
        eidx: int,
        comparison: NameComparison | None,
        id_schemes: list[str],
    ) -> list[tuple[str, float, str]]:
        """Negative evidence: (feature, amount <= 0, detail)."""
        settings = self.settings
        entry = self._entries[eidx]
        out: list[tuple[str, float, str]] = []
        if qids and not id_schemes:
            theirs = normalise_identifiers(entry.identifiers)
            for scheme, value in qids.items():
                other = theirs.get(scheme)
                if other is None or other == value:
                    continue
                if scheme == "vat" and vat_without_prefix(other) == vat_without_prefix(value):
                    continue
                amount = settings.identifier_mismatch_penalties.get(scheme, 0.1)
                detail = f"query {value}, entry {other}: a different {scheme.upper()}"
                out.append((f"identifier.{scheme}.mismatch", -amount, detail))
        if comparison is not None and not id_schemes:
            ql, cl = comparison.query.legal_forms, comparison.candidate.legal_forms
            if ql and cl and not (ql & cl):
                amount = settings.legal_form_mismatch_penalty
                detail = f"query {'/'.join(sorted(ql))}, entry {'/'.join(sorted(cl))}"
                out.append(("legal_form.mismatch", -amount, detail))
        if query.countries and entry.countries:
            qc = {c.upper() for c in query.countries if c}
            ec = {c.upper() for c in entry.countries if c}
            if qc and ec and not (qc & ec):
                amount = settings.country_mismatch_penalty
                detail = f"query {', '.join(sorted(qc))}, entry {', '.join(sorted(ec))}"
                out.append(("country.mismatch", -amount, detail))
        return out

    def _candidate(
        self,
        query: OrganisationQuery,
        qids: dict[str, str],
        eidx: int,
        score: float,
        name_best: tuple[float, NameComparison, int] | None,
        id_schemes: list[str],
        qualifiers: list[tuple[str, float, str]],
    ) -> MatchCandidate:
        settings = self.settings
        entry = self._entries[eidx]
        data = self._lists[int(self._entry_list[eidx])]
        features: list[FeatureScore] = []
        comparison = None
        if name_best is not None:
            name_score, comparison, _ = name_best
            features.extend(self._name_features(comparison, name_score))
        for scheme in id_schemes:
            value = settings.identifier_scores.get(scheme, 0.85)
            features.append(FeatureScore(feature=f"identifier.{scheme}", score=value, detail=f"{qids[scheme]} on both"))
        features.extend(FeatureScore(feature=f, score=round(a, 4), detail=d) for f, a, d in qualifiers)
        chain: tuple = ()
        controller: str | None = None
        control = self._control.get(eidx)
        if control is not None:
            chain, controller = control
            path = " -> ".join([chain[0].controller_name, *(link.controlled_name for link in chain)])
            features.append(
                FeatureScore(
                    feature="control.listed_controller",
                    score=0.0,
                    detail=f"not listed itself; controlled by listed {controller} ({len(chain)} links: {path})",
                )
            )
        return MatchCandidate(
            query_ref=query.ref,
            list_key=data.list_key,
            list_version=data.version_label,
            list_kind=data.kind,
            entry_id=entry.entry_id,
            entry_caption=entry.names[0],
            matched_name=comparison.candidate.original if comparison is not None else entry.names[0],
            query_name=comparison.query.original if comparison is not None else query.name,
            score=score,
            features=tuple(features),
            identifier_match=bool(id_schemes),
            topics=entry.topics,
            control_chain=chain,
            listed_controller_id=controller,
        )

    def _name_features(self, comparison: NameComparison, score: float) -> list[FeatureScore]:
        q, c = comparison.query, comparison.candidate
        shown = f"'{q.key}' vs '{c.key}'"
        if comparison.exact:
            return [FeatureScore(feature="name.exact", score=1.0, detail=f"same normalised name {shown}")]
        out = []
        if score > comparison.score:
            out.append(FeatureScore(feature="name.acronym", score=round(score, 4), detail=f"acronym {shown}"))
        aligned = ", ".join(f"{a}~{b} {s:.2f}" for a, b, s in comparison.pairs) or "none"
        out.append(
            FeatureScore(
                feature="name.tokens",
                score=round(comparison.tokens, 4),
                detail=f"weighted token alignment {shown}: {aligned}",
            )
        )
        out.append(
            FeatureScore(feature="name.fuzzy", score=round(comparison.fuzzy, 4), detail=f"token_sort_ratio {shown}")
        )
        if score < comparison.score:
            out.append(FeatureScore(feature="name.weak_alias", score=round(score, 4), detail="capped: weak alias"))
        return out
