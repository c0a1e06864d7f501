"""What other capabilities may use of the outbox: queue an email (or a message another capability
delivers, such as a notification's emails) in their own transaction; put a derived email once."""

from shared.outbox.dal import add_email, add_message, put_email_once

__all__ = ["add_email", "add_message", "put_email_once"]
