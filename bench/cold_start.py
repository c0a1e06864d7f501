"""Bench: cold start of every handler (import time in a fresh interpreter) and the package size.

Per handler of shared/api/catalog.py (read at run time: new handlers are included), the import of
`functions.<name>.handler` in a fresh interpreter, several times, median, against `import boto3`
alone in the same run (goal: at most 2x). Each subprocess imports as Lambda would: the bundled
app (build/lambda/app: bytecode only, infra/bytecode.py) first, only the packages the layer holds
plus what the runtime provides (any other installed package, e.g. a dev-only one, is not
importable), the tests' settings (tests/conftest.py TEST_ENV) with the Lambda markers and
tracing on as deployed, and no network (a connect raises). The layers are imported as built
(build/lambda: bytecode for what a handler imports at init, source for the rest, which is then
compiled at every import as on Lambda's read-only disk), except their compiled extensions, which
are arm64: this machine's build of the same version is loaded from site-packages instead. The
SDK comes from site-packages, as the runtime's; a first, untimed round writes its bytecode.
Then the size of each function's package (layer + app, unzipped; goal: under 15 MB) and a
check that boto3/botocore are not bundled. Prints figures; asserts nothing.

    .tools/bin/uv run --frozen python -m bench.cold_start [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path

from infra import bundle
from shared.api.catalog import API_HANDLERS, EVENT_HANDLERS

# What the Lambda Python runtime ships besides the stdlib: the SDK and its dependencies.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
GOAL_RATIO = 2.0
GOAL_MB = 15.0

# Runs in the fresh interpreter: argv[1] = JSON {"module", "app", "layers", "site", "allowed"}; prints the
# import's ms. sys.path as in Lambda: the app, the layers, the standard library, then (for the SDK the
# runtime provides) site-packages.
PROBE = """
import importlib, importlib.abc, importlib.machinery, json, socket, sys, time
spec = json.loads(sys.argv[1])
allowed = set(spec["allowed"]) | set(sys.stdlib_module_names)
layers, site = spec["layers"], spec["site"]

class NotInPackage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top not in allowed and not top.startswith("_sysconfigdata"):
            raise ModuleNotFoundError(f"{name} is not in the Lambda package", name=name)
        return None

class NativeFromSite(importlib.abc.MetaPathFinder):
    # the layer's compiled extensions are arm64: this machine's build of the same version instead
    def find_spec(self, name, path=None, target=None):
        mapped = [site + p[len(layer):] for p in (path or []) for layer in layers if p.startswith(layer)]
        found = importlib.machinery.PathFinder.find_spec(name, mapped) if mapped else None
        return found if found and isinstance(found.loader, importlib.machinery.ExtensionFileLoader) else None

def no_network(sock, address):
    raise ConnectionRefusedError(f"no network at import: {address!r}")

stdlib = [p for p in sys.path if p and "-packages" not in p and p.startswith(sys.base_prefix)]
sys.path[:] = [spec["app"], *layers, *stdlib, site]
sys.meta_path[:0] = [NotInPackage(), NativeFromSite()]
socket.socket.connect = no_network
start = time.perf_counter()
handler = importlib.import_module(spec["module"])
imported = time.perf_counter()
app = getattr(handler, "app", None)
if hasattr(app, "lazy_routers"):  # an API handler: every router, as the first request to each includes it
    app.lazy_routers.include_all(app)
for name in spec["first_use"]:
    importlib.import_module(name)
print(json.dumps([(imported - start) * 1000, (time.perf_counter() - imported) * 1000]))
"""


def lambda_env(handler: str) -> dict[str, str]:
    """The tests' settings plus what Lambda sets; tracing on, as the stack deploys it (Tracing.ACTIVE)."""
    from tests.conftest import TEST_ENV  # the same settings the tests use, so a new required one is here too

    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env.update(TEST_ENV)
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    env.update(
        LAMBDA_TASK_ROOT=str(bundle.APP_DIR),
        AWS_LAMBDA_FUNCTION_NAME=f"fleetbridge-{handler}",
        AWS_EXECUTION_ENV=f"AWS_Lambda_python{bundle.PYTHON_VERSION}",
        _HANDLER=f"functions.{handler}.handler.lambda_handler",
        POWERTOOLS_SERVICE_NAME="fleetbridge",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def layer_packages(layer_dir: Path = bundle.LAYER_DIR) -> list[str]:
    site = layer_dir / "python"
    return sorted({p.name.split(".")[0] for p in site.iterdir() if not p.name.endswith(".dist-info")})


def import_ms(module: str, handler: str, allowed: list[str], *, warm_up: bool = False) -> tuple[float, float]:
    """ms to import `module`, then ms to import what the handler imports on first use (its routers, its
    stream work: all of it, the most its first requests can add)."""
    extra_layer = bundle.DOCS_LAYER_DIR if handler == "docs" else bundle.GEO_LAYER_DIR
    first_use = [] if handler == "baseline" or handler in API_HANDLERS else bundle.first_use_modules()[handler]
    spec = json.dumps({"module": module, "app": str(bundle.APP_DIR), "allowed": allowed, "first_use": first_use,
                       "layers": [str(bundle.LAYER_DIR / "python"), str(extra_layer / "python")],
                       "site": sysconfig.get_paths()["purelib"]})
    env = lambda_env(handler)
    if warm_up:  # lets Python write the bytecode of the runtime's SDK (site-packages) where it has none yet
        env.pop("PYTHONDONTWRITEBYTECODE")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, spec],
        env=env,
        cwd=bundle.APP_DIR,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"importing {module} failed:\n{done.stderr.strip()}")
    imported, first_use_ms = json.loads(done.stdout.strip().splitlines()[-1])
    return float(imported), float(first_use_ms)


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bundle.bundle()  # the bench imports the bundled code; a no-op when nothing changed
    docs_allowed = [*layer_packages(), *RUNTIME_PACKAGES, *bundle.APP_PACKAGES]  # docs has no ZIP data
    allowed = [*docs_allowed, *layer_packages(bundle.GEO_LAYER_DIR)]
    handlers = [*API_HANDLERS, *EVENT_HANDLERS]

    for name in handlers:
        import_ms(f"functions.{name}.handler", name, docs_allowed if name == "docs" else allowed, warm_up=True)
    import_ms("boto3", "baseline", allowed, warm_up=True)
    # interleave the baseline with the handlers so both see the same machine load
    samples: dict[str, list[float]] = {name: [] for name in ["boto3", *handlers]}
    first_use: dict[str, list[float]] = {name: [] for name in handlers}
    for _ in range(args.runs):
        samples["boto3"].append(import_ms("boto3", "baseline", allowed)[0])
        for name in handlers:
            imported, then = import_ms(f"functions.{name}.handler", name, docs_allowed if name == "docs" else allowed)
            samples[name].append(imported)
            first_use[name].append(imported + then)
    baseline = statistics.median(samples["boto3"])

    print(f"cold start: import in a fresh interpreter, median of {args.runs} (goal <= {GOAL_RATIO:.0f}x boto3)")
    print("then, not part of the cold start: what the handler imports on first use (its routers, its stream work),")
    print("all of it: the most its first requests add, each paying for its own router once")
    print(f"{'module':40} {'median ms':>10} {'min ms':>8} {'x boto3':>8} {'with first use':>15} {'x boto3':>8}")
    print(f"{'import boto3 (baseline)':40} {baseline:10.1f} {min(samples['boto3']):8.1f} {1.0:8.2f}")
    over = []
    for name in handlers:
        median = statistics.median(samples[name])
        ratio = median / baseline
        if ratio > GOAL_RATIO:
            over.append(name)
        total = statistics.median(first_use[name])
        print(f"{'functions.' + name + '.handler':40} {median:10.1f} {min(samples[name]):8.1f} {ratio:8.2f}"
              f" {total:15.1f} {total / baseline:8.2f}")
    worst = max(handlers, key=lambda n: statistics.median(samples[n]))
    print(f"worst: {worst} {statistics.median(samples[worst]) / baseline:.2f}x; over the goal: {over or 'none'}")

    layer = tree_bytes(bundle.LAYER_DIR)
    app = tree_bytes(bundle.APP_DIR)
    docs_assets = tree_bytes(bundle.DOCS_LAYER_DIR)
    geo_data = tree_bytes(bundle.GEO_LAYER_DIR)
    site = bundle.LAYER_DIR / "python"
    bundled_sdk = [name for name in ("boto3", "botocore") if (site / name).exists() or (bundle.APP_DIR / name).exists()]
    print()
    for who, extra, label in (("every function but docs", geo_data, f" + ZIP data layer {geo_data / 1e6:.1f} MB"),
                              ("the docs function", docs_assets, f" + Swagger UI layer {docs_assets / 1e6:.1f} MB")):
        total_mb = (layer + app + extra) / 1e6
        print(f"package of {who} (unzipped): layer {layer / 1e6:.1f} MB + app {app / 1e6:.1f} MB{label} = "
              f"{total_mb:.1f} MB (goal < {GOAL_MB:.0f} MB: {'met' if total_mb < GOAL_MB else 'NOT met'})")
    print(f"boto3/botocore bundled: {bundled_sdk or 'no (the runtime provides them)'}")
    largest = sorted(((tree_bytes(p) if p.is_dir() else p.stat().st_size, p.name) for p in site.iterdir()),
                     reverse=True)[:6]
    print("largest in the layer: " + ", ".join(f"{n} {b / 1e6:.1f} MB" for b, n in largest))


if __name__ == "__main__":
    main()
