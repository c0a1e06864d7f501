"""Write (or check) openapi.json: the whole API's OpenAPI, generated from the routes in code.

    python -m dev.openapi          # rewrite openapi.json
    python -m dev.openapi --check  # exit 1 when the committed file differs from the code
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dev.settings import load_dev_environment
from shared.api.resolver import build_resolver, openapi_json
from shared.api.routers import all_routers

OPENAPI_FILE = Path(__file__).resolve().parent.parent / "openapi.json"


def generate() -> str:
    schema = json.loads(openapi_json(build_resolver(*all_routers())))
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    load_dev_environment()  # the handlers' settings, as `make dev` has them (the document uses none of them)
    text = generate()
    if "--check" in argv:
        if not OPENAPI_FILE.exists() or OPENAPI_FILE.read_text() != text:
            print("openapi.json is out of date: run `make openapi` and commit it", file=sys.stderr)
            return 1
        return 0
    OPENAPI_FILE.write_text(text)
    print(f"wrote {OPENAPI_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
