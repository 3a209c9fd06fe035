"""Screening policy as data: schema, loader, checks and the safeguard catalogue.

policy = default_policy()                      # the shipped example, checked against reference data
policy = load_policy(path, indicators=..., catalogue=...)
policy = Policy.model_validate(document)       # a stored JSON document (consistency checked too)
schema = policy_json_schema()
"""

from rsc_appraisal.policy.checks import PolicyIssue, consistency_issues, reference_issues
from rsc_appraisal.policy.loader import (
    DEFAULT_POLICY_PATH,
    PolicyError,
    default_policy,
    load_policy,
    parse_document,
    parse_policy,
    policy_document,
)
from rsc_appraisal.policy.safeguards import (
    DEFAULT_CATALOGUE_PATH,
    Measure,
    SafeguardCatalogue,
    default_safeguard_catalogue,
    load_safeguard_catalogue,
)
from rsc_appraisal.policy.schema import RULE_TYPES, Policy, Rule, policy_json_schema

__all__ = [
    "DEFAULT_CATALOGUE_PATH",
    "DEFAULT_POLICY_PATH",
    "RULE_TYPES",
    "Measure",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "Rule",
    "SafeguardCatalogue",
    "consistency_issues",
    "default_policy",
    "default_safeguard_catalogue",
    "load_policy",
    "load_safeguard_catalogue",
    "parse_document",
    "parse_policy",
    "policy_document",
    "policy_json_schema",
    "reference_issues",
]
