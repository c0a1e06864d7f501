"""The CDK app (cdk.json runs `.venv/bin/python -m infra.app`): one stack, checked by cdk-nag.

It packages the directories `make bundle` built and never builds anything itself, so synth is
offline and fast; without them it stops with a message instead of a half-built template.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.bundle import APP_DIR, DOCS_LAYER_DIR, GEO_LAYER_DIR, LAYER_DIR, PORTAL_LAYER_DIR
from infra.stack import FleetbridgeStack
from shared.api.catalog import API_HANDLERS, EVENT_HANDLERS

STACK_NAME = "Fleetbridge"


class BundleMissingError(RuntimeError):
    """build/lambda is missing or incomplete: `make bundle` must run before synth."""


def check_bundle() -> None:
    """Fail fast when a packaged directory or a catalogued handler is not in build/lambda."""
    expected = [LAYER_DIR / "python", DOCS_LAYER_DIR / "python", GEO_LAYER_DIR / "python", PORTAL_LAYER_DIR]
    expected += [APP_DIR / "functions" / name / "handler.pyc" for name in (*API_HANDLERS, *EVENT_HANDLERS)]
    missing = [os.path.relpath(path) for path in expected if not path.exists()]
    if missing:
        raise BundleMissingError(
            "Lambda build output missing: " + ", ".join(missing) + ". Run `make bundle` first "
            "(and check that every handler in shared/api/catalog.py has functions/<name>/handler.py)."
        )


def build_app(**app_kwargs: Any) -> App:
    """The app with its stack and the AwsSolutions checks registered as a validation plugin."""
    check_bundle()
    app = App(**app_kwargs)
    FleetbridgeStack(app, STACK_NAME, description="Fleetbridge: serverless backend of the fleet service network")
    add_nag_checks(app)
    return app


def add_nag_checks(app: App) -> None:
    """cdk-nag v3 runs as a validation plugin after synthesis; any unacknowledged error fails synth.

    Acknowledgments (with their reasons) are also written into the template metadata: an audit trail.
    """
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))


def main() -> None:
    try:
        app = build_app()
    except BundleMissingError as exc:
        sys.exit(str(exc))
    app.synth()


if __name__ == "__main__":
    main()
