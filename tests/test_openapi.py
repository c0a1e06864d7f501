"""The committed openapi.json is what the code serves; a route change without it fails here."""

from __future__ import annotations

import json

from dev.openapi import OPENAPI_FILE, generate
from tests.routes import all_routes


def test_committed_openapi_matches_the_code():
    """`make openapi --check`'s command, run as a developer would (no settings in the environment)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    done = subprocess.run([sys.executable, "-m", "dev.openapi", "--check"], cwd=OPENAPI_FILE.parent, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:] or "openapi.json is out of date: run `make openapi` and commit it"


def test_openapi_documents_every_route_and_the_error_format():
    spec = json.loads(generate())
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    for route in all_routes():
        if route.requirement != "public":
            assert (route.method, route.path.replace("<", "{").replace(">", "}")) in documented
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_routes_that_authenticate_themselves_document_their_own_credential():
    spec = json.loads(generate())
    assert spec["security"] == [{"bearerAuth": []}]  # the default: the user's Cognito token
    assert spec["paths"]["/webhooks/fleetrock/{integration_id}"]["post"]["security"] == []  # a body signature
    assert spec["paths"]["/portal/session"]["post"]["security"] == [{"portalLink": []}]
    assert spec["paths"]["/portal/sites"]["get"]["security"] == [{"portalSession": []}]
    assert "security" not in spec["paths"]["/jobs"]["get"]
    schemes = spec["components"]["securitySchemes"]
    assert {schemes[name]["scheme"] for name in ("bearerAuth", "portalLink", "portalSession")} == {"bearer"}


def test_every_schema_describes_something():
    """A model whose schema came out empty ({}) lets any response through the fuzz's schema check:
    SiteDetail was one (its serializer's return annotation, shared/portal/view/models.py)."""
    spec = json.loads(generate())
    empty = [name for name, schema in spec["components"]["schemas"].items() if not schema]
    assert not empty, f"component schemas with no content: {empty}"
    assert "services" in spec["components"]["schemas"]["SiteDetail"]["properties"]


def test_error_responses_are_documented_in_our_format():
    spec = json.loads(generate())
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "404", "409", "422"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_docs_handler_serves_the_committed_openapi_without_route_modules_or_zip_data():
    """The docs function serves openapi.json as committed (the test above keeps it current), so it
    imports no route module (its cold start); its package has no `zipcodes` (infra/bundle.py)."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import sys, importlib.abc\n"
        "class NoZipData(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] == 'zipcodes':\n"
        "            raise ModuleNotFoundError('zipcodes is not in the docs package', name=name)\n"
        "sys.meta_path.insert(0, NoZipData())\n"
        "from functions.docs.handler import app\n"
        "from dev.apigw import LocalContext, rest_event\n"
        "from functions.docs.handler import lambda_handler\n"
        "r = lambda_handler(rest_event('GET', '/swagger', query={'format': ['json']}), LocalContext())\n"
        "assert r['statusCode'] == 200, r['statusCode']\n"
        "import json\n"
        "served, committed = json.loads(r['body']), json.loads(open('openapi.json').read())\n"
        "assert served == {**committed, 'servers': served['servers']}, 'not the committed openapi.json'\n"
        "routes = [m for m in sys.modules if m.startswith('shared.') and m.endswith('routes')]\n"
        "assert not routes, routes\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
