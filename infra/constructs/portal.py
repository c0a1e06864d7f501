"""Customer portal resources: the link signing keys (Secrets Manager) and the pictures bucket.

Only the two portal functions get them: `customers` (the vendor issues links, uploads pictures)
and `portal` (checks links, presigns picture reads). Neither is in the shared environment.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.nag import acknowledge

PICTURES_PREFIX = "vendors/*"  # shared/portal/setup/pictures.py: vendors/{org}/sites/{site}/...


class Portal(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, portal_fn: lambda_.Function,
                 customers_fn: lambda_.Function, app_base_url: str) -> None:
        super().__init__(scope, construct_id)
        # {"current": "k1", "k1": "<64 random characters>"}: rotate by adding a key id, then switching
        # `current`; keep the old key while links signed with it live (6 months). shared/portal/keys.py
        self.signing_secret = secretsmanager.Secret(
            self,
            "SigningKeys",
            description="Fleetbridge customer portal: HMAC keys of portal links and sessions",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template='{"current": "k1"}',
                generate_string_key="k1",
                exclude_punctuation=True,
                password_length=64,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.signing_secret,
            "AwsSolutions-SMG4",
            "Portal link keys rotate by hand with two keys live (add a key id, switch `current`, drop the old "
            "one after the 6 months its links live); a Lambda rotation that replaced the key would cut every "
            "customer's link at once.",
        )
        access_logs = s3.Bucket(
            self,
            "PicturesAccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(access_logs, "AwsSolutions-S1",
                    "This bucket receives the pictures bucket's server access logs; logging it again would loop.")
        self.pictures = s3.Bucket(
            self,
            "Pictures",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="pictures/",
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.PUT],
                              allowed_origins=[app_base_url], allowed_headers=["content-type"], max_age=3000)],
            removal_policy=RemovalPolicy.RETAIN,
        )
        for fn in (portal_fn, customers_fn):
            self.signing_secret.grant_read(fn)
            fn.add_environment("PORTAL_SIGNING_SECRET_ARN", self.signing_secret.secret_arn)
            fn.add_environment("PICTURES_BUCKET", self.pictures.bucket_name)
        self.pictures.grant_read(portal_fn, PICTURES_PREFIX)  # presigned GETs are signed with this role
        self.pictures.grant_put(customers_fn, PICTURES_PREFIX)  # presigned uploads
        for fn in (portal_fn, customers_fn):
            assert fn.role is not None
            acknowledge(
                fn.role,
                f"AwsSolutions-IAM5[Resource::<{self._logical_id()}.Arn>/vendors/*]",
                "Pictures live under vendors/{org}/sites/{site}/; the function presigns URLs for one site's keys "
                "at a time, which the code checks (shared/portal/setup/pictures.py): the prefix is the narrowest ARN.",
            )
            acknowledge(fn.role, "AwsSolutions-IAM5[Action::s3:GetObject*]",
                        "grant_read's object reads (GetObject, GetObjectVersion...) on the pictures prefix only.")
            acknowledge(fn.role, "AwsSolutions-IAM5[Action::s3:List*]",
                        "grant_read lists the pictures bucket only (bucket ARN), for a 404 instead of a 403.")
            acknowledge(fn.role, "AwsSolutions-IAM5[Action::s3:GetBucket*]",
                        "grant_read's bucket metadata reads on the pictures bucket only.")
            acknowledge(fn.role, "AwsSolutions-IAM5[Action::s3:Abort*]",
                        "grant_put lets an upload abort a multipart upload under the pictures prefix only.")

    def _logical_id(self) -> str:
        default_child = self.pictures.node.default_child
        assert isinstance(default_child, s3.CfnBucket)
        return str(self.pictures.stack.resolve(default_child.logical_id))
