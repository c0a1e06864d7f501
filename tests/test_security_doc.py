"""docs/security.md's generated tables are what the code and the synthesized stack say.

A change to the role table without `make docs` fails here, as a route change without `make openapi`
fails tests/test_openapi.py. The tables of the synthesized stack (IAM, cdk-nag) are checked in
tests/test_infra.py, on the template it synthesizes anyway (one synth per run, not two).
"""

from __future__ import annotations

from dev import security_doc
from shared.auth.permissions import PERMISSIONS, Action


def committed(name: str) -> str:
    return security_doc.section(security_doc.DOC_FILE.read_text(), name)


def test_role_table_matches_permissions() -> None:
    assert committed("roles") == security_doc.render_roles(), "docs/security.md is out of date: run `make docs`"


def test_role_table_has_a_row_per_action_and_marks_exactly_the_allowed_ones() -> None:
    rows = security_doc.render_roles().splitlines()[2:]
    assert len(rows) == len(Action)
    admin = next(r for r in rows if r.startswith(f"| `{Action.SUBSCRIPTION_MANAGE.value}` |"))
    cells = [c.strip() for c in admin.strip("|").split("|")[1:]]
    assert cells == ["yes" if Action.SUBSCRIPTION_MANAGE in actions else "—" for actions in PERMISSIONS.values()]
