"""Ship bytecode: what a handler imports at its cold start goes into the package compiled.

Lambda's file system is read-only, so Python cannot cache bytecode there: a module shipped as
source is compiled again on every cold start (hundreds of ms for our handlers). So the package
holds, for every module some handler imports at init (found by importing each handler in a fresh
interpreter, as Lambda would) or on first use (FIRST_USE_IMPORTS), its bytecode in place of its
source: a "sourceless" .pyc, which Python imports like the .py. Our own code is compiled whole.
Third-party modules none of them imports stay source, compiled if ever used: compiling them all
would add about 1 MB and push the packages past 15 MB unzipped. The bytecode carries no column positions
(-X no_debug_ranges: smaller, and a traceback without source has no line text to mark anyway);
a traceback from a sourceless module shows file, line and function.

Bytecode is tied to a Python minor version: it is compiled by this interpreter, which must be the
functions' runtime version (bundle.PYTHON_VERSION).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Settings every handler requires at import (shared/settings.py), and what Lambda sets, tracing on
# (Tracing.ACTIVE) as deployed: the import then loads what it loads in AWS. No value is used.
LAMBDA_INIT_ENV = {
    "TABLE_NAME": "fleetbridge-bundle",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MAILER": "ses",
    "MAIL_FROM": "bundle@example.com",
    "SECRETS_CIPHER": "kms",
    "KMS_KEY_ID": "bundle",
    "APP_BASE_URL": "https://app.bundle.example",
    "POWERTOOLS_SERVICE_NAME": "fleetbridge",
    "PYTHONDONTWRITEBYTECODE": "1",
}

# Imported on first use rather than at init, to keep cold starts short, but then on the request's
# path: compiled too (about 0.4 MB of source). httpx: shared.observability.traced_httpx();
# email-validator: shared.base_models.Email.
FIRST_USE_IMPORTS = ("httpx", "email_validator")

# prints the file of every module loaded by importing argv[1:], in order
_LOADED_FILES = (
    "import importlib, json, sys\n"
    "for name in sys.argv[1:]:\n"
    "    importlib.import_module(name)\n"
    "print(json.dumps(sorted({getattr(m, '__file__', None) or '' for m in list(sys.modules.values())})))\n"
)

# compiles each [source, pyc, name shown in tracebacks] of the JSON list on stdin
_COMPILE = (
    "import json, py_compile, sys\n"
    "for source, pyc, shown in json.load(sys.stdin):\n"
    "    py_compile.compile(source, cfile=pyc, dfile=shown, doraise=True,\n"
    "                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n"
)


def check_python(version: str) -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != version:
        raise SystemExit(f"the Lambda runtime is Python {version}, this is {running}: its bytecode would not load")


def init_modules(app_dir: Path, handlers: Mapping[str, Iterable[str]], env: dict[str, str]) -> set[str]:
    """Every file that importing some handler (functions.<name>.handler, from app_dir) loads, with
    what it imports on first use: FIRST_USE_IMPORTS, and `handlers[name]`, its own (its routers)."""

    def loaded(handler: str) -> set[str]:
        first_use = [*handlers[handler], *FIRST_USE_IMPORTS]
        done = subprocess.run(
            [sys.executable, "-c", _LOADED_FILES, f"functions.{handler}.handler", *first_use],
            cwd=app_dir,
            env={**env, "AWS_LAMBDA_FUNCTION_NAME": f"fleetbridge-{handler}", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"importing the {handler} handler failed:\n{done.stderr.strip()[-3000:]}")
        return set(json.loads(done.stdout.strip().splitlines()[-1]))

    with ThreadPoolExecutor(2) as pool:
        return {f for files in pool.map(loaded, handlers) for f in files if f}


def site_relative(files: Iterable[str]) -> set[str]:
    """The third-party .py files among `files`, relative to their site-packages directory."""
    return {f.split("/site-packages/", 1)[1] for f in files if "/site-packages/" in f and f.endswith(".py")}


def compile_sourceless(root: Path, relative: Iterable[str], shown_root: str) -> int:
    """Replace each root/<rel>.py that exists by root/<rel>.pyc; tracebacks name it shown_root/<rel>.py."""
    jobs = [[str(root / rel), str(root / rel) + "c", f"{shown_root}/{rel}"] for rel in sorted(relative)
            if (root / rel).is_file()]
    subprocess.run([sys.executable, "-X", "no_debug_ranges", "-c", _COMPILE], input=json.dumps(jobs), text=True,
                   check=True)
    for source, _, _ in jobs:
        Path(source).unlink()
    return len(jobs)
