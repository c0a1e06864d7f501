"""Stored items of the customer portal; all of them live under the vendor that owns them.

Keys are written down in docs/data-model.md ("Customer portal"); the dal modules build them.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.db.base import TableItem


class CustomerItem(TableItem, discriminator="customer"):
    """pk=ORG#{vendor}, sk=CUSTOMER#{customer_id}; gsi1 ORG#{vendor}#PRIMARY#{primary} / CUSTOMER#{id} (sparse).

    `users_added_at`: when a user last joined; links activated before it need a refresh.
    """

    customer_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    name = UnicodeAttribute()
    contact_name = UnicodeAttribute(null=True)
    contact_email = UnicodeAttribute(null=True)
    contact_phone = UnicodeAttribute(null=True)
    permissions = JSONAttribute()
    primary_customer_id = UnicodeAttribute(null=True)
    users_added_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class SiteItem(TableItem, discriminator="site"):
    """pk=ORG#{vendor}, sk=SITE#{site_id}; gsi1 ORG#{vendor}#CUSTOMER#{customer}#SITES / SITE#{site_id}."""

    site_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    address = JSONAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()
    geofence = JSONAttribute()
    picture_keys = ListAttribute[str](default=list)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class CustomerUserItem(TableItem, discriminator="customer_user"):
    """pk=ORG#{vendor}, sk=CUSTUSER#{id}; gsi1 ORG#{vendor}#CUSTOMER#{customer}#USERS / CUSTUSER#{id}.

    The portal link is part of the user: `link_version` goes up on every refresh and on an enable
    that issues a new link (the first, or after expiry), so a token naming an older version no
    longer opens anything; re-enabling a disabled, unexpired link keeps its version.
    """

    customer_user_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    site_ids = ListAttribute[str](default=list)
    link_enabled = BooleanAttribute(default=False)
    link_version = NumberAttribute(default=0)
    link_activated_at = UTCDateTimeAttribute(null=True)
    link_expires_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class LinkUseItem(TableItem, discriminator="portal_link_use"):
    """pk=ORG#{vendor}, sk=LINKUSE#{customer_user_id}: when the user's link was last used.

    Apart from the user so that use (a blind SET) never races the vendor's versioned edits.
    """

    customer_user_id = UnicodeAttribute()
    last_used_at = UTCDateTimeAttribute()


class SiteServiceItem(TableItem, discriminator="site_service"):
    """pk=ORG#{vendor}#SITE#{site_id}#SERVICES, sk={completed_at ISO}#{service_id}: a range is a BETWEEN."""

    service_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    site_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    service_name = UnicodeAttribute()
    service_name_folded = UnicodeAttribute()  # casefolded: the portal filters by service name
    completed_at = UTCDateTimeAttribute()
    vehicle = JSONAttribute(null=True)
    picture_keys = ListAttribute[str](default=list)
    job = JSONAttribute(null=True)  # {job_id, title, kind} when a job recorded it
    source = UnicodeAttribute()  # vendor | job
    recorded_by = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()


class PortalAccessItem(TableItem, discriminator="portal_access"):
    """pk=ORG#{vendor}#PORTALACCESS#{customer_user_id}, sk={at ISO}#{access_id}; TTL after a year."""

    access_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    customer_user_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    action = UnicodeAttribute()  # link_exchange | view_sites | view_site | view_me
    site_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    expires_at_epoch = NumberAttribute()
