"""`python -m dev.signup --email E --password P`, then `--code C`: self sign-up on the local Cognito pool.

As the web app does it against the deployed pool: SignUp (the pool emails a 6-digit code; locally
it lands in `.dev/mail`), then ConfirmSignUp with that code (the email is verified then). After
that, `python -m dev.signin` gives an ID token with no tenancy yet: `POST /organizations` with it,
then sign in again. `--resend` sends a new code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dev import settings
from dev.cognito import LocalPool


class SignUpError(Exception):
    """Cognito refused; the message is Cognito's."""


def _refused(exc: ClientError) -> SignUpError:
    error = exc.response.get("Error", {})
    return SignUpError(f"{error.get('Code')}: {error.get('Message')}")


def sign_up(pool: LocalPool, email: str, password: str, *, name: str = "") -> dict[str, Any]:
    """Cognito's SignUp answer (UserSub, CodeDeliveryDetails): the account waits for its code."""
    attributes = [{"Name": "email", "Value": email}, *([{"Name": "name", "Value": name}] if name else [])]
    try:
        answer: dict[str, Any] = pool.client.sign_up(ClientId=pool.signin_client_id, Username=email,
                                                     Password=password, UserAttributes=attributes)
    except ClientError as exc:
        raise _refused(exc) from None
    return answer


def confirm(pool: LocalPool, email: str, code: str) -> None:
    try:
        pool.client.confirm_sign_up(ClientId=pool.signin_client_id, Username=email, ConfirmationCode=code)
    except ClientError as exc:
        raise _refused(exc) from None


def resend(pool: LocalPool, email: str) -> None:
    try:
        pool.client.resend_confirmation_code(ClientId=pool.signin_client_id, Username=email)
    except ClientError as exc:
        raise _refused(exc) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dev.signup",
                                     description="Sign up on the local Cognito pool, then confirm with the emailed "
                                                 "code.")
    parser.add_argument("--email", required=True)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--password", help="sign up with this password (the code is emailed: .dev/mail)")
    what.add_argument("--code", help="confirm the sign-up with the emailed code")
    what.add_argument("--resend", action="store_true", help="email a new code")
    parser.add_argument("--name", default="", help="your name (sign-up only)")
    parser.add_argument("--dev-dir", type=Path, default=settings.DEV_DIR, help="where settings.env is")
    args = parser.parse_args(argv)
    settings.load_dev_environment(args.dev_dir)
    try:
        pool = LocalPool.find()
        if args.password:
            answer = sign_up(pool, args.email, args.password, name=args.name)
            where = answer.get("CodeDeliveryDetails", {}).get("Destination", args.email)
            sys.stdout.write(f"signed up: a verification code went to {where} (make dev: {args.dev_dir}/mail); "
                             f"then: python -m dev.signup --email {args.email} --code <code>\n")
        elif args.resend:
            resend(pool, args.email)
            sys.stdout.write(f"a new code went to {args.email}\n")
        else:
            confirm(pool, args.email, args.code)
            sys.stdout.write(f"confirmed: sign in with python -m dev.signin --email {args.email} --password ...\n")
    except (LookupError, SignUpError, BotoCoreError) as exc:
        sys.stderr.write(f"sign-up failed: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
