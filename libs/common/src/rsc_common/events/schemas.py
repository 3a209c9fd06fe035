"""Generate the JSON Schemas of the envelope and every registered event payload into docs/events/.

uv run python -m rsc_common.events.schemas            # write
uv run python -m rsc_common.events.schemas --check    # exit 1 if docs/events/ is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import rsc_common.events.types  # noqa: F401  (registers the payloads)
from rsc_common.events.catalog import registered
from rsc_common.events.envelope import EventEnvelope

DEFAULT_DIR = Path(__file__).resolve().parents[5] / "docs" / "events"


def render() -> dict[str, str]:
    files = {"envelope.v1.schema.json": EventEnvelope.model_json_schema()}
    for (event_type, version), model in registered().items():
        if not model.__module__.startswith("rsc_"):
            continue  # types registered by tests are not part of the contract
        schema = model.model_json_schema()
        schema["x-rsc-event-type"] = event_type
        schema["x-rsc-schema-version"] = version
        schema["x-rsc-topic"] = model.topic
        files[f"{event_type}.v{version}.schema.json"] = schema
    return {name: json.dumps(schema, indent=2, sort_keys=True) + "\n" for name, schema in files.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rendered = render()
    if args.check:
        present = {p.name: p.read_text() for p in args.dir.glob("*.schema.json")}
        if present != rendered:
            print("docs/events/ is out of date: run `make schemas`", file=sys.stderr)
            sys.exit(1)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    for stale in set(p.name for p in args.dir.glob("*.schema.json")) - set(rendered):
        (args.dir / stale).unlink()
    for name, text in rendered.items():
        (args.dir / name).write_text(text)
    print(f"wrote {len(rendered)} schemas to {args.dir}")


if __name__ == "__main__":
    main()
