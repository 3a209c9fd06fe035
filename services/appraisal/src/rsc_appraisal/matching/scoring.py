"""Name comparison: IDF-weighted token alignment plus a character-level fuzzy score (rapidfuzz)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq, Levenshtein

from rsc_appraisal.matching.normalise import (
    NormalisedName,
    fold,
    merge_consonants,
    skeleton,
    skeleton_wy,
)
from rsc_appraisal.matching.settings import MatcherSettings

__all__ = ["NameComparison", "NameScorer"]

PREFIX_SIMILARITY = 0.9  # "univ" ~ "university", "inst" ~ "institut": abbreviation by truncation
SKELETON_FACTOR = 0.95  # consonant skeletons are lossy: a little less than the same letters
CONTRACTION_SIMILARITY = 0.85  # "depto" ~ "departamento", "techs" ~ "technologies"
FOLD_FACTOR = 0.95  # transliteration-variant fold ("tsentr" ~ "centr"): nearly the same word
SHORT_NAME = 6  # one-word names up to this length are compared for equality only (acronyms, short brands)
CONCAT_GATE = 80.0  # try joined words only when the names without spaces are this similar (0-100)


class NameComparison(NamedTuple):
    score: float
    tokens: float  # weighted token alignment, 0..1
    fuzzy: float  # character similarity, 0..1
    exact: bool
    pairs: tuple[tuple[str, str, float], ...]  # aligned (query token, candidate token, similarity)
    query: NormalisedName
    candidate: NormalisedName


class NameScorer:
    """Compares normalised names for one query; caches token weights and similarities across candidates."""

    def __init__(
        self,
        weight: Callable[[str], float],
        settings: MatcherSettings,
        name_weights: Callable[[NormalisedName], list[float]] | None = None,
        names: int = 0,
    ) -> None:
        self._weight_fn = weight
        self._name_weights_fn = name_weights
        self._weights: dict[str, float] = {}
        self._name_weights: dict[tuple[str, ...], list[float]] = {}
        self._min_sim = settings.token_min_similarity
        self._floor = settings.threshold  # below it a comparison need not be exact (never returned)
        # a word is common enough to be abbreviated when carried by at least 20 names (fewer in a small index)
        self._common_weight = math.log1p(names / max(1.0, min(20.0, names / 2000.0))) + 1e-4 if names else math.inf
        self._token_weight = settings.name_token_weight
        self._unmatched_penalty = settings.unmatched_token_penalty
        self._sim: dict[tuple[str, str], float] = {}
        self._sim_abjad: dict[tuple[str, str], float] = {}

    def weight(self, token: str) -> float:
        w = self._weights.get(token)
        if w is None:
            w = self._weights[token] = self._weight_fn(token)
        return w

    def name_weights(self, name: NormalisedName) -> list[float]:
        if not name.syllabic or self._name_weights_fn is None:
            return [self.weight(t) for t in name.tokens]
        cached = self._name_weights.get(name.tokens)
        if cached is None:
            cached = self._name_weights[name.tokens] = self._name_weights_fn(name)
        return list(cached)

    # ---------------------------------------------------------------------------------- tokens

    def token_similarity(self, a: str, b: str, abjad: bool = False, syllabic: bool = False) -> float:
        """1 for equal tokens; 0.9 / 0.85 for a truncation / contraction ("univ", "depto"); else rapidfuzz ratio
        (or of the transliteration fold / consonant skeletons) if at least `token_min_similarity`, and within one
        edit for tokens of five letters or fewer. A syllable of a CJK name ("qiang", "le") is a different word
        unless equal: those are compared joined (see `_concatenations`)."""
        if a == b:
            return 1.0
        cache = self._sim_abjad if abjad else self._sim
        sim = cache.get((a, b))
        if sim is not None:
            return sim
        short, long_ = (a, b) if len(a) <= len(b) else (b, a)
        if syllabic:
            return 0.0
        if (
            len(short) >= 3
            and len(long_) >= len(short) + 2
            and short.isalpha()
            and long_.startswith(short[:2])
            and self.weight(long_) <= self._common_weight
        ):
            # abbreviations shorten common words ("univ", "inst"); a rare word that starts like another one is
            # another name ("gaotao" / "gaotaoshun")
            sim = PREFIX_SIMILARITY if long_.startswith(short) else _contraction(short, long_)
        else:
            sim = 0.0
        if sim == 0.0:
            sim = self._similar(a, b)
            fa, fb = fold(a), fold(b)
            if fa != a or fb != b:
                sim = max(sim, FOLD_FACTOR * self._similar(fa, fb))
            if abjad:
                for skel in (skeleton, skeleton_wy):
                    sa, sb = skel(a), skel(b)
                    if len(sa) >= 3 and len(sb) >= 3:
                        sim = max(sim, SKELETON_FACTOR * self._similar(sa, sb))
        cache[(a, b)] = sim
        return sim

    def _similar(self, a: str, b: str) -> float:
        """rapidfuzz ratio if at least the minimum similarity and within 1 edit (words up to 5 letters), 2 (up to
        10) or 3 (longer): 'taqniya' / 'wataniya' are different words, 'moskovskiy' / 'moskovsky' are not."""
        if a == b:
            return 1.0
        sim = fuzz.ratio(a, b) / 100.0
        if sim < self._min_sim:
            return 0.0
        shorter = min(len(a), len(b))
        allowed = 1 if shorter <= 5 else 2 if shorter <= 10 else 3
        if Levenshtein.distance(a, b, score_cutoff=allowed + 1) > allowed:
            return 0.0
        return sim

    # ------------------------------------------------------------------------------------- bounds

    def token_bounds(self, q: NormalisedName, candidates: Sequence[NormalisedName]) -> np.ndarray:
        """An upper bound of `compare(q, c).tokens` for every candidate, computed for all of them at once (a few
        rapidfuzz `cdist` calls and numpy): a word can only be aligned with a word of the other name that is
        equal, at least `token_min_similarity` similar as written, after the transliteration fold or (Arabic
        script vs Latin) as consonant skeletons, or that it abbreviates (same first two letters, 2+ letters
        shorter). With every such word aligned at similarity 1 and the others unmatched, the alignment score is
        ``(A - penalty x B) / (A + B)`` (A: weight of the words that may align, B: of the others), which no actual
        alignment exceeds. Pairs the bound does not cover get 1.0: names in scripts without word spaces (their
        syllables are aligned joined) and pairs whose words may be written together on one side."""
        n = len(candidates)
        out = np.ones(n, dtype=np.float64)
        if q.syllabic or n == 0 or not q.tokens:
            return out
        qt = q.tokens
        q_joined = "".join(qt)
        rows: list[int] = []
        for k, c in enumerate(candidates):
            if not c.syllabic and c.tokens != qt:
                rows.append(k)
        if not rows:
            return out
        # words written together on one side ("gazprom" / "gaz prom"): `compare` aligns those first; not bounded
        uneven = [k for k in rows if len(candidates[k].tokens) != len(qt)]
        if uneven:
            joined = process.cdist(
                [q_joined],
                ["".join(candidates[k].tokens) for k in uneven],
                scorer=fuzz.ratio,
                score_cutoff=CONCAT_GATE - 1e-6,
                dtype=np.float32,
            )[0]
            gated = {k for k, value in zip(uneven, joined.tolist(), strict=True) if value > 0}
            if gated:
                rows = [k for k in rows if k not in gated]
                if not rows:
                    return out
        vocab: dict[str, int] = {}
        flat: list[int] = []
        starts: list[int] = []
        abjad_rows: list[bool] = []
        for k in rows:
            c = candidates[k]
            starts.append(len(flat))
            flat.extend(vocab.setdefault(t, len(vocab)) for t in c.tokens)
            abjad_rows.append(c.abjad != q.abjad)
        ct = list(vocab)
        cutoff = self._min_sim * 100.0 - 1e-6
        possible = process.cdist(qt, ct, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float32) > 0
        folded_q = [fold(t) for t in qt]
        folded_c = [fold(t) for t in ct]
        possible |= process.cdist(folded_q, folded_c, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float32) > 0
        # abbreviation by truncation or contraction: same first two letters, the shorter one 3+ letters, all
        # letters, and 2+ letters shorter
        len_q = np.array([len(t) for t in qt])[:, None]
        len_c = np.array([len(t) for t in ct])[None, :]
        heads: dict[str, int] = {}
        head_q = np.array([heads.setdefault(t[:2], len(heads)) for t in qt])[:, None]
        head_c = np.array([heads.setdefault(t[:2], len(heads)) for t in ct])[None, :]
        alpha_q = np.array([t.isalpha() for t in qt])[:, None]
        alpha_c = np.array([t.isalpha() for t in ct])[None, :]
        q_shorter = len_q <= len_c
        short_len = np.minimum(len_q, len_c)
        possible |= (
            (head_q == head_c)
            & (short_len >= 3)
            & (np.maximum(len_q, len_c) >= short_len + 2)
            & np.where(q_shorter, alpha_q, alpha_c)
        )
        flat_arr = np.array(flat, dtype=np.int64)
        by_token = possible[:, flat_arr]  # (query words, candidate words in candidate order)
        if any(abjad_rows):  # Arabic script vs Latin: consonant skeletons too
            vowelless = possible.copy()
            for skel in (skeleton, skeleton_wy):
                sq = [skel(t) for t in qt]
                sc = [skel(t) for t in ct]
                long_q = np.array([len(t) >= 3 for t in sq])[:, None]
                long_c = np.array([len(t) >= 3 for t in sc])[None, :]
                similar = process.cdist(sq, sc, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float32) > 0
                vowelless |= similar & long_q & long_c
            sizes = np.diff(np.array([*starts, len(flat)]))
            per_word = np.repeat(np.array(abjad_rows), sizes)
            by_token = np.where(per_word[None, :], vowelless[:, flat_arr], by_token)
        start_arr = np.array(starts, dtype=np.int64)
        w_q = np.array(self.name_weights(q), dtype=np.float64)
        w_c = np.array([self.weight(t) for t in ct], dtype=np.float64)[flat_arr]
        # A: weight of the words that may align (query words, per candidate; candidate words); B: the others
        q_may = np.logical_or.reduceat(by_token, start_arr, axis=1)  # (query words, candidates)
        a = w_q @ q_may + np.add.reduceat(w_c * by_token.any(axis=0), start_arr)
        total = w_q.sum() + np.add.reduceat(w_c, start_arr)
        b = total - a
        with np.errstate(invalid="ignore", divide="ignore"):
            bound = np.where(total > 0, np.maximum(a - self._unmatched_penalty * b, 0.0) / total, 0.0)
        out[np.array(rows)] = np.minimum(bound + 1e-9, 1.0)
        return out

    # ------------------------------------------------------------------------------------- names

    def compare(self, q: NormalisedName, c: NormalisedName) -> NameComparison:
        qt, ct = q.tokens, c.tokens
        if qt == ct:
            pairs = tuple((t, t, 1.0) for t in qt)
            return NameComparison(1.0, 1.0, 1.0, True, pairs, q, c)
        if _short_single(q) or _short_single(c):
            # "SMSBU" vs "SMSU": a name of one short word (usually an acronym) is that word or not; the other
            # side may write it in syllables ("フプ" fu pu ~ "Fupu")
            short, other = (q, c) if _short_single(q) else (c, q)
            joined = "".join(other.tokens)
            word = short.tokens[0]
            if other.syllabic and joined == word:
                pairs = ((" ".join(other.tokens), word, 1.0),)
                return NameComparison(1.0, 1.0, 1.0, False, pairs, q, c)
            return NameComparison(0.0, 0.0, 0.0, False, (), q, c)
        # vowel-blind comparison only between a name in Arabic/Hebrew script and a romanised one: two names in
        # the script itself are transliterated alike and compare letter for letter
        abjad = q.abjad != c.abjad
        syllabic = q.syllabic or c.syllabic
        wq = self.name_weights(q)
        wc = self.name_weights(c)
        used_q: set[int] = set()
        used_c: set[int] = set()
        pairs: list[tuple[str, str, float]] = []
        matched = 0.0
        # words written together on one side and apart on the other ("gazprom" / "gaz prom", pinyin syllables):
        # first, so that a syllable does not pass for a prefix abbreviation of the word
        if (
            len(qt) != len(ct)
            and not (q.syllabic and c.syllabic)
            and (q.syllabic or c.syllabic or fuzz.ratio("".join(qt), "".join(ct), score_cutoff=CONCAT_GATE))
        ):
            # pinyin is standard: Han syllables joined must equal the word; kana and Hangul romanisations vary
            exact = (q.han and not c.syllabic) or (c.han and not q.syllabic)
            matched += _concatenations(qt, ct, wq, wc, used_q, used_c, pairs, exact)
        if q.syllabic and c.syllabic:
            # two CJK names: syllables align in order (longest common subsequence), as characters do
            matched += _ordered_alignment(qt, ct, wq, wc, used_q, used_c, pairs)
        # greedy alignment, best pairs first (ties by position, so deterministic): equal words first, then the
        # similar ones among the rest
        scored: list[tuple[float, int, int]] = []
        if not (q.syllabic and c.syllabic):
            free_c = [j for j in range(len(ct)) if j not in used_c]
            for i, a in enumerate(qt):
                if i in used_q:
                    continue
                for j in free_c:
                    if ct[j] == a and j not in used_c:
                        used_q.add(i)
                        used_c.add(j)
                        matched += wq[i] + wc[j]
                        pairs.append((a, a, 1.0))
                        break
            sim_of = self.token_similarity
            for i, a in enumerate(qt):
                if i in used_q:
                    continue
                for j in free_c:
                    if j in used_c:
                        continue
                    sim = sim_of(a, ct[j], abjad, syllabic)
                    if sim > 0.0:
                        scored.append((sim, i, j))
            if len(scored) > 1:
                scored.sort(key=_alignment_order)
        for sim, i, j in scored:
            if i in used_q or j in used_c:
                continue
            used_q.add(i)
            used_c.add(j)
            # an unknown query token (typo, other spelling) weighs what the token it matched weighs
            if sim < 1.0 and wq[i] > wc[j]:
                wq[i] = wc[j]
            matched += sim * (wq[i] + wc[j])
            pairs.append((qt[i], ct[j], sim))
        total = sum(wq) + sum(wc)
        # a word without any counterpart is stronger evidence of another organisation than a misspelt one
        unmatched = sum(w for i, w in enumerate(wq) if i not in used_q) + sum(
            w for j, w in enumerate(wc) if j not in used_c
        )
        tokens = max(0.0, matched - self._unmatched_penalty * unmatched) / total if total > 0 else 0.0
        if self._token_weight * tokens + (1.0 - self._token_weight) < self._floor:
            # cannot reach the threshold whatever the character similarity: skip computing it
            return NameComparison(self._token_weight * tokens, tokens, 0.0, False, tuple(pairs), q, c)
        fuzzy = _fuzzy(q, c)
        score = self._token_weight * tokens + (1.0 - self._token_weight) * fuzzy
        return NameComparison(min(score, 1.0), tokens, fuzzy, False, tuple(pairs), q, c)


_MERGED_INITIAL = {ch: merge_consonants(ch) for ch in "abcdefghijklmnopqrstuvwxyz"}


def _short_single(name: NormalisedName) -> bool:
    return len(name.tokens) == 1 and len(name.tokens[0]) <= SHORT_NAME and not name.syllabic


def _ordered_alignment(
    qt: tuple[str, ...],
    ct: tuple[str, ...],
    wq: list[float],
    wc: list[float],
    used_q: set[int],
    used_c: set[int],
    pairs: list[tuple[str, str, float]],
) -> float:
    """Equal syllables in order (rapidfuzz LCS over the token sequences, one character per distinct token)."""
    codes: dict[str, str] = {}
    a = "".join(codes.setdefault(t, chr(0x4E00 + len(codes))) for t in qt)
    b = "".join(codes.setdefault(t, chr(0x4E00 + len(codes))) for t in ct)
    matched = 0.0
    for block in LCSseq.opcodes(a, b).as_matching_blocks():
        for k in range(block.size):
            i, j = block.a + k, block.b + k
            used_q.add(i)
            used_c.add(j)
            matched += wq[i] + wc[j]
            pairs.append((qt[i], ct[j], 1.0))
    return matched


def _contraction(short: str, long_: str) -> float:
    """A contraction keeps the first two letters and some of the others in order ("depto", "techs")."""
    it = iter(long_)
    return CONTRACTION_SIMILARITY if all(ch in it for ch in short) else 0.0


def _alignment_order(item: tuple[float, int, int]) -> tuple[float, int, int]:
    return (-item[0], item[1], item[2])


def _concatenations(
    qt: tuple[str, ...],
    ct: tuple[str, ...],
    wq: list[float],
    wc: list[float],
    used_q: set[int],
    used_c: set[int],
    pairs: list[tuple[str, str, float]],
    exact: bool = False,
) -> float:
    """Align one token of a side with 2-8 adjacent tokens of the other side written together: equal, or within
    one edit up to 8 letters and two beyond, also after merging consonants (Korean ㄱ g/k, ㄹ l/r, ㅅ s/t:
    "lag gae a" ~ "rakgaea", "lo bos" ~ "robot"); pinyin (`exact`): equal up to 8 letters, one edit beyond
    (polyphones: 长 chang / zhang)."""
    matched = 0.0
    for joined_side in (0, 1):
        many, one = (qt, ct) if joined_side == 0 else (ct, qt)
        if len(many) < 2:
            continue
        used_many, used_one = (used_q, used_c) if joined_side == 0 else (used_c, used_q)
        w_many, w_one = (wq, wc) if joined_side == 0 else (wc, wq)
        lengths = [len(t) for t in many]
        initials = [_MERGED_INITIAL.get(t[0], t[0]) for t in many]
        for j, single in enumerate(one):
            if j in used_one or len(single) < 4:
                continue
            target = len(single)
            first = _MERGED_INITIAL.get(single[0], single[0])
            allowed = (0 if target < 8 else 1) if exact else (1 if target <= 8 else 2)
            merged_single = None if exact else merge_consonants(single)
            best: tuple[int, float, int, int] | None = None  # (edits, -similarity, start, end): fewest edits first
            for start in range(len(many) - 1):
                if start in used_many or initials[start] != first:
                    continue
                size_len = lengths[start]
                for end in range(start + 1, min(start + 8, len(many))):
                    if end in used_many:
                        break
                    size_len += lengths[end]
                    if size_len > target + allowed:
                        break
                    if size_len < target - allowed:
                        continue
                    joined = "".join(many[start : end + 1])
                    if joined == single:
                        edits, sim = 0, 1.0
                    elif allowed == 0:
                        continue
                    else:
                        edits = Levenshtein.distance(joined, single, score_cutoff=allowed + 1)
                        merged_joined = None
                        if merged_single is not None:
                            merged_joined = merge_consonants(joined)
                            merged = Levenshtein.distance(merged_joined, merged_single, score_cutoff=allowed + 1)
                            if merged >= edits:
                                merged_joined = None
                            else:
                                edits = merged
                        if edits > allowed:
                            continue
                        if merged_joined is None:
                            sim = fuzz.ratio(joined, single) / 100.0
                        else:
                            sim = FOLD_FACTOR * fuzz.ratio(merged_joined, merged_single) / 100.0
                    candidate = (edits, -sim, start, end)
                    if best is None or candidate < best:
                        best = candidate
            if best is None:
                continue
            _, neg_sim, start, end = best
            sim = -neg_sim
            span = range(start, end + 1)
            used_one.add(j)
            used_many.update(span)
            w_span = sum(w_many[k] for k in span)
            if w_one[j] > w_span:  # an unknown joined word weighs what its parts weigh
                w_one[j] = w_span
            matched += sim * (w_span + w_one[j])
            joined = " ".join(many[k] for k in span)
            pairs.append((joined, single, sim) if joined_side == 0 else (single, joined, sim))
    return matched


def _fuzzy(q: NormalisedName, c: NormalisedName) -> float:
    qk, ck = q.key, c.key
    fuzzy = fuzz.token_sort_ratio(qk, ck) / 100.0
    if q.syllabic or c.syllabic:
        fuzzy = max(fuzzy, fuzz.ratio(qk.replace(" ", ""), ck.replace(" ", "")) / 100.0)
    if q.abjad != c.abjad:
        qs = " ".join(skeleton(t) for t in q.tokens)
        cs = " ".join(skeleton(t) for t in c.tokens)
        fuzzy = max(fuzzy, SKELETON_FACTOR * fuzz.token_sort_ratio(qs, cs) / 100.0)
    return fuzzy
