"""A local SMTP sink for development and tests (aiosmtpd): accepts every message on 127.0.0.1 and keeps
it as an `.eml` file in a folder (`.local/mail/` under `make up`), with `index.jsonl` listing
recipient, subject and Message-ID. Open an .eml file with any mail client, or read the index.

    python -m rsc_notifications.smtp_sink --dir .local/mail --port 18025
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        entry = {
            "file": name,
            "to": list(envelope.rcpt_tos),
            "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", "")),
            "notification": str(message.get("X-RSC-Notification", "")),
            "language": _language(message),
            "received_at": time.time(),
        }
        with self._lock:
            (self.folder / name).write_bytes(raw)
            with (self.folder / "index.jsonl").open("a", encoding="utf-8") as index:
                index.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return "250 Message accepted for delivery"

    def messages(self) -> list[dict]:
        index = self.folder / "index.jsonl"
        if not index.exists():
            return []
        return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]

    def read(self, entry: dict):
        return message_from_bytes((self.folder / entry["file"]).read_bytes(), policy=policy.default)


def _language(message) -> str:
    html = message.get_body(preferencelist=("html",))
    text = html.get_content() if html else ""
    marker = 'lang="'
    return text[text.index(marker) + len(marker) :][:2] if marker in text else ""


def start(folder: Path, port: int, host: str = "127.0.0.1") -> tuple[Controller, Mailbox]:
    mailbox = Mailbox(folder)
    controller = Controller(mailbox, hostname=host, port=port)
    controller.start()
    return controller, mailbox


def main() -> None:
    parser = argparse.ArgumentParser(description="Local SMTP sink: keeps every message as an .eml file.")
    parser.add_argument("--dir", default=".local/mail")
    parser.add_argument("--port", type=int, default=18025)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    controller, _ = start(Path(args.dir), args.port, args.host)
    print(f"SMTP sink on {args.host}:{args.port}, messages in {Path(args.dir).resolve()}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
