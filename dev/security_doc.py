"""Write (or check) the generated parts of docs/security.md: roles, IAM per function, cdk-nag.

Each part sits between `<!-- generated:<name> -->` and `<!-- end generated:<name> -->` markers;
the prose around them is written by hand. The role table comes from shared/auth/permissions.py,
the IAM and cdk-nag parts from the stack synthesized in-process (offline, as tests/test_infra.py
does). tests/test_security_doc.py fails when the committed file drifts from the code.

    python -m dev.security_doc          # rewrite the generated parts (`make docs`)
    python -m dev.security_doc --check  # exit 1 when docs/security.md is out of date
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from infra.constructs.runtime import TABLE_ACTIONS
from shared.auth.permissions import PERMISSIONS, Action
from shared.auth.principal import Role

DOC_FILE = Path(__file__).resolve().parent.parent / "docs" / "security.md"
SECTIONS = ("roles", "iam", "nag")
_HASH = re.compile(r"[0-9A-F]{8}$")  # CDK's logical-id suffix
# what every data function may do on the table (infra/constructs/runtime.py): shown by that name
TABLE_DATA = frozenset(TABLE_ACTIONS)


def synth_template() -> dict[str, Any]:
    """The stack's CloudFormation template, synthesized in-process with cdk.json's context."""
    from infra import app as infra_app
    from infra import bundle

    bundle.bundle()
    context = json.loads((DOC_FILE.parent.parent / "cdk.json").read_text())["context"]
    with tempfile.TemporaryDirectory() as outdir:
        infra_app.build_app(outdir=outdir, context=context).synth()
        template: dict[str, Any] = json.loads((Path(outdir) / f"{infra_app.STACK_NAME}.template.json").read_text())
    return template


def render_roles() -> str:
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for action in Action:
        marks = ["yes" if action in PERMISSIONS[r] else "—" for r in roles]
        lines.append(f"| `{action.value}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def _name(logical_id: str) -> str:
    return _HASH.sub("", logical_id)


def _resource(value: Any) -> str:
    """A readable form of a policy resource: logical ids without their hash, intrinsics flattened."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "AWS::AccountId" if value["Ref"] == "AWS::AccountId" else f"<{_name(value['Ref'])}>"
    if "Fn::GetAtt" in value:
        logical_id, attr = value["Fn::GetAtt"]
        return f"<{_name(logical_id)}.{attr}>"
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return str(sep).join(_resource(p) for p in parts)
    return json.dumps(value, sort_keys=True)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def render_iam(template: dict[str, Any]) -> str:
    """Per function: every (actions -> resources) its role's policies allow, merged by resource set."""
    resources = template["Resources"]
    by_role: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for policy in resources.values():
        if policy["Type"] == "AWS::IAM::Policy":
            for role in policy["Properties"].get("Roles", []):
                by_role[role["Ref"]].extend(policy["Properties"]["PolicyDocument"]["Statement"])
    functions = sorted(
        (r["Properties"]["Handler"].split(".")[1], r["Properties"]["Role"]["Fn::GetAtt"][0])
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function" and str(r["Properties"].get("Handler", "")).startswith("functions.")
    )
    lines = ["| function | allowed actions | on resources |", "|---|---|---|"]
    for handler, role in functions:
        grants: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for statement in by_role[role]:
            if statement.get("Effect") != "Allow":
                continue
            targets = tuple(sorted({_resource(r) for r in _as_list(statement["Resource"])}))
            grants[targets].update(_as_list(statement["Action"]))
        for targets, actions in sorted(grants.items(), key=lambda g: sorted(g[1])):
            named = ["table data (`TABLE_ACTIONS`: items by key, Query, batches, transactions; no Scan)"] \
                if actions >= TABLE_DATA else []
            shown = ", ".join([*named, *(f"`{a}`" for a in sorted(actions - TABLE_DATA if named else actions))])
            lines.append(f"| {handler} | {shown} | " + "<br>".join(f"`{t}`" for t in targets) + " |")
    return "\n".join(lines)


def render_nag(template: dict[str, Any]) -> str:
    """Every cdk-nag acknowledgment written into the template: rule, reason, where."""
    where: dict[tuple[str, str], set[str]] = defaultdict(set)
    for logical_id, resource in template["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            where[(rule["id"], " ".join(rule["reason"].split()))].add(_name(logical_id))
    lines = ["| rule | reason | acknowledged on |", "|---|---|---|"]
    for (rule, reason), names in sorted(where.items()):
        listed = sorted(names)
        shown = ", ".join(listed) if len(listed) <= 4 else f"{len(listed)} resources ({', '.join(listed[:3])}, …)"
        lines.append(f"| `{rule}` | {reason.replace('|', '/')} | {shown} |")
    return "\n".join(lines)


def render(template: dict[str, Any]) -> dict[str, str]:
    return {"roles": render_roles(), "iam": render_iam(template), "nag": render_nag(template)}


def section(text: str, name: str) -> str:
    """The generated part `name` of a document (between its markers), without the markers."""
    match = re.search(f"<!-- generated:{name} -->\n(.*?)<!-- end generated:{name} -->", text, re.S)
    if match is None:
        raise ValueError(f"{DOC_FILE.name} has no generated:{name} markers")
    return match.group(1).removesuffix("\n")


def fill(text: str, parts: dict[str, str]) -> str:
    for name, body in parts.items():
        old = section(text, name)  # the markers must exist
        start = f"<!-- generated:{name} -->\n"
        text = text.replace(start + (old + "\n" if old else ""), start + body + "\n", 1)
    return text


def main(argv: list[str]) -> int:
    current = DOC_FILE.read_text()
    text = fill(current, render(synth_template()))
    if "--check" in argv:
        if text != current:
            print("docs/security.md is out of date: run `make docs` and commit it", file=sys.stderr)
            return 1
        return 0
    DOC_FILE.write_text(text)
    print(f"wrote {DOC_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
