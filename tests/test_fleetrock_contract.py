"""docs/fleetrock-contract.md says what shared/fleetrock/remote/contract.py holds, and names what it names.

Its JSON block is CONTRACT itself (`make docs` rewrites it); its prose must name every Fleetrock
call and GetRO event CONTRACT names, and list the unit field map, so a change to the contract
cannot land without its evidence. Pure: no DynamoDB, no network.
"""

from __future__ import annotations

import json

import pytest

from dev import fleetrock_contract
from shared.fleetrock.remote.contract import CONTRACT

RUN_MAKE_DOCS = "docs/fleetrock-contract.md is out of date: run `make docs`"


@pytest.fixture(scope="module")
def doc() -> str:
    return fleetrock_contract.DOC_FILE.read_text()


def test_the_documents_json_block_is_the_contract_module(doc: str) -> None:
    committed = fleetrock_contract.block(doc)
    assert committed == fleetrock_contract.render(), f"{RUN_MAKE_DOCS} (its JSON block differs from CONTRACT)"
    assert json.loads(committed.removeprefix("```json\n").removesuffix("\n```")) == CONTRACT


def test_the_block_is_the_documents_last_section(doc: str) -> None:
    head, _, tail = doc.partition(fleetrock_contract.CODE_SECTION)
    assert fleetrock_contract.BEGIN not in head and fleetrock_contract.BEGIN in tail
    assert tail.rstrip().endswith(fleetrock_contract.END)
    assert "\n## " not in tail, "`## The contract as code` must be the document's last section"


def test_every_call_and_event_the_contract_names_is_in_the_prose(doc: str) -> None:
    missing = fleetrock_contract.unnamed(doc)
    assert not missing, ("docs/fleetrock-contract.md does not say where these come from (write them into its "
                         "prose, with source, confidence and what our code does if wrong): " + ", ".join(missing))


def test_the_names_checked_are_the_contracts() -> None:
    assert {"GetToken", "GetRO", *CONTRACT["units"]["seen"], *CONTRACT["units"]["assumed"]} == set(
        fleetrock_contract.calls())
    assert set(fleetrock_contract.events()) == {*CONTRACT["getro"]["events"], *CONTRACT["getro"]["unseen_events_tried"]}


def test_a_drifted_block_or_an_unnamed_call_is_caught(doc: str) -> None:
    """The check itself: a stale block is rewritten by fill(); a call the prose lacks is reported."""
    stale = doc.replace('"api_path": "/API"', '"api_path": "/api"', 1)
    assert fleetrock_contract.block(stale) != fleetrock_contract.render()
    assert fleetrock_contract.fill(stale) == fleetrock_contract.fill(doc)
    head, section, tail = doc.partition(fleetrock_contract.CODE_SECTION)
    without = head.replace("UpdateUnit", "Update-Unit").replace("`invoiced`", "invoiced").replace(
        "event=invoiced", "event invoiced") + section + tail
    assert {"call UpdateUnit", "event invoiced"} <= set(fleetrock_contract.unnamed(without))
    first_row = f"| `{next(iter(CONTRACT['units']['field_map']))}` |"
    assert first_row in head
    assert any(m.startswith("unit field ") for m in fleetrock_contract.unnamed(
        head.replace(first_row, "| moved |") + section + tail))


def test_a_document_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        fleetrock_contract.block("# no block here\n")
    with pytest.raises(ValueError, match="contract as code"):
        fleetrock_contract.prose("# no section here\n")
