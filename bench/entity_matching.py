"""Entity-matching benchmark: build time, memory, per-query latency and quality of `rsc_appraisal.matching`
against a synthetic list of ~1,000,000 fictitious organisations (bench/entity_data.py).

    uv run --frozen python -m bench.entity_matching              # 1M entries, writes docs/benchmarks.md
    uv run --frozen python -m bench.entity_matching --quick      # 50k entries, prints only (smoke run)
    uv run --frozen python -m bench.entity_matching --no-write   # full run, prints only

No servers are needed: the library runs in this process. Latency is measured in one process on one thread
(the index uses no threads), per query: wall time and the thread's CPU time (the machine is shared, so the CPU
time is the figure that does not depend on other processes). The brute-force comparison runs
`rapidfuzz.process.extract` over every indexed name for a small sample of queries and extrapolates.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bench.common import RESULTS, LoadWindow, machine, percentile, wait_until_quiet, write_section
from bench.entity_data import NEGATIVE_KINDS, POSITIVE_KINDS, SEED, LabelledQuery, generate
from rsc_appraisal.matching import EntityIndex, MatcherSettings
from rsc_appraisal.matching.scoring import NameScorer

SECTION = "entity-matching"
THRESHOLDS = (0.70, 0.75, 0.78, 0.80, 0.82, 0.85, 0.88, 0.90)
TARGET_P99_MS = 25.0
STRETCH_P99_MS = 10.0
TARGET_RECALL = 0.95
TARGET_PRECISION = 0.90


# ------------------------------------------------------------------------------------- helpers


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def busy_between(start: tuple[int, int], end: tuple[int, int]) -> float:
    busy, total = end[0] - start[0], end[1] - start[1]
    return busy / total if total else 0.0


def fmt_ms(seconds: float | None, digits: int = 2) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.{digits}f}"


@dataclasses.dataclass
class Evaluation:
    positives: int = 0
    negatives: int = 0
    tp: int = 0
    fp: int = 0
    misses: Counter = dataclasses.field(default_factory=Counter)
    fp_by_kind: Counter = dataclasses.field(default_factory=Counter)
    hits_by_kind: Counter = dataclasses.field(default_factory=Counter)
    queries_by_kind: Counter = dataclasses.field(default_factory=Counter)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.positives if self.positives else 1.0


def evaluate(
    queries: list[LabelledQuery], results: list[list[tuple[tuple[str, str], float]]], threshold: float
) -> Evaluation:
    """Per positive query: found if its entry is returned at or above the threshold (a true positive), every other
    returned candidate is a false positive; every candidate returned for a negative query is a false positive."""
    ev = Evaluation()
    for lq, candidates in zip(queries, results, strict=True):
        returned = [key for key, score in candidates if score >= threshold]
        ev.queries_by_kind[lq.kind] += 1
        if lq.expected:
            ev.positives += 1
            hit = any(key in lq.expected for key in returned)
            ev.tp += hit
            if hit:
                ev.hits_by_kind[lq.kind] += 1
            else:
                ev.misses[lq.kind] += 1
            wrong = sum(1 for key in returned if key not in lq.expected)
        else:
            ev.negatives += 1
            wrong = len(returned)
        ev.fp += wrong
        if wrong:
            ev.fp_by_kind[lq.kind] += wrong
    return ev


# --------------------------------------------------------------------------------------- phases


def run_queries(index: EntityIndex, queries: list[LabelledQuery]) -> tuple[list, list[float], list[float]]:
    results: list[list[tuple[tuple[str, str], float]]] = []
    wall: list[float] = []
    cpu: list[float] = []
    for lq in queries:
        t0 = time.perf_counter()
        c0 = time.thread_time()
        result = index.match(lq.query)
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - t0)
        results.append([((c.list_key, c.entry_id), c.score) for c in result.candidates])
    return results, wall, cpu


def brute_force(data, queries: list[LabelledQuery], sample: int, seed: int) -> dict[str, object]:
    """`rapidfuzz.process.extract` (limit 5) over every name and alias of every entry, for a sample of queries."""
    choices: list[str] = []
    owners: list[tuple[str, str]] = []
    for lv in data.lists:
        for entry in lv.entries:
            for name in (*entry.names, *entry.weak_aliases):
                choices.append(utils.default_process(name))
                owners.append((lv.list_key, entry.entry_id))
    rng = random.Random(seed)
    named = [q for q in queries if q.expected and not q.kind.endswith("identifier")]
    picked = rng.sample(named, min(sample, len(named)))
    out: dict[str, object] = {"names": len(choices), "queries": len(picked)}
    for label, scorer in (("token_sort_ratio", fuzz.token_sort_ratio), ("WRatio", fuzz.WRatio)):
        times = []
        cpu = []
        found = 0
        for lq in picked:
            query = utils.default_process(lq.query.name)
            t0, c0 = time.perf_counter(), time.thread_time()
            best = process.extract(query, choices, scorer=scorer, processor=None, limit=5)  # one thread (workers=1)
            cpu.append(time.thread_time() - c0)
            times.append(time.perf_counter() - t0)
            found += any(owners[idx] in lq.expected for _, _, idx in best)
        out[label] = {
            "mean": sum(times) / len(times),
            "p50": percentile(times, 50),
            "cpu_mean": sum(cpu) / len(cpu),
            "cpu_p50": percentile(cpu, 50),
            "recall_at_5": found / len(picked),
        }
    return out


def count_comparisons(index: EntityIndex, queries: list[LabelledQuery]) -> dict[str, object]:
    """Untimed: name comparisons per query with and without pruning (`MatcherSettings.prune_by_bound`), and
    whether both give identical results (candidates, scores, order, explanations) for every query."""
    counts = {True: 0, False: 0}
    original = NameScorer.compare
    identical = 0
    try:
        for prune in (True, False):
            variant = index.with_settings(dataclasses.replace(index.settings, prune_by_bound=prune))

            def counting(self, q, c, _prune=prune):
                counts[_prune] += 1
                return original(self, q, c)

            NameScorer.compare = counting
            results = [variant.match(lq.query).model_dump() for lq in queries]
            if prune:
                pruned_results = results
            else:
                identical = sum(a == b for a, b in zip(pruned_results, results, strict=True))
    finally:
        NameScorer.compare = original
    return {
        "queries": len(queries),
        "with_pruning": counts[True] / len(queries),
        "without_pruning": counts[False] / len(queries),
        "identical": identical,
    }


# --------------------------------------------------------------------------------------- report


def render(report: dict) -> str:
    lines: list[str] = []
    m = report["machine"]
    p = report["params"]
    stats = report["index"]
    lat = report["latency"]
    ev_default = report["quality"]["default"]
    lines.append("## Entity matching (`bench/entity_matching.py`)")
    lines.append("")
    lines.append(f"- **Date**: {report['date']}")
    lines.append(
        f"- **Machine**: {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}, Python {m['python']}; "
        f"shared with other work: during the timed query phase {report['load']}{quiet_note(report.get('quiet'))}. "
        "The matcher is single-threaded: "
        "*CPU* columns are the query thread's own CPU time (what other processes change least), *wall* includes "
        "waiting for a core."
    )
    lines.append(f"- **Command**: `{report['command']}`")
    lines.append(
        f"- **Parameters**: seed {p['seed']}; {p['entries']:,} list entries generated (three lists; "
        f"{report['data']['names']:,} names and aliases; fictitious organisations in Latin, Cyrillic, Greek, Arabic, "
        f"Han, kana and Hangul scripts); {report['data']['queries']:,} labelled queries "
        f"({report['data']['positives']:,} positive, {report['data']['negatives']:,} hard negatives); default "
        f"`MatcherSettings` (threshold {p['threshold']}, candidate_limit {p['candidate_limit']}, "
        f"max_results {p['max_results']})."
    )
    lines.append("")
    lines.append("### Build and memory")
    lines.append("")
    lines.append("| measure | value |")
    lines.append("|---|---:|")
    lines.append(f"| data generation (not part of the index) | {report['data']['seconds']:.1f} s |")
    lines.append(f"| index build (normalise, block keys, postings, control chains) | {stats['build_seconds']:.1f} s |")
    lines.append(f"| entries indexed / names indexed | {stats['entries']:,} / {stats['names']:,} |")
    lines.append(f"| blocking keys (vocabulary) / postings | {stats['vocabulary']:,} / {stats['postings']:,} |")
    lines.append(f"| unlisted entries reported through a listed controller | {stats['controlled_entries']:,} |")
    lines.append(
        f"| RSS of the list data (pydantic models, before the index) | {report['memory']['data_mib']:,.0f} MiB |"
    )
    lines.append(f"| RSS growth while building the index | {report['memory']['index_rss_mib']:,.0f} MiB |")
    lines.append(f"| of which numpy arrays and the name-key buffer | {stats['array_bytes'] / 2**20:,.0f} MiB |")
    if report["memory"].get("tracemalloc_mib") is not None:
        lines.append(
            f"| tracemalloc: allocated by the build and still held | {report['memory']['tracemalloc_mib']:,.0f} MiB |"
        )
    lines.append("")
    lines.append("### Latency per query")
    lines.append("")
    lines.append("| measure | p50 ms | p90 ms | p99 ms | max ms | mean ms |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for key, label in (("cpu", "CPU (query thread)"), ("wall", "wall")):
        d = lat[key]
        lines.append(
            f"| {label} | {fmt_ms(d['p50'])} | {fmt_ms(d['p90'])} | {fmt_ms(d['p99'])} | {fmt_ms(d['max'])} "
            f"| {fmt_ms(d['mean'])} |"
        )
    bf = report["brute_force"]
    ours = lat["cpu"]["mean"]
    lines.append("")
    lines.append(
        f"Brute force for comparison: `rapidfuzz.process.extract(query, names, limit=5)` (one thread) over all "
        f"{bf['names']:,} names (pre-processed once with `utils.default_process`), measured on {bf['queries']} sampled "
        "positive queries; the ratio compares mean CPU times per query (brute force vs the index over all "
        "labelled queries):"
    )
    lines.append("")
    lines.append(
        "| scorer | mean CPU ms / query | p50 CPU ms | mean wall ms | found the entry in its top 5 "
        "| slower than the index (mean CPU) |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|")
    for label in ("token_sort_ratio", "WRatio"):
        b = bf[label]
        lines.append(
            f"| `{label}` | {fmt_ms(b['cpu_mean'], 0)} | {fmt_ms(b['cpu_p50'], 0)} | {fmt_ms(b['mean'], 0)} "
            f"| {b['recall_at_5']:.0%} | {b['cpu_mean'] / ours:,.0f}x |"
        )
    cmp_ = report["comparisons"]
    lines.append("")
    lines.append(
        f"Name comparisons (the explained per-pair scoring) per query: {cmp_['with_pruning']:.1f} with pruning by "
        f"the token-alignment bound (default), {cmp_['without_pruning']:.1f} without; results identical for "
        f"{cmp_['identical']:,} of {cmp_['queries']:,} queries (untimed check)."
    )
    lines.append("")
    lines.append("### Quality")
    lines.append("")
    lines.append(
        "A positive query is found when its entry is returned (score ≥ threshold); every other returned candidate "
        "counts as a false positive, and so does every candidate returned for a hard negative. "
        "precision = found / (found + false positives), recall = found / positive queries. The table per threshold "
        f"comes from a second pass at threshold {min(THRESHOLDS):.2f} returning up to 50 candidates, so its row for "
        "the default threshold can count a few more false positives than the timed default run (at most "
        f"{p['max_results']} candidates per query), whose figures are the ones by kind and in the targets."
    )
    lines.append("")
    lines.append("| threshold | precision | recall | false positives | misses |")
    lines.append("|---:|---:|---:|---:|---:|")
    for row in report["quality"]["table"]:
        mark = " **(default)**" if abs(row["threshold"] - p["threshold"]) < 1e-9 else ""
        lines.append(
            f"| {row['threshold']:.2f}{mark} | {row['precision']:.3f} | {row['recall']:.3f} | {row['fp']} "
            f"| {row['misses']} |"
        )
    lines.append("")
    lines.append(f"By kind at the default threshold {p['threshold']}:")
    lines.append("")
    lines.append("| query kind | queries | found | missed | false positives |")
    lines.append("|---|---:|---:|---:|---:|")
    for kind in [f"positive.{k}" for k in POSITIVE_KINDS] + [f"negative.{k}" for k in NEGATIVE_KINDS]:
        n = ev_default["queries_by_kind"].get(kind, 0)
        if not n:
            continue
        found = ev_default["hits_by_kind"].get(kind, 0) if kind.startswith("positive") else "-"
        missed = ev_default["misses"].get(kind, 0) if kind.startswith("positive") else "-"
        lines.append(f"| {kind} | {n} | {found} | {missed} | {ev_default['fp_by_kind'].get(kind, 0)} |")
    lines.append("")
    lines.append("### Targets")
    lines.append("")
    lines.append("| target | measured | met |")
    lines.append("|---|---|---:|")
    p99_cpu, p99_wall = lat["cpu"]["p99"], lat["wall"]["p99"]
    met = p99_cpu * 1000 <= TARGET_P99_MS and stats["names"] >= 1_000_000
    lines.append(
        f"| per-query p99 ≤ {TARGET_P99_MS:.0f} ms on one core, ≥ 1,000,000 names | CPU {fmt_ms(p99_cpu)} ms, wall "
        f"{fmt_ms(p99_wall)} ms over {stats['names']:,} names | {yes(met)} |"
    )
    stretch = p99_cpu * 1000 <= STRETCH_P99_MS
    lines.append(f"| stretch: p99 ≤ {STRETCH_P99_MS:.0f} ms | CPU {fmt_ms(p99_cpu)} ms | {yes(stretch)} |")
    lines.append(
        f"| recall ≥ {TARGET_RECALL} at precision ≥ {TARGET_PRECISION} (default threshold) | recall "
        f"{ev_default['recall']:.3f}, precision {ev_default['precision']:.3f} | "
        f"{yes(ev_default['recall'] >= TARGET_RECALL and ev_default['precision'] >= TARGET_PRECISION)} |"
    )
    lines.append("")
    lines.append(
        "The data is synthetic and the quality figures say how the matcher does on the variations the generator "
        "makes (bench/entity_data.py: romanisation schemes, abbreviations, typos, legal forms, reordering, near "
        "neighbours), not on real lists; the threshold was chosen on this data. Run with "
        "`--quick` for a smoke test (it does not claim the targets)."
    )
    return "\n".join(lines)


def quiet_note(quiet: tuple[float, bool] | None) -> str:
    if not quiet:
        return ""
    waited, ok = quiet
    outcome = "it was" if ok else "it was not, the run went ahead"
    return f" (waited {waited:.0f} s beforehand for other processes to use < 0.5 cores: {outcome})"


def yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


# ----------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--per-kind", type=int, default=250, help="positive queries per kind")
    parser.add_argument("--negatives-per-kind", type=int, default=None, help="default: --per-kind")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--brute-sample", type=int, default=10, help="queries for the brute-force comparison")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the build's allocations (slower)")
    parser.add_argument("--pin-cpu", type=int, default=None, help="run on this CPU only")
    parser.add_argument("--quick", action="store_true", help="50,000 entries, 40 queries per kind; never writes")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="before the timed phase, wait up to this many seconds for other processes to use < 0.5 cores",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--json", type=Path, default=None, help="also save the raw report as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.entries, args.per_kind = 50_000, 40
        args.brute_sample = min(args.brute_sample, 5)
    if args.pin_cpu is not None:
        os.sched_setaffinity(0, {args.pin_cpu})
    settings = MatcherSettings()
    command = "uv run --frozen python -m bench.entity_matching" + (" " + " ".join(argv or sys.argv[1:])).rstrip()

    print(f"generating {args.entries:,} entries (seed {args.seed}) ...", flush=True)
    rss_start = rss_mib()
    t0 = time.perf_counter()
    data = generate(args.entries, per_kind=args.per_kind, negatives_per_kind=args.negatives_per_kind, seed=args.seed)
    gen_seconds = time.perf_counter() - t0
    gc.collect()
    rss_data = rss_mib()
    queries = list(data.queries)
    print(f"  {data.n_entries:,} entries, {data.n_names:,} names, {len(queries):,} queries in {gen_seconds:.1f} s")

    print("building the index ...", flush=True)
    gc.collect()
    rss_before = rss_mib()
    if args.tracemalloc:
        tracemalloc.start()
    index = EntityIndex.build(data.lists, settings)
    traced = None
    if args.tracemalloc:
        traced = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
    gc.collect()
    rss_after = rss_mib()
    stats = dataclasses.asdict(index.stats())
    print(f"  {stats['build_seconds']:.1f} s, RSS +{rss_after - rss_before:,.0f} MiB, {stats}")

    print("matching (default settings, timed) ...", flush=True)
    load_before = os.getloadavg()
    ticks = cpu_ticks()
    for lq in queries[:50]:  # warm caches (transliteration, ICU) as a long-running service would have them
        index.match(lq.query)
    quiet = None
    if args.wait_quiet > 0:
        print(f"waiting up to {args.wait_quiet:.0f} s for a quiet machine ...", flush=True)
        quiet = wait_until_quiet(args.wait_quiet)
        print(f"  waited {quiet[0]:.0f} s, {'quiet' if quiet[1] else 'still busy'}", flush=True)
    window = LoadWindow().start()
    results, wall, cpu = run_queries(index, queries)
    window.stop()
    busy = busy_between(ticks, cpu_ticks())
    load_after = os.getloadavg()
    latency = {
        key: {
            "p50": percentile(values, 50),
            "p90": percentile(values, 90),
            "p99": percentile(values, 99),
            "max": max(values),
            "mean": sum(values) / len(values),
        }
        for key, values in (("cpu", cpu), ("wall", wall))
    }
    print(
        f"  CPU p50 {fmt_ms(latency['cpu']['p50'])} p99 {fmt_ms(latency['cpu']['p99'])} ms; wall p50 "
        f"{fmt_ms(latency['wall']['p50'])} p99 {fmt_ms(latency['wall']['p99'])} ms; machine {busy:.0%} busy"
    )
    default_eval = evaluate(queries, results, settings.threshold)

    print("matching again at a low threshold for the precision/recall table ...", flush=True)
    low = index.with_settings(dataclasses.replace(settings, threshold=min(THRESHOLDS), max_results=50))
    low_results, _, _ = run_queries(low, queries)
    table = []
    for threshold in sorted(set(THRESHOLDS) | {settings.threshold}):
        ev = evaluate(queries, low_results, threshold)
        table.append(
            {
                "threshold": threshold,
                "precision": ev.precision,
                "recall": ev.recall,
                "fp": ev.fp,
                "misses": sum(ev.misses.values()),
            }
        )
        print(f"  {threshold:.2f}: precision {ev.precision:.3f} recall {ev.recall:.3f} fp {ev.fp}")

    print("counting name comparisons with and without pruning (untimed) ...", flush=True)
    comparisons = count_comparisons(index, queries)
    print(f"  {comparisons}")

    print(f"brute force on {args.brute_sample} queries ...", flush=True)
    brute = brute_force(data, queries, args.brute_sample, args.seed)
    print(f"  {json.dumps(brute)}")

    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "command": command,
        "loadavg": " / ".join(f"{a:.1f}-{b:.1f}" for a, b in zip(load_before, load_after, strict=True)),
        "busy_during_queries": busy,
        "load": window.describe(),
        "quiet": quiet,
        "outside_cores": window.outside_cores,
        "comparisons": comparisons,
        "params": {
            "seed": args.seed,
            "entries": args.entries,
            "threshold": settings.threshold,
            "candidate_limit": settings.candidate_limit,
            "max_results": settings.max_results,
        },
        "data": {
            "seconds": gen_seconds,
            "names": data.n_names,
            "queries": len(queries),
            "positives": sum(1 for q in queries if q.expected),
            "negatives": sum(1 for q in queries if not q.expected),
        },
        "index": stats,
        "memory": {
            "data_mib": rss_data - rss_start,
            "index_rss_mib": rss_after - rss_before,
            "tracemalloc_mib": traced,
        },
        "latency": latency,
        "brute_force": brute,
        "quality": {
            "default": {
                "precision": default_eval.precision,
                "recall": default_eval.recall,
                "misses": dict(default_eval.misses),
                "fp_by_kind": dict(default_eval.fp_by_kind),
                "hits_by_kind": dict(default_eval.hits_by_kind),
                "queries_by_kind": dict(default_eval.queries_by_kind),
            },
            "table": table,
        },
    }
    body = render(report)
    print()
    print(body)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    if args.quick or args.no_write:
        print("\n(not written: --quick / --no-write)")
    else:
        write_section(args.output, SECTION, body)
        print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
