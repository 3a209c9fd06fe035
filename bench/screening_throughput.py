"""Whole-proposal screening throughput on one core (no servers needed).

    uv run --frozen python -m bench.screening_throughput             # 1,000,000-name lists; writes docs/benchmarks.md
    uv run --frozen python -m bench.screening_throughput --quick     # 100,000 names, prints only

What one screening does here is what the appraisal worker does per proposal version, minus the
database: build the engine input from a submitted snapshot, classify the text, resolve and match every
organisation query (5 partners, their declared owners, the applicant and the researchers'
appointments) against the loaded lists, look up country profiles, evaluate every rule of the default
policy and aggregate levels and safeguards. It runs in one thread, so it measures one core.

Proposals: 5 partners each. Partner names are drawn from the benchmark's labelled queries (so list
hits, near misses and transliterations occur as in the matching benchmark) mixed with unlisted
organisation names; countries from the example country profiles.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime

from bench.common import RESULTS, machine, write_section
from bench.entity_data import generate
from rsc_appraisal.classification import Classifier
from rsc_appraisal.countries import load_example_country_profiles
from rsc_appraisal.engine.inputs import from_snapshot
from rsc_appraisal.engine.references import References
from rsc_appraisal.engine.screen import screen
from rsc_appraisal.matching import EntityIndex
from rsc_appraisal.policy import default_policy
from tests.support.screening import clean_content, snapshot

SECTION = "screening-throughput"
TARGET = 50.0  # proposals per second on one core (issue: whole-proposal screening throughput)
TODAY = date(2026, 11, 25)
COUNTRIES = ["DE", "FR", "NL", "IT", "ES", "PL", "SE", "FI", "BE", "AT", "GB", "US", "JP", "KR", "CA", "CH", "NO"]
TOPICS = [
    ("Quantum sensing for navigation", "Atom interferometry and quantum sensors for inertial navigation.", ["quantum"]),
    ("Medieval scribal networks", "Palaeography of monastic manuscripts and archival research.", []),
    ("Robust machine learning for medical imaging", "Deep learning models for radiology with privacy.", []),
    ("Gallium nitride power electronics", "Wide-bandgap semiconductor devices for power conversion.", []),
    ("Coastal ecology under warming seas", "Field surveys of seagrass meadows and fish nurseries.", []),
]


def proposals(n: int, names: list[tuple[str, tuple[str, ...]]], seed: int = 7) -> list:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        content = clean_content()
        title, abstract, areas = TOPICS[i % len(TOPICS)]
        content["details"].update(title=title, abstract=abstract, keywords=title.lower().split()[:3])
        content["details"]["critical_technology_areas"] = areas
        partners = []
        for k in range(5):
            name, countries = rng.choice(names)
            partner = dict(content["partners"][k % 3])
            partner.update(
                partner_id=str(uuid.UUID(int=rng.getrandbits(128))),
                name=name[:300],
                identifiers={},
                country=countries[0] if countries else rng.choice(COUNTRIES),
            )
            partners.append(partner)
        content["partners"] = partners
        out.append(snapshot(content, proposal_id=uuid.UUID(int=rng.getrandbits(128))))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000, help="organisations over all lists")
    parser.add_argument("--proposals", type=int, default=1_000, help="proposals screened (after a warm-up)")
    parser.add_argument("--quick", action="store_true", help="100,000 entries, 200 proposals, no write")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.entries, args.proposals, args.no_write = 100_000, 200, True

    started = time.perf_counter()
    data = generate(args.entries, per_kind=60)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    index = EntityIndex.build(data.lists)
    built = time.perf_counter() - started
    print(f"generated {data.n_names:,} names in {generated:.0f} s; index built in {built:.0f} s", flush=True)

    names = [(q.query.name, q.query.countries) for q in data.queries]
    unlisted = [
        (f"Unlisted Research Organisation {i} {w}", ()) for i, w in enumerate(["Institute", "GmbH", "SA"] * 300)
    ]
    snapshots = proposals(args.proposals + 50, names + unlisted)
    countries = load_example_country_profiles(imported_at=datetime(2026, 2, 1, tzinfo=UTC))
    classifier = Classifier()
    policy = default_policy()
    references = References(
        classify=classifier.classify,
        classifier_version=classifier.version,
        match=index.match,
        list_versions={f"list:{v.list_key}": v.version_label for v in data.lists},
        countries=countries,
    )

    inputs = [from_snapshot(s) for s in snapshots]
    for screening_input in inputs[:50]:  # warm-up: first-use caches (ICU transliterators, regexes)
        screen(screening_input, policy, references, TODAY)
    gc.collect()
    latencies, levels = [], {}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for screening_input in inputs[50:]:
        t0 = time.perf_counter()
        result = screen(screening_input, policy, references, TODAY)
        latencies.append((time.perf_counter() - t0) * 1000)
        levels[result.level] = levels.get(result.level, 0) + 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[max(0, round(len(latencies) * 0.99) - 1)]
    per_second_cpu = len(latencies) / cpu
    print(
        f"{len(latencies)} proposals: {len(latencies) / wall:.1f}/s wall, {per_second_cpu:.1f}/s per CPU second;"
        f" p50 {p50:.1f} ms, p99 {p99:.1f} ms; levels {levels}",
        flush=True,
    )
    if args.no_write:
        return
    m = machine()
    met = "yes" if per_second_cpu >= TARGET else "**no**"
    body = "\n".join(
        [
            "## Appraisal: whole-proposal screening throughput (`bench/screening_throughput.py`)",
            "",
            f"- **Date**: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- **Machine**: {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}, Python"
            f" {m['python']}. One thread (one core); other processes may share the machine.",
            "- **Command**: `uv run --frozen python -m bench.screening_throughput`",
            f"- **Lists**: {data.n_entries:,} synthetic organisations, {data.n_names:,} names incl. aliases, in"
            f" {len(data.lists)} lists (`bench/entity_data.py`); index built in {built:.0f} s.",
            f"- **Proposals**: {len(latencies):,} (after 50 warm-up), 5 partners each drawn from the matching"
            " benchmark's labelled queries and unlisted names; default policy "
            f"{policy.version}, example country profiles, classifier {classifier.version}.",
            "- **Measured**: `engine.screen` per proposal (input, classification, every organisation query matched,"
            " country indicators, all rules, levels, safeguards); the worker adds one database transaction.",
            "",
            "| proposals/s (per CPU second) | proposals/s (wall) | latency p50 ms | latency p99 ms | levels |",
            "|---:|---:|---:|---:|---|",
            f"| {per_second_cpu:.1f} | {len(latencies) / wall:.1f} | {p50:.1f} | {p99:.1f} |"
            f" {', '.join(f'{k} {v}' for k, v in sorted(levels.items()))} |",
            "",
            "| target | measured | met |",
            "|---|---|---:|",
            f"| ≥ {TARGET:.0f} proposals/s on one core, 1 M-name lists loaded | {per_second_cpu:.1f}/s | {met} |",
        ]
    )
    write_section(RESULTS, SECTION, body)
    print(f"wrote the {SECTION} section of {RESULTS}")


if __name__ == "__main__":
    main()
