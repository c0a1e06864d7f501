"""`python -m dev.signin --email E --password P`: sign in to the local Cognito pool, print the ID token.

InitiateAuth (USER_PASSWORD_AUTH, with the dev-only `dev-signin` client: dev/cognito.py) against
the running `make dev` stack, whose Cognito address is in .dev/settings.env. The ID token carries
the tenancy the token_claims trigger read from the table at this sign-in (so after
`POST /organizations`, sign in again). Use it as `TOKEN=$(python -m dev.signin --email ... --password ...)`.
A user an admin created with a temporary password must choose one: `--new-password`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dev import settings
from dev.cognito import LocalPool


class SignInError(Exception):
    """Cognito refused; the message is Cognito's, with what to do."""


def _result(answer: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = answer["AuthenticationResult"]
    return result


def sign_in(pool: LocalPool, email: str, password: str, *, new_password: str | None = None) -> dict[str, Any]:
    """Cognito's AuthenticationResult (IdToken, AccessToken, RefreshToken, ExpiresIn) for this person."""
    try:
        answer = pool.client.initiate_auth(ClientId=pool.signin_client_id, AuthFlow="USER_PASSWORD_AUTH",
                                           AuthParameters={"USERNAME": email, "PASSWORD": password})
        if answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            if not new_password:
                raise SignInError("a temporary password: choose yours with --new-password")
            answer = pool.client.respond_to_auth_challenge(
                ClientId=pool.signin_client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=answer["Session"],
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password})
        elif "ChallengeName" in answer:
            raise SignInError(f"Cognito asks for {answer['ChallengeName']}, which dev.signin does not answer")
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SignInError(f"{error.get('Code')}: {error.get('Message')}") from None
    return _result(answer)


def refresh(pool: LocalPool, refresh_token: str) -> dict[str, Any]:
    """New ID and access tokens (the trigger runs again: a role change or a removal shows here)."""
    try:
        answer = pool.client.initiate_auth(ClientId=pool.signin_client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                           AuthParameters={"REFRESH_TOKEN": refresh_token})
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SignInError(f"{error.get('Code')}: {error.get('Message')}") from None
    return _result(answer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dev.signin",
                                     description="Sign in to the local Cognito pool; print the ID token.")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--new-password", help="for a first sign-in with a temporary password")
    parser.add_argument("--dev-dir", type=Path, default=settings.DEV_DIR, help="where settings.env is")
    args = parser.parse_args(argv)
    settings.load_dev_environment(args.dev_dir)
    try:
        result = sign_in(LocalPool.find(), args.email, args.password, new_password=args.new_password)
    except (LookupError, SignInError, BotoCoreError) as exc:  # BotoCoreError: nothing listens (no `make dev`?)
        sys.stderr.write(f"sign-in failed: {exc}\n")
        return 1
    sys.stdout.write(result["IdToken"] + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
