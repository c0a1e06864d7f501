"""The shared dependency layer and the one way every Fleetbridge function is built.

Each function gets its own role (no shared role, no AWS-managed policy), its own log group,
arm64, X-Ray, the same settings and read/write on the table only; callers add what else it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.bundle import APP_DIR, DOCS_LAYER_DIR, GEO_LAYER_DIR, LAYER_DIR, PORTAL_LAYER_DIR
from infra.constructs.nag import acknowledge

# What our data access does on the table and its indexes: items by key, Query, batches, and
# transactions (whose items need the per-item actions). No Scan: no code path scans (every list is
# a Query), so IAM refuses one too. CDK's grant_read_write_data would add Scan.
TABLE_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
# a function that only reads: items by key, Query, batch reads
TABLE_READ_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query")


class TableAccess(Enum):
    """What a function may do on the table: nothing (the public docs), read (TABLE_READ_ACTIONS), or
    read and write (TABLE_ACTIONS)."""

    NONE = ()
    READ = TABLE_READ_ACTIONS
    READ_WRITE = TABLE_ACTIONS


# infra/bundle.py installs the layer for exactly this interpreter and architecture.
RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.ARM_64


class LambdaRuntime(Construct):
    """Owns the layer and the app code asset; `function()` builds a least-privilege function."""

    def __init__(
        self, scope: Construct, construct_id: str, *, table: dynamodb.Table, environment: Mapping[str, str]
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = table
        self.environment = {"TABLE_NAME": table.table_name, **environment}
        self.layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(LAYER_DIR)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Fleetbridge runtime dependencies (uv.lock, without boto3/botocore)",
        )
        # the Swagger UI's static files, for the docs function only (infra/bundle.py)
        self.docs_layer = lambda_.LayerVersion(
            self,
            "DocsAssets",
            code=lambda_.Code.from_asset(str(DOCS_LAYER_DIR)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Swagger UI static files for the docs function (/swagger)",
        )
        # the ZIP centroid data, for every function but docs (infra/bundle.py)
        self.geo_layer = lambda_.LayerVersion(
            self,
            "GeoData",
            code=lambda_.Code.from_asset(str(GEO_LAYER_DIR)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="ZIP code centroids (zipcodes) for every function but docs",
        )
        # the customer portal page and its npm libraries, for the portal function only (infra/bundle.py)
        self.portal_layer = lambda_.LayerVersion(
            self,
            "PortalPage",
            code=lambda_.Code.from_asset(str(PORTAL_LAYER_DIR)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="The customer portal page (GET /portal): HTML, CSS, script, Leaflet, US states outline",
        )
        self.code = lambda_.Code.from_asset(str(APP_DIR))

    def function(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        description: str,
        timeout: Duration,
        memory_size: int = 512,
        table_access: TableAccess = TableAccess.READ_WRITE,
    ) -> lambda_.Function:
        """The function for `functions/<handler>/handler.py`, with its own role and log group.

        `table_access`: NONE for functions that must never read tenant data (the public docs), READ
        for those that only read it.
        """
        role = iam.Role(
            scope,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Fleetbridge {handler} function",
        )
        log_group = logs.LogGroup(scope, f"{construct_id}Logs", retention=logs.RetentionDays.THREE_MONTHS)
        log_group.grant_write(role)
        fn = lambda_.Function(
            scope,
            construct_id,
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=f"functions.{handler}.handler.lambda_handler",
            code=self.code,
            # the docs function gets the Swagger UI files instead of the ZIP data (bench/cold_start.py: size)
            layers=[self.layer, self.docs_layer if handler == "docs" else self.geo_layer,
                    *([self.portal_layer] if handler == "portal" else [])],
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            timeout=timeout,
            memory_size=memory_size,
            environment=dict(self.environment),
        )
        if table_access is not TableAccess.NONE:
            self.table.grant(role, *table_access.value)
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::<{self._table_logical_id()}.Arn>/index/*]",
                "Access to this table's own GSIs (gsi1, gsi2, ...), no more than to the table: index ARNs under "
                "the one table ARN.",
            )
        self._acknowledge(fn, role)
        return fn

    def _acknowledge(self, fn: lambda_.Function, role: iam.Role) -> None:
        acknowledge(
            fn,
            "AwsSolutions-L1",
            "Pinned to python3.11 on purpose: the layer is built for 3.11 from uv.lock, and the venv, mypy "
            "and tests run 3.11; upgrade runtime, bundle (PYTHON_VERSION) and venv together.",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray: xray:PutTraceSegments/PutTelemetryRecords support no resource-level permissions "
            "(Tracing.ACTIVE adds them); neither does dynamodb:ListStreams, which the stream processor's "
            "event source mapping needs. No other action of these roles has a * resource.",
        )

    def _table_logical_id(self) -> str:
        """How cdk-nag names the table in findings: `<LogicalId.Arn>`."""
        default_child = self.table.node.default_child
        assert isinstance(default_child, dynamodb.CfnTable)
        return str(self.table.stack.resolve(default_child.logical_id))
