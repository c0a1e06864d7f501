"""Invoke a handler once with a sample event, as Lambda would, against the `make dev` stack.

    python -m dev.invoke events/assets_list_assets.json

The handler is the one that serves the event's path (API Gateway events) or the stream
processor (DynamoDB Streams events). Settings come from .dev/settings.env, as in `make dev`.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from dev.apigw import LocalContext
from dev.settings import load_dev_environment


def handler_name(event: dict[str, object]) -> str:
    from shared.api.catalog import handler_for_path

    if "Records" in event:
        return "stream_processor"
    name = handler_for_path(str(event.get("path", "")))
    if name is None:
        raise SystemExit(f"no handler serves {event.get('path')!r}")
    return name


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    load_dev_environment()
    event = json.loads(Path(argv[0]).read_text())
    module = importlib.import_module(f"functions.{handler_name(event)}.handler")
    print(json.dumps(module.lambda_handler(event, LocalContext()), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
