from __future__ import annotations

from sqlalchemy import Engine

from rsc_common.events import topics
from rsc_common.runtime import ConsumerSpec, WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_notifications.app import MIGRATIONS, build_app
from rsc_notifications.deliveries.dispatcher import email_loop
from rsc_notifications.deliveries.handlers import GROUP_ID, notification_handlers
from rsc_notifications.settings import NotificationsSettings
from rsc_notifications.webhooks.dispatcher import webhook_loop


def worker(settings: NotificationsSettings, engine: Engine) -> WorkerSpec:
    return WorkerSpec(
        relay=False,  # notifications publishes no events
        consumers=[
            ConsumerSpec(group_id=GROUP_ID, topics=list(topics.DOMAIN_TOPICS), handlers=notification_handlers(settings))
        ],
        loops={"email": email_loop(engine, settings), "webhooks": webhook_loop(engine, settings)},
    )


DEFINITION = ServiceDefinition(
    name="rsc-notifications",
    settings=NotificationsSettings,
    app=build_app,
    migrations_dir=MIGRATIONS,
    worker=worker,
)


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()
