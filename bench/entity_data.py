"""Deterministic synthetic watch lists and labelled queries for the entity-matching benchmark and tests.

Every organisation is fictitious: place and brand names are random syllable strings (any resemblance to a real
name is accidental), attached to generic words ("University", "Institut für Physik", "科技有限公司",
"государственный университет", "جامعة"). Names are written in their own script (Latin: English, German,
French, Spanish; Cyrillic: Russian; Greek; Arabic; Chinese; Japanese katakana; Korean Hangul), some with a Latin
transliteration or an English rendering as aliases, and some non-Latin organisations listed in Latin only, as
Western lists do. Universities have faculties and institutes listed separately; brand names recur across
companies in different sectors, so near neighbours exist on purpose.

Queries are labelled with the entry they must find (positives) or none (hard negatives):

positives: `alias` (a listed alias), `translit_to_latin` (a native-script entry queried in Latin with one of
several romanisation schemes: BGN/PCGN, passport, German, scholarly for Russian; ELOT, phonetic, classical
for Greek; vowelled romanisations for Arabic; pinyin, Hepburn, Revised Romanization), `translit_from_latin`
(an entry listed only in Latin queried in its native script), `abbreviation` ("Univ.", "Inst.", "Natl."),
`acronym` (the acronym alone, for an entry listed with it: "... Institute of Physics (VIP)"), `reordered` (word
order), `legal_form` (legal form spelt differently or dropped),
`typo` (one or two character edits), `identifier` (another name, same LEI/ROR/PIC/VAT), `control` (an unlisted
company a listed entity controls at depth 1-3).

negatives: `sibling_unit` (another faculty/institute of a university whose units are listed), `legal_form_conflict`
(same name, a legal form of another class: GmbH vs AG), `similar_name` (same brand, other sector; same city, other
kind of university), `shared_rare_token` (a rare brand or place name in an unrelated organisation),
`uncontrolled_unlisted` (an unlisted related party that no listed entity controls).

`generate(n_entries, ...)` is deterministic for a given seed and size. `generate(..., unlisted=n)` also draws `n`
organisations from the same distributions (language, kind, skewed place/brand stems) that are not on any list
(none of their names is a listed name; they may share a stem with listed ones, e.g. another faculty of a listed
university), written as a partner would write them in a proposal form: for the non-Latin languages mostly in
English or romanised; the lists and labelled queries are the same with or without them.
"""

from __future__ import annotations

import bisect
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from rsc_appraisal.engine.contracts import ListEntry, ListKind, ListVersionData, OrganisationQuery, Relation

SEED = 20261125

# ------------------------------------------------------------------------------------------ lexicon

# Research fields: en, de, fr, es, ru (genitive), el (genitive), ar (native, romanisation), zh (native, pinyin),
# ko (native, RR)
FIELDS: list[dict[str, object]] = [
    dict(
        en="Physics",
        de="Physik",
        fr="Physique",
        es="Física",
        ru="физики",
        el="Φυσικής",
        ar=("الفيزياء", "al-Fiziya"),
        zh=("物理", "Wuli"),
        ko=("물리학", "Mullihak"),
    ),
    dict(
        en="Chemistry",
        de="Chemie",
        fr="Chimie",
        es="Química",
        ru="химии",
        el="Χημείας",
        ar=("الكيمياء", "al-Kimiya"),
        zh=("化学", "Huaxue"),
        ko=("화학", "Hwahak"),
    ),
    dict(
        en="Mathematics",
        de="Mathematik",
        fr="Mathématiques",
        es="Matemáticas",
        ru="математики",
        el="Μαθηματικών",
        ar=("الرياضيات", "al-Riyadiyat"),
        zh=("数学", "Shuxue"),
        ko=("수학", "Suhak"),
    ),
    dict(
        en="Materials Science",
        de="Materialwissenschaft",
        fr="Science des Matériaux",
        es="Ciencia de Materiales",
        ru="материаловедения",
        el="Επιστήμης Υλικών",
        ar=("علوم المواد", "Ulum al-Mawad"),
        zh=("材料科学", "Cailiao Kexue"),
        ko=("재료과학", "Jaeryogwahak"),
    ),
    dict(
        en="Computer Science",
        de="Informatik",
        fr="Informatique",
        es="Informática",
        ru="информатики",
        el="Πληροφορικής",
        ar=("علوم الحاسوب", "Ulum al-Hasub"),
        zh=("计算机科学", "Jisuanji Kexue"),
        ko=("컴퓨터과학", "Keompyuteogwahak"),
    ),
    dict(
        en="Mechanics",
        de="Mechanik",
        fr="Mécanique",
        es="Mecánica",
        ru="механики",
        el="Μηχανικής",
        ar=("الميكانيكا", "al-Mikanika"),
        zh=("力学", "Lixue"),
        ko=("역학", "Yeokhak"),
    ),
    dict(
        en="Optics",
        de="Optik",
        fr="Optique",
        es="Óptica",
        ru="оптики",
        el="Οπτικής",
        ar=("البصريات", "al-Basariyat"),
        zh=("光学", "Guangxue"),
        ko=("광학", "Gwanghak"),
    ),
    dict(
        en="Aerospace Engineering",
        de="Luft- und Raumfahrttechnik",
        fr="Génie Aérospatial",
        es="Ingeniería Aeroespacial",
        ru="аэрокосмической техники",
        el="Αεροδιαστημικής",
        ar=("هندسة الطيران", "Handasat al-Tayaran"),
        zh=("航空航天", "Hangkong Hangtian"),
        ko=("항공우주공학", "Hanggonguju Gonghak"),
    ),
    dict(
        en="Electronics",
        de="Elektronik",
        fr="Électronique",
        es="Electrónica",
        ru="электроники",
        el="Ηλεκτρονικής",
        ar=("الإلكترونيات", "al-Iliktruniyat"),
        zh=("电子", "Dianzi"),
        ko=("전자공학", "Jeonja Gonghak"),
    ),
    dict(
        en="Genetics",
        de="Genetik",
        fr="Génétique",
        es="Genética",
        ru="генетики",
        el="Γενετικής",
        ar=("علم الوراثة", "Ilm al-Wiratha"),
        zh=("遗传学", "Yichuanxue"),
        ko=("유전학", "Yujeonhak"),
    ),
    dict(
        en="Robotics",
        de="Robotik",
        fr="Robotique",
        es="Robótica",
        ru="робототехники",
        el="Ρομποτικής",
        ar=("الروبوتات", "al-Rubutat"),
        zh=("机器人", "Jiqiren"),
        ko=("로봇공학", "Robot Gonghak"),
    ),
    dict(
        en="Nuclear Physics",
        de="Kernphysik",
        fr="Physique Nucléaire",
        es="Física Nuclear",
        ru="ядерной физики",
        el="Πυρηνικής Φυσικής",
        ar=("الفيزياء النووية", "al-Fiziya al-Nawawiya"),
        zh=("核物理", "He Wuli"),
        ko=("원자핵물리학", "Wonjahaek Mullihak"),
    ),
    dict(
        en="Marine Biology",
        de="Meeresbiologie",
        fr="Biologie Marine",
        es="Biología Marina",
        ru="морской биологии",
        el="Θαλάσσιας Βιολογίας",
        ar=("الأحياء البحرية", "al-Ahya al-Bahriya"),
        zh=("海洋生物", "Haiyang Shengwu"),
        ko=("해양생물학", "Haeyang Saengmulhak"),
    ),
    dict(
        en="Geology",
        de="Geologie",
        fr="Géologie",
        es="Geología",
        ru="геологии",
        el="Γεωλογίας",
        ar=("الجيولوجيا", "al-Jiyulujiya"),
        zh=("地质", "Dizhi"),
        ko=("지질학", "Jijilhak"),
    ),
    dict(
        en="Applied Mathematics",
        de="Angewandte Mathematik",
        fr="Mathématiques Appliquées",
        es="Matemática Aplicada",
        ru="прикладной математики",
        el="Εφαρμοσμένων Μαθηματικών",
        ar=("الرياضيات التطبيقية", "al-Riyadiyat al-Tatbiqiya"),
        zh=("应用数学", "Yingyong Shuxue"),
        ko=("응용수학", "Eungyong Suhak"),
    ),
    dict(
        en="Microbiology",
        de="Mikrobiologie",
        fr="Microbiologie",
        es="Microbiología",
        ru="микробиологии",
        el="Μικροβιολογίας",
        ar=("الأحياء الدقيقة", "al-Ahya al-Daqiqa"),
        zh=("微生物", "Weishengwu"),
        ko=("미생물학", "Misaengmulhak"),
    ),
    dict(
        en="Semiconductor Physics",
        de="Halbleiterphysik",
        fr="Physique des Semi-conducteurs",
        es="Física de Semiconductores",
        ru="физики полупроводников",
        el="Φυσικής Ημιαγωγών",
        ar=("فيزياء أشباه الموصلات", "Fiziya Ashbah al-Muwasilat"),
        zh=("半导体", "Bandaoti"),
        ko=("반도체물리학", "Bandoche Mullihak"),
    ),
    dict(
        en="Catalysis",
        de="Katalyse",
        fr="Catalyse",
        es="Catálisis",
        ru="катализа",
        el="Κατάλυσης",
        ar=("الحفز", "al-Hafz"),
        zh=("催化", "Cuihua"),
        ko=("촉매", "Chokmae"),
    ),
]

# Company sectors: en, de, fr, es, ru, el, ar (native, romanisation), zh (native, pinyin), ja (katakana, Hepburn),
# ko (native, RR)
SECTORS: list[dict[str, object]] = [
    dict(
        en="Technologies",
        de="Technologie",
        fr="Technologies",
        es="Tecnologías",
        ru="Технологии",
        el="Τεχνολογίες",
        ar=("للتكنولوجيا", "lil-Tiknulujiya"),
        zh=("科技", "Keji"),
        ja=("テクノロジー", "Tekunoroji"),
        ko=("테크놀로지", "Tekeunolloji"),
    ),
    dict(
        en="Systems",
        de="Systeme",
        fr="Systèmes",
        es="Sistemas",
        ru="Системы",
        el="Συστήματα",
        ar=("للأنظمة", "lil-Anzima"),
        zh=("系统", "Xitong"),
        ja=("システムズ", "Shisutemuzu"),
        ko=("시스템", "Siseutem"),
    ),
    dict(
        en="Electronics",
        de="Elektronik",
        fr="Électronique",
        es="Electrónica",
        ru="Электроника",
        el="Ηλεκτρονικά",
        ar=("للإلكترونيات", "lil-Iliktruniyat"),
        zh=("电子", "Dianzi"),
        ja=("エレクトロニクス", "Erekutoronikusu"),
        ko=("전자", "Jeonja"),
    ),
    dict(
        en="Photonics",
        de="Photonik",
        fr="Photonique",
        es="Fotónica",
        ru="Фотоника",
        el="Φωτονική",
        ar=("للضوئيات", "lil-Dawiyat"),
        zh=("光电", "Guangdian"),
        ja=("フォトニクス", "Fotonikusu"),
        ko=("포토닉스", "Potonikseu"),
    ),
    dict(
        en="Robotics",
        de="Robotik",
        fr="Robotique",
        es="Robótica",
        ru="Робототехника",
        el="Ρομποτική",
        ar=("للروبوتات", "lil-Rubutat"),
        zh=("机器人", "Jiqiren"),
        ja=("ロボティクス", "Robotikusu"),
        ko=("로보틱스", "Robotikseu"),
    ),
    dict(
        en="Materials",
        de="Werkstoffe",
        fr="Matériaux",
        es="Materiales",
        ru="Материалы",
        el="Υλικά",
        ar=("للمواد", "lil-Mawad"),
        zh=("材料", "Cailiao"),
        ja=("マテリアル", "Materiaru"),
        ko=("소재", "Sojae"),
    ),
    dict(
        en="Instruments",
        de="Messtechnik",
        fr="Instruments",
        es="Instrumentos",
        ru="Приборы",
        el="Όργανα",
        ar=("للأجهزة", "lil-Ajhiza"),
        zh=("仪器", "Yiqi"),
        ja=("インスツルメンツ", "Insutsurumentsu"),
        ko=("계측기", "Gyecheukgi"),
    ),
    dict(
        en="Software",
        de="Software",
        fr="Logiciels",
        es="Software",
        ru="Софт",
        el="Λογισμικό",
        ar=("للبرمجيات", "lil-Barmajiyat"),
        zh=("软件", "Ruanjian"),
        ja=("ソフトウェア", "Sofutowea"),
        ko=("소프트웨어", "Sopeuteuweeo"),
    ),
    dict(
        en="Biotech",
        de="Biotechnik",
        fr="Biotech",
        es="Biotecnología",
        ru="Биотех",
        el="Βιοτεχνολογία",
        ar=("للتقنية الحيوية", "lil-Taqniya al-Hayawiya"),
        zh=("生物", "Shengwu"),
        ja=("バイオテック", "Baiotekku"),
        ko=("바이오", "Baio"),
    ),
    dict(
        en="Energy",
        de="Energie",
        fr="Énergie",
        es="Energía",
        ru="Энергия",
        el="Ενέργεια",
        ar=("للطاقة", "lil-Taqa"),
        zh=("能源", "Nengyuan"),
        ja=("エナジー", "Enaji"),
        ko=("에너지", "Eneoji"),
    ),
    dict(
        en="Aerospace",
        de="Luftfahrt",
        fr="Aérospatiale",
        es="Aeroespacial",
        ru="Аэрокосмос",
        el="Αεροδιαστημική",
        ar=("للطيران", "lil-Tayaran"),
        zh=("航空", "Hangkong"),
        ja=("エアロスペース", "Earosupesu"),
        ko=("항공우주", "Hanggonguju"),
    ),
    dict(
        en="Semiconductors",
        de="Halbleiter",
        fr="Semi-conducteurs",
        es="Semiconductores",
        ru="Микроэлектроника",
        el="Ημιαγωγοί",
        ar=("لأشباه الموصلات", "li-Ashbah al-Muwasilat"),
        zh=("半导体", "Bandaoti"),
        ja=("セミコンダクター", "Semikondakuta"),
        ko=("반도체", "Bandoche"),
    ),
    dict(
        en="Optics",
        de="Optik",
        fr="Optique",
        es="Óptica",
        ru="Оптика",
        el="Οπτικά",
        ar=("للبصريات", "lil-Basariyat"),
        zh=("光学", "Guangxue"),
        ja=("オプティクス", "Oputikusu"),
        ko=("광학", "Gwanghak"),
    ),
    dict(
        en="Chemicals",
        de="Chemie",
        fr="Chimie",
        es="Química",
        ru="Химпром",
        el="Χημικά",
        ar=("للكيماويات", "lil-Kimawiyat"),
        zh=("化工", "Huagong"),
        ja=("ケミカル", "Kemikaru"),
        ko=("화학", "Hwahak"),
    ),
    dict(
        en="Engineering",
        de="Maschinenbau",
        fr="Ingénierie",
        es="Ingeniería",
        ru="Инжиниринг",
        el="Μηχανική",
        ar=("للهندسة", "lil-Handasa"),
        zh=("工程", "Gongcheng"),
        ja=("エンジニアリング", "Enjiniaringu"),
        ko=("엔지니어링", "Enjinieoring"),
    ),
    dict(
        en="Analytics",
        de="Analytik",
        fr="Analytique",
        es="Analítica",
        ru="Аналитика",
        el="Αναλυτική",
        ar=("للتحليلات", "lil-Tahlilat"),
        zh=("分析", "Fenxi"),
        ja=("アナリティクス", "Anaritikusu"),
        ko=("애널리틱스", "Aeneollitikseu"),
    ),
]

# Unrelated trades for the shared-rare-token negatives (same brand or place, nothing else in common).
OTHER_TRADES = [
    "Bakery",
    "Football Club",
    "Dental Clinic",
    "Travel Agency",
    "Furniture Store",
    "Hotel",
    "Wine Cellar",
    "Flower Shop",
    "Driving School",
    "Dance Studio",
    "Car Wash",
    "Brewery",
    "Bookshop",
    "Sailing Club",
    "Golf Club",
    "Pet Grooming",
    "Pizzeria",
    "Tailors",
    "Opera House",
    "Chess Club",
]

# Legal forms per language: class -> variants (native spelling, English rendering for aliases)
LEGAL: dict[str, dict[str, list[str]]] = {
    "en": {
        "llc": ["Ltd", "Ltd.", "Limited", "LLC", "L.L.C.", "Limited Liability Company"],
        "jsc": ["PLC", "plc", "Public Limited Company"],
    },
    "de": {
        "llc": ["GmbH", "Gesellschaft mit beschränkter Haftung", "Ges.m.b.H."],
        "jsc": ["AG", "Aktiengesellschaft"],
        "lp": ["KG", "Kommanditgesellschaft"],
    },
    "fr": {
        "jsc": ["SA", "S.A.", "Société anonyme"],
        "llc": ["SARL", "S.A.R.L.", "Société à responsabilité limitée", "SAS", "S.A.S."],
    },
    "es": {"jsc": ["S.A.", "SA", "Sociedad Anónima"], "llc": ["S.L.", "Sociedad Limitada"]},
    "ru": {
        "llc": ["ООО", "Общество с ограниченной ответственностью"],
        "jsc": ["АО", "Акционерное общество", "ПАО", "Публичное акционерное общество"],
    },
    "el": {"jsc": ["Α.Ε.", "ΑΕ", "Ανώνυμη Εταιρεία"], "llc": ["Ε.Π.Ε.", "ΕΠΕ"]},
    "zh": {"llc": ["有限公司", "有限责任公司"], "jsc": ["股份有限公司"]},
    "ja": {"jsc": ["株式会社"], "llc": ["合同会社"]},
    "ko": {"jsc": ["주식회사"], "llc": ["유한회사"]},
}
LEGAL_LATIN = {  # romanised legal forms of the non-Latin languages (for Latin renderings)
    "ru": {
        "llc": ["OOO", "Obshchestvo s Ogranichennoy Otvetstvennostyu"],
        "jsc": ["AO", "Aktsionernoe Obshchestvo", "PAO", "Publichnoe Aktsionernoe Obshchestvo"],
    },
    "el": {"jsc": ["A.E.", "AE", "Anonymi Etaireia"], "llc": ["E.P.E.", "EPE"]},
    "zh": {"llc": ["Youxian Gongsi", "Co., Ltd."], "jsc": ["Gufen Youxian Gongsi", "Co., Ltd."]},
    "ja": {"jsc": ["Kabushiki Kaisha", "K.K."], "llc": ["Godo Kaisha", "G.K."]},
    "ko": {"jsc": ["Jusik Hoesa", "Co., Ltd."], "llc": ["Yuhan Hoesa", "LLC"]},
}
LEGAL_EN = {"llc": ["Co., Ltd.", "LLC", "Ltd."], "jsc": ["JSC", "PJSC", "Public Company"], "lp": ["KG", "LP"]}

COUNTRIES = {
    "en": ["GB", "US", "IE", "AU", "IN", "NG", "CA"],
    "de": ["DE", "AT", "CH"],
    "fr": ["FR", "BE", "CH", "CA"],
    "es": ["ES", "MX", "AR", "CO", "CL"],
    "ru": ["RU", "BY", "KZ"],
    "el": ["GR", "CY"],
    "ar": ["EG", "SA", "AE", "JO", "MA", "DZ"],
    "zh": ["CN", "TW", "SG"],
    "ja": ["JP"],
    "ko": ["KR"],
}
LANG_WEIGHTS = {"en": 26, "de": 9, "fr": 7, "es": 7, "ru": 13, "el": 5, "ar": 8, "zh": 12, "ja": 6, "ko": 7}
NON_LATIN = {"ru", "el", "ar", "zh", "ja", "ko"}
KIND_WEIGHTS = {"university": 8, "unit": 17, "institute": 15, "company": 60}

# ------------------------------------------------------------------------------------ scripts


_ONSETS = ["b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "ch", "br", "dr", "kr", "st", "tr"]
_VOWELS = ["a", "e", "i", "o", "u"]
_CODAS = ["", "", "", "n", "r", "l", "s", "k", "m"]


def _latin_stem(rng: random.Random, syllables: int) -> str:
    out = []
    for i in range(syllables):
        onset = rng.choice(_ONSETS) if (i > 0 or rng.random() < 0.85) else ""
        out.append(
            onset + rng.choice(_VOWELS) + (rng.choice(_CODAS) if i == syllables - 1 or rng.random() < 0.2 else "")
        )
    return "".join(out)


_CYR = {
    "sh": "ш",
    "ch": "ч",
    "b": "б",
    "d": "д",
    "g": "г",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "v": "в",
    "z": "з",
    "a": "а",
    "e": "е",
    "i": "и",
    "o": "о",
    "u": "у",
    "y": "ы",
    "f": "ф",
    "h": "х",
}
_GRK = {
    "sh": "σ",
    "ch": "χ",
    "b": "μπ",
    "d": "ντ",
    "g": "γκ",
    "k": "κ",
    "l": "λ",
    "m": "μ",
    "n": "ν",
    "p": "π",
    "r": "ρ",
    "s": "σ",
    "t": "τ",
    "v": "β",
    "z": "ζ",
    "a": "α",
    "e": "ε",
    "i": "ι",
    "o": "ο",
    "u": "ου",
    "f": "φ",
    "h": "χ",
}


def _map_latin(stem: str, table: dict[str, str]) -> str:
    out, i = [], 0
    while i < len(stem):
        two = stem[i : i + 2]
        if two in table:
            out.append(table[two])
            i += 2
        else:
            out.append(table.get(stem[i], stem[i]))
            i += 1
    return "".join(out)


def to_cyrillic(stem: str) -> str:
    return _map_latin(stem.lower(), _CYR)


def to_greek(stem: str) -> str:
    text = _map_latin(stem.lower(), _GRK)
    return text[:-1] + "ς" if text.endswith("σ") else text


# Cyrillic -> Latin, several schemes (as people and lists actually write Russian names)
_CYR_BASE = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
CYRILLIC_SCHEMES: dict[str, dict[str, str]] = {
    "bgn": {**_CYR_BASE, "ий": "iy", "ый": "yy"},
    "passport": {**_CYR_BASE, "й": "i", "ъ": "ie", "ю": "iu", "я": "ia", "ий": "ii", "ый": "yi"},
    "german": {
        **_CYR_BASE,
        "в": "w",
        "ж": "sch",
        "з": "s",
        "й": "j",
        "х": "ch",
        "ц": "z",
        "ч": "tsch",
        "ш": "sch",
        "щ": "schtsch",
        "ю": "ju",
        "я": "ja",
        "ий": "ij",
        "ый": "yj",
    },
    "scholarly": {
        **_CYR_BASE,
        "ж": "z",
        "й": "j",
        "х": "h",
        "ц": "c",
        "ч": "c",
        "ш": "s",
        "щ": "sc",
        "ю": "ju",
        "я": "ja",
        "ий": "ij",
        "ый": "yj",
    },
}
CYRILLIC_WEIGHTS = {"bgn": 45, "passport": 35, "german": 10, "scholarly": 10}


def _translit(text: str, table: dict[str, str]) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        two = text[i : i + 2].lower()
        if len(two) == 2 and two in table:
            rep = table[two]
            i += 2
        elif ch.lower() in table:
            rep = table[ch.lower()]
            i += 1
        else:
            out.append(ch)
            i += 1
            continue
        out.append(rep.capitalize() if ch.isupper() and rep else rep)
    return "".join(out)


@lru_cache(maxsize=200_000)
def _cyrillic_word(word: str, scheme: str) -> str:
    return _translit(word, CYRILLIC_SCHEMES[scheme])


def cyrillic_to_latin(text: str, scheme: str) -> str:
    return " ".join(_cyrillic_word(w, scheme) for w in text.split(" "))


_GRK_BASE = {
    "α": "a",
    "β": "v",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "i",
    "θ": "th",
    "ι": "i",
    "κ": "k",
    "λ": "l",
    "μ": "m",
    "ν": "n",
    "ξ": "x",
    "ο": "o",
    "π": "p",
    "ρ": "r",
    "σ": "s",
    "ς": "s",
    "τ": "t",
    "υ": "y",
    "φ": "f",
    "χ": "ch",
    "ψ": "ps",
    "ω": "o",
    "ου": "ou",
    "μπ": "b",
    "ντ": "d",
    "γκ": "g",
    "γγ": "ng",
    "αι": "ai",
    "ει": "ei",
    "οι": "oi",
    "αυ": "av",
    "ευ": "ev",
}
GREEK_SCHEMES: dict[str, dict[str, str]] = {
    "elot": _GRK_BASE,
    "phonetic": {**_GRK_BASE, "υ": "i", "ει": "i", "οι": "i", "αι": "e", "ου": "u", "χ": "h"},
    "classical": {
        **_GRK_BASE,
        "β": "b",
        "η": "e",
        "φ": "ph",
        "μπ": "mp",
        "ντ": "nt",
        "γκ": "gk",
        "αυ": "au",
        "ευ": "eu",
    },
}
GREEK_WEIGHTS = {"elot": 55, "phonetic": 30, "classical": 15}


@lru_cache(maxsize=200_000)
def _greek_word(word: str, scheme: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
    return _translit(plain, GREEK_SCHEMES[scheme])


def greek_to_latin(text: str, scheme: str) -> str:
    return " ".join(_greek_word(w, scheme) for w in text.split(" "))


# Arabic: stems written from (consonant, vowel, long?) syllables
_AR_CONS = {
    "b": "ب",
    "d": "د",
    "f": "ف",
    "j": "ج",
    "h": "ه",
    "k": "ك",
    "l": "ل",
    "m": "م",
    "n": "ن",
    "q": "ق",
    "r": "ر",
    "s": "س",
    "sh": "ش",
    "t": "ت",
    "z": "ز",
    "kh": "خ",
    "w": "و",
    "y": "ي",
}
_AR_LONG = {"a": "ا", "i": "ي", "u": "و"}


def _arabic_stem(rng: random.Random) -> tuple[str, str]:
    """(Arabic, romanisation): short vowels are not written, long ones are."""
    native, latin = [], []
    cons = list(_AR_CONS)
    for i in range(rng.choice([2, 3, 3, 4])):
        c = rng.choice(cons)
        v = rng.choice("aaiu")
        long_ = rng.random() < 0.45
        native.append(_AR_CONS[c] + (_AR_LONG[v] if long_ else ""))
        latin.append(c + (v + v if long_ and rng.random() < 0.1 else v))
        if i == 0 and rng.random() < 0.3:
            c2 = rng.choice(cons)
            native.append(_AR_CONS[c2])
            latin.append(c2)
    if rng.random() < 0.4:
        native.append("ة")
        latin.append("a")
    else:
        c = rng.choice(cons)
        native.append(_AR_CONS[c])
        latin.append(c)
    return "".join(native), "".join(latin).capitalize()


_HAN = [
    "安an",
    "宝bao",
    "北bei",
    "滨bin",
    "长chang",
    "川chuan",
    "春chun",
    "大da",
    "德de",
    "东dong",
    "方fang",
    "丰feng",
    "富fu",
    "光guang",
    "广guang",
    "贵gui",
    "海hai",
    "汉han",
    "和he",
    "河he",
    "华hua",
    "黄huang",
    "惠hui",
    "吉ji",
    "嘉jia",
    "江jiang",
    "金jin",
    "京jing",
    "锦jin",
    "康kang",
    "兰lan",
    "乐le",
    "丽li",
    "利li",
    "连lian",
    "林lin",
    "龙long",
    "隆long",
    "美mei",
    "明ming",
    "南nan",
    "宁ning",
    "平ping",
    "齐qi",
    "庆qing",
    "秋qiu",
    "泉quan",
    "仁ren",
    "瑞rui",
    "山shan",
    "上shang",
    "盛sheng",
    "泰tai",
    "天tian",
    "通tong",
    "万wan",
    "文wen",
    "西xi",
    "祥xiang",
    "新xin",
    "兴xing",
    "秀xiu",
    "阳yang",
    "毅yi",
    "永yong",
    "远yuan",
    "云yun",
    "泽ze",
    "正zheng",
    "中zhong",
    "州zhou",
    "珠zhu",
    "庄zhuang",
    "博bo",
    "昌chang",
    "成cheng",
    "辰chen",
    "达da",
    "鼎ding",
    "飞fei",
    "芳fang",
    "刚gang",
    "高gao",
    "国guo",
    "恒heng",
    "红hong",
    "宏hong",
    "鸿hong",
    "辉hui",
    "佳jia",
    "坚jian",
    "杰jie",
    "晶jing",
    "俊jun",
    "凯kai",
    "科ke",
    "蓝lan",
    "雷lei",
    "磊lei",
    "力li",
    "良liang",
    "麟lin",
    "玲ling",
    "茂mao",
    "敏min",
    "鹏peng",
    "奇qi",
    "启qi",
    "强qiang",
    "青qing",
    "清qing",
    "荣rong",
    "森sen",
    "胜sheng",
    "顺shun",
    "松song",
    "涛tao",
    "腾teng",
    "伟wei",
    "卫wei",
    "武wu",
    "翔xiang",
    "星xing",
    "雄xiong",
    "轩xuan",
    "雅ya",
    "彦yan",
    "耀yao",
    "益yi",
    "英ying",
    "盈ying",
    "宇yu",
    "玉yu",
    "裕yu",
    "振zhen",
    "志zhi",
    "智zhi",
    "忠zhong",
    "卓zhuo",
]
HAN = [(item[0], item[1:]) for item in _HAN]


def _han_stem(rng: random.Random, chars: int = 2) -> tuple[str, str]:
    picked = [rng.choice(HAN) for _ in range(chars)]
    return "".join(c for c, _ in picked), "".join(p for _, p in picked).capitalize()


_KANA = [
    "ka",
    "カ",
    "ki",
    "キ",
    "ku",
    "ク",
    "ke",
    "ケ",
    "ko",
    "コ",
    "sa",
    "サ",
    "shi",
    "シ",
    "su",
    "ス",
    "se",
    "セ",
    "so",
    "ソ",
    "ta",
    "タ",
    "chi",
    "チ",
    "tsu",
    "ツ",
    "te",
    "テ",
    "to",
    "ト",
    "na",
    "ナ",
    "ni",
    "ニ",
    "nu",
    "ヌ",
    "ne",
    "ネ",
    "no",
    "ノ",
    "ha",
    "ハ",
    "hi",
    "ヒ",
    "fu",
    "フ",
    "he",
    "ヘ",
    "ho",
    "ホ",
    "ma",
    "マ",
    "mi",
    "ミ",
    "mu",
    "ム",
    "me",
    "メ",
    "mo",
    "モ",
    "ra",
    "ラ",
    "ri",
    "リ",
    "ru",
    "ル",
    "re",
    "レ",
    "ro",
    "ロ",
    "ga",
    "ガ",
    "gi",
    "ギ",
    "gu",
    "グ",
    "ge",
    "ゲ",
    "go",
    "ゴ",
    "za",
    "ザ",
    "ji",
    "ジ",
    "zu",
    "ズ",
    "ze",
    "ゼ",
    "zo",
    "ゾ",
    "da",
    "ダ",
    "de",
    "デ",
    "do",
    "ド",
    "ba",
    "バ",
    "bi",
    "ビ",
    "bu",
    "ブ",
    "be",
    "ベ",
    "bo",
    "ボ",
    "pa",
    "パ",
    "pi",
    "ピ",
    "pu",
    "プ",
    "pe",
    "ペ",
    "po",
    "ポ",
    "ya",
    "ヤ",
    "yu",
    "ユ",
    "yo",
    "ヨ",
    "wa",
    "ワ",
]
KANA = list(zip(_KANA[0::2], _KANA[1::2], strict=True))


def _kana_stem(rng: random.Random) -> tuple[str, str]:
    native, latin = [], []
    for i in range(rng.choice([2, 3, 3, 4])):
        rom, kana = rng.choice(KANA)
        native.append(kana)
        latin.append(rom)
        if i > 0 and rng.random() < 0.15:
            native.append("ン")
            latin.append("n")
    return "".join(native), "".join(latin).capitalize()


_KO_INITIAL = ["g", "n", "d", "r", "m", "b", "s", "", "j", "ch", "k", "t", "p", "h"]
_KO_INITIAL_IDX = [0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18]
_KO_VOWEL = [
    ("a", 0),
    ("ae", 1),
    ("eo", 4),
    ("e", 5),
    ("o", 8),
    ("u", 13),
    ("eu", 18),
    ("i", 20),
    ("yeo", 6),
    ("yo", 12),
    ("yu", 17),
]
_KO_FINAL = [("", 0), ("", 0), ("", 0), ("k", 1), ("n", 4), ("l", 8), ("m", 16), ("ng", 21)]


def _hangul_stem(rng: random.Random, syllables: int = 2) -> tuple[str, str]:
    native, latin = [], []
    for _ in range(syllables):
        k = rng.randrange(len(_KO_INITIAL))
        v_rom, v = rng.choice(_KO_VOWEL)
        f_rom, f = rng.choice(_KO_FINAL)
        native.append(chr(0xAC00 + (_KO_INITIAL_IDX[k] * 21 + v) * 28 + f))
        latin.append(_KO_INITIAL[k] + v_rom + f_rom)
    return "".join(native), "".join(latin).capitalize()


# ------------------------------------------------------------------------------------ names


@dataclass
class Org:
    """A generated organisation: enough structure to re-render it with another legal form, field or sector."""

    lang: str
    kind: str  # university | unit | institute | company
    stem: tuple[str, str]  # (native, Latin) place or brand name
    variant: int  # template / university type
    field_idx: int = -1
    sector_idx: int = -1
    legal_class: str | None = None
    legal_variant: int = 0
    legal_prefix: bool = False
    unit_type: int = 0
    parent_variant: int = 0  # for units: the university template


_EN_UNI = [
    "University of {c}",
    "{c} University",
    "{c} State University",
    "{c} University of Technology",
    "{c} Technical University",
    "{c} National University",
]
_EN_UNIT = ["Faculty of {f}", "Institute of {f}", "Department of {f}", "School of {f}"]
_EN_INST = [
    "{c} Institute of {f}",
    "{c} Center for {f} Research",
    "{c} Research Institute of {f}",
    "{c} Laboratory of {f}",
]
_DE_UNI = ["Universität {c}", "Technische Universität {c}", "Hochschule {c}", "Fachhochschule {c}"]
_DE_UNIT = ["Fakultät für {f}", "Institut für {f}", "Lehrstuhl für {f}", "Zentrum für {f}"]
_DE_INST = ["{c} Institut für {f}", "Forschungszentrum {c} für {f}", "{c} Laboratorium für {f}"]
_FR_UNI = [
    "Université de {c}",
    "Université Technique de {c}",
    "Université Nationale de {c}",
    "École Polytechnique de {c}",
]
_FR_UNIT = ["Faculté de {f}", "Institut de {f}", "Département de {f}", "Laboratoire de {f}"]
_FR_INST = ["Institut de {f} de {c}", "Centre de Recherche en {f} de {c}", "Laboratoire National de {f} de {c}"]
_ES_UNI = [
    "Universidad de {c}",
    "Universidad Técnica de {c}",
    "Universidad Nacional de {c}",
    "Universidad Politécnica de {c}",
]
_ES_UNIT = ["Facultad de {f}", "Instituto de {f}", "Departamento de {f}", "Escuela de {f}"]
_ES_INST = ["Instituto de {f} de {c}", "Centro de Investigación en {f} de {c}", "Laboratorio Nacional de {f} de {c}"]
_RU_UNI = [
    "{a} государственный университет",
    "{a} технический университет",
    "{a} национальный исследовательский университет",
    "{a} политехнический институт",
]
_RU_UNI_EN = [
    "{c} State University",
    "{c} Technical University",
    "{c} National Research University",
    "{c} Polytechnic Institute",
]
_RU_UNIT = ["Факультет {f}", "Институт {f}", "Кафедра {f}", "Лаборатория {f}"]
_RU_UNIT_EN = ["Faculty of {f}", "Institute of {f}", "Department of {f}", "Laboratory of {f}"]
_RU_INST = ["{a} институт {f}", "{a} научно-исследовательский институт {f}", "{a} центр {f}"]
_RU_INST_EN = ["{c} Institute of {f}", "{c} Research Institute of {f}", "{c} Center of {f}"]
_EL_UNI = ["Πανεπιστήμιο {c}", "Πολυτεχνείο {c}", "Εθνικό Πανεπιστήμιο {c}", "Τεχνολογικό Πανεπιστήμιο {c}"]
_EL_UNI_EN = [
    "University of {c}",
    "Polytechnic of {c}",
    "National University of {c}",
    "Technological University of {c}",
]
_EL_UNIT = ["Τμήμα {f}", "Ινστιτούτο {f}", "Σχολή {f}", "Εργαστήριο {f}"]
_EL_UNIT_EN = ["Department of {f}", "Institute of {f}", "School of {f}", "Laboratory of {f}"]
_EL_INST = ["Ινστιτούτο {f} {c}", "Ερευνητικό Κέντρο {f} {c}", "Εργαστήριο {f} {c}"]
_EL_INST_EN = ["{c} Institute of {f}", "{c} Research Center of {f}", "{c} Laboratory of {f}"]
_AR_UNI = [
    ("جامعة {c}", "Jamiat {c}", "{c} University"),
    ("جامعة {c} التقنية", "Jamiat {c} al-Taqniya", "{c} Technical University"),
    ("جامعة {c} الوطنية", "Jamiat {c} al-Wataniya", "{c} National University"),
]
_AR_UNIT = [
    ("كلية {f}", "Kulliyat {f}", "Faculty of {f}"),
    ("معهد {f}", "Mahad {f}", "Institute of {f}"),
    ("قسم {f}", "Qism {f}", "Department of {f}"),
]
_AR_INST = [
    ("معهد {c} لبحوث {f}", "Mahad {c} li-Buhuth {f}", "{c} Institute for {f} Research"),
    ("مركز {c} ل{f}", "Markaz {c} li-{f}", "{c} Center for {f}"),
]
_ZH_UNI = [
    ("{c}大学", "{c} Daxue", "{c} University"),
    ("{c}理工大学", "{c} Ligong Daxue", "{c} University of Technology"),
    ("{c}科技大学", "{c} Keji Daxue", "{c} University of Science and Technology"),
    ("{c}师范大学", "{c} Shifan Daxue", "{c} Normal University"),
]
_ZH_UNIT = [
    ("{f}学院", "{f} Xueyuan", "School of {f}"),
    ("{f}研究所", "{f} Yanjiusuo", "Institute of {f}"),
    ("{f}系", "{f} Xi", "Department of {f}"),
]
_ZH_INST = [
    ("{c}{f}研究所", "{c} {f} Yanjiusuo", "{c} Institute of {f}"),
    ("{c}{f}研究院", "{c} {f} Yanjiuyuan", "{c} Academy of {f}"),
]
_KO_UNI = [
    ("{c}대학교", "{c} Daehakgyo", "{c} University"),
    ("{c}과학기술원", "{c} Gwahak Gisulwon", "{c} Institute of Science and Technology"),
    ("{c}공과대학교", "{c} Gonggwa Daehakgyo", "{c} University of Technology"),
]
_KO_UNIT = [("{f}과", "{f} Gwa", "Department of {f}"), ("{f}연구소", "{f} Yeonguso", "Institute of {f}")]
_KO_INST = [
    ("{c}{f}연구소", "{c} {f} Yeonguso", "{c} Institute of {f}"),
    ("{c}{f}연구원", "{c} {f} Yeonguwon", "{c} Research Institute of {f}"),
]
_JA_INST = [("{c}研究所", "{c} Kenkyusho", "{c} Research Institute"), ("{c}大学", "{c} Daigaku", "{c} University")]


# University template -> kind of university (templates of one kind name the same organisation: "University of
# X" and "X University"), per language, in template order.
UNI_TYPES = {
    "en": [0, 0, 1, 2, 2, 3],
    "de": [0, 2, 4, 5],
    "fr": [0, 2, 3, 6],
    "es": [0, 2, 3, 6],
    "ru": [1, 2, 7, 6],
    "el": [0, 6, 3, 2],
    "ar": [0, 2, 3],
    "zh": [0, 2, 8, 9],
    "ko": [0, 8, 2],
    "ja": [10, 0],
}


def uni_type(lang: str, variant: int) -> int:
    types = UNI_TYPES[lang]
    return types[variant % len(types)]


def semantic_key(org: Org) -> tuple:
    """What makes two generated organisations the same one, whatever the wording or legal form."""
    stem = org.stem[1].lower()
    if org.kind == "company":
        return (
            "company",
            org.lang,
            stem,
            org.sector_idx if (org.variant % 3 or org.lang in ("zh", "ko", "ar")) else -1,
        )
    if org.kind == "university":
        return ("university", org.lang, stem, uni_type(org.lang, org.variant))
    if org.kind == "unit":
        return ("unit", org.lang, stem, uni_type(org.lang, org.parent_variant), org.unit_type, org.field_idx)
    if org.lang == "ja":
        return ("institute", org.lang, stem, uni_type(org.lang, org.variant))
    return ("institute", org.lang, stem, org.variant, org.field_idx)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


class Renderer:
    """Renders an Org in its own script (`native`), in Latin (`latin`, with a romanisation scheme) and in
    English (`english`, generic words translated, names romanised)."""

    @staticmethod
    def _legal_native(org: Org) -> str | None:
        if org.legal_class is None:
            return None
        variants = LEGAL[org.lang][org.legal_class]
        return variants[org.legal_variant % len(variants)]

    @staticmethod
    def _legal_latin(org: Org) -> str | None:
        if org.legal_class is None:
            return None
        if org.lang in LEGAL_LATIN:
            variants = LEGAL_LATIN[org.lang][org.legal_class]
        else:
            variants = LEGAL[org.lang][org.legal_class]
        return variants[org.legal_variant % len(variants)]

    @staticmethod
    def _with_legal(body: str, legal: str | None, prefix: bool, sep: str = " ") -> str:
        if not legal:
            return body
        return f"{legal}{sep}{body}" if prefix else f"{body}{sep}{legal}"

    def native(self, org: Org, legal: bool = True) -> str:
        lang, kind = org.lang, org.kind
        c_nat, c_lat = org.stem
        f = FIELDS[org.field_idx] if org.field_idx >= 0 else None
        s = SECTORS[org.sector_idx] if org.sector_idx >= 0 else None
        lg = self._legal_native(org) if legal else None
        if lang in ("en", "de", "fr", "es"):
            unis = {"en": _EN_UNI, "de": _DE_UNI, "fr": _FR_UNI, "es": _ES_UNI}[lang]
            units = {"en": _EN_UNIT, "de": _DE_UNIT, "fr": _FR_UNIT, "es": _ES_UNIT}[lang]
            insts = {"en": _EN_INST, "de": _DE_INST, "fr": _FR_INST, "es": _ES_INST}[lang]
            if kind == "university":
                return unis[org.variant % len(unis)].format(c=c_lat)
            if kind == "unit":
                uni = unis[org.parent_variant % len(unis)].format(c=c_lat)
                return units[org.unit_type % len(units)].format(f=f[lang]) + ", " + uni
            if kind == "institute":
                return insts[org.variant % len(insts)].format(c=c_lat, f=f[lang])
            body = f"{c_lat} {s[lang]}" if org.variant % 3 else c_lat
            return self._with_legal(body, lg, False)
        if lang == "ru":
            adj = _cap(c_nat) + "ский"
            if kind == "university":
                return _RU_UNI[org.variant % len(_RU_UNI)].format(a=adj)
            if kind == "unit":
                uni = _RU_UNI[org.parent_variant % len(_RU_UNI)].format(a=adj)
                return _RU_UNIT[org.unit_type % len(_RU_UNIT)].format(f=f["ru"]) + " " + uni
            if kind == "institute":
                return _RU_INST[org.variant % len(_RU_INST)].format(a=adj, f=f["ru"])
            body = f"{_cap(c_nat)} {s['ru']}" if org.variant % 3 else _cap(c_nat)
            if org.variant % 2:
                body = f"«{body}»"
            return self._with_legal(body, lg, org.legal_prefix)
        if lang == "el":
            if kind == "university":
                return _EL_UNI[org.variant % len(_EL_UNI)].format(c=_cap(c_nat))
            if kind == "unit":
                uni = _EL_UNI[org.parent_variant % len(_EL_UNI)].format(c=_cap(c_nat))
                return _EL_UNIT[org.unit_type % len(_EL_UNIT)].format(f=f["el"]) + " " + uni
            if kind == "institute":
                return _EL_INST[org.variant % len(_EL_INST)].format(c=_cap(c_nat), f=f["el"])
            body = f"{_cap(c_nat)} {s['el']}" if org.variant % 3 else _cap(c_nat)
            return self._with_legal(body, lg, False)
        if lang == "ar":
            if kind == "university":
                return _AR_UNI[org.variant % len(_AR_UNI)][0].format(c=c_nat)
            if kind == "unit":
                uni = _AR_UNI[org.parent_variant % len(_AR_UNI)][0].format(c=c_nat)
                return _AR_UNIT[org.unit_type % len(_AR_UNIT)][0].format(f=f["ar"][0]) + " " + uni
            if kind == "institute":
                return _AR_INST[org.variant % len(_AR_INST)][0].format(c=c_nat, f=f["ar"][0])
            return f"شركة {c_nat} {s['ar'][0]}"
        if lang == "zh":
            if kind == "university":
                return _ZH_UNI[org.variant % len(_ZH_UNI)][0].format(c=c_nat)
            if kind == "unit":
                uni = _ZH_UNI[org.parent_variant % len(_ZH_UNI)][0].format(c=c_nat)
                return uni + _ZH_UNIT[org.unit_type % len(_ZH_UNIT)][0].format(f=f["zh"][0])
            if kind == "institute":
                return _ZH_INST[org.variant % len(_ZH_INST)][0].format(c=c_nat, f=f["zh"][0])
            return self._with_legal(f"{c_nat}{s['zh'][0]}", lg, False, sep="")
        if lang == "ja":
            if kind in ("university", "institute", "unit"):
                return _JA_INST[org.variant % len(_JA_INST)][0].format(c=c_nat)
            body = f"{c_nat}{s['ja'][0]}" if org.variant % 3 else c_nat
            return self._with_legal(body, lg, org.legal_prefix, sep="")
        if lang == "ko":
            if kind == "university":
                return _KO_UNI[org.variant % len(_KO_UNI)][0].format(c=c_nat)
            if kind == "unit":
                uni = _KO_UNI[org.parent_variant % len(_KO_UNI)][0].format(c=c_nat)
                return uni + " " + _KO_UNIT[org.unit_type % len(_KO_UNIT)][0].format(f=f["ko"][0])
            if kind == "institute":
                return _KO_INST[org.variant % len(_KO_INST)][0].format(c=c_nat, f=f["ko"][0])
            return self._with_legal(f"{c_nat} {s['ko'][0]}", lg, org.legal_prefix)
        raise ValueError(lang)

    def latin(self, org: Org, scheme: str = "", legal: bool = True) -> str:
        """The name in Latin script: the native name for Latin languages; a romanisation otherwise."""
        lang, kind = org.lang, org.kind
        if lang in ("en", "de", "fr", "es"):
            return self.native(org, legal)
        if lang == "ru":  # the legal form as rigour knows it (OOO, AO, Obshchestvo s ...)
            body = cyrillic_to_latin(self.native(org, legal=False), scheme or "bgn")
            return self._with_legal(body, self._legal_latin(org) if legal else None, org.legal_prefix)
        if lang == "el":
            body = greek_to_latin(self.native(org, legal=False), scheme or "elot")
            return self._with_legal(body, self._legal_latin(org) if legal else None, False)
        c_lat = org.stem[1]
        f = FIELDS[org.field_idx] if org.field_idx >= 0 else None
        s = SECTORS[org.sector_idx] if org.sector_idx >= 0 else None
        lg = self._legal_latin(org) if legal else None
        if lang == "ar":
            if kind == "university":
                return _AR_UNI[org.variant % len(_AR_UNI)][1].format(c=c_lat)
            if kind == "unit":
                uni = _AR_UNI[org.parent_variant % len(_AR_UNI)][1].format(c=c_lat)
                return _AR_UNIT[org.unit_type % len(_AR_UNIT)][1].format(f=f["ar"][1]) + " " + uni
            if kind == "institute":
                return _AR_INST[org.variant % len(_AR_INST)][1].format(c=c_lat, f=f["ar"][1].replace("al-", ""))
            return f"Sharikat {c_lat} {s['ar'][1]}"
        tables = {"zh": (_ZH_UNI, _ZH_UNIT, _ZH_INST), "ko": (_KO_UNI, _KO_UNIT, _KO_INST)}
        if lang in tables:
            unis, units, insts = tables[lang]
            if kind == "university":
                return unis[org.variant % len(unis)][1].format(c=c_lat)
            if kind == "unit":
                uni = unis[org.parent_variant % len(unis)][1].format(c=c_lat)
                return uni + " " + units[org.unit_type % len(units)][1].format(f=f[lang][1])
            if kind == "institute":
                return insts[org.variant % len(insts)][1].format(c=c_lat, f=f[lang][1])
            return self._with_legal(f"{c_lat} {s[lang][1]}", lg, org.legal_prefix and lang == "ko")
        if lang == "ja":
            if kind in ("university", "institute", "unit"):
                return _JA_INST[org.variant % len(_JA_INST)][1].format(c=c_lat)
            body = f"{c_lat} {s['ja'][1]}" if org.variant % 3 else c_lat
            return self._with_legal(body, lg, org.legal_prefix)
        raise ValueError(lang)

    def english(self, org: Org, legal: bool = True) -> str:
        """English rendering (generic words translated, names romanised), as Western lists write them."""
        lang, kind = org.lang, org.kind
        c_lat = (
            org.stem[1]
            if lang not in ("ru", "el")
            else _cap(cyrillic_to_latin(org.stem[0], "bgn") if lang == "ru" else greek_to_latin(org.stem[0], "elot"))
        )
        f = FIELDS[org.field_idx]["en"] if org.field_idx >= 0 else ""
        s = SECTORS[org.sector_idx]["en"] if org.sector_idx >= 0 else ""
        legal_en = (
            LEGAL_EN[org.legal_class][org.legal_variant % len(LEGAL_EN[org.legal_class])]
            if (legal and org.legal_class)
            else None
        )
        if lang in ("en", "de", "fr", "es"):
            if kind == "company":
                return self._with_legal(f"{c_lat} {s}" if org.variant % 3 else c_lat, legal_en, False)
            tmp = Org(**{**org.__dict__, "lang": "en"})
            return self.native(tmp)
        if kind == "company":
            body = f"{c_lat} {s}" if (org.variant % 3 or lang in ("zh", "ko", "ar")) else c_lat
            return self._with_legal(body, legal_en, False)
        if lang == "ru":
            uni = _RU_UNI_EN[(org.parent_variant if kind == "unit" else org.variant) % len(_RU_UNI_EN)].format(c=c_lat)
            if kind == "university":
                return uni
            if kind == "unit":
                return _RU_UNIT_EN[org.unit_type % len(_RU_UNIT_EN)].format(f=f) + ", " + uni
            return _RU_INST_EN[org.variant % len(_RU_INST_EN)].format(c=c_lat, f=f)
        if lang == "el":
            uni = _EL_UNI_EN[(org.parent_variant if kind == "unit" else org.variant) % len(_EL_UNI_EN)].format(c=c_lat)
            if kind == "university":
                return uni
            if kind == "unit":
                return _EL_UNIT_EN[org.unit_type % len(_EL_UNIT_EN)].format(f=f) + ", " + uni
            return _EL_INST_EN[org.variant % len(_EL_INST_EN)].format(c=c_lat, f=f)
        if lang == "ja":
            return _JA_INST[org.variant % len(_JA_INST)][2].format(c=c_lat)
        tables = {
            "ar": (_AR_UNI, _AR_UNIT, _AR_INST),
            "zh": (_ZH_UNI, _ZH_UNIT, _ZH_INST),
            "ko": (_KO_UNI, _KO_UNIT, _KO_INST),
        }
        unis, units, insts = tables[lang]
        uni = unis[(org.parent_variant if kind == "unit" else org.variant) % len(unis)][2].format(c=c_lat)
        if kind == "university":
            return uni
        if kind == "unit":
            return units[org.unit_type % len(units)][2].format(f=f) + ", " + uni
        return insts[org.variant % len(insts)][2].format(c=c_lat, f=f)


RENDER = Renderer()


_NOT_ALNUM = re.compile(r"[\W_]+")


def core_key(text: str) -> str:
    """Generator-side identity of a name: casefolded letters and digits only (legal forms rendered away)."""
    return _NOT_ALNUM.sub("", text.casefold())


# ----------------------------------------------------------------------------------- variations


_CUM: dict[int, tuple[list[str], list[int]]] = {}


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    cached = _CUM.get(id(weights))
    if cached is None:
        total, cum = 0, []
        for w in weights.values():
            total += w
            cum.append(total)
        cached = _CUM[id(weights)] = (list(weights), cum)
    keys, cum = cached
    return keys[bisect.bisect_right(cum, rng.random() * cum[-1])]


def translit_scheme(rng: random.Random, lang: str) -> str:
    if lang == "ru":
        return _weighted(rng, CYRILLIC_WEIGHTS)
    if lang == "el":
        return _weighted(rng, GREEK_WEIGHTS)
    return ""


_KEYBOARD = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", "wqrtyuiopsadfghjklkzxcvbnm", strict=True)}


_LEGAL_WORDS = frozenset(
    w.lower().strip(".,")
    for forms in (*LEGAL.values(), *LEGAL_LATIN.values())
    for vs in forms.values()
    for v in vs
    for w in v.split()
) | {"company", "limited", "public", "liability"}


def typo(rng: random.Random, text: str, edits: int = 1) -> str:
    """One or two character edits (substitute, delete, insert, transpose) inside words of 5+ letters (not in
    legal forms: the matcher recognises those from rigour's list, misspelt ones are not, see the report)."""
    for _ in range(edits):
        words = text.split(" ")
        candidates = [
            i
            for i, w in enumerate(words)
            if sum(ch.isalpha() for ch in w) >= 5 and w.lower().strip(".,«»") not in _LEGAL_WORDS
        ]
        if not candidates:
            return text
        i = rng.choice(candidates)
        w = words[i]
        pos = rng.randrange(1, len(w) - 1)
        op = rng.choice(["sub", "del", "ins", "swap"])
        if op == "sub":
            ch = w[pos].lower()
            w = w[:pos] + _KEYBOARD.get(ch, "e") + w[pos + 1 :]
        elif op == "del":
            w = w[:pos] + w[pos + 1 :]
        elif op == "ins":
            w = w[:pos] + rng.choice("aeioulnrst") + w[pos:]
        elif pos + 1 < len(w):
            w = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2 :]
        words[i] = w
        text = " ".join(words)
    return text


ABBREVIATIONS = {
    "University": "Univ.",
    "Universität": "Univ.",
    "Université": "Univ.",
    "Universidad": "Univ.",
    "Institute": "Inst.",
    "Institut": "Inst.",
    "Instituto": "Inst.",
    "National": "Natl.",
    "Nationale": "Nat.",
    "Nacional": "Nac.",
    "Technology": "Tech.",
    "Technical": "Tech.",
    "Technische": "Techn.",
    "Technique": "Tech.",
    "Técnica": "Téc.",
    "Research": "Res.",
    "Laboratory": "Lab.",
    "Laboratorium": "Lab.",
    "Laboratoire": "Lab.",
    "Laboratorio": "Lab.",
    "Department": "Dept.",
    "Center": "Ctr.",
    "Centre": "Ctr.",
    "Engineering": "Eng.",
    "Science": "Sci.",
    "Sciences": "Sci.",
    "Technologies": "Techs.",
    "Systems": "Sys.",
    "Electronics": "Electr.",
    "Mathematics": "Math.",
    "Polytechnic": "Polytech.",
    "Faculty": "Fac.",
    "Fakultät": "Fak.",
    "Faculté": "Fac.",
    "Facultad": "Fac.",
    "Département": "Dép.",
    "Departamento": "Depto.",
    "Physics": "Phys.",
    "Chemistry": "Chem.",
    "Materials": "Mater.",
    "Instruments": "Instr.",
}


def abbreviate(text: str) -> str | None:
    words = text.replace(",", " ,").split(" ")
    changed = [ABBREVIATIONS.get(w, w) for w in words]
    if changed == words:
        return None
    return " ".join(changed).replace(" ,", ",")


_STOP = {"of", "the", "and", "for", "de", "des", "du", "la", "le", "en", "für", "der", "y", "del"}


def content_words(text: str, lang: str, legal: str | None) -> list[str]:
    words = [w.strip(",.«»") for w in text.split() if w.strip(",.«»")]
    legal_words = set(legal.split()) if legal else set()
    return [w for w in words if w.lower() not in _STOP and w not in legal_words]


def acronym_of(text: str, lang: str, legal: str | None) -> str | None:
    words = content_words(text, lang, legal)
    if not 3 <= len(words) <= 8 or not all(w[0].isalpha() and w[0].isascii() for w in words):
        return None
    return "".join(w[0].upper() for w in words)


# ------------------------------------------------------------------------------------ identifiers


def lei_check_digits(first18: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in first18.upper() + "00")
    return f"{98 - int(digits) % 97:02d}"


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ROR_CHARS = "0123456789abcdefghjkmnpqrstvwxyz"


def make_lei(rng: random.Random) -> str:
    body = "9845" + "00" + "".join(rng.choice(_ALNUM) for _ in range(12))
    return body + lei_check_digits(body)


def make_ror(rng: random.Random) -> str:
    return "0" + "".join(rng.choice(_ROR_CHARS) for _ in range(6)) + f"{rng.randrange(100):02d}"


def make_pic(rng: random.Random) -> str:
    return str(rng.randrange(880_000_000, 999_999_999))


def make_vat(rng: random.Random, country: str) -> str:
    return ("EL" if country == "GR" else country) + str(rng.randrange(10**8, 10**10))


def make_registration(rng: random.Random) -> str:
    return str(rng.randrange(10**6, 10**9))


# ------------------------------------------------------------------------------------ generation


@dataclass(frozen=True)
class LabelledQuery:
    query: OrganisationQuery
    kind: str  # "positive.<kind>" or "negative.<kind>"
    expected: tuple[tuple[str, str], ...]  # (list_key, entry_id) that must be found; () for negatives

    @property
    def positive(self) -> bool:
        return bool(self.expected)


@dataclass
class SyntheticData:
    lists: tuple[ListVersionData, ...]
    queries: tuple[LabelledQuery, ...]
    seed: int
    n_entries: int
    n_names: int  # names + aliases + weak aliases over all entries
    by_kind: dict[str, int] = field(default_factory=dict)
    unlisted: tuple[tuple[str, str], ...] = ()  # (name, country) of organisations on no list (`generate(unlisted=)`)


@dataclass
class _Record:
    list_idx: int
    entry_id: str
    org: Org | None
    names: list[str]
    country: str
    identifiers: dict[str, str]
    listed: bool = True
    latin_only: bool = False
    alias_scheme: str = ""
    schema: str = "Organization"


POSITIVE_KINDS = (
    "alias",
    "translit_to_latin",
    "translit_from_latin",
    "abbreviation",
    "acronym",
    "reordered",
    "legal_form",
    "typo",
    "identifier",
    "control",
)
NEGATIVE_KINDS = ("sibling_unit", "legal_form_conflict", "similar_name", "shared_rare_token", "uncontrolled_unlisted")

LISTS = (
    ("synthetic-sanctions", ListKind.sanctions, 0.4),
    ("synthetic-export", ListKind.export_control, 0.4),
    ("synthetic-watch", ListKind.watchlist, 0.2),
)


class _Generator:
    def __init__(self, n_entries: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = n_entries
        self.taken: set[str] = set()
        self.semantic: set[tuple] = set()
        self.records: list[_Record] = []
        self.stems: dict[str, list[tuple[str, str]]] = {}
        self.stem_uses: dict[tuple[str, str], int] = {}
        self.units_of: dict[tuple, list[int]] = {}  # university -> its units' records
        self.uni_listed: set[tuple] = set()
        self.relations: list[list[Relation]] = [[] for _ in LISTS]
        self.counter = [0 for _ in LISTS]

    # stems: a pool per language; drawn with a skewed distribution so that some recur a lot
    def _stem_pool(self, lang: str) -> list[tuple[str, str]]:
        pool = self.stems.get(lang)
        if pool is None:
            rng = random.Random(f"{lang}-{self.n}-{self.rng.random()}")
            size = max(200, int(self.n * LANG_WEIGHTS[lang] / 100 / 2.2))
            seen: set[str] = set()
            pool = []
            while len(pool) < size:
                stem = self._new_stem(rng, lang)
                if stem[0] not in seen:
                    seen.add(stem[0])
                    pool.append(stem)
            self.stems[lang] = pool
        return pool

    @staticmethod
    def _new_stem(rng: random.Random, lang: str) -> tuple[str, str]:
        if lang in ("en", "de", "fr", "es"):
            suffix = {
                "en": ["", "ford", "ton", "field", "wick", "dale", "ix", "ex", "on", "tek", "ica"],
                "de": ["", "burg", "heim", "stadt", "dorf", "ingen", "tron", "ix"],
                "fr": ["", "ville", "court", "mont", "ac", "elle", "is"],
                "es": ["", "ía", "ona", "illa", "ejo", "ara", "ico"],
            }[lang]
            stem = _cap(_latin_stem(rng, rng.choice([2, 3, 3, 3, 4])) + rng.choice(suffix))
            return stem, stem
        if lang == "ru":
            latin = _latin_stem(rng, rng.choice([2, 3, 3, 3, 4]))
            return to_cyrillic(latin), latin
        if lang == "el":
            latin = _latin_stem(rng, rng.choice([2, 3, 3, 4]))
            return to_greek(latin), latin
        if lang == "ar":
            return _arabic_stem(rng)
        if lang == "zh":
            return _han_stem(rng, rng.choice([2, 3, 3]))
        if lang == "ja":
            return _kana_stem(rng)
        if lang == "ko":
            return _hangul_stem(rng, rng.choice([2, 3, 3]))
        raise ValueError(lang)

    def _draw_stem(self, lang: str) -> tuple[str, str]:
        pool = self._stem_pool(lang)
        # skewed: index ~ pool * u^2 (a few stems are used by many names, most by one or two)
        idx = int(len(pool) * self.rng.random() ** 2)
        return pool[idx]

    def _new_org(self) -> Org:
        rng = self.rng
        lang = _weighted(rng, LANG_WEIGHTS)
        kind = _weighted(rng, KIND_WEIGHTS)
        if lang == "ja" and kind != "company":
            kind = "institute" if rng.random() < 0.3 else "company"
        org = Org(lang=lang, kind=kind, stem=self._draw_stem(lang), variant=rng.randrange(12))
        if kind in ("unit", "institute"):
            org.field_idx = rng.randrange(len(FIELDS))
        if kind == "unit":
            org.unit_type = rng.randrange(4)
            org.parent_variant = rng.randrange(6)
        if kind == "company":
            org.sector_idx = rng.randrange(len(SECTORS))
            classes = list(LEGAL.get(lang, {}))
            if classes and rng.random() < 0.85:
                org.legal_class = rng.choice(classes)
                org.legal_variant = rng.randrange(6)
                org.legal_prefix = lang in ("ru", "ja", "ko") and rng.random() < 0.6
        return org

    def _country(self, lang: str) -> str:
        return self.rng.choice(COUNTRIES[lang])

    def _identifiers(self, org: Org, country: str) -> dict[str, str]:
        rng = self.rng
        ids: dict[str, str] = {}
        if org.kind == "company":
            if rng.random() < 0.35:
                ids["lei"] = make_lei(rng)
            if rng.random() < 0.2:
                ids["vat"] = make_vat(rng, country)
            if rng.random() < 0.25:
                ids["registration"] = make_registration(rng)
        else:
            if rng.random() < 0.5:
                ids["ror"] = make_ror(rng)
            if rng.random() < 0.3:
                ids["pic"] = make_pic(rng)
        return ids

    def _list_idx(self) -> int:
        roll = self.rng.random()
        acc = 0.0
        for i, (_, _, w) in enumerate(LISTS):
            acc += w
            if roll < acc:
                return i
        return len(LISTS) - 1

    def _entry_id(self, li: int) -> str:
        self.counter[li] += 1
        return f"{LISTS[li][0].split('-')[1][:3]}-{self.counter[li]:07d}"

    def _names_for(self, org: Org) -> tuple[list[str], bool, str] | None:
        """Primary name and aliases; None when a name is taken already (the caller draws again)."""
        rng = self.rng
        native = RENDER.native(org)
        names = [native]
        latin_only = False
        alias_scheme = ""
        if org.lang in NON_LATIN:
            alias_scheme = translit_scheme(rng, org.lang)
            latin = RENDER.latin(org, alias_scheme)
            if rng.random() < 0.25 and not (org.lang == "ja" and org.kind != "company"):
                names = [latin]
                latin_only = True
            elif rng.random() < 0.45:
                names.append(latin)
            if rng.random() < 0.35:
                names.append(RENDER.english(org))
        elif org.lang != "en" and org.kind == "company" and rng.random() < 0.35:
            names.append(RENDER.english(org))
        sem = semantic_key(org)
        if sem in self.semantic:
            return None
        keys = {core_key(RENDER.native(org, legal=False))} | {core_key(n) for n in names}
        if org.lang in NON_LATIN:
            keys.add(
                core_key(
                    RENDER.latin(org, "bgn" if org.lang == "ru" else "elot" if org.lang == "el" else "", legal=False)
                )
            )
            keys.add(core_key(RENDER.english(org, legal=False)))
        if keys & self.taken:
            return None
        if org.lang in ("en", "de", "fr", "es") and org.kind != "company" and rng.random() < 0.2:
            acr = acronym_of(native, org.lang, None)
            if acr and len(acr) >= 3 and core_key(acr) not in self.taken:
                names[0] = f"{native} ({acr})"  # as lists write a known acronym
                keys.add(core_key(acr))
        self.taken |= keys
        self.semantic.add(sem)
        deduped = list(dict.fromkeys(names))
        return deduped, latin_only, alias_scheme

    def add_org(self, org: Org | None = None, *, listed: bool = True, li: int | None = None) -> int | None:
        for _ in range(20):
            candidate = org or self._new_org()
            made = self._names_for(candidate)
            if made is not None:
                break
            if org is not None:
                return None
        else:
            return None
        names, latin_only, alias_scheme = made
        li = self._list_idx() if li is None else li
        country = self._country(candidate.lang)
        rec = _Record(
            list_idx=li,
            entry_id=self._entry_id(li),
            org=candidate,
            names=names,
            country=country,
            identifiers=self._identifiers(candidate, country),
            listed=listed,
            latin_only=latin_only,
            alias_scheme=alias_scheme,
            schema="Company" if candidate.kind == "company" else "Organization",
        )
        self.records.append(rec)
        idx = len(self.records) - 1
        self.stem_uses[candidate.stem] = self.stem_uses.get(candidate.stem, 0) + 1
        if candidate.kind == "unit":
            parent = Org(lang=candidate.lang, kind="university", stem=candidate.stem, variant=candidate.parent_variant)
            uni_key = semantic_key(parent)
        else:
            uni_key = semantic_key(candidate)
        if candidate.kind == "unit":
            self.units_of.setdefault(uni_key, []).append(idx)
        elif candidate.kind == "university":
            self.uni_listed.add(uni_key)
        return idx

    def add_person(self, li: int) -> int:
        rng = self.rng
        first = _cap(_latin_stem(rng, 2))
        last = _cap(_latin_stem(rng, 3)) + rng.choice(["ov", "son", "er", "i", "ez", "idis"])
        rec = _Record(
            li, self._entry_id(li), None, [f"{first} {last}"], rng.choice(["RU", "GB", "CN", "AE"]), {}, schema="Person"
        )
        self.records.append(rec)
        return len(self.records) - 1

    def build_control(self, n_chains: int) -> tuple[list[tuple[int, int]], list[int]]:
        """Chains listed -> unlisted (depth 1-3), some rooted in a listed person, a few cycles, and unlisted
        minority holdings. Returns (controlled record, its listed root) pairs and the uncontrolled unlisted."""
        rng = self.rng
        controlled: list[tuple[int, int]] = []
        uncontrolled: list[int] = []
        companies = [
            i for i, r in enumerate(self.records) if r.org is not None and r.org.kind == "company" and r.listed
        ]
        for _ in range(n_chains):
            root = rng.choice(companies)
            li = self.records[root].list_idx
            if rng.random() < 0.25:  # a listed person at the top
                person = self.add_person(li)
                rels = self.relations[li]
                rels.append(
                    Relation(
                        kind="ownership",
                        controller_id=self.records[person].entry_id,
                        controlled_id=self.records[root].entry_id,
                        share_percent=100.0,
                    )
                )
            depth = rng.choice([1, 1, 2, 2, 3])
            parent = root
            chain_nodes = []
            for _level in range(depth):
                org = self._new_org()
                org.kind = "company"
                org.sector_idx = rng.randrange(len(SECTORS))
                child = self.add_org(org, listed=False, li=li)
                if child is None:
                    break
                kind = rng.choice(["ownership", "ownership", "subsidiary", "directorship"])
                if kind == "ownership":
                    rel = Relation(
                        kind="ownership",
                        controller_id=self.records[parent].entry_id,
                        controlled_id=self.records[child].entry_id,
                        share_percent=rng.choice([51.0, 60.0, 75.0, 100.0]),
                        decisive_influence=None,
                    )
                elif kind == "subsidiary":
                    rel = Relation(
                        kind="subsidiary",
                        controller_id=self.records[parent].entry_id,
                        controlled_id=self.records[child].entry_id,
                    )
                else:
                    rel = Relation(
                        kind="directorship",
                        controller_id=self.records[parent].entry_id,
                        controlled_id=self.records[child].entry_id,
                        decisive_influence=True,
                    )
                self.relations[li].append(rel)
                controlled.append((child, root))
                chain_nodes.append(child)
                parent = child
            if len(chain_nodes) >= 2 and rng.random() < 0.3:  # a cycle back up the chain
                self.relations[li].append(
                    Relation(
                        kind="ownership",
                        controller_id=self.records[chain_nodes[-1]].entry_id,
                        controlled_id=self.records[chain_nodes[0]].entry_id,
                        share_percent=55.0,
                    )
                )
            if rng.random() < 0.4:  # a minority holding: not control
                org = self._new_org()
                org.kind = "company"
                org.sector_idx = rng.randrange(len(SECTORS))
                minority = self.add_org(org, listed=False, li=li)
                if minority is not None:
                    self.relations[li].append(
                        Relation(
                            kind="ownership",
                            controller_id=self.records[root].entry_id,
                            controlled_id=self.records[minority].entry_id,
                            share_percent=rng.choice([10.0, 25.0, 49.0, 50.0]),
                        )
                    )
                    uncontrolled.append(minority)
        return controlled, uncontrolled

    def to_lists(self) -> tuple[ListVersionData, ...]:
        per_list: list[list[ListEntry]] = [[] for _ in LISTS]
        for rec in self.records:
            per_list[rec.list_idx].append(
                ListEntry(
                    entry_id=rec.entry_id,
                    listed=rec.listed,
                    schema_name=rec.schema,
                    names=tuple(rec.names),
                    weak_aliases=(),
                    identifiers=rec.identifiers,
                    countries=(rec.country,),
                    topics=("sanction",) if LISTS[rec.list_idx][1] == ListKind.sanctions else ("export.control",),
                    programme="SYNTHETIC",
                    reason="synthetic benchmark entry (fictitious)",
                    source_url="",
                )
            )
        retrieved = datetime(2026, 11, 1, tzinfo=UTC)
        return tuple(
            ListVersionData.model_construct(
                list_key=key,
                title=f"Synthetic {kind.value} list (fictitious organisations)",
                kind=kind,
                version_label="synthetic-1",
                source="bench/entity_data.py (generated)",
                retrieved_at=retrieved,
                entries=tuple(per_list[li]),
                relations=tuple(self.relations[li]),
            )
            for li, (key, kind, _) in enumerate(LISTS)
        )


def _query_country(rng: random.Random, rec: _Record) -> tuple[str, ...]:
    roll = rng.random()
    if roll < 0.75:
        return (rec.country,)
    if roll < 0.95:
        return ()
    other = rng.choice([c for cs in COUNTRIES.values() for c in cs if c != rec.country])
    return (other,)


def generate(
    n_entries: int = 1_000_000,
    *,
    per_kind: int = 250,
    negatives_per_kind: int | None = None,
    seed: int = SEED,
    n_chains: int | None = None,
    unlisted: int = 0,
) -> SyntheticData:
    """A synthetic list set of about `n_entries` organisations (split over three lists) plus labelled queries:
    `per_kind` per positive kind and `negatives_per_kind` (default: the same) per negative kind."""
    gen = _Generator(n_entries, seed)
    while len(gen.records) < n_entries:
        gen.add_org()
    chains = n_chains if n_chains is not None else max(20, n_entries // 500)
    controlled, uncontrolled = gen.build_control(chains)
    negatives_per_kind = per_kind if negatives_per_kind is None else negatives_per_kind
    queries: list[LabelledQuery] = []
    counts: dict[str, int] = {}
    qrng = random.Random(seed + 1)
    records = gen.records
    listed_orgs = [i for i, r in enumerate(records) if r.org is not None and r.listed]
    LK = [key for key, _, _ in LISTS]

    def ref(kind: str, n: int) -> str:
        return f"bench:{kind}:{n}"

    def positive(
        kind: str,
        rec: _Record,
        name: str,
        *,
        identifiers: dict[str, str] | None = None,
        countries: tuple[str, ...] | None = None,
    ) -> None:
        n = counts[f"positive.{kind}"] = counts.get(f"positive.{kind}", 0) + 1
        q = OrganisationQuery(
            ref=ref(kind, n),
            pointer=f"/bench/{kind}/{n}",
            name=name,
            identifiers=identifiers or {},
            countries=_query_country(qrng, rec) if countries is None else countries,
        )
        queries.append(LabelledQuery(q, f"positive.{kind}", ((LK[rec.list_idx], rec.entry_id),)))

    def negative(kind: str, name: str, countries: tuple[str, ...]) -> None:
        n = counts[f"negative.{kind}"] = counts.get(f"negative.{kind}", 0) + 1
        q = OrganisationQuery(ref=ref(kind, n), pointer=f"/bench/{kind}/{n}", name=name, countries=countries)
        queries.append(LabelledQuery(q, f"negative.{kind}", ()))

    def sample(pred: Callable[[_Record], bool], k: int, pool: list[int] | None = None) -> list[_Record]:
        pool = listed_orgs if pool is None else pool
        out: list[_Record] = []
        chosen: set[int] = set()
        tries = 0
        while len(out) < k and tries < k * 400:
            tries += 1
            idx = qrng.choice(pool)
            if idx not in chosen and pred(records[idx]):
                chosen.add(idx)
                out.append(records[idx])
        return out

    # --- positives
    for rec in sample(lambda r: len(r.names) > 1, per_kind):
        name = qrng.choice(rec.names[1:])
        positive("alias", rec, name.upper() if qrng.random() < 0.2 else name)
    for rec in sample(
        lambda r: r.org.lang in NON_LATIN and not r.latin_only and not (r.org.lang == "ja" and r.org.kind != "company"),
        per_kind,
    ):
        schemes = [
            s
            for s in (CYRILLIC_WEIGHTS if rec.org.lang == "ru" else GREEK_WEIGHTS if rec.org.lang == "el" else {"": 1})
            if s != rec.alias_scheme or rec.org.lang not in ("ru", "el")
        ]
        scheme = qrng.choice(schemes)
        name = RENDER.latin(rec.org, scheme)
        if rec.org.lang == "ar" and qrng.random() < 0.5:
            name = name.replace("Jamiat", qrng.choice(["Jamiah", "Jamia", "Jami'at"])).replace("al-", "el-")
        positive("translit_to_latin", rec, name)
    for rec in sample(lambda r: r.latin_only, per_kind):
        positive("translit_from_latin", rec, RENDER.native(rec.org))

    def latin_names(rec: _Record) -> list[str]:
        return [
            n
            for n in rec.names
            if n.isascii()
            or all(not ch.isalpha() or ch.isascii() or unicodedata.name(ch, "").startswith("LATIN") for ch in n)
        ]

    for rec in sample(lambda r: any(abbreviate(n) for n in latin_names(r)), per_kind):
        name = next(abbreviate(n) for n in latin_names(rec) if abbreviate(n))
        positive("abbreviation", rec, name)
    for rec in sample(lambda r: r.names[0].endswith(")"), per_kind):
        positive("acronym", rec, rec.names[0].rsplit("(", 1)[1].rstrip(")"))
    for rec in sample(
        lambda r: (
            len(content_words(latin_names(r)[0], r.org.lang, RENDER._legal_latin(r.org))) >= 2
            if latin_names(r)
            else False
        ),
        per_kind,
    ):
        base = latin_names(rec)[0]
        legal = RENDER._legal_latin(rec.org) if rec.org.lang in NON_LATIN else RENDER._legal_native(rec.org)
        words = content_words(base, rec.org.lang, legal)
        shuffled = words[:]
        while shuffled == words:
            qrng.shuffle(shuffled)
        name = " ".join(shuffled) + (f" {legal}" if legal and legal in base else "")
        positive("reordered", rec, name)
    for rec in sample(lambda r: r.org.legal_class is not None, per_kind):
        org = Org(**rec.org.__dict__)
        if qrng.random() < 0.5:
            name = (
                RENDER.native(org, legal=False)
                if not rec.latin_only
                else RENDER.latin(org, rec.alias_scheme, legal=False)
            )
        else:
            variants = (
                LEGAL[org.lang][org.legal_class] if not rec.latin_only else LEGAL_LATIN[org.lang][org.legal_class]
            )
            options = [i for i in range(len(variants)) if variants[i] != variants[org.legal_variant % len(variants)]]
            org.legal_variant = qrng.choice(options) if options else org.legal_variant
            if org.lang in ("ru", "ja", "ko") and qrng.random() < 0.5:
                org.legal_prefix = not org.legal_prefix
            name = RENDER.native(org) if not rec.latin_only else RENDER.latin(org, rec.alias_scheme)
        positive("legal_form", rec, name)
    for rec in sample(lambda r: bool(latin_names(r)), per_kind):
        base = qrng.choice(latin_names(rec))
        name = typo(qrng, base, 2 if len(base) > 30 and qrng.random() < 0.4 else 1)
        if name != base:
            positive("typo", rec, name)
    for rec in sample(lambda r: bool(set(r.identifiers) & {"lei", "ror", "pic", "vat"}), per_kind):
        scheme = qrng.choice(sorted(set(rec.identifiers) & {"lei", "ror", "pic", "vat"}))
        value = rec.identifiers[scheme]
        if scheme == "lei":
            value = " ".join(value[i : i + 4] for i in range(0, 20, 4)).lower() if qrng.random() < 0.5 else value
        elif scheme == "ror":
            value = f"https://ror.org/{value}" if qrng.random() < 0.5 else value
        elif scheme == "vat":
            value = f"{value[:2]} {value[2:5]}.{value[5:]}" if qrng.random() < 0.5 else value
        trading = f"{_cap(_latin_stem(qrng, 3))} {qrng.choice(['Holding', 'Trading', 'Group', 'Partners'])}"
        positive("identifier", rec, trading, identifiers={scheme: value})
    ctrl = [c for c, _ in controlled]
    for rec in sample(lambda r: True, per_kind, pool=ctrl) if ctrl else []:
        name = rec.names[-1] if qrng.random() < 0.5 else rec.names[0]
        if qrng.random() < 0.3 and (name.isascii()):
            name = typo(qrng, name)
        positive("control", rec, name)

    # --- negatives
    n = 0
    tries = 0
    unit_keys = list(gen.units_of)
    while n < negatives_per_kind and tries < negatives_per_kind * 200 and unit_keys:
        tries += 1
        key = qrng.choice(unit_keys)
        if key in gen.uni_listed:
            continue
        rec = records[qrng.choice(gen.units_of[key])]
        if not rec.listed:
            continue
        org = Org(**rec.org.__dict__)
        org.field_idx = qrng.randrange(len(FIELDS))
        if qrng.random() < 0.3:
            org.unit_type = (org.unit_type + 1) % 4
        name = RENDER.native(org) if not rec.latin_only else RENDER.latin(org, rec.alias_scheme)
        if (
            semantic_key(org) in gen.semantic
            or core_key(name) in gen.taken
            or core_key(RENDER.native(org)) in gen.taken
        ):
            continue
        negative("sibling_unit", name, (rec.country,))
        n += 1
    for rec in sample(lambda r: r.org.legal_class is not None and len(LEGAL[r.org.lang]) > 1, negatives_per_kind):
        org = Org(**rec.org.__dict__)
        org.legal_class = qrng.choice([c for c in LEGAL[org.lang] if c != org.legal_class])
        org.legal_variant = qrng.randrange(3)
        name = RENDER.native(org) if not rec.latin_only else RENDER.latin(org, rec.alias_scheme)
        negative("legal_form_conflict", name, (rec.country,))
    n = 0
    tries = 0
    while n < negatives_per_kind and tries < negatives_per_kind * 200:
        tries += 1
        rec = records[qrng.choice(listed_orgs)]
        org = Org(**rec.org.__dict__)
        if org.kind == "company" and org.sector_idx >= 0 and (org.variant % 3 or org.lang in ("zh", "ko", "ar")):
            org.sector_idx = (org.sector_idx + qrng.randrange(1, len(SECTORS))) % len(SECTORS)
        elif org.kind == "university":
            others = [
                v for v in range(len(UNI_TYPES[org.lang])) if uni_type(org.lang, v) != uni_type(org.lang, org.variant)
            ]
            org.variant = qrng.choice(others)
        elif org.kind == "institute":
            org.field_idx = (org.field_idx + qrng.randrange(1, len(FIELDS))) % len(FIELDS)
        else:
            continue
        name = RENDER.native(org) if not rec.latin_only else RENDER.latin(org, rec.alias_scheme)
        if semantic_key(org) in gen.semantic:
            continue
        if core_key(RENDER.native(org, legal=False)) in gen.taken or core_key(name) in gen.taken:
            continue
        if org.lang in NON_LATIN and core_key(RENDER.latin(org, rec.alias_scheme or "", legal=False)) in gen.taken:
            continue
        if core_key(RENDER.english(org, legal=False)) in gen.taken:
            continue
        negative("similar_name", name, (rec.country,))
        n += 1
    n = 0
    tries = 0
    while n < negatives_per_kind and tries < negatives_per_kind * 400:
        tries += 1
        rec = records[qrng.choice(listed_orgs)]
        if gen.stem_uses.get(rec.org.stem, 0) > 2 or rec.org.lang not in ("en", "de", "fr", "es"):
            continue
        trade = qrng.choice(OTHER_TRADES)
        name = f"{rec.org.stem[1]} {trade}" if qrng.random() < 0.5 else f"{trade} {rec.org.stem[1]}"
        if core_key(name) in gen.taken:
            continue
        negative("shared_rare_token", name, (rec.country,))
        n += 1
    for idx in uncontrolled[:negatives_per_kind]:
        rec = records[idx]
        negative("uncontrolled_unlisted", rec.names[0], (rec.country,))

    lists = gen.to_lists()
    unlisted_orgs = _unlisted(gen, unlisted, random.Random(seed + 2)) if unlisted else ()
    by_kind: dict[str, int] = {}
    for q in queries:
        by_kind[q.kind] = by_kind.get(q.kind, 0) + 1
    return SyntheticData(
        lists=lists,
        queries=tuple(queries),
        seed=seed,
        n_entries=len(records),
        n_names=sum(len(r.names) for r in records),
        by_kind=by_kind,
        unlisted=unlisted_orgs,
    )


def _unlisted(gen: _Generator, n: int, rng: random.Random) -> tuple[tuple[str, str], ...]:
    """`n` more organisations from the generator's distributions, none of whose names (in any script or rendering)
    is taken by a listed one; drawn after the lists and queries, so these stay as they are. Non-Latin ones are
    written in English (50 %), romanised (30 %) or in their own script (20 %)."""
    out: list[tuple[str, str]] = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        org = gen._new_org()
        sem = semantic_key(org)
        if sem in gen.semantic:
            continue
        keys = {core_key(RENDER.native(org, legal=False)), core_key(RENDER.native(org))}
        if org.lang in NON_LATIN:
            scheme = translit_scheme(rng, org.lang)
            keys |= {core_key(RENDER.latin(org, scheme, legal=False)), core_key(RENDER.english(org, legal=False))}
            roll = rng.random()
            if roll < 0.5:
                name = RENDER.english(org)
            else:
                name = RENDER.latin(org, scheme) if roll < 0.8 else RENDER.native(org)
        else:
            name = RENDER.native(org)
        keys.add(core_key(name))
        if keys & gen.taken:
            continue
        gen.taken |= keys
        gen.semantic.add(sem)
        out.append((name, gen._country(org.lang)))
    return tuple(out)
