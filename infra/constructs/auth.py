"""The Cognito user pool whose JWTs carry `custom:org_id` and `custom:role` (spec: tenancy).

Their values come from our table, not from Cognito's attributes: the Pre Token Generation trigger
(functions/token_claims) puts them in each ID token, with `custom:user_id` (shared/orgs/tenancy.py).

Anyone may sign up (a new fleet or vendor starts on its own), and proves their email address with
a code first: an unconfirmed account cannot sign in, and a token carries tenancy only for a
verified address. Cognito sends that code through SES from our sender address (its own email
service stops at 50 a day). The abuse limits, Cognito's and ours, are in docs/security.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.constructs.runtime import LambdaRuntime, TableAccess

TENANCY_ATTRIBUTES = ("org_id", "role")
# the sign-up code's email (dev/cognito.py has the same words for the local pool; tests/test_infra.py compares)
VERIFICATION_SUBJECT = "Your Fleetbridge verification code"
VERIFICATION_MESSAGE = ("Your Fleetbridge verification code is {####}. Enter it where you signed up to confirm your "
                        "email address; it works for 24 hours. If you did not sign up for Fleetbridge, ignore this "
                        "email: no account opens without the code.")
# what keeping a user's account in step takes (shared/orgs/accounts.py), on this pool only
ACCOUNT_ACTIONS = ("cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminEnableUser",
                   "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminDisableUser",
                   "cognito-idp:AdminUserGlobalSignOut", "cognito-idp:AdminUpdateUserAttributes")


@dataclass(frozen=True)
class PoolOptions:
    """Per environment (cdk.json context): who Cognito's emails come from, and whether to pay for threat protection."""

    mail_from: str
    mail_from_domain: str  # SES's verified identity
    threat_protection: bool = False  # the Plus feature plan: adaptive authentication, compromised credentials


class Auth(Construct):
    """User pool, web client and token trigger. Users cannot write their own org or role, and the
    tokens carry the table's, whatever the attributes say."""

    def __init__(self, scope: Construct, construct_id: str, *, runtime: LambdaRuntime, options: PoolOptions) -> None:
        super().__init__(scope, construct_id)
        plus = options.threat_protection
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=True,  # a new organization starts on its own (POST /organizations)
            user_verification=cognito.UserVerificationConfig(
                email_style=cognito.VerificationEmailStyle.CODE, email_subject=VERIFICATION_SUBJECT,
                email_body=VERIFICATION_MESSAGE),
            email=cognito.UserPoolEmail.with_ses(from_email=options.mail_from, from_name="Fleetbridge",
                                                 ses_verified_domain=options.mail_from_domain, ses_region=Aws.REGION),
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            custom_attributes={
                name: cognito.StringAttribute(min_len=1, max_len=64, mutable=True) for name in TENANCY_ATTRIBUTES
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS if plus else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION if plus else None,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(*TENANCY_ATTRIBUTES),
            # Not the tenancy attributes: a user who could write custom:role could promote itself.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True, fullname=True),
        )
        # reads the user holding the verified email (two GetItems); Cognito waits at most 5 s for a trigger
        self.token_claims: lambda_.Function = runtime.function(
            self,
            "TokenClaimsFunction",
            handler="token_claims",
            description="Fleetbridge token_claims: each ID token's org, role and user id, from the table",
            timeout=Duration.seconds(5),
            table_access=TableAccess.READ,
        )
        self.user_pool.add_trigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION, self.token_claims)
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional (TOTP) so organizations can enforce it for their own users; requiring it "
            "pool-wide is a product decision not made yet.",
        )
        if not plus:
            acknowledge(
                self.user_pool,
                "AwsSolutions-COG8",
                "Essentials tier by default: threat protection (Plus) is a per-environment cost decision, turned "
                "on with `-c cognito_threat_protection=true`. Without it, sign-up needs a verified email, tenancy "
                "needs a verified email, and POST /organizations is limited per source IP (docs/security.md).",
            )

    def keep_accounts(self, fn: lambda_.Function) -> None:
        """`fn` creates, enables and disables this pool's users (the stream processor: shared/orgs/accounts.py)."""
        fn.add_environment("USER_POOL_ID", self.user_pool.user_pool_id)
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=list(ACCOUNT_ACTIONS), resources=[self.user_pool.user_pool_arn]))
