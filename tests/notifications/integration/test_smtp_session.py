"""The e-mail sender keeps one SMTP session while it has mail, and survives the server dropping it."""

from __future__ import annotations

from aiosmtpd.controller import Controller

from rsc_notifications.deliveries.dispatcher import SmtpSender
from rsc_notifications.settings import NotificationsSettings
from rsc_notifications.smtp_sink import Mailbox
from tests.notifications.integration.test_delivery_flow import free_port


class CountingMailbox(Mailbox):
    """Remembers the client address of every message: one address per SMTP connection."""

    def __init__(self, folder) -> None:
        super().__init__(folder)
        self.peers: list[tuple] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.peers.append(tuple(session.peer))
        return await super().handle_DATA(server, session, envelope)


def _send(sender: SmtpSender, n: int) -> None:
    sender.send(f"reader{n}@example.test", f"Subject {n}", "text", "<p>text</p>", f"key-{n}")


def test_one_session_per_busy_spell_and_a_new_one_after_the_server_dropped_it(tmp_path) -> None:
    port = free_port()
    mailbox = CountingMailbox(tmp_path / "mail")
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    sender = SmtpSender(NotificationsSettings(smtp_port=port))
    try:
        for n in range(3):
            _send(sender, n)
        assert len(set(mailbox.peers)) == 1  # three messages, one connection

        controller.stop()  # the server goes away with our session; a new one listens on the same port
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        _send(sender, 3)
        assert len(set(mailbox.peers)) == 2

        sender.idle()  # nothing more to send: the session ends, the next message opens a new one
        _send(sender, 4)
        assert len(set(mailbox.peers)) == 3
    finally:
        sender.close()
        controller.stop()
    assert [m["subject"] for m in mailbox.messages()] == [f"Subject {n}" for n in range(5)]
    assert [m["to"] for m in mailbox.messages()][3] == ["reader3@example.test"]
