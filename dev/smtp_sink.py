"""A local SMTP server that keeps what the app sends, so people (.eml files) and tests can read it.

In AWS mail goes out through SES; locally the mailer (MAILER=smtp) talks to SMTP_HOST/SMTP_PORT,
which is this sink. Each message is kept as a parsed EmailMessage, with the envelope in
X-MailFrom / X-RcptTo headers (as aiosmtpd's Message handler does), since Bcc is not in the
headers.
"""

from __future__ import annotations

import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class SmtpSink:
    """aiosmtpd on 127.0.0.1:`port` in its own thread; start() and stop()."""

    def __init__(self, port: int, *, host: str = "127.0.0.1", mail_dir: Path | None = None) -> None:
        self.host, self.port = host, port
        self.mail_dir = mail_dir  # dev mode: every message is also written to <mail_dir>/<n>.eml
        self._messages: list[EmailMessage] = []
        self._received = 0  # numbers the .eml files; clear() does not reset it
        self._changed = threading.Condition()
        self._controller = Controller(self, hostname=host, port=port)

    def start(self) -> None:
        if self.mail_dir is not None:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._changed:
            return list(self._messages)

    def clear(self) -> None:
        with self._changed:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The first `count` messages received, waiting for them up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} message(s) within {timeout} s, got {len(self._messages)}")
                self._changed.wait(remaining)
            return list(self._messages[:count])

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook for a received message."""
        raw = (envelope.original_content or envelope.content).replace(b"\r\n", b"\n")  # SMTP's CRLF
        message = message_from_bytes(raw, policy=policy.default)
        message["X-MailFrom"] = envelope.mail_from
        message["X-RcptTo"] = ", ".join(envelope.rcpt_tos)
        with self._changed:
            self._messages.append(message)
            self._received += 1
            number = self._received
            self._changed.notify_all()
        if self.mail_dir is not None:
            (self.mail_dir / f"{number}.eml").write_bytes(message.as_bytes())
        return "250 Message accepted for delivery"
