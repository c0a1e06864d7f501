"""Validating every row of a jobs CSV against the fleet's data before anything is written.

Lookups are batched over the whole file (VIN claims, assets, templates by name, partners by
partner ID), so validating 1,000 rows costs a few round trips, not thousands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.assets.public import AssetItem, AssetStatus, get_asset_items, normalize_vin
from shared.auth.principal import Principal
from shared.base_models import MAX_ID
from shared.errors import Unprocessable
from shared.jobs import building, rules, templates, templates_dal, vehicles
from shared.jobs.csv_parse import ParsedCsv, RowError
from shared.jobs.models import JobKind
from shared.jobs.templates_models import MAX_NAME, JobTemplateItem
from shared.partners.public import PartnerRecord, accepted_partner
from shared.portal.public import vendor_site_ids

PARTNER_ID = re.compile(r"^[A-Z0-9]{5}$")
SITE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LIMITS = {"title": 200, "description": 4000}
# cells looked up by key: longer than an id or a template name can be is the row's error, never looked up
KEY_LIMITS = {"asset_id": MAX_ID, "template": MAX_NAME}
_Err = Callable[[str, str], None]  # records one error of the row being checked: (column, message)


def _key_cell(cells: dict[str, str], column: str) -> str:
    """The cell's value when it may be looked up; "" when empty or too long (reported by the row)."""
    value = cells.get(column) or ""
    return value if len(value) <= KEY_LIMITS[column] else ""


@dataclass
class PlannedJob:
    row: int
    kind: str
    asset: AssetItem
    data: dict[str, Any]  # title, description, configuration, due_date, site_id
    template_id: str | None
    partner: PartnerRecord | None


@dataclass
class _Lookups:
    claims: dict[str, str]  # VIN -> asset id
    assets: dict[str, AssetItem]
    templates: dict[str, JobTemplateItem]  # casefolded name -> template
    partners: dict[str, PartnerRecord | None]


def _lookups(caller: Principal, rows: list[dict[str, str]]) -> _Lookups:
    vins = set()
    for cells in rows:
        with suppress(ValueError):  # a wrong VIN is the row's error, reported below
            vins.add(normalize_vin(cells.get("vin") or ""))
    claims = vehicles.active_claims(caller.org_id, vins)
    asset_ids = {_key_cell(c, "asset_id") for c in rows} - {""} | set(claims.values())
    names = {_key_cell(c, "template") for c in rows} - {""}
    partner_ids = {c["assigned_installer_company_id"].upper() for c in rows if c.get("assigned_installer_company_id")}
    return _Lookups(
        claims=claims,
        assets=get_asset_items(caller.org_id, asset_ids),
        templates=templates_dal.templates_named(caller.org_id, names),
        partners={p: accepted_partner(caller.org_id, p) for p in partner_ids if PARTNER_ID.match(p)},
    )


def validate(caller: Principal, parsed: ParsedCsv) -> tuple[list[PlannedJob], list[RowError]]:
    """Every row checked; the plan is only usable when the errors are empty."""
    bad_rows = {e.row for e in parsed.errors}
    rows = [(n, cells) for n, cells in parsed.rows if n not in bad_rows]
    found = _lookups(caller, [cells for _, cells in rows])
    plan, errors = [], list(parsed.errors)
    for number, cells in rows:
        row_errors: list[RowError] = []
        job = _plan_row(number, cells, found, row_errors)
        errors += row_errors
        if job is not None and not row_errors:
            plan.append(job)
    wrong_sites = _sites_not_of_partner(plan)
    errors += [RowError(j.row, "site_id", f"site {j.data['site_id']} is not a site of partner "
                        f"{j.partner.partner_id}: use one of its sites, or no site")
               for j in plan if j.partner is not None and j.row in wrong_sites]
    errors.sort(key=lambda e: e.row)
    return [j for j in plan if j.row not in wrong_sites], errors


def _sites_not_of_partner(plan: list[PlannedJob]) -> set[int]:
    """Rows assigned to a partner at a site that is not the partner's (one BatchGetItem per partner)."""
    wanted: dict[str, set[str]] = {}
    for job in plan:
        if job.partner is not None and job.data.get("site_id"):
            wanted.setdefault(job.partner.partner_org_id or "", set()).add(str(job.data["site_id"]))
    known = {(org, site) for org, sites in wanted.items() for site in vendor_site_ids(org, sites)}
    return {j.row for j in plan if j.partner is not None and j.data.get("site_id")
            and (j.partner.partner_org_id, str(j.data["site_id"])) not in known}


def _plan_row(n: int, cells: dict[str, str], found: _Lookups, errors: list[RowError]) -> PlannedJob | None:
    """The row as a job to create, or None with its errors: every column group is checked, so all of a
    row's errors are reported at once (in column-group order)."""
    def err(column: str, message: str) -> None:
        errors.append(RowError(n, column, message))

    template = _template(cells, found, err)
    base: dict[str, Any] = {k: getattr(template, k) for k in templates.TEMPLATE_FIELDS} if template else {}
    kind = _kind(cells, base, err)
    data = {k: base.get(k) for k in ("title", "description", "configuration", "site_id", "due_date")}
    _texts(cells, data, err)
    _due_date(cells, data, err)
    configuration_read = _configuration(cells, data, err)
    _site(cells, data, err)
    if configuration_read:
        _kind_rules(kind, data, err)
    asset = _vehicle(cells, found, err)
    partner = _partner(cells, found, err)
    if asset is not None and partner is not None and partner.connection_id is not None:
        try:
            building.check_vehicle(asset, partner)
        except Unprocessable as exc:
            err("vin", exc.details[0]["message"])
    if errors or asset is None:
        return None
    return PlannedJob(n, kind, asset, data, template.template_id if template else None, partner)


def _template(cells: dict[str, str], found: _Lookups, err: _Err) -> JobTemplateItem | None:
    """The template the row names (case-insensitive): its fields are the defaults the row's cells override."""
    name = cells.get("template") or ""
    if len(name) > KEY_LIMITS["template"]:
        err("template", f"is over {KEY_LIMITS['template']} characters: no template has such a name")
        return None
    if not name:
        return None
    template = found.templates.get(name.casefold())
    if template is None:
        err("template", f"no job template named {name!r} in your fleet")
    return template


def _kind(cells: dict[str, str], base: dict[str, Any], err: _Err) -> str:
    """The row's kind, else its template's: installation or maintenance."""
    kind: str = cells.get("kind", "").lower() or base.get("kind") or ""
    if kind not in (JobKind.INSTALLATION, JobKind.MAINTENANCE):
        err("kind", f"{kind!r} is not a kind: installation or maintenance" if kind else
            "give the kind: installation or maintenance")
    return kind


def _texts(cells: dict[str, str], data: dict[str, Any], err: _Err) -> None:
    """Title and description within their limits; a job needs a title (its own or its template's)."""
    for column, limit in LIMITS.items():
        if (value := cells.get(column)) and len(value) > limit:
            err(column, f"is over {limit} characters")
        elif value:
            data[column] = value
    if not data["title"]:
        err("title", "give a title (or a template that has one)")


def _due_date(cells: dict[str, str], data: dict[str, Any], err: _Err) -> None:
    """An ISO date (YYYY-MM-DD), kept as such."""
    if value := cells.get("due_date"):
        try:
            data["due_date"] = date.fromisoformat(value).isoformat()
        except ValueError:
            err("due_date", f"{value!r} is not a date: write it as YYYY-MM-DD")


def _configuration(cells: dict[str, str], data: dict[str, Any], err: _Err) -> bool:
    """The configuration cell as JSON; False when it cannot be read (then its content is not checked).
    The messages say how a JSON object is written in a CSV cell, the usual mistake."""
    if not (value := cells.get("configuration")):
        return True
    try:
        data["configuration"] = json.loads(value)
    except json.JSONDecodeError as exc:
        err("configuration", f"is not valid JSON ({exc.msg} at character {exc.pos + 1}); a JSON object in "
                             "a CSV cell is quoted, its quotes doubled: \"{\"\"apn\"\": \"\"iot\"\"}\"")
    except RecursionError:
        err("configuration", "is nested too deeply to be a job's configuration")
    except ValueError:  # valid syntax json.loads still refuses: a number of over 4,300 digits
        err("configuration", "holds a number too long to read")
    else:
        return True
    return False


def _site(cells: dict[str, str], data: dict[str, Any], err: _Err) -> None:
    """A site id: letters, digits, _ and -."""
    if (value := cells.get("site_id")) and not SITE_ID.match(value):
        err("site_id", "is not a site id (letters, digits, _ and -)")
    elif value:
        data["site_id"] = value


def _kind_rules(kind: str, data: dict[str, Any], err: _Err) -> None:
    """What the kind requires of the description and configuration (rules.data_errors), once the kind is
    known: checked against the row's data as the template completed it."""
    if kind in (JobKind.INSTALLATION, JobKind.MAINTENANCE):
        for column, message in rules.data_errors(kind, data["description"], data["configuration"]):
            err(column, message)


def _vehicle(cells: dict[str, str], found: _Lookups, err: _Err) -> AssetItem | None:
    raw_vin, asset_id = cells.get("vin"), cells.get("asset_id")
    if asset_id and len(asset_id) > KEY_LIMITS["asset_id"]:
        err("asset_id", f"is over {KEY_LIMITS['asset_id']} characters: not an asset id")
        return None
    if not raw_vin and not asset_id:
        err("vin", "give the vehicle's vin (or its asset_id)")
        return None
    vin = None
    if raw_vin:
        try:
            vin = normalize_vin(raw_vin)
        except ValueError as exc:
            err("vin", str(exc))
            return None
        if vin not in found.claims:
            err("vin", f"no active asset in your fleet has VIN {vin}")
            return None
        if asset_id and found.claims[vin] != asset_id:
            err("asset_id", f"VIN {vin} is asset {found.claims[vin]}, not {asset_id}")
            return None
        asset_id = found.claims[vin]
    assert asset_id is not None
    asset = found.assets.get(asset_id)
    if asset is None or asset.status == AssetStatus.INACTIVE.value:
        err("asset_id" if vin is None else "vin", f"no active asset {asset_id} in your fleet")
        return None
    return asset


def _partner(cells: dict[str, str], found: _Lookups, err: _Err) -> PartnerRecord | None:
    partner_id = cells.get("assigned_installer_company_id", "").upper()
    if not partner_id:
        return None
    if not PARTNER_ID.match(partner_id):
        err("assigned_installer_company_id", f"{partner_id!r} is not a partner ID (5 letters or digits)")
        return None
    partner = found.partners.get(partner_id)
    if partner is None:
        err("assigned_installer_company_id", f"{partner_id} is not an ACCEPTED installation partner of your fleet")
    return partner
