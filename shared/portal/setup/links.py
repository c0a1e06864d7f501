"""Portal links: enable, refresh, disable.

A link expires 6 calendar months after its activation. Refreshing issues a new link version and
disabling clears the enabled flag, both of which the server checks on every portal request, so
the old link stops working at once. Enabling a disabled link brings that link back (spec: "disable
invalidates it until enabled again"), until its own expiry; when it has expired, or there never was
one, enabling issues a new link. To end a link for good (it leaked), refresh it.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import atomic
from shared.db.pagination import Page
from shared.errors import Conflict
from shared.ids import utc_now
from shared.portal import keys, tokens
from shared.portal.items import CustomerUserItem
from shared.portal.setup import access_dal
from shared.portal.setup.models import AccessEntry, PortalLinkIssued
from shared.portal.setup.users import get_item, snapshot
from shared.settings import get_settings

LINK_MONTHS = 6


def add_months(at: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    month0 = at.month - 1 + months
    year, month = at.year + month0 // 12, month0 % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def link_url(token: str) -> str:
    """The web app's portal page; the token rides in the fragment, which browsers never send to a server."""
    return f"{get_settings().app_base_url.rstrip('/')}/portal#link={token}"


def _issue(caller: Principal, item: CustomerUserItem, action: str, *, new: bool = True) -> PortalLinkIssued:
    """Enable the link: a new version (`new`), or the one the user has (a re-enable)."""
    ring = keys.keyring()  # before the change: a link is never issued that cannot be signed
    before = snapshot(item)
    now = utc_now()
    item.link_enabled = True
    if new:
        item.link_version = int(item.link_version or 0) + 1
        item.link_activated_at = now
        item.link_expires_at = add_months(now, LINK_MONTHS)
    item.updated_at = now
    with atomic("the customer user changed meanwhile; reload and try again") as tx:
        tx.save(item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action=action, target_type="customer_user",
                        target_id=item.customer_user_id, before=before, after=snapshot(item))
    token = tokens.sign(tokens.PortalClaims(kind="link", org_id=item.org_id, customer_user_id=item.customer_user_id,
                                            link_version=int(item.link_version), expires_at=item.link_expires_at),
                        ring)
    return PortalLinkIssued(url=link_url(token), token=token, version=int(item.link_version),
                            expires_at=item.link_expires_at)


def enable(caller: Principal, customer_user_id: str) -> PortalLinkIssued:
    item = get_item(caller, customer_user_id)
    if item.link_enabled:
        raise Conflict("the link is enabled already: refresh it to issue a new one")
    live = item.link_version and item.link_expires_at is not None and item.link_expires_at > utc_now()
    return _issue(caller, item, "portal_link.enabled", new=not live)


def refresh(caller: Principal, customer_user_id: str) -> PortalLinkIssued:
    item = get_item(caller, customer_user_id)
    if not item.link_enabled:
        raise Conflict("the link is disabled: enable it to issue a new one")
    return _issue(caller, item, "portal_link.refreshed")


def disable(caller: Principal, customer_user_id: str) -> None:
    """Stop the link (and every session opened with it) now; disabling a disabled link changes nothing."""
    item = get_item(caller, customer_user_id)
    if not item.link_enabled:
        return
    before = snapshot(item)
    item.link_enabled = False
    item.updated_at = utc_now()
    with atomic("the customer user changed meanwhile; reload and try again") as tx:
        tx.save(item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="portal_link.disabled",
                        target_type="customer_user", target_id=customer_user_id, before=before, after=snapshot(item))


def access_log(caller: Principal, customer_user_id: str, limit: int, cursor: str | None) -> Page[AccessEntry]:
    get_item(caller, customer_user_id)
    return access_dal.list_access(caller.org_id, customer_user_id, limit=limit, cursor=cursor)
