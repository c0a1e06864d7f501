"""docs/security.md's generated tables are what the code and the synthesized stack say.

A change to the role table, a function's IAM or a cdk-nag acknowledgment without `make docs`
fails here, as a route change without `make openapi` fails tests/test_openapi.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from dev import security_doc
from shared.auth.permissions import PERMISSIONS, Action


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The stack synthesized in-process (bundle first, a no-op when cached), as tests/test_infra.py does."""
    return security_doc.synth_template()


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


def test_iam_and_cdk_nag_tables_match_the_synthesized_stack(template: dict[str, Any]) -> None:
    for name, text in security_doc.render(template).items():
        assert committed(name) == text, f"docs/security.md ({name}) is out of date: run `make docs`"


def test_iam_table_names_every_function_and_nag_table_every_reason(template: dict[str, Any]) -> None:
    iam = security_doc.render_iam(template)
    handlers = {
        r["Properties"]["Handler"].split(".")[1]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and str(r["Properties"].get("Handler", "")).startswith("functions.")
    }
    assert {line.split("|")[1].strip() for line in iam.splitlines()[2:]} == handlers
    nag = security_doc.render_nag(template)
    assert all(len(line.split("|")[2].strip()) >= 20 for line in nag.splitlines()[2:])
