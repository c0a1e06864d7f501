"""Migrate in place: every fleet-vendor pair gets its one record (#18), every group its asset count.

Data written before the pair's record existed is complete elsewhere: accepted partner invitations,
accepted connections and their grants, open jobs, pending requests, group members. This one-off
reads them all (a Scan: the only one in the project, for an operator, not a request path) and
writes, per pair, the record they add up to, with absolute counters; and per group its member count.
It is idempotent: run it again and it recounts. Each pair's put is conditional on the record's `rev`
as read, so a way opened meanwhile is not overwritten (that pair is read again and redone).

    TABLE_NAME=... AWS_REGION=... python -m dev.migrate_relationships        # against AWS
    python -m dev.migrate_relationships                                      # against `make dev`'s table
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from shared.assets.public import GroupItem, group_sk
from shared.connections.relationships import ACTIVE, ENDED, RelationshipItem, relationship_sk, vendor_fleets_partition
from shared.db.base import condition_failed
from shared.db.keys import org_pk
from shared.ids import utc_now
from shared.jobs import rules
from shared.settings import get_settings

ATTEMPTS = 5


@dataclass
class PairFacts:
    """What the data says of one pair."""

    invitation_id: str | None = None
    allow_override: bool | None = None
    connection_id: str | None = None
    open_jobs: int = 0
    pending_requests: int = 0


@dataclass
class Facts:
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], PairFacts] = field(default_factory=lambda: defaultdict(PairFacts))
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: Counter[tuple[str, str]] = field(default_factory=Counter)
    groups: list[tuple[str, str]] = field(default_factory=list)
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def _scan() -> Iterator[dict[str, Any]]:
    settings = get_settings()
    client = boto3.client("dynamodb", endpoint_url=settings.dynamodb_endpoint, region_name=settings.aws_region)
    deserialize = TypeDeserializer().deserialize
    for page in client.get_paginator("scan").paginate(TableName=settings.table_name, ConsistentRead=True):
        for raw in page["Items"]:
            yield {k: deserialize(v) for k, v in raw.items()}


def read_facts() -> Facts:
    facts = Facts()
    for item in _scan():
        _note(facts, item)
    return facts


def _note(facts: Facts, item: dict[str, Any]) -> None:  # noqa: C901 (one branch per item type: a flat table)
    kind = item.get("type")
    if kind == "org":
        facts.orgs[item["org_id"]] = item
    elif kind == "partner_invitation" and item.get("status") == "ACCEPTED" and item.get("partner_org_id"):
        pair = facts.pairs[(item["fleet_id"], item["partner_org_id"])]
        pair.invitation_id, pair.allow_override = item["invitation_id"], bool(item.get("allow_override"))
    elif kind == "connection" and item.get("status") == "accepted":
        facts.pairs[(item["fleet_id"], item["vendor_id"])].connection_id = item["connection_id"]
    elif kind == "connection" and item.get("status") == "pending":
        facts.pairs[(item["fleet_id"], item["vendor_id"])].pending_requests += 1
    elif kind == "service_connection" and item.get("status") == "pending":
        facts.pairs[(item["fleet_id"], item["merchant_id"])].pending_requests += 1
    elif kind == "grant":
        facts.grants[item["connection_id"]] = item
    elif kind == "job" and item.get("status") in rules.OPEN and item.get("partner_org_id"):
        facts.pairs[(item["fleet_id"], item["partner_org_id"])].open_jobs += 1
    elif kind == "group":
        facts.groups.append((item["org_id"], item["group_id"]))
    elif kind == "group_member":
        facts.members[(item["org_id"], item["group_id"])] += 1
    elif kind == "relationship":
        facts.records[(item["fleet_id"], item["vendor_id"])] = item


def _when(value: Any) -> datetime | None:
    """A stored time: as scanned (its string) or as read by a model (a datetime)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed: datetime = UTCDateTimeAttribute().deserialize(str(value))
    return parsed


def _record(facts: Facts, fleet_id: str, vendor_id: str, found: PairFacts, current: dict[str, Any] | None,
            now: datetime) -> RelationshipItem:
    fleet, vendor = facts.orgs.get(fleet_id, {}), facts.orgs.get(vendor_id, {})
    team = bool(current and current.get("team"))
    grant = facts.grants.get(found.connection_id or "") or {}
    groups = set(grant.get("group_ids") or ()) if found.connection_id else set()
    active = bool(team or found.invitation_id or found.connection_id)
    origin = (current or {}).get("origin") or ("team" if team else "invitation" if found.invitation_id
                                               else "connection" if found.connection_id else None)
    return RelationshipItem(
        org_pk(fleet_id), relationship_sk(vendor_id), fleet_id=fleet_id, vendor_id=vendor_id,
        fleet_name=fleet.get("name"), vendor_name=vendor.get("name"), partner_id=vendor.get("partner_id"),
        status=ACTIVE if active else ENDED if current and current.get("status") else None,
        origin=origin if active else None, connection_id=found.connection_id, invitation_id=found.invitation_id,
        team=True if team else None, allow_override=found.allow_override, granted_group_ids=groups or None,
        grant_expires_at=_when(grant.get("expires_at")), open_jobs=found.open_jobs,
        pending_requests=found.pending_requests, created_at=_when((current or {}).get("created_at")) or now,
        updated_at=now,
        rev=int((current or {}).get("rev") or 0) + 1,
        gsi2pk=vendor_fleets_partition(vendor_id) if active else None, gsi2sk=fleet_id if active else None,
    )


def migrate() -> dict[str, int]:
    """Write every pair's record and every group's count; what it wrote, by kind."""
    facts, now, written = read_facts(), utc_now(), Counter[str]()
    for (fleet_id, vendor_id) in set(facts.pairs) | set(facts.records):
        for attempt in range(ATTEMPTS):
            current = facts.records.get((fleet_id, vendor_id))
            found = facts.pairs.get((fleet_id, vendor_id), PairFacts())
            item = _record(facts, fleet_id, vendor_id, found, current, now)
            condition = (RelationshipItem.rev == int(current["rev"]) if current and current.get("rev") is not None
                         else RelationshipItem.rev.does_not_exist())
            try:
                item.save(condition=condition)
                written["pairs"] += 1
                break
            except PutError as exc:
                if not condition_failed(exc) or attempt == ATTEMPTS - 1:
                    raise
                fresh = RelationshipItem.find(org_pk(fleet_id), relationship_sk(vendor_id), consistent_read=True)
                facts.records[(fleet_id, vendor_id)] = fresh.attribute_values if fresh else {}
    for org_id, group_id in facts.groups:
        group = GroupItem.find(org_pk(org_id), group_sk(group_id), consistent_read=True)
        if group is not None:  # its version is bumped, not checked, as a membership's count does
            group.update(actions=[GroupItem.asset_count.set(facts.members[(org_id, group_id)])],
                         condition=GroupItem.pk.exists(), add_version_condition=False)
            written["groups"] += 1
    return dict(written)


if __name__ == "__main__":
    print(migrate())
