"""The e-mail loop of the worker: sends due notifications over SMTP (aiosmtplib), one row at a time
under `FOR UPDATE SKIP LOCKED` (any number of workers share the work), marks each sent in its own
transaction, and on an SMTP failure schedules a retry with backoff and jitter: an outage delays
e-mail, it never loses any. Digest rows wait for the daily digest instant and go out as one e-mail."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from rsc_common.db.types import utcnow
from rsc_notifications.deliveries.backoff import retry_delay
from rsc_notifications.deliveries.models import Notification
from rsc_notifications.messages.render import render
from rsc_notifications.settings import NotificationsSettings

log = logging.getLogger(__name__)


def message_id(message_key: str) -> str:
    """The same for every transmission of one notification (its dedupe key). SMTP cannot be exactly-once: a
    worker killed after the relay accepted a message and before the row is marked sent sends it again on
    restart; with the same Message-ID, mail systems and clients treat the two as one message."""
    return f"<{hashlib.sha256(message_key.encode()).hexdigest()[:40]}@rsc.notifications>"


class SmtpSender:
    """Sends over one SMTP session for as long as there is mail: connecting (and EHLO, STARTTLS, AUTH) once
    per busy spell instead of once per message, which cost the worker and the relay more than the message
    itself. `idle()` ends the session when a round finds nothing to send, so no connection sits open."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self._loop = asyncio.new_event_loop()
        self._client: aiosmtplib.SMTP | None = None

    def send(self, to: str, subject: str, text: str, html: str, message_key: str) -> None:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(message_key)
        message["X-RSC-Notification"] = message_key
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        self._loop.run_until_complete(self._send(message))

    async def _send(self, message: EmailMessage) -> None:
        if self._client is not None and self._client.is_connected:
            try:
                await self._client.send_message(message)
                return
            except aiosmtplib.SMTPServerDisconnected:
                # the server closed the kept session (idle timeout, restart): once more on a new one; should
                # it have taken the message before dropping us, the repeat carries the same Message-ID
                self._client.close()
                self._client = None
            except BaseException:
                await self._quit()
                raise
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            start_tls=s.smtp_starttls,
            timeout=30,
        )
        try:
            await client.connect()
            await client.send_message(message)
        except BaseException:
            client.close()
            raise
        self._client = client

    async def _quit(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()

    def idle(self) -> None:
        self._loop.run_until_complete(self._quit())

    def close(self) -> None:
        self.idle()
        self._loop.close()


def send_due(engine: Engine, sender: SmtpSender, settings: NotificationsSettings) -> int:
    """Send what is due now (at most one batch); returns how many were sent."""
    sent = 0
    for _ in range(settings.dispatch_batch):
        with Session(engine) as session:
            row = session.exec(
                select(Notification)
                .where(Notification.status == "pending", col(Notification.next_attempt_at) <= utcnow())
                .order_by(col(Notification.next_attempt_at))
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                break
            try:
                sender.send(row.recipient_email, row.subject, row.body_text, row.body_html, row.dedupe_key)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                _failed(row, exc, settings)
                session.add(row)
                session.commit()
                break  # the server is down or refusing: the next round tries again
            row.status, row.sent_at, row.attempts = "sent", utcnow(), row.attempts + 1
            session.add(row)
            session.commit()
            sent += 1
    return sent + send_digests(engine, sender, settings)


def _failed(row, exc: Exception, settings: NotificationsSettings) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    row.next_attempt_at = utcnow() + retry_delay(
        row.attempts, settings.retry_initial_seconds, settings.retry_max_seconds
    )
    log.warning("e-mail %s not sent (attempt %d): %s", row.dedupe_key, row.attempts, row.last_error)


def send_digests(engine: Engine, sender: SmtpSender, settings: NotificationsSettings) -> int:
    """One e-mail per recipient with every digest row that is due."""
    with Session(engine) as session:
        recipients = session.exec(
            select(Notification.recipient_subject)
            .where(Notification.status == "digest", col(Notification.next_attempt_at) <= utcnow())
            .group_by(Notification.recipient_subject)
            .limit(settings.dispatch_batch)
        ).all()
    sent = 0
    for subject in recipients:
        with Session(engine) as session:
            rows = session.exec(
                select(Notification)
                .where(
                    Notification.recipient_subject == subject,
                    Notification.status == "digest",
                    col(Notification.next_attempt_at) <= utcnow(),
                )
                .order_by(col(Notification.created_at))
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                continue
            first = rows[0]
            context = {"items": [{"subject": r.subject} for r in rows], "recipient": {"name": ""}, "f": {}}
            _locale, message = render(first.locale, "digest", context, None)
            key = f"digest:{subject}:{first.dedupe_key}"
            try:
                sender.send(first.recipient_email, message.subject, message.text, message.html, key)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                for row in rows:
                    _failed(row, exc, settings)
                    session.add(row)
                session.commit()
                break
            now = utcnow()
            for row in rows:
                row.status, row.sent_at = "sent", now
                session.add(row)
            session.commit()
            sent += 1
    return sent


def pending_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Notification).where(Notification.status == "pending")
        ).one()


def email_loop(engine: Engine, settings: NotificationsSettings):
    def run(stop: threading.Event) -> None:
        sender = SmtpSender(settings)
        try:
            while not stop.is_set():
                try:
                    busy = send_due(engine, sender, settings)
                except Exception:  # a database hiccup: log, wait, go on (the rows stay)
                    log.exception("e-mail loop failed; retrying")
                    busy = 0
                if not busy:
                    sender.idle()
                    stop.wait(settings.dispatch_interval_seconds)
        finally:
            sender.close()

    return run
