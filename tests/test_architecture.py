"""The shape of the code holds itself: a capability reaches another only through its public face.

The layers (which package may import which) are import-linter's contract in pyproject.toml, run by
`make lint`; this checks what it cannot say: across capabilities, the only module imported is
`shared.<capability>.public` (docs/architecture.md).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent / "shared"
# Everything in shared/ that is not a capability: the kernel, its services, auth, the web layer.
NOT_CAPABILITIES = {
    "api", "auth", "base_models", "coldstart", "db", "errors", "geo", "ids", "mail", "observability",
    "ratelimit", "secrets", "settings", "streams",
}


def _capability(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "shared" or parts[1] in NOT_CAPABILITIES:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth (lazy imports included)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def _reaches_public(module: str, capability: str) -> bool:
    """`shared.x.public`, a name imported from it, or the module itself (`from shared.x import public`)."""
    return module.startswith(f"shared.{capability}.public")


def cross_capability_imports() -> list[str]:
    wrong = []
    for path in sorted(SHARED.rglob("*.py")):
        own = _capability(".".join(path.relative_to(SHARED.parent).with_suffix("").parts))
        if own is None:
            continue
        for line, module in _imports(path):
            other = _capability(module)
            if other is not None and other != own and not _reaches_public(module, other):
                wrong.append(f"{path.relative_to(SHARED.parent)}:{line} imports {module}")
    return wrong


def test_capabilities_reach_each_other_only_through_their_public_face():
    assert cross_capability_imports() == []


def test_the_check_sees_a_reach_into_another_capability(tmp_path, monkeypatch):
    """The check above is not vacuous: a capability importing another's dal is reported."""
    fake = tmp_path / "shared"
    (fake / "jobs").mkdir(parents=True)
    (fake / "jobs" / "logic.py").write_text(
        "from shared.assets.dal import get_asset_item\n"
        "from shared.assets.public import to_asset\n"
        "def f():\n    from shared.partners import dal\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SHARED", fake)
    assert cross_capability_imports() == [
        "shared/jobs/logic.py:1 imports shared.assets.dal.get_asset_item",
        "shared/jobs/logic.py:4 imports shared.partners.dal",
    ]


def test_every_capability_with_importers_has_a_public_face():
    imported = set()
    for path in SHARED.rglob("*.py"):
        for _, module in _imports(path):
            capability = _capability(module)
            if capability is not None and module.startswith(f"shared.{capability}.public"):
                imported.add(capability)
    assert imported, "no public face is imported at all"
    for capability in imported:
        assert (SHARED / capability / "public.py").is_file(), capability
