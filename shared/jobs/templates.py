"""Job templates: create, edit, delete, duplicate, list; the data a job starts from."""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import atomic, expect_version
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, DomainError, NotFound, Unprocessable
from shared.ids import new_id, utc_now
from shared.jobs import rules
from shared.jobs import templates_dal as dal
from shared.jobs.bodies import dump_set
from shared.jobs.templates_models import (
    MAX_NAME,
    JobTemplate,
    JobTemplateItem,
    TemplateCreate,
    TemplateDuplicate,
    TemplateUpdate,
)

TEMPLATE_FIELDS = ("kind", "title", "description", "configuration", "site_id", "due_date")


def name_taken(fleet_id: str, name: str) -> Any:
    def conflict(failed: set[str]) -> DomainError:
        if dal.name_claim_pk(fleet_id, name) in failed:
            return Conflict(f"your fleet has a job template named {name!r} already",
                            [{"field": "name", "message": "already used by another template"}])
        return Conflict("the template changed meanwhile; reload and try again")

    return conflict


def _get(caller: Principal, template_id: str) -> JobTemplateItem:
    item = dal.get_template_item(caller.org_id, template_id)
    if item is None:
        raise NotFound(f"job template {template_id} not found")
    return item


def _check(item: JobTemplateItem) -> None:
    errors = rules.data_errors(item.kind, item.description, item.configuration, complete=False)
    if errors:
        raise Unprocessable("the template is not valid", [{"field": f, "message": m} for f, m in errors])


def new_template_item(caller: Principal, name: str, data: dict[str, Any]) -> JobTemplateItem:
    now = utc_now()
    template_id = new_id("jtp")
    item = JobTemplateItem(org_pk(caller.org_id), dal.template_sk(template_id), template_id=template_id,
                           fleet_id=caller.org_id, name=name, created_at=now, updated_at=now)
    for key in TEMPLATE_FIELDS:
        value = data.get(key)
        setattr(item, key, value.isoformat() if isinstance(value, date) else value)
    item.kind = item.kind or "installation"
    _check(item)
    return item


def add_template(tx: TransactWrite, caller: Principal, item: JobTemplateItem) -> None:
    """The template, its name claim and its audit event, in the caller's transaction."""
    tx.save(item, condition=JobTemplateItem.pk.does_not_exist())
    dal.claim_name(tx, item)
    add_audit_event(tx, org_id=caller.org_id, actor=caller, action="job_template.created",
                    target_type="job_template", target_id=item.template_id, after=dal.to_template(item))


def create_template(caller: Principal, body: TemplateCreate) -> JobTemplate:
    item = new_template_item(caller, body.name, body.model_dump())
    with atomic(name_taken(caller.org_id, body.name)) as tx:
        add_template(tx, caller, item)
    return dal.to_template(item)


def get_template(caller: Principal, template_id: str) -> JobTemplate:
    return dal.to_template(_get(caller, template_id))


def list_templates(caller: Principal, limit: int, cursor: str | None) -> Page[JobTemplate]:
    return dal.list_template_items(caller.org_id, limit=limit, cursor=cursor)


def update_template(caller: Principal, template_id: str, body: TemplateUpdate) -> JobTemplate:
    item = _get(caller, template_id)
    expect_version(item, body.version, "template")
    before = dal.to_template(item)
    old_name = item.name
    for key, value in dump_set(body).items():
        setattr(item, key, value)
    item.updated_at = utc_now()
    _check(item)
    renamed = item.name.casefold() != old_name.casefold()
    with atomic(name_taken(caller.org_id, item.name)) as tx:
        tx.save(item)
        if renamed:
            dal.release_name(tx, caller.org_id, old_name, template_id)
            dal.claim_name(tx, item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="job_template.updated",
                        target_type="job_template", target_id=template_id, before=before, after=dal.to_template(item))
    return dal.to_template(item)


def delete_template(caller: Principal, template_id: str) -> None:
    """Jobs made from it keep their data (they copied it)."""
    item = _get(caller, template_id)
    with atomic("the template changed meanwhile; reload and try again") as tx:
        tx.delete(item)
        dal.release_name(tx, caller.org_id, item.name, template_id)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="job_template.deleted",
                        target_type="job_template", target_id=template_id, before=dal.to_template(item))


def duplicate_template(caller: Principal, template_id: str, body: TemplateDuplicate) -> JobTemplate:
    source = _get(caller, template_id)
    name = body.name or f"{source.name[:MAX_NAME - len(' (copy)')]} (copy)"  # within the name's limit
    item = new_template_item(caller, name, {k: getattr(source, k) for k in TEMPLATE_FIELDS})
    with atomic(name_taken(caller.org_id, name)) as tx:
        add_template(tx, caller, item)
    return dal.to_template(item)


def template_data(caller: Principal, template_id: str) -> JobTemplateItem:
    """The template a job starts from; 422 (not 404) since it is a field of the job's body."""
    item = dal.get_template_item(caller.org_id, template_id)
    if item is None:
        raise Unprocessable.field("template_id", f"no job template {template_id} in your fleet")
    return item
