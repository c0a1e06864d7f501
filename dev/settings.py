"""The dev settings file `make dev` writes once (.dev/settings.env) and loads before any handler.

Locally the environment plays the part of the Lambda configuration: every process of the dev
stack (server, stream poller, token CLI) reads the same file, so a token minted by
`python -m dev.token` is accepted by the dev server. Variables already set in the shell win over
the file, as with any dotenv file; edit the file (or delete it to regenerate) to change defaults.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_DIR = ROOT / ".dev"
SETTINGS_FILE_NAME = "settings.env"


def default_settings() -> dict[str, str]:
    """What a fresh dev settings file holds; the signing key is random, generated once."""
    return {
        "TABLE_NAME": "fleetbridge-dev",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": "http://127.0.0.1:9229",  # the local Cognito (dev/cognito.py)
        "USER_POOL_ID": "us-east-1_fleetbridgeDev",  # the local pool's id
        "MAILER": "smtp",
        "MAIL_FROM": "noreply@fleetbridge.local",
        "SECRETS_CIPHER": "local",
        "LOCAL_SECRET_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": "1025",
        "ALLOW_LOOPBACK_HTTP": "true",
        "PORTAL_SIGNING_KEYS": f"dev1:{secrets.token_urlsafe(48)}",  # customer portal links
        "PICTURES_BUCKET": "fleetbridge-dev-pictures",  # presigned URLs only: no S3 locally
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "DEV_JWT_SECRET": secrets.token_urlsafe(48),
    }


def ensure_settings_file(dev_dir: Path = DEV_DIR) -> Path:
    """Write the settings file if it is absent (never overwrite: it holds the signing key)."""
    path = dev_dir / SETTINGS_FILE_NAME
    if not path.exists():
        dev_dir.mkdir(parents=True, exist_ok=True)
        lines = ["# Fleetbridge dev settings, written once by `make dev`. Delete this file to regenerate."]
        lines += [f"{k}={v}" for k, v in default_settings().items()]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
    else:  # a file from an older checkout: add the settings it lacks, keep every value it has
        present = read_settings_file(path)
        missing = [f"{k}={v}" for k, v in default_settings().items() if k not in present]
        if missing:
            with path.open("a") as out:
                out.write("\n".join(missing) + "\n")
    return path


def read_settings_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and `#` comments ignored, surrounding quotes stripped."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_dev_environment(dev_dir: Path = DEV_DIR) -> Path:
    """Create the settings file if needed and put its values into os.environ (the shell wins)."""
    path = ensure_settings_file(dev_dir)
    for key, value in read_settings_file(path).items():
        os.environ.setdefault(key, value)
    return path


MIN_SECRET_LENGTH = 32


def dev_jwt_secret() -> str:
    """The local token signing key, read from the environment at each call (tests change it)."""
    value = os.environ.get("DEV_JWT_SECRET", "")
    if len(value) < MIN_SECRET_LENGTH:
        problem = "is not set" if not value else f"is shorter than {MIN_SECRET_LENGTH} characters"
        raise RuntimeError(
            f"DEV_JWT_SECRET {problem}: run `make dev` once (it writes .dev/settings.env) or export one"
        )
    return value
