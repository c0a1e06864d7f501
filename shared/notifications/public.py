"""What other capabilities may use of notifications: tell an organization, in their transaction
(`notify`) or once per episode in its own (`notify_once`)."""

from shared.notifications.notify import notify, notify_once

__all__ = ["notify", "notify_once"]
