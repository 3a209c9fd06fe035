"""Text normalisation and tokenisation for the phrase rules.

A text becomes a list of *segments* (the title, the abstract, each keyword), each a list of
tokens (runs of letters and digits) that remember where they were in the original text, so
that matched phrases can be returned exactly as the applicant wrote them.

Every token has three forms:

- `raw`: the token with accents stripped but its case kept (for case-sensitive acronyms such as
  "AI", "RAN", "6G");
- `norm`: `raw` case-folded (ß -> ss) with a few letters that Unicode does not decompose mapped
  (ø -> o, æ -> ae, ł -> l, ...), so "Künstliche", "KÜNSTLICHE" and "kunstliche" are the same;
- the *key* of a run of tokens (`compact_key`): their `norm`s concatenated without separators,
  British spellings mapped to American ones and a light plural stem applied to the end. So
  "gene drive", "gene-drives", "Gene Drives" and "genedrive" all have the key "genedrive", and
  a phrase matches whatever separators (space, hyphen, slash, underscore) and however the words
  are split or joined.

Phrases never span strong punctuation (". " ", " ; ! ? brackets, line breaks): "... quantum. Computing"
is not "quantum computing".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"[^\W_]+")
# Between two tokens: brackets, quotes, ; ! ? | line breaks, or . , : followed by a space (so "4.0",
# "1,000" and "e.g." do not break a phrase, but "quantum. Computing" and "drones, bees" do).
_STRONG = re.compile(r"[;!?()\[\]{}<>\"“”«»|\n\r\t•]|[.,:](?=\s)")
# Letters NFKD does not decompose into a base letter plus accents.
_EXTRA = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
     "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "\u0131": "i", "ß": "ss"}
)  # fmt: skip
# British -> American spellings, applied to keys (both phrases and text go through it).
_VARIANTS: tuple[tuple[str, str], ...] = (
    ("isation", "ization"),
    ("ising", "izing"),
    ("ised", "ized"),
    ("yser", "yzer"),
    ("ysing", "yzing"),
    ("fibre", "fiber"),
    ("metre", "meter"),
    ("centre", "center"),
    ("aluminium", "aluminum"),
    ("sulph", "sulf"),
    ("modelling", "modeling"),
)


def strip_accents(text: str) -> str:
    """NFKD, drop combining marks, map the few letters NFKD leaves alone ("Quantenschlüssel" ->
    "Quantenschlussel", "Øresund" -> "Oresund")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Accent-stripped and case-folded."""
    return strip_accents(text).casefold()


def stem(word: str) -> str:
    """A light, language-neutral plural stem for the end of a key: "batteries" -> "battery",
    "lasers" -> "laser", "processes" -> "process", "gene drives" -> "gene drive". Words of three
    letters or fewer and words ending in -ss, -us, -is are left alone ("gas", "status", "analysis")."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def spelling(key: str) -> str:
    for old, new in _VARIANTS:
        if old in key:
            key = key.replace(old, new)
    return key


def compact_key(norms: list[str] | tuple[str, ...]) -> str:
    """The key of a run of normalised tokens (see the module docstring)."""
    return stem(spelling("".join(norms)))


@dataclass(frozen=True, slots=True)
class Token:
    raw: str  # accents stripped, case kept
    norm: str  # folded
    start: int  # character offsets in the segment's text
    end: int
    boundary_before: bool  # strong punctuation between the previous token and this one


@dataclass(frozen=True, slots=True)
class Segment:
    field: str  # "title", "keywords", "abstract"
    index: int  # position among all segments of the document
    text: str  # the original text (NFC)
    tokens: tuple[Token, ...]


def tokenize(text: str) -> tuple[str, tuple[Token, ...]]:
    """The NFC form of `text` (offsets refer to it) and its tokens."""
    text = unicodedata.normalize("NFC", text)
    tokens: list[Token] = []
    previous_end = 0
    for m in _TOKEN.finditer(text):
        raw = strip_accents(m.group())
        boundary = bool(tokens) and bool(_STRONG.search(text[previous_end : m.start()]))
        tokens.append(Token(raw, raw.casefold(), m.start(), m.end(), boundary))
        previous_end = m.end()
    return text, tuple(tokens)


def segments(title: str | None, abstract: str | None, keywords: list[str] | tuple[str, ...]) -> list[Segment]:
    """The title, each keyword and the abstract, in that order (the order of returned phrases)."""
    parts: list[tuple[str, str]] = []
    if title:
        parts.append(("title", title))
    parts.extend(("keywords", kw) for kw in keywords if kw)
    if abstract:
        parts.append(("abstract", abstract))
    out: list[Segment] = []
    for field, text in parts:
        nfc, tokens = tokenize(text)
        out.append(Segment(field, len(out), nfc, tokens))
    return out
