"""Who is calling the portal: a link or session token, checked against the link's current state.

Every request re-reads the customer user, so a refreshed or disabled link (and each session
opened with it) stops at once. Each refusal says what the person can do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.errors import Unauthenticated
from shared.ids import utc_now
from shared.notifications.public import notify_once
from shared.orgs.public import get_org_item
from shared.portal import keys, tokens
from shared.portal.items import CustomerItem, CustomerUserItem
from shared.portal.setup import access_dal, customers_dal, users_dal
from shared.portal.setup.models import PortalPermissions
from shared.portal.view.models import PortalProfile, PortalSession

SESSION_TTL = timedelta(hours=1)
LINK_EPISODE = timedelta(days=365)  # one notification per link version: a refresh makes a new version
ASK = "ask your service provider for a new one"
MESSAGES = {
    ("link", "missing"): "open the portal with the link your service provider sent you",
    ("link", "invalid"): f"this link is not valid (it may be cut short or altered); {ASK}",
    ("link", "expired"): f"this link has expired; {ASK}",
    ("link", "disabled"): "this link has been disabled by your service provider; ask them to enable it again",
    ("link", "replaced"): f"this link has been replaced by a newer one; use the newest link you received or {ASK}",
    ("session", "missing"): "sign in: open the portal with the link your service provider sent you",
    ("session", "invalid"): "this portal session is not valid; open your portal link again",
    ("session", "expired"): "your portal session has expired; open your portal link again",
    ("session", "disabled"): "your portal link has been disabled by your service provider; ask them to enable it again",
    ("session", "replaced"): f"your portal link has been replaced by a newer one; open the newest link or {ASK}",
}


@dataclass(frozen=True)
class PortalCaller:
    """An authenticated customer user, with its customer (permissions) as read for this request."""

    org_id: str
    user: CustomerUserItem
    customer: CustomerItem

    @property
    def customer_user_id(self) -> str:
        return self.user.customer_user_id

    @property
    def customer_id(self) -> str:
        return self.customer.customer_id

    @property
    def permissions(self) -> PortalPermissions:
        return PortalPermissions.model_validate(self.customer.permissions or {})


def _refuse(kind: tokens.Kind, reason: str) -> Unauthenticated:
    return Unauthenticated(MESSAGES[(kind, reason)])


def verified_claims(token: str | None, kind: tokens.Kind, now: datetime) -> tokens.PortalClaims:
    """The token's claims when it is there, signed by us and unexpired (no read): else a 401."""
    if not token:
        raise _refuse(kind, "missing")
    try:
        return tokens.verify(token, kind, keys.keyring(), now)
    except tokens.TokenExpired as exc:
        if kind == "link":
            _tell_vendor_link_expired(exc.claims)
        raise _refuse(kind, "expired") from None
    except tokens.TokenInvalid:
        raise _refuse(kind, "invalid") from None


def authenticate(token: str | None, kind: tokens.Kind, now: datetime) -> PortalCaller:
    claims = verified_claims(token, kind, now)
    user = users_dal.get_user_item(claims.org_id, claims.customer_user_id)
    if user is None:
        raise _refuse(kind, "invalid")
    if not user.link_enabled:
        raise _refuse(kind, "disabled")
    if int(user.link_version or 0) != claims.link_version:
        raise _refuse(kind, "replaced")
    if user.link_expires_at is None or user.link_expires_at <= now:
        if kind == "link":
            _tell_vendor_link_expired(claims, user)
        raise _refuse("link", "expired")
    customer = customers_dal.get_customer_item(claims.org_id, user.customer_id)
    if customer is None:
        raise _refuse(kind, "invalid")
    return PortalCaller(org_id=claims.org_id, user=user, customer=customer)


def _tell_vendor_link_expired(claims: tokens.PortalClaims, user: CustomerUserItem | None = None) -> None:
    """A customer opened its current link after it expired: the vendor is told, once per link (its
    version), that the link needs a refresh. An older or disabled link tells nothing: the vendor
    replaced or stopped it on purpose."""
    user = user or users_dal.get_user_item(claims.org_id, claims.customer_user_id)
    if user is None or not user.link_enabled or int(user.link_version or 0) != claims.link_version:
        return
    vendor = get_org_item(claims.org_id)
    if vendor is None:
        return
    notify_once(vendor, episode=f"portal_link:{user.customer_user_id}:{claims.link_version}", lasts=LINK_EPISODE,
                kind="portal.link_expired", title=f"{user.name}'s portal link has expired: refresh it",
                body=(f"Hello {vendor.name},\n\n{user.name} ({user.email}) opened their customer portal link after "
                      "it expired. Refresh the link in Fleetbridge (customer users) to send them a new one.\n"),
                data={"customer_user_id": user.customer_user_id, "customer_id": user.customer_id,
                      "link_version": claims.link_version})


def profile(caller: PortalCaller) -> PortalProfile:
    assert caller.user.link_expires_at is not None
    return PortalProfile(customer_user_id=caller.customer_user_id, name=caller.user.name,
                         customer_name=caller.customer.name, permissions=caller.permissions,
                         link_expires_at=caller.user.link_expires_at)


def record(caller: PortalCaller, action: str, source_ip: str | None, site_id: str | None = None) -> None:
    access_dal.record(org_id=caller.org_id, customer_user_id=caller.customer_user_id,
                      customer_id=caller.customer_id, action=action, at=utc_now(), site_id=site_id,
                      source_ip=source_ip)


def exchange(caller: PortalCaller, source_ip: str | None) -> PortalSession:
    """A session token for an hour (never past the link's own expiry), recorded in the access log."""
    assert caller.user.link_expires_at is not None
    expires_at = min(utc_now() + SESSION_TTL, caller.user.link_expires_at)
    token = tokens.sign(tokens.PortalClaims(kind="session", org_id=caller.org_id,
                                            customer_user_id=caller.customer_user_id,
                                            link_version=int(caller.user.link_version), expires_at=expires_at),
                        keys.keyring())
    record(caller, "link_exchange", source_ip)
    return PortalSession(session_token=token, expires_at=expires_at, profile=profile(caller))
