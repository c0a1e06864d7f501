"""Notifications: the kinds and their categories, the stored items and the API bodies.

Every kind belongs to one category; a user's email preferences are by category (the dashboard
shows every kind to the whole organization). KINDS is the one table of both.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field
from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute

from shared.auth.principal import Role
from shared.base_models import Model, RequestBody, StoredModel, Version
from shared.db.base import TableItem


class Category(StrEnum):
    CONNECTIONS = "connections"  # fleet <-> vendor connections and the groups they grant
    PARTNERS = "partners"  # installation partner invitations and partnerships
    JOBS = "jobs"  # jobs assigned to a partner and their outcomes
    SERVICES = "services"  # merchants' connections to a fleet's services
    INTEGRATION = "integration"  # Fleetrock trouble: webhook signatures failing, a sync or refresh given up
    PORTAL = "portal"  # the vendor's customer portal: a link that needs a refresh
    SUBSCRIPTIONS = "subscriptions"  # push subscriptions paused


# kind -> its category: every kind notify() is called with is here (an unknown kind is a bug: KeyError)
KINDS: dict[str, Category] = {
    **{f"connection.{s}": Category.CONNECTIONS
       for s in ("requested", "accepted", "rejected", "cancelled", "disconnected", "groups_changed")},
    **{f"partner.{s}": Category.PARTNERS for s in ("invited", "accepted", "declined", "left", "removed")},
    **{f"job_{s}": Category.JOBS for s in ("assigned", "unassigned", "deleted", "started", "succeeded", "failed")},
    **{f"service_connection.{s}": Category.SERVICES for s in ("requested", "accepted", "rejected", "revoked")},
    **{f"integration.{s}": Category.INTEGRATION
       for s in ("webhook_signatures_failing", "sync_gave_up", "refresh_gave_up")},
    "portal.link_expired": Category.PORTAL,
    "push_subscription_paused": Category.SUBSCRIPTIONS,
}

# who gets an email when they have not chosen (docs/data-model.md, Notifications): an admin of every
# category; a fleet user (customer) of its jobs' outcomes; a vendor user (technician) of its jobs
ADMINS = frozenset({Role.CUSTOMER_ADMIN, Role.MANAGER, Role.VENDOR_ADMIN})
DEFAULTS: dict[Role, frozenset[Category]] = {
    **{role: frozenset(Category) for role in ADMINS},
    Role.CUSTOMER: frozenset({Category.JOBS}),
    Role.VENDOR: frozenset({Category.JOBS}),
}


# -- stored items --------------------------------------------------------------------------------
class NotificationItem(TableItem, discriminator="notification"):
    """pk=ORG#{org_id}#NOTIFS, sk={notification_id} (ntf_ + ULID: newest last)."""

    notification_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    category = UnicodeAttribute(null=True)  # null: written before categories existed
    title = UnicodeAttribute()
    data = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    read_at = UTCDateTimeAttribute(null=True)


class UnreadCountItem(TableItem, discriminator="notification_unread"):
    """pk=ORG#{org_id}#NOTIFS, sk=UNREAD: +1 in each notification's transaction, -1 in each mark read's."""

    unread = NumberAttribute(default=0)


class PreferencesItem(TableItem, discriminator="notification_prefs"):
    """pk=ORG#{org_id}#NOTIFS, sk=PREFS#{user_id}: the categories a user chose (others: DEFAULTS)."""

    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    email = JSONAttribute()  # {category: bool}
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class EpisodeItem(TableItem, discriminator="notification_episode"):
    """pk=ORG#{org_id}#NOTIFS, sk=EPISODE#{key}: an org was told of this episode (until `until`, TTL)."""

    org_id = UnicodeAttribute()
    key = UnicodeAttribute()
    notification_id = UnicodeAttribute()
    until_epoch = NumberAttribute()
    expires_at_epoch = NumberAttribute()


# -- API bodies ----------------------------------------------------------------------------------
class Notification(StoredModel):
    notification_id: str
    kind: str
    category: Category | None = Field(default=None, description="what email preferences it falls under")
    title: str
    data: dict[str, Any] | None = None
    created_at: datetime
    read_at: datetime | None = None


class NotificationPage(Model):
    items: list[Notification]
    next_cursor: str | None = None
    unread_count: int = Field(description="your organization's unread notifications, all pages")


class ReadAll(Model):
    marked: int = Field(description="notifications marked read by this call")
    unread_count: int = Field(description="unread left: more than one call marks (1,000 at most each) when > 0")


class EmailChoices(RequestBody):
    """One switch per category; a category left out takes your role's default."""

    connections: bool | None = None
    partners: bool | None = None
    jobs: bool | None = None
    services: bool | None = None
    integration: bool | None = None
    portal: bool | None = None
    subscriptions: bool | None = None


class PreferencesUpdate(RequestBody):
    email: EmailChoices = Field(description="replaces your choices")
    version: int = Field(description="the version you read (0 when you have never saved any)")


class Preferences(Model):
    user_id: str
    email: dict[Category, bool] = Field(description="per category: whether you get its emails (chosen or default)")
    chosen: list[Category] = Field(description="the categories you chose; the others follow your role's default")
    version: Version
