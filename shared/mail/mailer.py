"""The mailer port: SES v2 in AWS, an SMTP server on localhost in dev and tests."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from functools import cache
from typing import Protocol

from shared.settings import get_settings

SMTP_TIMEOUT_SECONDS = 10


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None: ...


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg["Message-ID"] = f"<{message_id}@fleetbridge>"
        msg.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(msg)


class SesMailer:
    def __init__(self, sender: str) -> None:
        import boto3  # only SES needs it: the stream processor imports this module for every record kind

        self.sender = sender
        self.client = boto3.client("sesv2")

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        self.client.send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}}},
            EmailTags=[{"Name": "outbox_id", "Value": message_id.replace("_", "-")}],
        )


@cache
def get_mailer() -> Mailer:
    settings = get_settings()
    if settings.mailer == "ses":
        return SesMailer(settings.mail_from)
    return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from)
