"""What other capabilities may use of the outbox: queue an email in their own transaction."""

from shared.outbox.dal import add_email

__all__ = ["add_email"]
