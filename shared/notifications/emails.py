"""A notification's emails, at send time: one per user of the organization whose preferences want its
category (a user who never chose follows the role's default, models.DEFAULTS); when nobody does, one to
the organization's contact address, so an event a party must know never goes unmailed.

Stream work: the outbox message that notify() wrote is delivered here (shared/streams/router.py names
this sender for its kind). Each email is an outbox message of its own, under an id derived from the
notification's message and the user, written once: a retry of a fan-out that failed half way writes
the rest, and each email keeps the outbox's retries and sweep.
"""

from __future__ import annotations

from typing import Any

from shared.auth.principal import Role
from shared.notifications import dal
from shared.notifications.models import DEFAULTS, Category, PreferencesItem
from shared.observability import logger
from shared.orgs.public import get_org_item, users_of
from shared.outbox.public import put_email_once

CONTACT = "contact"


def wants(role: Role, chosen: PreferencesItem | None, category: Category) -> bool:
    """Whether a user of `role` gets the emails of `category`: their choice, else their role's default."""
    choice = (chosen.email or {}).get(category.value) if chosen is not None else None
    return bool(choice) if choice is not None else category in DEFAULTS.get(role, frozenset())


def recipients(org_id: str, category: Category) -> dict[str, str]:
    """Who gets the email, as {recipient key: address}: the users who want it, else the contact address."""
    org = get_org_item(org_id)
    if org is None:
        return {}
    chosen = dal.all_preferences(org_id)
    found = {user.user_id: user.email for user in users_of(org_id)
             if wants(Role(user.role), chosen.get(user.user_id), category)}
    return found or {CONTACT: org.contact_email}


def send_notification_emails(message_id: str, payload: dict[str, Any]) -> None:
    """Fan one notification's email out (the outbox's sender for notify()'s messages)."""
    to = recipients(str(payload["org_id"]), Category(payload["category"]))
    written = sum(put_email_once(f"{message_id}-{key}", to=address, subject=str(payload["subject"]),
                                 body=str(payload["body"]))
                  for key, address in to.items())
    logger.info("notification emails queued", extra={"notification_id": payload.get("notification_id"),
                                                      "recipients": len(to), "written": written})
