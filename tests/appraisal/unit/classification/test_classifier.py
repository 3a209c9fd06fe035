"""Behaviour of the classifier: areas, dual-use cues, near-misses, declaration flags, determinism."""

from __future__ import annotations

import pytest

from rsc_appraisal.classification import Classifier, ClassifierSettings, classify, default_classifier
from rsc_appraisal.classification.normalize import compact_key, fold, segments, stem
from rsc_appraisal.engine.contracts import ClassificationResult
from rsc_common.contracts.proposal import ProposalDetails
from rsc_common.contracts.vocabulary import CriticalTechnologyArea as A
from rsc_common.contracts.vocabulary import DualUseCategory as D


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return default_classifier()


def detected(clf: Classifier, title: str, abstract: str = "", keywords: tuple[str, ...] = ()) -> set[A]:
    return set(clf.detected_areas(clf.classify_text(title, abstract, keywords)))


# --------------------------------------------------------------------------- normalisation


def test_normalisation_folds_accents_case_and_plurals() -> None:
    assert fold("Künstliche INTELLIGENZ") == "kunstliche intelligenz"
    assert fold("Øresund straße") == "oresund strasse"
    assert stem("batteries") == "battery"
    assert stem("lasers") == "laser"
    assert stem("analysis") == "analysis"
    assert stem("gas") == "gas"
    assert compact_key(["gene", "drives"]) == compact_key(["genedrive"]) == "genedrive"
    assert compact_key(["electrolysers"]) == compact_key(["electrolyzer"])


def test_tokens_keep_offsets_and_strong_punctuation_breaks_phrases() -> None:
    (seg,) = segments(None, "Quantum. Computing, and Industry 4.0 e.g. here", [])
    assert [t.raw for t in seg.tokens][:3] == ["Quantum", "Computing", "and"]
    assert seg.tokens[1].boundary_before  # ". " between Quantum and Computing
    assert not seg.tokens[5].boundary_before  # "4.0": no boundary inside a number
    assert seg.text[seg.tokens[1].start : seg.tokens[1].end] == "Computing"


# --------------------------------------------------------------------------- each area

AREA_EXAMPLES = [
    (A.advanced_semiconductors, "EUV lithography photoresists for advanced nodes"),
    (A.advanced_semiconductors, "Gallium nitride MMIC power amplifiers"),
    (A.artificial_intelligence, "Large language models for legal drafting"),
    (A.artificial_intelligence, "Computer vision for crop inspection"),
    (A.quantum, "Quantum key distribution over metropolitan fibre"),
    (A.quantum, "Fault-tolerant quantum computing with spin qubits"),
    (A.biotechnologies, "CRISPR-Cas9 genome editing of barley"),
    (A.biotechnologies, "Gene drive for invasive rodent control"),
    (A.advanced_connectivity_navigation_digital, "Open RAN security for 6G networks"),
    (A.advanced_connectivity_navigation_digital, "Intrusion detection for industrial control systems"),
    (A.advanced_sensing, "Passive radar for air traffic surveillance"),
    (A.advanced_sensing, "Infrared focal plane arrays for thermal cameras"),
    (A.space_and_propulsion, "Hall thrusters for CubeSat orbit raising"),
    (A.space_and_propulsion, "Space situational awareness with optical telescopes"),
    (A.energy, "Perovskite solar cells with long lifetime"),
    (A.energy, "Tokamak divertor design for fusion reactors"),
    (A.robotics_and_autonomous_systems, "Autonomous underwater vehicles for pipeline inspection"),
    (A.robotics_and_autonomous_systems, "Lower-limb exoskeleton for industrial workers"),
    (A.advanced_materials_manufacturing_recycling, "Laser powder bed fusion of titanium implants"),
    (A.advanced_materials_manufacturing_recycling, "Recycling rare earth magnets by hydrometallurgy"),
]


@pytest.mark.parametrize(("area", "title"), AREA_EXAMPLES, ids=[t for _, t in AREA_EXAMPLES])
def test_each_area_is_detected_from_a_representative_title(clf: Classifier, area: A, title: str) -> None:
    assert area in detected(clf, title)


@pytest.mark.parametrize(
    ("title", "area"),
    [
        ("Quantenschlüsselverteilung für Behördennetze", A.quantum),
        ("Computación cuántica con iones atrapados", A.quantum),
        ("Intelligence artificielle pour la radiologie", A.artificial_intelligence),
        ("Sztucznej inteligencji w medycynie", A.artificial_intelligence),
        ("Genomeditierung bei Kartoffeln", A.biotechnologies),
        ("Biologie synthétique des levures", A.biotechnologies),
        ("Kvanttitietokoneiden ohjelmointi", A.quantum),
        ("Additive Fertigung von Titanbauteilen", A.advanced_materials_manufacturing_recycling),
    ],
)
def test_multilingual_phrases(clf: Classifier, title: str, area: A) -> None:
    assert area in detected(clf, title)


def test_separators_and_compounds_are_flexible(clf: Classifier) -> None:
    for title in ("Gene drive cage trials", "Gene-drive cage trials", "Genedrives in cages", "GENE DRIVES in cages"):
        assert A.biotechnologies in detected(clf, title), title


def test_case_sensitive_acronyms(clf: Classifier) -> None:
    assert A.artificial_intelligence in detected(clf, "AI-based triage", keywords=("AI",))
    # "ai" and words containing it ("said", "AIDS" excepted by case) are not the acronym
    assert A.artificial_intelligence not in detected(clf, "What the patients said about aid and ai")
    # "ran" the verb is not a radio access network; "6 g of sugar" is not 6G
    assert not detected(clf, "She ran home", "We added 6 g of sugar to the dough.")
    assert A.advanced_connectivity_navigation_digital in detected(clf, "O-RAN and 6G", keywords=("RAN slicing",))


# --------------------------------------------------------------------------- near-misses

NEGATIVES = [
    ("A quantum leap for teacher education", "New mentoring for student teachers.", ("education",)),
    ("Acrylamide in potato chips", "Frying potato chips under vacuum reduces acrylamide.", ("food chemistry",)),
    (
        "Drone production in honeybee colonies",
        "How colonies regulate drones and queen mating.",
        ("honeybees", "drones"),
    ),
    ("Hydrogen bonding in protein folding", "Hydrogen bonds stabilise folding intermediates.", ("NMR",)),
    ("Satellite cells and muscle ageing", "Muscle satellite cells lose regenerative capacity.", ("stem cells",)),
    ("A cognitive test battery for dementia", "We validate a battery of tests on tablets.", ("neuropsychology",)),
    ("Cuticle mechanics of the insect exoskeleton", "Beetle exoskeletons resist fracture.", ("insects",)),
    ("Organ-on-a-chip models of the gut", "Microfluidic organ-on-a-chip devices for drug tests.", ("microfluidics",)),
    ("Reward learning in rats", "We test reinforcement learning accounts of dopamine in rats.", ("dopamine",)),
    ("Nocturnal bird migration and wind farms", "Weather radar shows birds avoid offshore wind farms.", ("birds",)),
    ("Lithographs of nineteenth-century Vienna", "Stone lithography and artists' prints.", ("art history",)),
    ("Liability for space debris under international law", "Legal analysis of the treaty regime.", ("space law",)),
    ("Virtual reality exposure therapy for fear of flying", "A randomised trial in 180 patients.", ("anxiety",)),
    ("Public attitudes towards artificial intelligence", "A representative survey of trust in AI.", ("survey",)),
    ("History of smallpox vaccination in colonial India", "Colonial archives on smallpox campaigns.", ("history",)),
    ("Quantum chemistry of nitrogenase", "DFT calculations of the FeMo cofactor.", ("enzymes",)),
]


@pytest.mark.parametrize(("title", "abstract", "keywords"), NEGATIVES, ids=[n[0] for n in NEGATIVES])
def test_near_misses_are_not_detected(clf: Classifier, title: str, abstract: str, keywords: tuple[str, ...]) -> None:
    result = clf.classify_text(title, abstract, keywords)
    assert not clf.detected_areas(result), result.areas
    assert not clf.detected_dual_use(result), result.dual_use


def test_negative_phrase_only_cancels_what_it_overlaps(clf: Classifier) -> None:
    result = clf.classify_text("A quantum leap for quantum key distribution", "", ())
    quantum = next(s for s in result.areas if s.area is A.quantum)
    assert quantum.phrases == ("quantum key distribution",)


# --------------------------------------------------------------------------- signals

QKD = {
    "title": "Metropolitan Quantum-Key Distribution testbed",
    "abstract": "We deploy a three-node QKD network with quantum repeaters over dark fibre.",
    "keywords": ("QKD", "quantum communication"),
}


def test_result_carries_phrases_as_found_technologies_and_dual_use(clf: Classifier) -> None:
    result = clf.classify_text(**QKD)
    assert isinstance(result, ClassificationResult)
    assert result.classifier_version == clf.version
    top = result.areas[0]
    assert top.area is A.quantum
    assert top.confidence > 0.9
    assert top.phrases[0] == "Quantum-Key Distribution"  # as written, title first
    assert "QKD" in top.phrases
    assert top.technologies[0] == "quantum.cryptography"
    assert "quantum.communications" in top.technologies
    assert result.dual_use[0].category is D.cat5_telecommunications_information_security


def test_confidence_grows_with_field_and_distinct_phrases(clf: Classifier) -> None:
    def conf(title: str, abstract: str = "", keywords: tuple[str, ...] = ()) -> float:
        result = clf.classify_text(title, abstract, keywords)
        return next((s.confidence for s in result.areas if s.area is A.artificial_intelligence), 0.0)

    in_abstract = conf("A study", "We use machine learning.")
    in_title = conf("Machine learning study")
    more = conf("Machine learning study", "Deep learning and computer vision.")
    assert in_abstract < in_title < more <= 1.0


def test_weak_mention_is_reported_but_not_detected(clf: Classifier) -> None:
    result = clf.classify_text("Crop yields in dry regions", "We compare models including machine learning.", ())
    (signal,) = result.areas
    assert signal.area is A.artificial_intelligence
    assert clf.settings.report_threshold <= signal.confidence < clf.settings.detection_threshold
    assert not clf.is_detected(signal)


# --------------------------------------------------------------------------- declaration flags


def test_declared_none_but_text_about_qkd_is_undeclared(clf: Classifier) -> None:
    result = clf.classify_text(**QKD, declared_areas=[])
    assert result.undeclared_areas == (A.quantum,)
    assert result.implausible_declared_areas == ()


def test_declared_other_area_is_implausible_and_real_one_undeclared(clf: Classifier) -> None:
    result = clf.classify_text(**QKD, declared_areas=[A.biotechnologies, "quantum"])
    assert result.undeclared_areas == ()
    assert result.implausible_declared_areas == (A.biotechnologies,)
    result = clf.classify_text(**QKD, declared_areas=["energy"])
    assert result.undeclared_areas == (A.quantum,)
    assert result.implausible_declared_areas == (A.energy,)


def test_weakly_supported_declaration_is_implausible(clf: Classifier) -> None:
    result = clf.classify_text(
        "Hypothalamic control of appetite", "Using existing knockout mice we study obesity.", (), [A.biotechnologies]
    )
    assert result.implausible_declared_areas == (A.biotechnologies,)


def test_unanswered_declaration_gives_no_flags(clf: Classifier) -> None:
    result = clf.classify_text(**QKD, declared_areas=None)
    assert result.undeclared_areas == ()
    assert result.implausible_declared_areas == ()
    assert result.areas


def test_classify_proposal_details_and_module_function_agree(clf: Classifier) -> None:
    details = ProposalDetails(
        title=QKD["title"], abstract=QKD["abstract"], keywords=list(QKD["keywords"]), critical_technology_areas=[]
    )
    via_details = clf.classify(details)
    assert via_details == classify(QKD["title"], QKD["abstract"], QKD["keywords"], [])
    assert via_details.undeclared_areas == (A.quantum,)
    empty = clf.classify(ProposalDetails())
    assert empty.areas == ()
    assert empty.dual_use == ()


def test_thresholds_are_configurable_and_change_the_version(clf: Classifier) -> None:
    strict = Classifier(settings=ClassifierSettings(undeclared_threshold=0.999, detection_threshold=0.999))
    assert strict.version != clf.version
    assert strict.classify_text(**QKD, declared_areas=[]).undeclared_areas == ()
    with pytest.raises(ValueError, match="implausible_threshold must not exceed"):
        ClassifierSettings(implausible_threshold=0.6, undeclared_threshold=0.5)


# --------------------------------------------------------------------------- determinism


def test_deterministic_across_calls_and_instances(clf: Classifier) -> None:
    text = {
        "title": "Drone swarms with onboard computer vision and GNSS-denied navigation",
        "abstract": "Swarms of UAVs coordinate with deep learning; inertial navigation and lidar; battery limits.",
        "keywords": ("drone swarm", "SLAM", "edge AI"),
    }
    first = clf.classify_text(**text, declared_areas=["robotics"])
    again = Classifier().classify_text(**text, declared_areas=["robotics"])
    assert first == again
    assert first.model_dump_json() == again.model_dump_json()
    assert [s.confidence for s in first.areas] == sorted((s.confidence for s in first.areas), reverse=True)


def test_version_names_code_taxonomy_and_rules(clf: Classifier) -> None:
    version = clf.version
    assert version.startswith(f"rules1-{clf.taxonomy.version}-r{clf.rules.version}-")
    assert len(version.rsplit("-", 1)[1]) == 8
    assert Classifier().version == version
