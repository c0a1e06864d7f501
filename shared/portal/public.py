"""What other capabilities may use of the portal: whether a vendor has a site (a job's site must be
its assigned vendor's, or the completed service could not be shown to the vendor's customer)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.portal.setup.sites_dal import get_site_items


def vendor_site_ids(vendor_org_id: str, site_ids: Iterable[str]) -> set[str]:
    """Those of `site_ids` that are the vendor's sites (one BatchGetItem)."""
    return set(get_site_items(vendor_org_id, site_ids))
