"""The mail catcher of the local system: SMTP in, JSON out, kept across restarts."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import httpx
import pytest

from devstack._util import free_port
from devstack.mailcatcher import MailCatcher

pytestmark = pytest.mark.integration


def send(port: int, to: str, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "shipping@batchflow.local", to, subject
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg)


def test_messages_sent_by_smtp_are_read_back_newest_first_and_survive_a_restart(tmp_path):
    path = tmp_path / "mail.jsonl"
    catcher = MailCatcher(free_port(), free_port(), path).start()
    try:
        send(catcher.smtp_port, "ada@example.com", "Your order SO-000001 has shipped", "Tracking: JD0146000031")
        send(catcher.smtp_port, "grace@example.com", "Votre commande est expédiée", "Suivi : 1Z999")
        got = httpx.get(f"{catcher.url}/messages").json()
        assert [m["to"] for m in got] == [["grace@example.com"], ["ada@example.com"]]
        assert got[0]["subject"] == "Votre commande est expédiée" and "1Z999" in got[0]["body"]
        only = httpx.get(f"{catcher.url}/messages", params={"to": "ADA@example.com"}).json()
        assert [m["subject"] for m in only] == ["Your order SO-000001 has shipped"]
        assert httpx.get(f"{catcher.url}/messages", params={"limit": "x"}).status_code == 422
    finally:
        catcher.stop()
    again = MailCatcher(free_port(), free_port(), path).start()
    try:
        assert len(httpx.get(f"{again.url}/messages").json()) == 2
    finally:
        again.stop()
