"""CSV import: all rows or none, row errors for every real-world problem, idempotency, limits."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

import boto3
import httpx
import pytest

from shared.jobs.csv_parse import MAX_ROWS
from tests.conftest import TEST_ENV, ApiResponse, call_api
from tests.factories import create_asset, sign_up
from tests.jobs_support import setup
from tests.portal_helpers import create_customer, create_site

pytestmark = pytest.mark.usefixtures("dynamodb")
HEADER = ["kind", "vin", "title", "description", "due_date", "configuration", "template",
          "assigned_installer_company_id"]


def to_csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def send(caller, body: str | bytes, *, key: str | None = None, dry_run: bool = False,
         content_type: str = "text/csv") -> ApiResponse:
    headers = {"content-type": content_type, **({"Idempotency-Key": key} if key else {})}
    return call_api("POST", "/jobs/import", as_user=caller, raw_body=body, headers=headers,
                    query={"dry_run": "true"} if dry_run else None)


def details(r: ApiResponse) -> list[tuple[int, str]]:
    assert r.status == 422, r.body
    return [(d["row"], d["column"]) for d in r.json()["error"]["details"]]


def install_row(asset: dict[str, Any], partner: str = "", **cells: str) -> list[str]:
    row = {"kind": "installation", "vin": asset["vin"], "title": "Install box", "description": "",
           "due_date": "2031-03-01", "configuration": json.dumps({"apn": "iot"}), "template": "",
           "assigned_installer_company_id": partner, **cells}
    return [row[h] for h in HEADER]


def jobs_of(caller) -> list[dict[str, Any]]:
    return list(call_api("GET", "/jobs", as_user=caller, query={"limit": 100}).json()["items"])


def test_import_creates_pending_and_assigned_jobs_with_vehicle_access():
    s = setup()
    assets = [create_asset(s.fleet) for _ in range(3)]
    call_api("POST", "/job-templates", as_user=s.fleet, json_body={
        "name": "Brakes", "kind": "maintenance", "title": "Brake check", "description": "Pads, drums, lines"})
    body = to_csv([
        install_row(assets[0]),
        install_row(assets[1], partner=s.partner_id.lower()),
        ["", assets[2]["vin"], "", "", "", "", "brakes", s.partner_id],
    ])
    r = send(s.fleet, body)
    assert r.status == 201, r.body
    result = r.json()
    assert (result["rows"], result["created"], result["assigned"], len(result["job_ids"])) == (3, 3, 2, 3)
    jobs = {j["job_id"]: j for j in jobs_of(s.fleet)}
    first, second, third = (jobs[i] for i in result["job_ids"])
    assert (first["status"], first["configuration"], first["due_date"]) == ("PENDING", {"apn": "iot"}, "2031-03-01")
    assert second["status"] == "ASSIGNED" and second["partner_org_id"] == s.vendor.org_id
    assert (third["kind"], third["title"], third["description"], third["status"]) == (
        "maintenance", "Brake check", "Pads, drums, lines", "ASSIGNED")
    assert third["template_id"] and all(j["import_id"] == result["import_id"] for j in (first, second, third))
    for asset, status in ((assets[0], 404), (assets[1], 200), (assets[2], 200)):
        assert call_api("GET", f"/vehicles/{asset['asset_id']}", as_user=s.technician).status == status
    assert len(call_api("GET", "/partner/jobs", as_user=s.technician).json()["items"]) == 2
    events = call_api("GET", "/audit", as_user=s.vendor).json()["items"]
    assert any(e["action"] == "job.assigned" and e["target_id"] == result["import_id"] for e in events)


def test_one_wrong_row_imports_nothing_and_every_wrong_row_is_listed():
    s = setup()
    asset = create_asset(s.fleet)
    stranger = call_api("GET", "/me", as_user=sign_up("vendor", "Stranger")).json()["organization"]["partner_id"]
    body = to_csv([
        install_row(asset),
        install_row(asset, kind="repair"),
        install_row(asset, vin="1FUJGLDR0CL00000X"),
        install_row(asset, configuration="{apn: iot}", due_date="03/01/2031"),
        install_row(asset, partner="ZZZZZ"),
        install_row(asset, partner=stranger),
        install_row(asset, title="", template="No such template"),
        install_row(asset, kind="maintenance", configuration=""),
        install_row(create_asset(sign_up("fleet", "Other")), title="another fleet's truck"),
    ])
    r = send(s.fleet, body)
    assert details(r) == [(3, "kind"), (4, "vin"), (5, "due_date"), (5, "configuration"),
                          (6, "assigned_installer_company_id"), (7, "assigned_installer_company_id"),
                          (8, "template"), (8, "title"), (9, "description"), (10, "vin")]
    assert "8 rows are wrong: nothing was imported" in r.json()["error"]["message"]
    assert jobs_of(s.fleet) == []


def test_dry_run_reports_without_writing():
    s = setup()
    asset = create_asset(s.fleet)
    body = to_csv([install_row(asset), install_row(asset, partner=s.partner_id)])
    r = send(s.fleet, body, dry_run=True)
    assert r.status == 200, r.body
    assert r.json() == {"import_id": None, "dry_run": True, "rows": 2, "created": 2, "assigned": 1, "job_ids": []}
    assert jobs_of(s.fleet) == []
    assert details(send(s.fleet, to_csv([install_row(asset, kind="x")]), dry_run=True)) == [(2, "kind")]
    assert send(s.fleet, body).status == 201  # a dry run does not count as the import


def test_the_same_import_twice_creates_the_jobs_once():
    s = setup()
    asset = create_asset(s.fleet)
    body = to_csv([install_row(asset), install_row(asset, partner=s.partner_id)])
    first = send(s.fleet, body, key="upload-42")
    assert first.status == 201
    again = send(s.fleet, body, key="upload-42")
    assert again.status == 200 and again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert send(s.fleet, to_csv([install_row(asset)]), key="upload-42").status == 409  # same key, another file
    # the same content is the same import, under another key or none (spec: "same key, or same content")
    for other_key in ("upload-43", None):
        r = send(s.fleet, body, key=other_key)
        assert r.status == 200 and r.json() == first.json() and r.headers["Idempotent-Replayed"] == "true"
    assert len(jobs_of(s.fleet)) == 2
    changed = send(s.fleet, to_csv([install_row(asset, title="Another")]))  # another file: another import
    assert changed.status == 201 and send(s.fleet, to_csv([install_row(asset, title="Another")])).json() == \
        changed.json()
    assert len(jobs_of(s.fleet)) == 3
    # another fleet sending the same bytes imports its own (its VINs differ, so here: its row errors)
    assert send(sign_up("fleet", "Other"), body).status == 422


def test_more_than_the_row_limit_is_413_with_the_limit():
    s = setup()
    asset = create_asset(s.fleet)
    body = to_csv([install_row(asset)] * (MAX_ROWS + 1))
    r = send(s.fleet, body)
    assert r.status == 413 and str(MAX_ROWS) in r.json()["error"]["message"]
    assert jobs_of(s.fleet) == []


def test_a_50_mb_body_is_a_clear_413():
    s = setup()
    r = send(s.fleet, "kind,vin,title\n" + "x" * (50 * 1024 * 1024))
    assert r.status == 413 and r.error_code == "payload_too_large" and "5 MB" in r.json()["error"]["message"]
    r = send(s.fleet, b"kind,vin,title\n" + b"\xff" * (50 * 1024 * 1024))  # base64 in the event: still 413
    assert r.status == 413


def test_only_csv_bodies_are_taken():
    s = setup()
    r = call_api("POST", "/jobs/import", as_user=s.fleet, json_body={"rows": []})
    assert r.status == 415 and "text/csv" in r.json()["error"]["message"]
    assert send(s.fleet, "kind,vin\n", content_type="application/csv; charset=utf-8").status == 422


@pytest.mark.parametrize("name,body,expected", [
    ("semicolons", "kind;vin;title\ninstallation;X;Y\n", [(1, "(header)")]),
    ("tabs", "kind\tvin\ttitle\ninstallation\tX\tY\n", [(1, "(header)")]),
    ("no header", "installation,1FUJGLDR0CL000001,Install\n", [(1, "(header)")]),
    ("extra column", "kind,vin,title,colour\n", [(1, "colour")]),
    ("unnamed column", "kind,vin,title,\n", [(1, "column 4")]),
    ("twice", "kind,vin,title,vin\n", [(1, "vin")]),
    ("no vehicle column", "kind,title\ninstallation,x\n", [(1, "vin")]),
    ("empty", "", [(1, "(header)")]),
    ("only blank lines", "\n\n\r\n", [(1, "(header)")]),
    ("header only", "kind,vin,title\n", [(2, "(row)")]),
    ("unbalanced quote", 'kind,vin,title\ninstallation,"1FU,x\n', [(2, "(row)")]),
    ("stray quote", 'kind,vin,title\ninstallation,1FU"x,"a"b\n', [(2, "(row)")]),
    ("NUL byte", "kind,vin,title,configuration\ninstallation,\x00,x,{}\n", [(2, "vin")]),
    ("utf-16", "kind,vin\n".encode("utf-16"), [(1, "(file)")]),
    ("latin-1 header", "kind,vin,t\xeftle\n".encode("latin-1"), [(1, "column 3")]),
])
def test_broken_files_get_clear_row_errors(name, body, expected):
    s = setup()
    r = send(s.fleet, body)
    assert details(r) == expected, name
    assert all(d["message"] for d in r.json()["error"]["details"])


def test_cells_no_lookup_or_parser_can_take_are_row_errors_not_500s():
    s = setup()
    asset = create_asset(s.fleet)
    header = [*HEADER, "asset_id"]
    rows = [
        [*install_row(asset), "a" * 3000],  # an asset_id no key can hold
        [*install_row(asset, template="t" * 3000), ""],  # nor such a template name
        [*install_row(asset, configuration="[" * 5000 + "]" * 5000), ""],  # nested past json's recursion limit
        [*install_row(asset, configuration='{"n": ' + "9" * 5000 + "}"), ""],  # a number json.loads will not convert
    ]
    r = send(s.fleet, to_csv(rows, header))
    assert details(r) == [(2, "asset_id"), (3, "template"), (4, "configuration"), (5, "configuration")]
    assert "nested too deeply" in r.json()["error"]["details"][2]["message"]


def test_real_world_quirks_that_are_fine_or_named_per_row():
    s = setup()
    assets = [create_asset(s.fleet) for _ in range(3)]
    config_cell = '"' + json.dumps({"apn": "iot, eu", "note": 'say "hi"'}).replace('"', '""') + '"'
    body = (
        "\ufeffKind, VIN ,title,configuration,description\r\n"  # a BOM, header case and spaces, CRLF
        "\r\n"  # an empty line
        f'installation,{assets[0]["vin"].lower()},"Install, then test",{config_cell},\r\n'
        ",,,,\r\n"  # a line of empty cells
        f'maintenance,{assets[1]["vin"]},"Multi\nline title",,"He said ""brakes"""\r\n'
    )
    r = send(s.fleet, body.encode())
    assert r.status == 201, r.body
    jobs = {j["title"]: j for j in jobs_of(s.fleet)}
    assert jobs["Install, then test"]["configuration"] == {"apn": "iot, eu", "note": 'say "hi"'}
    assert jobs["Multi\nline title"]["description"] == 'He said "brakes"'

    bad = (f"kind,vin,title\ninstallation,{assets[2]['vin']},Caf\xe9 install\n"
           f"installation,{assets[2]['vin']},ok,extra cell\n"
           f"installation,{assets[2]['vin']}\n").encode("latin-1")
    r = send(s.fleet, bad)
    assert details(r) == [(2, "title"), (3, "(row)"), (4, "(row)")]
    messages = [d["message"] for d in r.json()["error"]["details"]]
    assert "0xE9" in messages[0] and "UTF-8" in messages[0]
    assert "4 cells" in messages[1] and "2 cells" in messages[2]


def test_import_over_real_http_with_a_non_utf8_file(dev_server):
    """Through the dev server (as API Gateway): a CSV in Latin-1 gets its row error, not a 500."""
    from dev.tokens import mint

    s = setup()
    token = mint(s.fleet.user_id, org_id=s.fleet.org_id, role="customer_admin")
    r = httpx.post(f"{dev_server.url}/jobs/import", content="kind,vin,title\ninstallation,x,Caf\xe9\n".encode(
        "latin-1"), headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}, timeout=30)
    assert r.status_code == 422, r.text
    assert [(d["row"], d["column"]) for d in r.json()["error"]["details"]] == [(2, "title")]


def test_a_large_file_is_written_in_full_with_one_audit_event_per_organization():
    s = setup()
    assets = [create_asset(s.fleet) for _ in range(10)]
    rows = [install_row(assets[n % 10], partner=s.partner_id if n % 2 else "", title=f"Job {n}") for n in range(150)]
    r = send(s.fleet, to_csv(rows))
    assert r.status == 201, r.body
    result = r.json()
    assert (result["created"], result["assigned"], len(set(result["job_ids"]))) == (150, 75, 150)
    listed, cursor = [], None
    while True:
        page = call_api("GET", "/jobs", as_user=s.fleet, query={"limit": 100, **({"cursor": cursor} if cursor else {})})
        listed += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert sorted(j["job_id"] for j in listed) == sorted(result["job_ids"])
    assert {j["title"]: (j["status"], j["version"]) for j in listed}["Job 149"] == ("ASSIGNED", 1)
    events = call_api("GET", "/audit", as_user=s.fleet).json()["items"]
    [imported] = [e for e in events if e["action"] == "job.imported"]
    assert imported["after"]["job_ids"] == result["job_ids"]
    assert len(imported["after"]["assigned"][s.vendor.org_id]) == 75
    assert all(call_api("GET", f"/vehicles/{a['asset_id']}", as_user=s.technician).status == 200 for a in assets[1::2])


def test_an_interrupted_import_resumes_with_the_same_jobs(monkeypatch):
    """The Lambda dies after the first BatchWriteItem; once the lease expired, the same request finishes it."""
    from shared.jobs import importer

    s = setup()
    assets = [create_asset(s.fleet) for _ in range(3)]
    body = to_csv([install_row(assets[n % 3], partner=s.partner_id, title=f"Job {n}") for n in range(40)])
    real_write = importer._write

    def dies_after_one_request(groups):
        real_write(groups[:1])
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(importer, "_write", dies_after_one_request)
    assert send(s.fleet, body, key="k1").status == 500
    monkeypatch.setattr(importer, "_write", real_write)
    assert send(s.fleet, body, key="k1").status == 409  # still running (its lease holds)
    started = jobs_of(s.fleet)
    assert 0 < len(started) < 40
    assert act_start(s, started[0]["job_id"]) == 200  # the partner starts a job of the partial import meanwhile
    table = boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(TEST_ENV["TABLE_NAME"])
    for key in ("k1", f"sha256:{hashlib.sha256(body.encode()).hexdigest()}"):  # under its key and its content
        table.update_item(Key={"pk": f"JOBIMPORT#{s.fleet.org_id}#{key}", "sk": "IMPORT"},
                          UpdateExpression="SET lease_until = :past", ExpressionAttributeValues={":past": 0})
    r = send(s.fleet, body, key="k1")
    assert r.status == 201, r.body
    jobs = {j["job_id"]: j for j in jobs_of(s.fleet)}
    assert sorted(jobs) == sorted(r.json()["job_ids"]) and len(jobs) == 40
    assert jobs[started[0]["job_id"]]["status"] == "RUNNING"  # left alone
    # the first request ended with a job whose grant was to go in the second: the resume wrote it
    grants = [table.get_item(Key={"pk": f"VACCESS#{s.vendor.org_id}#{j['asset_id']}", "sk": f"JOB#{j['job_id']}"},
                             ConsistentRead=True).get("Item") for j in jobs.values()]
    assert all(grants) and len(grants) == 40
    audit = [e["action"] for e in call_api("GET", "/audit", as_user=s.fleet).json()["items"]]
    assert audit.count("job.imported") == 1
    assert send(s.fleet, body, key="k1").json() == r.json()


def act_start(s, job_id: str) -> int:
    return call_api("POST", f"/partner/jobs/{job_id}/start", as_user=s.technician).status


def test_a_row_assigned_at_a_site_not_of_its_partner_is_named():
    s = setup()
    site_id = create_site(s.vendor, create_customer(s.vendor)["customer_id"])["site_id"]
    header = [*HEADER, "site_id"]
    rows = [[*install_row(create_asset(s.fleet), s.partner_id), site_id],
            [*install_row(create_asset(s.fleet), s.partner_id), "site_elsewhere"],
            [*install_row(create_asset(s.fleet)), "site_elsewhere"]]  # unassigned: checked when it is assigned
    r = send(s.fleet, to_csv(rows, header))
    assert details(r) == [(3, "site_id")]
    assert "site_elsewhere" in r.json()["error"]["details"][0]["message"]
    r = send(s.fleet, to_csv([rows[0], rows[2]], header))
    assert r.status in (200, 201), r.body
