"""Name and identifier normalisation for matching (built on `rigour`; see the package docstring).

A name becomes a `NormalisedName`: ASCII tokens (casefolded, transliterated from any script, punctuation
removed, stop words and legal forms taken out, common contractions expanded) plus the generic classes of the
legal forms it carried (`llc`, `jsc`, `lp`, `ngo`, ...) and two script flags that change how tokens compare:
`syllabic` (Han, kana, Hangul: written without word spaces, so such text becomes one token per syllable and the
other side's words are aligned with joined syllables) and `abjad` (Arabic/Hebrew script: vowels are not written,
so tokens also compare by their consonant skeleton).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import normality
from rigour.names import extract_org_types
from rigour.text import ascii_text
from rigour.text.normalize import Normalize, normalize
from rigour.text.scripts import text_scripts
from rigour.text.stopwords import stopwords_list

__all__ = [
    "NormalisedName",
    "acronym",
    "fold",
    "normalise_identifier",
    "normalise_identifiers",
    "normalise_name",
    "normalise_names",
    "skeleton",
    "split_bracketed",
]

IDENTIFIER_SCHEMES: tuple[str, ...] = ("lei", "ror", "pic", "vat", "registration")

_FLAGS = Normalize.NFKC | Normalize.CASEFOLD | Normalize.NAME

# CJK legal forms are written without spaces ("华为技术有限公司"); rigour's org-type table knows them as
# separate words, so they are set apart before tokenising. Longest first.
_CJK_LEGAL = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "株式会社",
    "有限会社",
    "合同会社",
    "유한책임회사",
    "주식회사",
    "유한회사",
)
_CJK_LEGAL_RE = re.compile("|".join(map(re.escape, _CJK_LEGAL)))

# Legal forms rigour does not map to a generic class (checked against rigour 2.6): native token sequences
# after normalisation -> generic class.
_EXTRA_LEGAL: dict[tuple[str, ...], str] = {
    ("αε",): "jsc",
    ("ανώνυμη", "εταιρεία"): "jsc",
    ("ανωνυμη", "εταιρεια"): "jsc",
    ("εταιρεία", "περιορισμένησ", "ευθύνησ"): "llc",
    ("εταιρεία", "περιορισμένης", "ευθύνης"): "llc",
    ("ike",): "llc",
    ("ικε",): "llc",
    ("sl",): "llc",
    ("slu",): "llc",
    ("anonymi", "etaireia"): "jsc",
    ("anonymi", "etairia"): "jsc",
    ("anonimi", "eteria"): "jsc",
    ("anonyme", "etaireia"): "jsc",
    ("epe",): "llc",
    ("ae",): "jsc",
    ("gk",): "llc",
    ("kk",): "jsc",
    # romanised CJK legal forms (pinyin, Hepburn, Revised Romanization)
    ("youxian", "gongsi"): "llc",
    ("youxian", "zeren", "gongsi"): "llc",
    ("gufen", "youxian", "gongsi"): "jsc",
    ("kabushiki", "kaisha"): "jsc",
    ("kabushikigaisha",): "jsc",
    ("yugen", "kaisha"): "llc",
    ("godo", "kaisha"): "llc",
    ("jusik", "hoesa"): "jsc",
    ("jusikhoesa",): "jsc",
    ("yuhan", "hoesa"): "llc",
    ("yuhanhoesa",): "llc",
}
# "Co., Ltd." is how Chinese, Japanese and Korean joint-stock companies (股份有限公司, 株式会社, 주식회사) are
# usually rendered in English, so it is compatible with both classes.
_AMBIGUOUS_LEGAL = frozenset({"co ltd", "coltd", "co limited", "company limited"})

# Generic company designations without a legal class, dropped at the end of a name ("Acme Corp.",
# "Lanhe Technology Company Limited" after "Limited" is taken out).
_TRAILING_DESIGNATIONS = frozenset({"co", "company", "corp", "corporation", "incorporated"})
_EXTRA_LEGAL_MAX = max(len(k) for k in _EXTRA_LEGAL)
_EXTRA_LEGAL_FIRST = frozenset(k[0] for k in _EXTRA_LEGAL)

# Contractions that are not prefixes of the word they stand for (prefix abbreviations such as "univ",
# "inst", "techn" are handled when tokens are compared).
CONTRACTIONS: dict[str, str] = {
    "natl": "national",
    "intl": "international",
    "dept": "department",
    "mfg": "manufacturing",
    "ctr": "center",
    "cntr": "center",
    "centre": "center",
    "govt": "government",
    "assn": "association",
    "hldgs": "holdings",
    "mgmt": "management",
    "svcs": "services",
    "svc": "service",
    "fdn": "foundation",
    "bros": "brothers",
    "co": "company",
    "cos": "companies",
    "labs": "laboratories",
}

# Arabic article and prepositions as romanised (the stop-word list has them in Arabic script only).
_EXTRA_STOPWORDS = frozenset({"al", "el", "lil", "wal", "bil", "fil", "ul", "of", "the", "and", "und", "et"})


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """rigour's multilingual stop words, in their own script and transliterated."""
    words = set(_EXTRA_STOPWORDS)
    for word in stopwords_list():
        folded = word.casefold()
        words.add(folded)
        words.add(_ascii_word(folded))
    words.discard("")
    return frozenset(words)


_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_BRACKETS = re.compile(r"[(\[{（［【]([^)\]}）］】]*)[)\]}）］】]")


def _dense_kind(ch: str) -> int:
    """0: other; 1: a character that is a syllable of its own (Han, Hangul); 2: kana; 3: small kana or the
    prolonged-sound mark (joins the kana before it); 4: sokuon (doubles the consonant of the kana after it)."""
    cp = ord(ch)
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0xAC00 <= cp <= 0xD7A3:
        return 1
    if 0x20000 <= cp <= 0x2FA1F:
        return 1
    if 0x3041 <= cp <= 0x30FF:
        if ch in _SMALL_KANA:
            return 3
        if ch in "ッっ":
            return 4
        return 2
    return 0


_DENSE = re.compile("[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7a3\U00020000-\U0002fa1f]")
_SMALL_KANA = frozenset("ァィゥェォャュョヮぁぃぅぇぉゃゅょゎーンん")  # and the moraic n, a coda in romanisation


_CYRILLIC_WORD = re.compile("[\u0400-\u04ff]+")
_UKRAINIAN = re.compile("[іїєґ]")
_ADMITTED = re.compile("[\u0370-\u058f\u10a0-\u10ff\u1100-\u11ff\u1f00-\u1fff\u3130-\u318f\uac00-\ud7a3]")


@lru_cache(maxsize=1024)
def _cyrillic_letter(ch: str) -> str:
    return "y" if ch == "\x00" else ascii_text(ch).lower()


_GREEK_WORD = re.compile("[\u0370-\u03ff\u1f00-\u1fff]+")
_GREEK_PLAIN = str.maketrans("άέήίόύώ", "αεηιουω")
_GREEK_INITIAL = {"μπ": "b", "ντ": "d", "γκ": "g"}
_GREEK_PAIRS = {"μπ": "mb", "ντ": "nt", "γκ": "ng", "γγ": "ng", "αυ": "av", "ευ": "ev", "ου": "ou"}
# contexts where rigour's rules differ from the letters above ("έλεγχος" -> "elenchos", "ηυ" -> "iu"): rigour itself
_GREEK_CONTEXT = re.compile("γ[χξ]|γγ[γκ]|[ηιυωήίύώϊΐϋΰ][υύϋΰ]|[αεοάέό][ϋΰ]")


@lru_cache(maxsize=1024)
def _greek_letter(ch: str) -> str:
    return ascii_text(ch).lower()


def _greek(word: str) -> str:
    """rigour's Greek transliteration (ELOT-like: initial μπ, ντ, γκ -> b, d, g, medial -> mb, nt, ng; αυ, ευ, ου
    -> av, ev, ou; the other letters as rigour writes them), letter by letter."""
    plain = word.translate(_GREEK_PLAIN)
    out: list[str] = []
    i = 0
    while i < len(word):
        pair = plain[i : i + 2]
        rep = (_GREEK_INITIAL.get(pair) if i == 0 else None) or _GREEK_PAIRS.get(pair)
        if rep is not None and len(pair) == 2:
            out.append(rep)
            i += 2
        else:
            out.append(_greek_letter(word[i]))
            i += 1
    return "".join(out)


@lru_cache(maxsize=500_000)
def _ascii_run(run: str) -> str:
    """rigour's transliteration (`rigour.text.ascii_text`). It costs about a millisecond per new string for the
    scripts rigour transliterates itself, so Russian and Greek words are transliterated letter by letter with
    rigour's letters and its contextual rules (final -ий, -ый: y; Greek digraphs), and words in the few contexts
    where rigour's rules differ (Ukrainian letters, Greek γχ, υ after a vowel, ...) go to rigour: the same output
    (checked on the benchmark vocabulary and random letter strings; tests/appraisal/unit/matching/test_pruning.py),
    fast enough for a million names. Scripts rigour hands to normality (Han, kana, Arabic, ...) go to normality
    (a dependency of rigour) directly, as rigour would."""
    if _CYRILLIC_WORD.fullmatch(run) and not _UKRAINIAN.search(run):  # Ukrainian: rigour's own rules
        if run.endswith(("ий", "ый")):  # only at the end of a word: "всероссийский" -> "vserossiisky"
            run = run[:-2] + "\x00"
        return "".join(map(_cyrillic_letter, run))
    if _GREEK_WORD.fullmatch(run) and not _GREEK_CONTEXT.search(run):
        return _greek(run)
    if not _ADMITTED.search(run):
        return normality.ascii_text(run).lower()
    return ascii_text(run).lower()


def _dense_segments(token: str) -> list[str] | None:
    """Split text in scripts without word spaces into syllables (Han and Hangul characters, kana morae);
    None when there are none. Other runs stay whole."""
    if not _DENSE.search(token):
        return None
    segments: list[str] = []
    run: list[str] = []
    pending = ""
    for ch in token:
        kind = _dense_kind(ch)
        if kind == 0:
            run.append(ch)
            continue
        if run:
            segments.append("".join(run))
            run = []
        if kind == 1:
            segments.append(ch)
        elif kind == 3 and segments and segments[-1] and _dense_kind(segments[-1][-1]) in (2, 3):
            segments[-1] += ch
        elif kind == 4:
            pending += ch
        else:
            segments.append(pending + ch)
            pending = ""
    if run:
        segments.append("".join(run))
    return segments


@lru_cache(maxsize=1_000_000)
def _ascii_word(token: str) -> str:
    """One native token -> ASCII; text in scripts without word spaces becomes one token per syllable
    ("北京大学" -> "bei jing da xue", "서울대학교" -> "seo ul dae hag gyo", "カリナ" -> "ka ri na"), as CJK
    search indexes do; the other side's words are aligned with joined syllables. Transliteration is
    `rigour.text.ascii_text` (ICU for Han and kana), cached per syllable or run."""
    if token.isascii():
        out = token
    else:
        segments = _dense_segments(token)
        out = _ascii_run(token) if segments is None else " ".join(p for p in map(_ascii_run, segments) if p)
    if not out.replace(" ", "").isalnum():
        out = _NON_ALNUM.sub("", out.replace("-", "").replace("'", ""))
    return out


def _scripts(text: str) -> frozenset[str]:
    try:
        return frozenset(text_scripts(text))
    except Exception:  # pragma: no cover - defensive: never let script detection break matching
        return frozenset()


_NO_SCRIPTS: frozenset[str] = frozenset()
_NO_CLASSES: frozenset[str] = frozenset()
_SYLLABIC = frozenset({"Han", "Hangul", "Hiragana", "Katakana"})
_KANA_HANGUL = frozenset({"Hangul", "Hiragana", "Katakana"})
_ABJAD = frozenset({"Arabic", "Hebrew", "Syriac", "Thaana"})


class NormalisedName(NamedTuple):
    """A name ready for matching (a NamedTuple: cheap to create for every candidate of every query)."""

    original: str
    tokens: tuple[str, ...]
    legal_forms: frozenset[str] = frozenset()
    syllabic: bool = False  # Han, kana or Hangul: one token per syllable
    abjad: bool = False  # Arabic or Hebrew script: vowels not written
    han: bool = False  # syllables are pinyin: standard, so joined syllables must equal the other side's word

    @property
    def key(self) -> str:
        return " ".join(self.tokens)

    @property
    def latin(self) -> bool:
        return not (self.syllabic or self.abjad)


def split_bracketed(name: str) -> list[str]:
    """'Valdoria Institute of Physics (VIP)' -> ['Valdoria Institute of Physics', 'VIP']: bracketed text is
    usually an acronym or a former/other-language name, so it is matched as a name of its own."""
    if "(" not in name and "[" not in name and "（" not in name and "{" not in name and "【" not in name:
        return [name]
    inner = [m.strip() for m in _BRACKETS.findall(name)]
    outer = _BRACKETS.sub(" ", name).strip()
    return [n for n in [outer, *inner] if n and any(ch.isalnum() for ch in n)]


def _remove_sequences(tokens: list[str], found: list[tuple[list[str], str]]) -> list[str]:
    """Remove the token sequences rigour matched as legal forms (first occurrence of each)."""
    out = list(tokens)
    for seq, _ in found:
        size = len(seq)
        for i in range(len(out) - size + 1):
            if out[i : i + size] == seq:
                del out[i : i + size]
                break
    return out


def _extra_legal(tokens: list[str]) -> tuple[list[str], set[str]]:
    classes: set[str] = set()
    if _EXTRA_LEGAL_FIRST.isdisjoint(tokens):
        return tokens, classes
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(_EXTRA_LEGAL_MAX, 0, -1):
            cls = _EXTRA_LEGAL.get(tuple(tokens[i : i + size]))
            if cls is not None and len(tokens) > size:
                classes.add(cls)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out, classes


def normalise_name(name: str) -> NormalisedName:
    """Normalise one name (no bracket splitting: see `normalise_names`)."""
    text = name
    if not text.isascii() and _CJK_LEGAL_RE.search(text):
        text = _CJK_LEGAL_RE.sub(lambda m: f" {m.group(0)} ", text)
    folded = normalize(text, _FLAGS) or ""
    scripts = _NO_SCRIPTS if folded.isascii() else _scripts(folded)
    native = folded.split()
    classes: set[str] = set()
    if native:
        found = extract_org_types(folded, normalize_flags=_FLAGS, generic=True)
        if found:
            stripped = _remove_sequences(native, [(m.split(), t) for m, t in found])
            if stripped:  # a name that is only a legal form keeps it as its name
                native = stripped
                for matched, target in found:
                    classes.add(target)
                    if matched in _AMBIGUOUS_LEGAL:
                        classes.add("jsc")
        native, extra = _extra_legal(native)
        classes |= extra
        while len(native) > 1 and native[-1] in _TRAILING_DESIGNATIONS:
            native = native[:-1]
    stop = stopwords()
    if not scripts and folded.isascii():  # plain ASCII words: no transliteration, no syllables
        tokens = [CONTRACTIONS.get(w, w) for w in native if w not in stop] or [CONTRACTIONS.get(w, w) for w in native]
        return NormalisedName(name, tuple(tokens), frozenset(classes) if classes else _NO_CLASSES)
    tokens: list[str] = []
    all_tokens: list[str] = []
    for word in native:
        ascii_word = _ascii_word(word)
        parts = ascii_word.split()
        # transliterated syllables ("bei jing") are never stop words; the native word may be
        skip = word in stop or (len(parts) == 1 and parts[0] in stop)
        for part in parts:
            part = CONTRACTIONS.get(part, part)
            all_tokens.append(part)
            if not skip:
                tokens.append(part)
    if not tokens:
        tokens = all_tokens
    if not scripts:
        return NormalisedName(name, tuple(tokens), frozenset(classes) if classes else _NO_CLASSES)
    abjad = bool(scripts & _ABJAD)
    if abjad:
        tokens = [_strip_article(t) for t in tokens]
    return NormalisedName(
        name,
        tuple(tokens),
        frozenset(classes) if classes else _NO_CLASSES,
        bool(scripts & _SYLLABIC),
        abjad,
        "Han" in scripts and not (scripts & _KANA_HANGUL),
    )


_normalise_cached = lru_cache(maxsize=16_384)(normalise_name)  # query names recur (an applicant in every proposal)


def normalise_names(names: list[str] | tuple[str, ...]) -> list[NormalisedName]:
    """Normalise names and aliases, splitting bracketed parts off as names of their own; drops empty
    results and repeats (same tokens and legal forms), keeping the first occurrence. Cached per name (the
    index build normalises with `normalise_name` directly)."""
    out: list[NormalisedName] = []
    seen: set[tuple[tuple[str, ...], frozenset[str]]] = set()
    for name in names:
        for part in split_bracketed(name):
            normalised = _normalise_cached(part)
            if not normalised.tokens:
                continue
            if part != name:
                normalised = NormalisedName(
                    name,
                    normalised.tokens,
                    normalised.legal_forms,
                    normalised.syllabic,
                    normalised.abjad,
                    normalised.han,
                )
            marker = (normalised.tokens, normalised.legal_forms)
            if marker in seen:
                continue
            seen.add(marker)
            out.append(normalised)
    return out


def _strip_article(token: str) -> str:
    # ICU writes the Arabic article attached: "القاهرة" -> "alqahrt"; "للتكنولوجيا" -> "lltknwlwjya".
    if len(token) > 4 and token.startswith(("al", "ll", "el")):
        return token[2:]
    return token


_VOWELS = re.compile(r"[aeiouwy]+")
_SHORT_VOWELS = re.compile(r"[aeiou]+")
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonant skeleton for comparing romanised abjad names: vowels (not written in Arabic script) and a
    final t or h (ta marbuta, written 'a', 'ah' or 'at') dropped: 'qahira', 'alqahrt' -> 'qhr'."""
    stripped = _strip_article(token)
    out = _REPEATS.sub(r"\1", _VOWELS.sub("", stripped))
    if len(out) >= 3 and (out[-1] == "t" or (out[-1] == "h" and out[-2] not in "kscgzt")):
        out = out[:-1]
    return out or stripped


_MERGE = str.maketrans("gdbvlzs", "ktpprtt")


def merge_consonants(text: str) -> str:
    """Voiced/voiceless, l/r and s/t merged: how romanisations of Korean (ㄱ g/k, ㄹ l/r, final ㅅ s/t) and of other
    scripts differ most ('lobos' / 'robot' -> 'ropot')."""
    return text.translate(_MERGE)


@lru_cache(maxsize=500_000)
def fold_key(token: str) -> str:
    """Blocking key: `fold` with consonants merged and doubled letters single ('laggaea' / 'rakgaea' ->
    'rakaea', 'lobos' / 'robot' -> 'ropot', 'tsentr' / 'centr' -> 'centr')."""
    return _REPEATS.sub(r"\1", merge_consonants(fold(token)))


def skeleton_key(token: str) -> str:
    """Blocking key for romanisations of abjad names: the consonant skeleton ('qahira', 'alqahrt' -> 'qhr'), or,
    when that is shorter than 3 letters, the one keeping w and y ('yazuziyab', 'yazzyab' -> 'yzyb')."""
    out = skeleton(token)
    return out if len(out) >= 3 else skeleton_wy(token)


@lru_cache(maxsize=200_000)
def skeleton_wy(token: str) -> str:
    """Like `skeleton`, keeping w and y (Arabic و and ي are consonants as well as long vowels):
    'hayawiya', 'hywyt' -> 'hywy'."""
    stripped = _strip_article(token)
    out = _REPEATS.sub(r"\1", _SHORT_VOWELS.sub("", stripped))
    if len(out) >= 3 and (out[-1] == "t" or (out[-1] == "h" and out[-2] not in "kscgzt")):
        out = out[:-1]
    return out or stripped


_FOLDS = (
    ("shch", "s"),
    ("schtsch", "s"),
    ("tsch", "c"),
    ("sch", "s"),
    ("shh", "s"),
    ("sh", "s"),
    ("ch", "c"),
    ("zh", "z"),
    ("kh", "h"),
    ("ts", "c"),
    ("tz", "c"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("ou", "u"),
    ("j", "y"),
    ("w", "v"),
    ("ii", "y"),
    ("iy", "y"),
    ("yy", "y"),
    ("ij", "y"),
    ("yi", "y"),
    ("ei", "i"),
    ("y", "i"),
    # Greek: μπ, ντ, γκ are written b/mb/mp, d/nd/nt, g/gk/ng
    ("mp", "b"),
    ("mb", "b"),
    ("nt", "d"),
    ("nd", "d"),
    ("gk", "g"),
    ("ng", "g"),
)


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Spelling-variant fold for romanised names (transliteration schemes differ mostly in digraphs: 'tsentr',
    'centr', 'zentr'; 'yadernoy', 'jadernoj'; 'ntrine', 'drine'): compared as a second view."""
    out = token
    for a, b in _FOLDS:
        if a in out:
            out = out.replace(a, b)
    return out


def acronym(tokens: tuple[str, ...]) -> str | None:
    """Initials of a name's core tokens (stop words and legal forms already removed): 3-8 letters."""
    if not 3 <= len(tokens) <= 8:
        return None
    initials = "".join(t[0] for t in tokens if t and t[0].isalpha())
    return initials if len(initials) == len(tokens) else None


# --------------------------------------------------------------------------------- identifiers

_ROR_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?ror\.org/", re.IGNORECASE)
_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def normalise_identifier(scheme: str, value: str | None) -> str | None:
    """Comparable form of an identifier: LEI/VAT/registration upper-case letters and digits only, ROR the bare
    lower-case id (URL prefix removed), PIC digits only. VAT keeps its country prefix (compared with and
    without it). None when nothing is left."""
    if not value:
        return None
    value = unicodedata.normalize("NFKC", str(value)).strip()
    scheme = scheme.lower()
    if scheme == "ror":
        value = _ALNUM.sub("", _ROR_PREFIX.sub("", value)).lower()
    elif scheme == "pic":
        value = re.sub(r"\D+", "", value)
    else:
        value = _ALNUM.sub("", value).upper()
    return value or None


def vat_without_prefix(value: str) -> str:
    return value[2:] if len(value) > 4 and value[:2].isalpha() else value


def normalise_identifiers(identifiers: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for scheme, value in sorted(identifiers.items()):
        scheme = scheme.lower().strip()
        normalised = normalise_identifier(scheme, value)
        if normalised:
            out[scheme] = normalised
    return out


_WS = re.compile(r"\s+")


def display_form(text: str) -> str:
    return _WS.sub(" ", text).strip()
