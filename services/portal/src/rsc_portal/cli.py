"""`rsc-portal api`: serve the portal (uvicorn). The portal has no worker, database or migrations."""

from __future__ import annotations

import argparse

from rsc_common.telemetry import configure_logging
from rsc_portal.settings import PortalSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rsc-portal")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("api", help="serve the portal (uvicorn)")
    parser.parse_args(argv)
    settings = PortalSettings()  # validated here: a bad setting stops the process at once
    configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.json_logs)

    import uvicorn

    from rsc_portal.app import build_app

    uvicorn.run(build_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
