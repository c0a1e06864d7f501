"""dev/smtp_sink: what is sent over real SMTP can be read back, parsed, and is saved as .eml."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from dev.dynamodb_local import free_port
from dev.smtp_sink import SmtpSink


@pytest.fixture
def sink(tmp_path):
    sink = SmtpSink(free_port(), mail_dir=tmp_path / "mail")
    sink.start()
    yield sink
    sink.stop()


def send(port: int, subject: str, to: str = "fleet@example.com") -> None:
    msg = EmailMessage()
    msg["From"] = "noreply@fleetbridge.test"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hello Grüße\n")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(msg, to_addrs=[to, "hidden@example.com"])


def test_message_is_received_parsed_and_saved(sink, tmp_path):
    send(sink.port, "Connection request")
    [msg] = sink.wait_for(1)
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"] == "Connection request"
    assert msg["To"] == "fleet@example.com"
    assert msg["X-MailFrom"] == "noreply@fleetbridge.test"
    assert msg["X-RcptTo"] == "fleet@example.com, hidden@example.com"
    assert msg.get_content() == "Hello Grüße\n"
    saved = (tmp_path / "mail" / "1.eml").read_bytes()
    assert b"Subject: Connection request" in saved


def test_wait_for_several_and_timeout(sink):
    send(sink.port, "one")
    send(sink.port, "two")
    assert [m["Subject"] for m in sink.wait_for(2)] == ["one", "two"]
    with pytest.raises(TimeoutError, match="expected 3 message"):
        sink.wait_for(3, timeout=0.2)
    sink.clear()
    assert sink.messages == []
