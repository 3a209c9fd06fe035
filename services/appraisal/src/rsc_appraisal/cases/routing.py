"""Routing by level as data (`data/routing.yaml`): which roles review, four-eyes, referral, SLA budget."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from rsc_appraisal.engine.contracts import RiskLevel

DEFAULT_ROUTING_PATH = Path(__file__).parent / "data" / "routing.yaml"
REVIEWER_ROLES = ("case_officer", "security_adviser")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouteSpec(_Model):
    reviewers: tuple[str, ...] = Field(min_length=1)
    four_eyes: bool = False
    referral_allowed: bool = False
    sla_level: RiskLevel


class RoutingConfig(_Model):
    version: str = Field(min_length=1, max_length=40)
    levels: dict[RiskLevel, RouteSpec]
    referral_authorities: tuple[str, ...] = ()

    def route(self, level: RiskLevel | str) -> RouteSpec:
        return self.levels[RiskLevel(level)]


def load_routing(path: Path) -> RoutingConfig:
    from rsc_appraisal.policy.loader import load_document

    config = load_document(path, RoutingConfig)
    for level, spec in config.levels.items():
        unknown = [r for r in spec.reviewers if r not in REVIEWER_ROLES]
        if unknown:
            raise ValueError(f"routing {level}: unknown reviewer roles {unknown}")
        if spec.four_eyes and "security_adviser" not in spec.reviewers:
            raise ValueError(f"routing {level}: four-eyes clearance needs a security adviser among the reviewers")
    return config


@cache
def default_routing() -> RoutingConfig:
    return load_routing(DEFAULT_ROUTING_PATH)
