"""Data access of sites: a vendor's, and a customer's (gsi1)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.portal.items import SiteItem
from shared.portal.setup.models import Site


def site_sk(site_id: str) -> str:
    return f"SITE#{site_id}"


def customer_sites_pk(org_id: str, customer_id: str) -> str:
    return f"ORG#{org_id}#CUSTOMER#{customer_id}#SITES"


def to_site(item: SiteItem) -> Site:
    return Site.model_validate(item)


def get_site_item(org_id: str, site_id: str) -> SiteItem | None:
    return SiteItem.find(org_pk(org_id), site_sk(site_id), consistent_read=True)


def get_site_items(org_id: str, site_ids: Iterable[str]) -> dict[str, SiteItem]:
    keys = [(org_pk(org_id), site_sk(s)) for s in dict.fromkeys(site_ids)]
    return {item.site_id: item for item in SiteItem.batch_get(keys)} if keys else {}


def list_sites(org_id: str, *, customer_id: str | None, limit: int, cursor: str | None) -> Page[Site]:
    if customer_id:
        return query_page(SiteItem.query, customer_sites_pk(org_id, customer_id), index_name="gsi1",
                          limit=limit, cursor=cursor, convert=to_site)
    return query_page(SiteItem.query, org_pk(org_id), range_key_condition=SiteItem.sk.startswith("SITE#"),
                      limit=limit, cursor=cursor, convert=to_site)


def all_customer_sites(org_id: str, customer_id: str) -> list[SiteItem]:
    """Every site of a customer (the portal map shows them all at once)."""
    return list(SiteItem.query(customer_sites_pk(org_id, customer_id), index_name="gsi1"))
