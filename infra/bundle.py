"""Build the Lambda code locally, without Docker: a dependency layer and the app directory.

`cdk synth` only packages these directories, so it works offline and fast. The dependencies are
installed only when their inputs (uv.lock, the install options) change, into a source copy; the
app's sources are synced file by file into another. The packaged layer and app are made from
those with what the handlers import at cold start compiled (infra/bytecode.py), again only when
something changed. Run as `python -m infra.bundle` (the Makefile's `bundle` target).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from infra import bytecode
from shared.portal.view import page as portal_page

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "build" / "lambda"
LAYER_DIR = BUILD_DIR / "layer"  # the layer asset; Lambda adds its python/ folder to sys.path
# A second layer for the docs function alone: the Swagger UI's static files (1.7 MB), moved out of
# the dependency layer into the same package path (Lambda merges layers into one /opt/python).
DOCS_LAYER_DIR = BUILD_DIR / "docs-layer"
SWAGGER_UI_FILES = ("swagger-ui-bundle.min.js", "swagger-ui.min.css")
SWAGGER_UI_DIR = Path("python", "aws_lambda_powertools", "event_handler", "openapi", "swagger_ui")
# A layer for every function but docs: the ZIP centroid data (1.4 MB), imported on first use only
# (shared/geo/zips.py), so the docs function, which never looks a ZIP up, goes without it.
GEO_LAYER_DIR = BUILD_DIR / "geo-layer"
# A layer for the portal function alone: the customer portal page and its npm libraries (Leaflet, the US
# states outline: 0.3 MB), under /opt/portal_page/ (shared/portal/view/page.py reads them there).
PORTAL_LAYER_DIR = BUILD_DIR / "portal-layer"
GEO_PACKAGES = ("zipcodes",)
APP_DIR = BUILD_DIR / "app"  # the function asset: shared/ and functions/, compiled
LAYER_STAMP = BUILD_DIR / "layer.stamp"
# what is installed and synced, as source; LAYER_DIR and APP_DIR are made from these
LAYER_SOURCE_DIR = BUILD_DIR / "layer-source"
APP_SOURCE_DIR = BUILD_DIR / "app-source"
COMPILED_STAMP = BUILD_DIR / "compiled.json"
APP_PACKAGES = ("shared", "functions")
APP_FILES = ("openapi.json", "asyncapi.yaml")  # the docs function serves them (shared/api/docs.py)
# Never read at run time: type stubs, C sources of compiled extensions, SBOMs, install records
# (pip's, for uninstalling); and the long description in each METADATA (trim_metadata).
PRUNED_GLOBS = ("*.pyi", "*-stubs", "*.c", "*.dist-info/sboms", "*.dist-info/RECORD")
LAMBDA_PREFIX = {"layer": "/opt/python", "app": "/var/task"}  # where Lambda puts them
# The Lambda Python runtime ships these; bundling them would only shadow the runtime's copies.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Dependencies of the SDK above, which the runtime ships with it; and dnspython, which
# email-validator needs only for deliverability checks (pydantic's EmailStr never makes them).
# anyio: httpx's async backend; we only use httpx's sync client, which never imports it.
# Left out to keep every function's package small (bench/cold_start.py: under 15 MB unzipped).
NOT_BUNDLED = (*RUNTIME_PROVIDED, "jmespath", "python-dateutil", "urllib3", "six", "dnspython", "anyio", "sniffio")
# Must match the functions' runtime and architecture in infra/constructs/runtime.py.
PYTHON_VERSION = "3.11"
PLATFORM = "aarch64-manylinux2014"


def uv_binary() -> str:
    """The uv that runs this environment (`uv run` sets $UV), else the pinned one, else PATH's."""
    pinned = ROOT / ".tools" / "bin" / "uv"
    for candidate in (os.environ.get("UV"), str(pinned) if pinned.exists() else None, shutil.which("uv")):
        if candidate:
            return candidate
    raise SystemExit("uv not found: run `make install` first")


def export_requirements(uv: str) -> str:
    """The runtime dependencies pinned as in uv.lock, minus what the Lambda runtime provides."""
    excluded = [arg for name in NOT_BUNDLED for arg in ("--no-emit-package", name)]
    cmd = [uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--quiet", *excluded]
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def build_layer(uv: str) -> bool:
    """Install the layer for arm64 unless the stamp says it is current; True when it was rebuilt."""
    requirements = export_requirements(uv)
    install = [
        "pip",
        "install",
        "--no-deps",
        "--only-binary=:all:",
        "--python-platform",
        PLATFORM,
        "--python-version",
        PYTHON_VERSION,
    ]
    steps = [*PRUNED_GLOBS, "trim_metadata", "rmdir"]
    stamp = hashlib.sha256("\n".join([requirements, *install, *steps]).encode()).hexdigest()
    present = all((d / "python").is_dir() for d in (LAYER_SOURCE_DIR, DOCS_LAYER_DIR, GEO_LAYER_DIR))
    if present and LAYER_STAMP.is_file() and LAYER_STAMP.read_text() == stamp:
        return False
    staging = BUILD_DIR / "layer.tmp"
    _install(uv, install, requirements, staging)
    _prune(staging / "python")
    docs_staging, geo_staging = _split_off_docs_and_geo(staging)
    for built, final in ((staging, LAYER_SOURCE_DIR), (docs_staging, DOCS_LAYER_DIR), (geo_staging, GEO_LAYER_DIR)):
        shutil.rmtree(final, ignore_errors=True)
        built.rename(final)
    LAYER_STAMP.write_text(stamp)
    return True


def _install(uv: str, install: list[str], requirements: str, staging: Path) -> None:
    """`requirements` installed afresh into staging/python."""
    req_file = BUILD_DIR / "requirements.txt"
    req_file.write_text(requirements)
    shutil.rmtree(staging, ignore_errors=True)
    target = ["--target", str(staging / "python"), "-r", str(req_file)]
    # Offline first (uv's cache usually has the wheels); online only when something is missing.
    offline = subprocess.run([uv, *install, "--offline", *target], cwd=ROOT, capture_output=True, text=True)
    if offline.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        subprocess.run([uv, *install, *target], cwd=ROOT, check=True)


def _prune(packages: Path) -> None:
    """Remove what is never read at run time (PRUNED_GLOBS, console scripts, the folders that leaves
    empty) and trim every METADATA."""
    shutil.rmtree(packages / "bin", ignore_errors=True)  # console scripts, useless in a layer
    for pattern in PRUNED_GLOBS:
        for path in list(packages.glob(f"**/{pattern}")):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for folder in sorted(packages.glob("**/"), reverse=True):  # emptied by the pruning
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for metadata in packages.glob("*.dist-info/METADATA"):
        trim_metadata(metadata)


def _split_off_docs_and_geo(staging: Path) -> tuple[Path, Path]:
    """Move the Swagger UI's files and the GEO_PACKAGES out of the staged layer into their own
    staged layers; those two."""
    docs_staging, geo_staging = BUILD_DIR / "docs-layer.tmp", BUILD_DIR / "geo-layer.tmp"
    for extra in (docs_staging, geo_staging):
        shutil.rmtree(extra, ignore_errors=True)
    (docs_staging / SWAGGER_UI_DIR).mkdir(parents=True)
    for name in SWAGGER_UI_FILES:
        (staging / SWAGGER_UI_DIR / name).rename(docs_staging / SWAGGER_UI_DIR / name)
    (geo_staging / "python").mkdir(parents=True)
    for path in (staging / "python").iterdir():
        if path.name.split("-")[0].split(".")[0] in GEO_PACKAGES:  # the package and its .dist-info
            path.rename(geo_staging / "python" / path.name)
    return docs_staging, geo_staging


def trim_metadata(path: Path) -> None:
    """Keep a METADATA's headers (name, version, entry points are what importlib.metadata reads);
    drop its body, the package's long description (pydantic's alone is 140 kB)."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("\n\n", 1)[0] + "\n", encoding="utf-8")


def sync_app() -> int:
    """Mirror the .py files of shared/ and functions/ (and APP_FILES) into APP_SOURCE_DIR; returns
    how many files changed."""
    wanted = _app_files()
    return _remove_unwanted(wanted) + _copy_changed(wanted)


def _app_files() -> dict[Path, Path]:
    """Each file the app is made of: its path in the app -> its source."""
    wanted: dict[Path, Path] = {Path(name): ROOT / name for name in APP_FILES}
    for package in APP_PACKAGES:
        for src in (ROOT / package).rglob("*.py"):
            if "__pycache__" not in src.parts:
                wanted[src.relative_to(ROOT)] = src
    return wanted


def _remove_unwanted(wanted: dict[Path, Path]) -> int:
    """Delete the files of APP_SOURCE_DIR the app is no longer made of, and the folders left empty;
    how many files."""
    removed = 0
    if APP_SOURCE_DIR.exists():
        for existing in sorted(APP_SOURCE_DIR.rglob("*"), reverse=True):  # children before their folders
            rel = existing.relative_to(APP_SOURCE_DIR)
            if existing.is_file() and rel not in wanted:
                existing.unlink()
                removed += 1
            elif existing.is_dir() and not any(existing.iterdir()):
                existing.rmdir()
    return removed


def _copy_changed(wanted: dict[Path, Path]) -> int:
    """Write the wanted files that are missing or differ into APP_SOURCE_DIR; how many."""
    copied = 0
    for rel, src in wanted.items():
        dest = APP_SOURCE_DIR / rel
        data = src.read_bytes()
        if rel.suffix == ".json":  # read by code only: without the indentation, half the size
            data = json.dumps(json.loads(data), separators=(",", ":")).encode()
        if not dest.is_file() or dest.read_bytes() != data:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            copied += 1
    return copied


def sync_portal_layer() -> int:
    """Mirror the portal page's files into PORTAL_LAYER_DIR/portal_page/ (their repository paths); how many
    changed."""
    copied = 0
    for rel in (*portal_page.ASSETS.values(), portal_page.INDEX):
        dest, data = PORTAL_LAYER_DIR / portal_page.LAYER_FOLDER / rel, (ROOT / rel).read_bytes()
        if not dest.is_file() or dest.read_bytes() != data:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            copied += 1
    return copied


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def handlers_load(app_dir: Path) -> set[str]:
    """The files every handler of the catalog loads at init and on first use, imported from app_dir
    as Lambda would (infra/bytecode.py)."""
    env = {**bytecode.LAMBDA_INIT_ENV, "AWS_EXECUTION_ENV": f"AWS_Lambda_python{PYTHON_VERSION}"}
    return bytecode.init_modules(app_dir, first_use_modules(), env)


def first_use_modules() -> dict[str, tuple[str, ...]]:
    """Each handler of the catalog -> the modules of ours it imports on first use, not at init: an API
    handler's routers (shared/api/lazy_routers.py), the stream processor's work (shared/streams/router.py)."""
    from shared.api.catalog import API_HANDLERS, EVENT_HANDLERS
    from shared.streams.router import work_modules

    first_use = {name: tuple(API_HANDLERS.get(name, ())) for name in [*API_HANDLERS, *EVENT_HANDLERS]}
    first_use["stream_processor"] = work_modules()
    return first_use


def compile_packages() -> bool:
    """Make LAYER_DIR and APP_DIR from their sources, with bytecode in place of what the handlers
    import at init (infra/bytecode.py); True when they were made again."""

    bytecode.check_python(PYTHON_VERSION)
    inputs = {"layer": LAYER_STAMP.read_text(), "app": tree_digest(APP_SOURCE_DIR),
              "first_use": ",".join(bytecode.FIRST_USE_IMPORTS)}
    done = json.loads(COMPILED_STAMP.read_text()) if COMPILED_STAMP.is_file() else {}
    if done.get("inputs") == inputs and LAYER_DIR.is_dir() and APP_DIR.is_dir():
        return False
    loaded = handlers_load(APP_SOURCE_DIR)
    app_modules = sorted(str(p.relative_to(APP_SOURCE_DIR)) for p in APP_SOURCE_DIR.rglob("*.py"))
    for source, final, inside, compiled in (
        (LAYER_SOURCE_DIR, LAYER_DIR, "python", sorted(bytecode.site_relative(loaded))),
        (APP_SOURCE_DIR, APP_DIR, "", app_modules),
    ):
        staging = final.with_name(final.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(source, staging, ignore=shutil.ignore_patterns("__pycache__"))
        bytecode.compile_sourceless(staging / inside, compiled, LAMBDA_PREFIX["layer" if inside else "app"])
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
    COMPILED_STAMP.write_text(json.dumps({"inputs": inputs}))
    return True


def bundle() -> None:
    """Build the assets; cheap when nothing changed. A file lock serializes concurrent runs."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with (BUILD_DIR.parent / ".bundle.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rebuilt = build_layer(uv_binary())
        changed = sync_app() + sync_portal_layer()
        compiled = compile_packages()
    print(f"bundle: layer {'rebuilt' if rebuilt else 'up to date'}, app {changed} file(s) changed, "
          f"packages {'compiled' if compiled else 'up to date'}", file=sys.stderr)


if __name__ == "__main__":
    bundle()
