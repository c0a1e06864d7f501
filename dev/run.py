"""`make dev`: the whole system on this machine, stopped by one Ctrl-C.

DynamoDB Local (in memory) with the table, the local Cognito user pool (dev/cognito.py: its
ID tokens carry what the token_claims trigger reads from the table), the SMTP sink, the stream
poller driving the stream processor, the HTTP API on http://localhost:3000, then the demo data,
a Cognito account per demo user (password in the banner) and an ID token of its sign-in. The dev
settings are loaded into the environment before anything imports a handler: handlers read their
settings once, at cold start, as in Lambda.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
import socket
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlsplit

from dev import settings as dev_settings

log = logging.getLogger("dev.run")
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
FLEETROCK_PORT = 3100  # the Fleetrock stand-in (dev/fleetrock_standin.py)
SUBSCRIBER_PORT = 3200  # the demo fleet's push subscriber (dev/push_subscriber.py)


def port_taken(port: int) -> bool:
    """Something listens on `port` (IPv4, or IPv6 loopback where `localhost` may go first)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    try:
        with socket.create_connection(("::1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C (and TERM/HUP) until the block is done; they are delivered right after."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _pump(stream: IO[bytes] | None) -> None:
    """Read DynamoDB Local's stderr so a full pipe never blocks it; show what it says."""
    for line in stream or ():
        log.warning("dynamodb-local: %s", line.decode(errors="replace").rstrip())


def _start(stack: ExitStack, http_port: int, dev_dir: Path) -> tuple[list[Any], Any]:
    """Start every part, registering how to stop it; returns the seeded demo users and the local pool."""
    import boto3

    from dev import dynamodb_local, fleetrock_seed, push_seed
    from dev.cognito import ENDPOINT_VARIABLE, CognitoEmulator, port_of
    from dev.fleetrock_standin import FleetrockStandin
    from dev.id_tokens import CognitoVerifier
    from dev.push_retry_timer import PushRetryTimer
    from dev.push_subscriber import PushSubscriber
    from dev.refresh import RefreshSweepTimer
    from dev.server import DevApiServer, serve_in_thread
    from dev.smtp_sink import SmtpSink
    from dev.stream_poller import DEFAULT_TARGET, StreamPoller
    from shared.db.table import create_table
    from shared.settings import get_settings

    settings = get_settings()
    endpoint = settings.dynamodb_endpoint or ""
    with _signals_deferred():  # Java runs in its own session: Ctrl-C now must not orphan it
        proc = dynamodb_local.start(urlsplit(endpoint).port or 8000, new_session=True)
        stack.callback(dynamodb_local.stop, proc)
    threading.Thread(target=_pump, args=(proc.stderr,), name="dynamodb-local-stderr", daemon=True).start()
    create_table(boto3.client("dynamodb", endpoint_url=endpoint), settings.table_name)
    emulator = CognitoEmulator(port_of(os.environ[ENDPOINT_VARIABLE]), region=settings.aws_region,
                               pool_id=settings.user_pool_id)
    pool = emulator.start()  # its sign-ins run functions/token_claims, as the pool's trigger in AWS
    stack.callback(emulator.stop)

    for old in (dev_dir / "mail").glob("*.eml"):  # mail of the previous run; its data is gone
        old.unlink()
    (dev_dir / "dead-letters.jsonl").unlink(missing_ok=True)
    sink = SmtpSink(settings.smtp_port, host=settings.smtp_host, mail_dir=dev_dir / "mail")
    sink.start()
    stack.callback(sink.stop)

    if importlib.util.find_spec(DEFAULT_TARGET) is None:
        print(f"!! {DEFAULT_TARGET} does not exist yet: the table's stream is not processed", file=sys.stderr)
    else:
        poller = StreamPoller.from_settings(dead_letter_path=dev_dir / "dead-letters.jsonl")
        poller.start()
        stack.callback(poller.stop)
    retry_timer = PushRetryTimer()  # push_retry, as EventBridge Scheduler runs it every minute in AWS
    retry_timer.start()
    stack.callback(retry_timer.stop)
    sweep_timer = RefreshSweepTimer()  # maintenance_refresh's every-minute sweep (refresh retries)
    sweep_timer.start()
    stack.callback(sweep_timer.stop)
    subscriber = PushSubscriber(dev_dir / "push", port=SUBSCRIBER_PORT).start()  # verifies and keeps pushes
    stack.callback(subscriber.stop)
    push_seed.use(subscriber)

    server = DevApiServer(("127.0.0.1", http_port), cognito=CognitoVerifier(pool))
    serve_in_thread(server)
    standin = FleetrockStandin(("127.0.0.1", FLEETROCK_PORT)).start()  # fleetrock.md: the stand-in
    stack.callback(standin.stop)
    fleetrock_seed.use(standin, api_url=f"http://localhost:{http_port}")
    stack.callback(server.server_close)
    stack.callback(server.shutdown)
    return _seed(), pool


def _seed() -> list[Any]:
    try:
        from dev.seed import seed_demo
    except ModuleNotFoundError as exc:
        if exc.name != "dev.seed":
            raise
        print("!! dev/seed.py does not exist yet: no demo data (mint tokens with dev.token, below)")
        return []
    return list(seed_demo())


def _demo_accounts(pool: Any, users: list[Any]) -> dict[str, str]:
    """A Cognito account per demo user with DEMO_PASSWORD, signed in once: email -> ID token. An organization's
    creator gets one here (in AWS they sign up first); a user an admin added gets theirs from the stream, with an
    invitation in .dev/mail (shared/orgs/accounts.py): we wait for it, then set the demo password."""
    from dev.cognito import DEMO_PASSWORD, add_account, wait_for_account
    from dev.signin import sign_in

    id_tokens: dict[str, str] = {}
    for user in users:
        if getattr(user, "added", False):
            wait_for_account(pool, str(user.email))
        add_account(pool, str(user.email), DEMO_PASSWORD, name=f"Demo {user.role}")
        id_tokens[str(user.email)] = sign_in(pool, str(user.email), DEMO_PASSWORD)["IdToken"]
    return id_tokens


def _banner(http_port: int, dev_dir: Path, users: list[Any], id_tokens: dict[str, str]) -> str:
    from dev.cognito import DEMO_PASSWORD
    from shared.settings import get_settings

    s = get_settings()
    api = f"localhost:{http_port}"
    dev_dir_arg = "" if dev_dir == dev_settings.DEV_DIR else f" --dev-dir {dev_dir}"
    mint = ".venv/bin/python -m dev.token" + dev_dir_arg
    signin = ".venv/bin/python -m dev.signin" + dev_dir_arg
    lines = [
        "",
        "Fleetbridge dev stack is up (Ctrl-C stops everything):",
        f"  API        http://{api}   docs: http://{api}/swagger",
        f"  DynamoDB   {s.dynamodb_endpoint}   table {s.table_name}, in memory",
        f"  Cognito    {os.environ.get('AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER')}   user pool fleetbridge-dev "
        "(moto), in memory; each sign-in runs the token_claims trigger",
        f"  SMTP sink  {s.smtp_host}:{s.smtp_port}   mail in {dev_dir / 'mail'}/<n>.eml",
        f"  Stream     dead letters in {dev_dir / 'dead-letters.jsonl'}",
        f"  Settings   {dev_dir / dev_settings.SETTINGS_FILE_NAME}",
        "",
    ]
    rows = [(str(u.role), str(u.org_name), str(u.email), id_tokens[str(u.email)]) for u in users
            if str(u.email) in id_tokens]
    if rows:
        widths = [max(len(r[i]) for r in [("ROLE", "ORG", "EMAIL", ""), *rows]) for i in range(3)]
        lines.append(f"Demo users, each with the password {DEMO_PASSWORD} (ID tokens of a sign-in, valid 1 h):")
        for role, org, email, token in [("ROLE", "ORG", "EMAIL", "ID TOKEN"), *rows]:
            lines.append(f"  {role:<{widths[0]}}  {org:<{widths[1]}}  {email:<{widths[2]}}  {token}")
        first = rows[0]
        lines += ["", f"Try it ({first[0]} of {first[1]}):", f"  export TOKEN={first[3]}",
                  f"  export TOKEN=$({signin} --email {first[2]} --password '{DEMO_PASSWORD}')   # a new one"]
    else:
        lines += ["Try it:", f"  export TOKEN=$({mint} --sub usr_dev --org org_dev --role customer_admin)"]
    lines += [
        f'  curl -H "Authorization: Bearer $TOKEN" {api}/assets',
        f'  curl -H "Authorization: Bearer $TOKEN" {api}/me',
        f"  curl -i {api}/audit      # 401: no token",
        f"  {mint} --sub SUB --org ORG --role ROLE   # a locally signed token (HS256): a shortcut AWS lacks",
        "",
    ]
    lines += _portal_lines(api)
    lines += _fleetrock_lines(api)
    return "\n".join(lines)


def _portal_lines(api: str) -> list[str]:
    """A working customer-portal link of the demo data: open it, then look at the sites."""
    from dev.portal_seed import DEMO

    if "link_token" not in DEMO:
        return []
    from shared.portal.setup.links import link_url  # the page the emailed link opens (settings are read by now)

    session = (f"curl -s -X POST -H \"Authorization: Bearer $LINK\" {api}/portal/session"
               " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"session_token\"])'")
    return [
        "Customer portal (Dana Reyes of Harborview Apartments, a customer of Bay State Truck Repair):",
        f"  open in a browser: {link_url(str(DEMO['link_token']))}",
        f"  export LINK={DEMO['link_token']}",
        f"  export PORTAL=$({session})",
        f'  curl -H "Authorization: Bearer $PORTAL" {api}/portal/sites',
        "",
    ]


def _fleetrock_lines(api: str) -> list[str]:
    """The demo fleet's Fleetrock integration: the stand-in's repair order shows In Shop."""
    from dev.fleetrock_seed import DEMO

    if "integration_id" not in DEMO:
        return []
    control = f"localhost:{FLEETROCK_PORT}/_standin"
    return [
        f"Fleetrock stand-in on http://127.0.0.1:{FLEETROCK_PORT} (integration {DEMO['integration_id']}); "
        f"truck {DEMO['truck']} is In Shop from repair order RO-5001:",
        f'  curl -H "Authorization: Bearer $TOKEN" {api}/dispatch/assets',
        f"  curl {control}/repair_orders -H 'Content-Type: application/json' "
        f"-d '{{\"id\": \"RO-5001\", \"status\": \"Finished\"}}'   # Fleetrock changes it; its bare webhook; "
        f"a status_changed push reaches the subscriber on 127.0.0.1:{SUBSCRIBER_PORT} in seconds (.dev/push/)",
        f'  curl -H "Authorization: Bearer $TOKEN" {api}/assets/{DEMO.get("truck_id", "<asset id>")}/events'
        "   # its repair orders",
        f'  curl -H "Authorization: Bearer $TOKEN" {api}/integrations/{DEMO["integration_id"]}/webhook-samples'
        "   # what Fleetrock sent (admins)",
        f"Daily maintenance refresh now (pushes a signed snapshot to the subscriber on 127.0.0.1:{SUBSCRIBER_PORT}, "
        "which verifies it; deliveries in .dev/push/):",
        "  make refresh",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dev.run", description="Run Fleetbridge locally.")
    parser.add_argument("--port", type=int, default=3000, help="HTTP API port (default %(default)s)")
    parser.add_argument("--dev-dir", type=Path, default=dev_settings.DEV_DIR, help="settings, mail, dead letters")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("mail.log", "botocore.credentials", "pynamodb", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", "No application metrics to publish")  # metrics are off locally

    settings_file = dev_settings.load_dev_environment(args.dev_dir)  # before any handler module is imported
    from shared.settings import SettingsError, get_settings

    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"{exc}: check {settings_file} (or delete it to regenerate)", file=sys.stderr)
        return 2
    dynamodb_port = urlsplit(settings.dynamodb_endpoint or "").port
    if dynamodb_port is None:
        print("AWS_ENDPOINT_URL_DYNAMODB must be http://127.0.0.1:<port> for DynamoDB Local", file=sys.stderr)
        return 2
    from dev.cognito import ENDPOINT_VARIABLE, port_of

    try:
        cognito_port = port_of(os.environ.get(ENDPOINT_VARIABLE, ""))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    for port, what in ((args.port, "the HTTP API"), (dynamodb_port, "DynamoDB Local"), (cognito_port, "Cognito"),
                       (settings.smtp_port, "the SMTP sink"), (FLEETROCK_PORT, "the Fleetrock stand-in"),
                       (SUBSCRIBER_PORT, "the push subscriber")):
        if port_taken(port):
            print(f"port {port} is taken, and {what} needs it: stop what uses it (another `make dev`?) "
                  f"or change it ({'--port' if what == 'the HTTP API' else settings_file})",
                  file=sys.stderr)
            return 1

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    with ExitStack() as stack:
        try:
            users, pool = _start(stack, args.port, args.dev_dir)
            print(_banner(args.port, args.dev_dir, users, _demo_accounts(pool, users)), flush=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nstopping the dev stack ...", flush=True)
        finally:
            for sig in _STOP_SIGNALS:  # a second Ctrl-C must not cut the cleanup short
                signal.signal(sig, signal.SIG_IGN)
    print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
