"""Taxonomy and rules files: the shipped data is complete and sourced; broken files fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rsc_appraisal.classification import TaxonomyError, load_rules, load_taxonomy
from rsc_appraisal.classification.rules import RULES_FILE, compile_rules
from rsc_appraisal.classification.taxonomy import TAXONOMY_FILE
from rsc_common.contracts.vocabulary import PRIORITY_CRITICAL_TECHNOLOGY_AREAS, CriticalTechnologyArea, DualUseCategory


def _taxonomy_data() -> dict:
    return yaml.safe_load(TAXONOMY_FILE.read_text())


def _rules_data() -> dict:
    return yaml.safe_load(RULES_FILE.read_text())


def _write(tmp_path: Path, data: dict, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


# --------------------------------------------------------------------------- shipped data


def test_shipped_taxonomy_has_every_area_and_category_with_sources() -> None:
    taxonomy = load_taxonomy()
    assert [a.id for a in taxonomy.areas] == list(CriticalTechnologyArea)
    assert {a.id for a in taxonomy.areas if a.priority} == PRIORITY_CRITICAL_TECHNOLOGY_AREAS
    assert [c.id for c in taxonomy.dual_use_categories] == list(DualUseCategory)
    assert taxonomy.version
    assert taxonomy.review_by > taxonomy.areas[0].source.retrieved
    for record in (*taxonomy.areas, *taxonomy.dual_use_categories):
        source = taxonomy.sources[record.source.ref]
        assert source.url.startswith("https://eur-lex.europa.eu/")
        assert record.source.retrieved
    assert all(len(a.technologies) >= 4 for a in taxonomy.areas)
    # areas 6-10 are provisional in the reference (domain.md [mem])
    assert [a.number for a in taxonomy.areas if a.provisional] == [6, 7, 8, 9, 10]
    assert len(taxonomy.digest) == 64


def test_shipped_rules_compile_against_the_taxonomy_and_cover_every_area_and_category() -> None:
    taxonomy = load_taxonomy()
    compiled = compile_rules(load_rules(), taxonomy)
    assert {g.area for g in compiled.groups if g.area} == set(CriticalTechnologyArea)
    assert {c for g in compiled.groups for c in g.dual_use} == set(DualUseCategory)
    technologies = {t.id for a in taxonomy.areas for t in a.technologies}
    assert {g.technology for g in compiled.groups if g.technology} == technologies  # every technology has rules


def test_taxonomy_lookups() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.area_id("semiconductors") is CriticalTechnologyArea.advanced_semiconductors
    assert taxonomy.area_id("quantum") is CriticalTechnologyArea.quantum
    assert taxonomy.technology_area()["bio.gene_drive"] is CriticalTechnologyArea.biotechnologies
    with pytest.raises(KeyError):
        taxonomy.area_id("astrology")


# --------------------------------------------------------------------------- loader errors


def test_missing_file_and_bad_yaml_are_reported(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed\n")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(TaxonomyError, match="expected a mapping"):
        load_taxonomy(bad)


def test_taxonomy_errors_name_every_problem_and_where(tmp_path: Path) -> None:
    data = _taxonomy_data()
    data["areas"] = [a for a in data["areas"] if a["id"] != "quantum"]  # missing area (and numbering now off)
    data["dual_use_categories"][0]["source"]["ref"] = "nowhere"
    del data["review_by"]
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(_write(tmp_path, data))
    message = str(info.value)
    assert "missing areas: quantum" in message
    assert "review_by: Field required" in message
    assert str(tmp_path) in message
    assert len(info.value.problems) >= 2


def test_taxonomy_rejects_wrong_priority_duplicate_technology_and_unknown_source(tmp_path: Path) -> None:
    data = _taxonomy_data()
    data["areas"][4]["priority"] = True  # connectivity is not a priority area
    data["areas"][1]["technologies"].append(dict(data["areas"][0]["technologies"][0]))
    data["areas"][2]["source"]["ref"] = "wikipedia"
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(_write(tmp_path, data))
    message = str(info.value)
    assert "advanced_connectivity_navigation_digital: priority must be False" in message


def test_taxonomy_rejects_unknown_fields_and_bad_urls(tmp_path: Path) -> None:
    data = _taxonomy_data()
    data["sources"]["cta"]["url"] = "eur-lex somewhere"
    data["areas"][0]["colour"] = "blue"
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(_write(tmp_path, data))
    problems = "\n".join(info.value.problems)
    assert "sources.cta.url" in problems
    assert "areas.0.colour: Extra inputs are not permitted" in problems


def test_taxonomy_cross_reference_errors(tmp_path: Path) -> None:
    data = _taxonomy_data()
    data["areas"][1]["technologies"].append(dict(data["areas"][0]["technologies"][0]))
    data["areas"][2]["source"]["ref"] = "wikipedia"
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(_write(tmp_path, data))
    message = str(info.value)
    assert "technology id 'semiconductors.microelectronics' used in advanced_semiconductors and" in message
    assert "quantum: unknown source 'wikipedia'" in message


def test_rules_errors_are_collected_with_group_and_phrase(tmp_path: Path) -> None:
    data = _rules_data()
    data["groups"][0]["technology"] = "semiconductors.vacuum_tubes"
    data["groups"][1]["phrases"] = ["ok phrase", "ok phrases"]  # same key after plural stemming
    data["groups"][2]["phrases"] = ["ab*"]  # prefix too short
    data["negatives"]["phrases"].append("!!!")
    path = _write(tmp_path, data, "rules.yaml")
    with pytest.raises(TaxonomyError) as info:
        compile_rules(load_rules(path), load_taxonomy(), path=path)
    problems = info.value.problems
    assert any(
        "semis.microelectronics" in p and "'semiconductors.vacuum_tubes' is not a technology" in p for p in problems
    )
    assert any("'ok phrases' matches the same as 'ok phrase'" in p for p in problems)
    assert any("a prefix needs at least 3 letters" in p for p in problems)
    assert any(p.startswith("negatives.phrases") and "no letters or digits" in p for p in problems)


def test_rules_structure_errors(tmp_path: Path) -> None:
    data = _rules_data()
    data["groups"][0]["weight"] = 1.5
    data["groups"][1]["dual_use"] = {"11": 0.5}
    data["groups"][2].pop("technology")
    data["groups"][2].pop("dual_use", None)
    with pytest.raises(TaxonomyError) as info:
        load_rules(_write(tmp_path, data, "rules.yaml"))
    problems = "\n".join(info.value.problems)
    assert "groups.0.weight: Input should be less than or equal to 1" in problems
    assert "groups.1.dual_use" in problems
    assert "needs a `technology`, an `area` or `dual_use`" in problems


def test_rules_written_for_another_taxonomy_version_are_rejected(tmp_path: Path) -> None:
    data = _rules_data()
    data["taxonomy_version"] = "1999.1"
    path = _write(tmp_path, data, "rules.yaml")
    with pytest.raises(TaxonomyError, match=r"rules written for taxonomy '1999\.1'"):
        compile_rules(load_rules(path), load_taxonomy(), path=path)
