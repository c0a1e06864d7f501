"""Write (or check) the JSON block of docs/fleetrock-contract.md: shared/fleetrock/remote/contract.py's CONTRACT.

The document says, for everything we rely on of Fleetrock, where it comes from, how sure we are and
what our code does when it is wrong; its last section holds CONTRACT itself, between
`<!-- contract:begin -->` and `<!-- contract:end -->`, as `json.dumps(CONTRACT, indent=2)` in a json
fence. The prose around it is written by hand. tests/test_fleetrock_contract.py fails when the
block differs from the module, or when a call or event CONTRACT names is missing from the prose.

    python -m dev.fleetrock_contract          # rewrite the block (`make docs`)
    python -m dev.fleetrock_contract --check  # exit 1 when docs/fleetrock-contract.md is out of date
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from shared.fleetrock.remote.contract import CONTRACT

DOC_FILE = Path(__file__).resolve().parent.parent / "docs" / "fleetrock-contract.md"
BEGIN, END = "<!-- contract:begin -->", "<!-- contract:end -->"
CODE_SECTION = "## The contract as code"
_BLOCK = re.compile(re.escape(BEGIN) + r"\n(.*?)\n?" + re.escape(END), re.S)
# the calls the document's prose must name besides those CONTRACT lists (its units' calls)
BASE_CALLS = ("GetToken", "GetRO")


def render() -> str:
    """The block as it must stand between the markers."""
    return "```json\n" + json.dumps(CONTRACT, indent=2) + "\n```"


def block(text: str) -> str:
    """The committed block (between the markers, without them)."""
    match = _BLOCK.search(text)
    if match is None:
        raise ValueError(f"{DOC_FILE.name} has no {BEGIN} ... {END} markers")
    return match.group(1)


def fill(text: str) -> str:
    """The document with its block rewritten from CONTRACT (the markers must exist)."""
    block(text)
    return _BLOCK.sub(lambda _: f"{BEGIN}\n{render()}\n{END}", text, count=1)


def prose(text: str) -> str:
    """The hand-written part: everything before the section that holds the block."""
    head, found, _ = text.partition(CODE_SECTION)
    if not found:
        raise ValueError(f"{DOC_FILE.name} has no `{CODE_SECTION}` section")
    return head


def calls() -> list[str]:
    """Every Fleetrock call CONTRACT names, and the ones every integration makes (GetToken, GetRO)."""
    units = CONTRACT["units"]
    return [*BASE_CALLS, *units["seen"], *units["assumed"]]


def events() -> list[str]:
    """Every GetRO event CONTRACT names: those public clients pass, and those we only try."""
    getro = CONTRACT["getro"]
    return [*getro["events"], *getro["unseen_events_tried"]]


def unnamed(text: str) -> list[str]:
    """What CONTRACT names that the prose does not: its calls (as words), its GetRO events (as `code` or
    `event=E`), its unit field map (each pair as the first two cells of a table row)."""
    head = prose(text)
    missing = [f"call {c}" for c in calls() if not re.search(rf"\b{re.escape(c)}\b", head)]
    missing += [f"event {e}" for e in events() if f"`{e}`" not in head and f"event={e}" not in head]
    rows = {tuple(cell.strip().strip("`") for cell in line.strip().strip("|").split("|")[:2])
            for line in head.splitlines() if line.lstrip().startswith("|")}
    missing += [f"unit field {ours} -> {theirs}" for ours, theirs in CONTRACT["units"]["field_map"].items()
                if (ours, theirs) not in rows]
    return missing


def main(argv: list[str]) -> int:
    current = DOC_FILE.read_text()
    text = fill(current)
    if "--check" in argv:
        problems = [] if text == current else ["its JSON block differs from shared/fleetrock/remote/contract.py"]
        problems += [f"its prose does not name {name}" for name in unnamed(current)]
        for problem in problems:
            print(f"docs/fleetrock-contract.md is out of date: {problem}", file=sys.stderr)
        if problems:
            print("run `make docs` for the block; write the prose by hand", file=sys.stderr)
        return 1 if problems else 0
    DOC_FILE.write_text(text)
    print(f"wrote {DOC_FILE}")
    missing = unnamed(text)
    if missing:
        print("the prose still has to name: " + ", ".join(missing), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
