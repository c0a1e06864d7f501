"""Data access of job templates (partition ORG#{fleet}) and their name claims."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.transactions import TransactWrite

from shared.db.claims import CLAIM, ClaimItem, add_claim, release_claim
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.jobs.templates_models import JobTemplate, JobTemplateItem


def template_sk(template_id: str) -> str:
    return f"JOBTPL#{template_id}"


def name_claim_pk(fleet_id: str, name: str) -> str:
    """Template names are unique per fleet, ignoring case (the CSV import names templates)."""
    return f"JOBTPLNAME#{fleet_id}#{name.casefold()}"


def to_template(item: JobTemplateItem) -> JobTemplate:
    return JobTemplate.model_validate(item)


def get_template_item(fleet_id: str, template_id: str) -> JobTemplateItem | None:
    return JobTemplateItem.find(org_pk(fleet_id), template_sk(template_id), consistent_read=True)


def templates_named(fleet_id: str, names: Iterable[str]) -> dict[str, JobTemplateItem]:
    """casefolded name -> template, for the names that are the fleet's templates (two BatchGetItems)."""
    wanted = {n.casefold() for n in names}
    claims = list(ClaimItem.batch_get([(name_claim_pk(fleet_id, n), CLAIM) for n in wanted])) if wanted else []
    keys = [(org_pk(fleet_id), template_sk(c.owner_id)) for c in claims]
    items = list(JobTemplateItem.batch_get(keys, consistent_read=True)) if keys else []
    return {t.name.casefold(): t for t in items}


def list_template_items(fleet_id: str, *, limit: int, cursor: str | None) -> Page[JobTemplate]:
    """Newest first."""
    return query_page(JobTemplateItem.query, org_pk(fleet_id), range_key_condition=JobTemplateItem.sk.startswith(
        "JOBTPL#"), scan_index_forward=False, limit=limit, cursor=cursor, convert=to_template)


def claim_name(tx: TransactWrite, item: JobTemplateItem) -> None:
    add_claim(tx, name_claim_pk(item.fleet_id, item.name), item.template_id, item.fleet_id)


def release_name(tx: TransactWrite, fleet_id: str, name: str, template_id: str) -> None:
    release_claim(tx, name_claim_pk(fleet_id, name), template_id)
