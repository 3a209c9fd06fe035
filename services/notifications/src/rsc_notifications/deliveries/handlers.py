"""Notifications' consumer (group `rsc-notifications`): every event of every service goes through
routing; most create nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session

from rsc_common.events import EventData, EventEnvelope, database_only, registered
from rsc_notifications.deliveries.service import notify
from rsc_notifications.recipients.directory import Directory
from rsc_notifications.settings import NotificationsSettings

GROUP_ID = "rsc-notifications"


def notification_handlers(settings: NotificationsSettings) -> dict[str, Callable]:
    lock, holder = threading.Lock(), {}

    def directory() -> Directory:  # connected on first use, in the consumer thread
        with lock:
            if "d" not in holder:
                holder["d"] = Directory(settings.auth, settings.directory_cache_seconds)
            return holder["d"]

    @database_only  # deliveries are rows; the e-mail and webhook loops send them
    def on_event(session: Session, envelope: EventEnvelope, _data: EventData) -> None:
        notify(session, directory(), envelope, settings.portal_url, timedelta(hours=settings.max_event_age_hours))

    return {event_type: on_event for event_type, _version in registered()}
