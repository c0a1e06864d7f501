"""Routers and stream work are imported on first use (shared/api/lazy_routers.py, shared/streams/router.py):
the catalog must name every segment each router serves, a cold handler must load none of them, and
the first request to a segment must find its routes (and a raw-body route's own limits) in place."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.api.catalog import API_HANDLERS, handler_for_path
from shared.streams.router import ROUTES, work_modules

ROOT = Path(__file__).resolve().parent.parent
ROUTER_MODULES = sorted({m for routers in API_HANDLERS.values() for m in routers})


@pytest.mark.parametrize("handler", list(API_HANDLERS))
def test_the_catalog_names_the_segments_each_router_serves(handler):
    """A route whose first segment the catalog does not list for its router would never be included:
    404 in Lambda. The segments must also lead to this handler (API Gateway, the dev server)."""
    for module, segments in API_HANDLERS[handler].items():
        router = importlib.import_module(module).router
        served = {rule.strip("/").split("/", 1)[0] for rule, *_ in router._routes}
        assert served == set(segments), module
        assert not any(s.startswith("<") for s in served), f"{module}: a first segment must be literal"
        assert all(handler_for_path(f"/{s}") == handler for s in segments)


def run_probe(probe: str) -> None:
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


PROBE_HEAD = (
    "import sys\n"
    "from dev.apigw import LocalContext, rest_event\n"
    f"ROUTERS = {ROUTER_MODULES!r}\n"
    "def loaded():\n"
    "    return sorted(m for m in ROUTERS if m in sys.modules)\n"
)


def test_a_handler_imports_a_router_on_the_first_request_to_its_segments():
    """Cold: no router at all. GET /vendors/search is routed, not 404: the search router only;
    GET /fleets/... also needs the connections router, which both serve; an unknown path loads nothing."""
    run_probe(PROBE_HEAD + (
        "from functions.connections.handler import lambda_handler\n"
        "assert loaded() == [], loaded()\n"
        "r = lambda_handler(rest_event('GET', '/nowhere'), LocalContext())\n"
        "assert r['statusCode'] == 404 and loaded() == [], (r, loaded())\n"
        "r = lambda_handler(rest_event('GET', '/vendors/search', query={'zip': ['10001'], 'radius_miles': ['25']}),"
        " LocalContext())\n"
        "assert r['statusCode'] == 401, r\n"  # the route ran its dependency: no token
        "assert loaded() == ['shared.search.routes'], loaded()\n"
        "r = lambda_handler(rest_event('GET', '/notifications'), LocalContext())\n"
        "assert r['statusCode'] == 401, r\n"
        "assert loaded() == ['shared.notifications.routes', 'shared.search.routes'], loaded()\n"
    ))


def test_a_raw_body_route_keeps_its_limits_on_the_first_request():
    """The CSV import registers its own size limit and media type when its router is imported: the
    entry point includes the router before it checks the body, so even a cold instance answers 413."""
    run_probe(PROBE_HEAD + (
        "from functions.jobs.handler import lambda_handler\n"
        "body = 'vin,kind\\n' + 'x' * (6 * 1024 * 1024)\n"
        "r = lambda_handler(rest_event('POST', '/jobs/import', headers={'content-type': 'text/csv'}, body=body),"
        " LocalContext())\n"
        "assert r['statusCode'] == 413 and 'split it' in r['body'], r\n"
        "assert loaded() == ['shared.jobs.routes'], loaded()\n"
    ))


def test_the_stream_processor_imports_each_work_with_its_first_record():
    """Cold, the processor loads none of the work modules; every route names a function that exists."""
    modules = sorted(work_modules())
    assert "shared.portal.setup.job_services" in modules and "shared.connections.grants" in modules
    run_probe(
        "import sys\n"
        "import functions.stream_processor.handler\n"
        f"early = [m for m in {modules!r} if m in sys.modules]\n"
        "assert not early, early\n"
    )
    assert all(callable(loader()) for loaders in ROUTES.values() for loader in loaders)


def test_x_ray_patches_the_aws_sdk_when_it_is_first_imported():
    """With tracing on (as deployed), a cold handler has not imported botocore's client module (the
    patch no longer pulls it in at init); the first import of it, PynamoDB's here as a router's,
    applies X-Ray's botocore and PynamoDB patches before any client exists."""
    env = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_TRACE_DISABLED"}
    env["LAMBDA_TASK_ROOT"] = str(ROOT)  # Powertools traces only in Lambda
    probe = (
        "import sys\n"
        "import functions.assets.handler\n"
        "from shared.observability import tracer\n"
        "assert not tracer.disabled\n"
        "assert 'botocore.client' not in sys.modules\n"
        "import pynamodb.connection\n"
        "import botocore.client, botocore.httpsession, wrapt\n"
        "assert botocore.client._xray_enabled and botocore.httpsession._xray_enabled\n"
        "assert isinstance(botocore.client.BaseClient.__dict__['_make_api_call'], wrapt.FunctionWrapper)\n"
        "assert isinstance(botocore.httpsession.URLLib3Session.__dict__['send'], wrapt.FunctionWrapper)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
