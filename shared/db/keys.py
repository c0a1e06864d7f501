"""The keys every capability shares: an organization's partition, where its items live.

Each capability's own sort keys stay in its dal; what many of them need (the partition of the
organization that owns an item, the sort key of its profile) is here, below all of them.
"""

from __future__ import annotations

PROFILE = "PROFILE"  # the sort key of an organization's profile item (shared/orgs/models.py OrgItem)


def org_pk(org_id: str) -> str:
    """The partition of an organization: its profile, its users, and most items it owns."""
    return f"ORG#{org_id}"
