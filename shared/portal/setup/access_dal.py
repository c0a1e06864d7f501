"""Data access of the portal access log: every link exchange and portal view of a customer user."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import PutError

from shared.db.base import condition_failed
from shared.db.pagination import Page, query_page
from shared.ids import new_id
from shared.portal.items import LinkUseItem, PortalAccessItem
from shared.portal.setup.models import AccessEntry
from shared.portal.setup.users_dal import link_use_item

KEEP_FOR = timedelta(days=365)


def access_pk(org_id: str, customer_user_id: str) -> str:
    return f"ORG#{org_id}#PORTALACCESS#{customer_user_id}"


def record(*, org_id: str, customer_user_id: str, customer_id: str, action: str, at: datetime,
           site_id: str | None, source_ip: str | None) -> None:
    """Write the access entry, then move the link's last use forward (never back: a later use may have won)."""
    access_id = new_id("pac")
    PortalAccessItem(access_pk(org_id, customer_user_id), f"{at.isoformat()}#{access_id}", access_id=access_id,
                     org_id=org_id, customer_user_id=customer_user_id, customer_id=customer_id, action=action,
                     site_id=site_id, source_ip=source_ip, at=at,
                     expires_at_epoch=int((at + KEEP_FOR).timestamp())
                     ).save(condition=PortalAccessItem.pk.does_not_exist())
    use = link_use_item(org_id, customer_user_id, at)
    try:
        use.save(condition=LinkUseItem.pk.does_not_exist() | (LinkUseItem.last_used_at < at))
    except PutError as exc:
        if not condition_failed(exc):
            raise


def list_access(org_id: str, customer_user_id: str, *, limit: int, cursor: str | None) -> Page[AccessEntry]:
    return query_page(PortalAccessItem.query, access_pk(org_id, customer_user_id), scan_index_forward=False,
                      limit=limit, cursor=cursor, convert=AccessEntry.model_validate)
