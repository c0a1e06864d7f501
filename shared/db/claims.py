"""Uniqueness claims: an item whose key is the unique value, written in the same transaction as the
item that owns the value, so two owners of one value cannot both commit.

pk names the value (EMAIL#, MEMBER#, SERVICE#, PAIR#, ...: each capability its own), sk=CLAIM; the
claim holds its owner's id and the owner's organization.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.transactions import TransactWrite

from shared.db.base import TableItem

CLAIM = "CLAIM"


class ClaimItem(TableItem, discriminator="claim"):
    """A uniqueness claim: pk names the unique value (EMAIL#, MEMBER#, PARTNER#, ...), sk=CLAIM.

    Written with attribute_not_exists in the same transaction as the item that owns the value.
    """

    owner_id = UnicodeAttribute()
    org_id = UnicodeAttribute()


def email_claim_pk(email: str) -> str:
    """A person's email address, held by the one user it signs in as (orgs), checked by invitations."""
    return f"EMAIL#{email.lower()}"


def add_claim(tx: TransactWrite, pk: str, owner_id: str, org_id: str) -> None:
    """Claim a unique value in `tx`; the transaction fails if someone holds it already."""
    tx.save(ClaimItem(pk, CLAIM, owner_id=owner_id, org_id=org_id), condition=ClaimItem.pk.does_not_exist())


def release_claim(tx: TransactWrite, pk: str, owner_id: str) -> None:
    tx.delete(ClaimItem(pk, CLAIM), condition=ClaimItem.owner_id == owner_id)
