"""`python -m dev.token --sub SUB [--org ORG --role ROLE]`: print a token the dev server accepts.

It reads (or first writes) the same .dev/settings.env as `make dev`, so both use one key.
Use it as `TOKEN=$(python -m dev.token ...)`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from dev import settings, tokens
from shared.auth.principal import Role


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dev.token", description="Mint a local JWT for the dev server.")
    parser.add_argument("--sub", required=True, help="user id (the token's sub)")
    parser.add_argument("--org", help="org_id (custom:org_id); omit for a user in no organization yet")
    parser.add_argument("--role", choices=[r.value for r in Role], help="role (custom:role); needs --org")
    parser.add_argument("--email", help="email claim")
    parser.add_argument("--hours", type=float, default=tokens.DEFAULT_TTL.total_seconds() / 3600,
                        help="validity in hours (default %(default)s)")
    parser.add_argument("--dev-dir", type=Path, default=settings.DEV_DIR, help="where settings.env is")
    args = parser.parse_args(argv)
    if bool(args.org) != bool(args.role):
        parser.error("--org and --role go together")
    settings.load_dev_environment(args.dev_dir)
    token = tokens.mint(args.sub, org_id=args.org, role=args.role, email=args.email,
                        issue=tokens.Issue(ttl=timedelta(hours=args.hours)))
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
