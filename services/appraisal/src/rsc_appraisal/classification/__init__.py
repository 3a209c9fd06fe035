"""R&I-domain classification of proposals (research security, risk-factor category 1b).

Reference data (versioned YAML in `data/`): the EU critical technology areas of C(2023) 6689 with
their technologies, the dual-use Annex I categories of Reg. (EU) 2021/821, the phrase rules, and
a labelled evaluation set. Public API:

    classify(title, abstract, keywords, declared_areas) -> ClassificationResult
    Classifier(taxonomy=None, rules_path=None, settings=None).classify(details: ProposalDetails)
    load_taxonomy(path=None) -> Taxonomy; load_rules(path=None) -> RuleSet; TaxonomyError
"""

from rsc_appraisal.classification.classifier import (
    CODE_VERSION,
    Classifier,
    ClassifierSettings,
    Match,
    classify,
    default_classifier,
)
from rsc_appraisal.classification.rules import RuleSet, load_rules
from rsc_appraisal.classification.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

__all__ = [
    "CODE_VERSION",
    "Classifier",
    "ClassifierSettings",
    "Match",
    "RuleSet",
    "Taxonomy",
    "TaxonomyError",
    "classify",
    "default_classifier",
    "load_rules",
    "load_taxonomy",
]
