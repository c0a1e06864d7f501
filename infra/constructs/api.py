"""The REST API: one Lambda per API handler of shared/api/catalog.py, Cognito in front of all but docs.

Routes come from the same catalog the local dev server uses, so both serve the same paths.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.auth import Auth, PoolOptions
from infra.constructs.nag import acknowledge
from infra.constructs.runtime import LambdaRuntime, TableAccess
from shared.api.catalog import (
    API_HANDLERS,
    PUBLIC_HANDLERS,
    READ_ONLY_HANDLERS,
    SELF_AUTHENTICATED_HANDLERS,
    segments_of,
)
from shared.api.cors import app_origin

STAGE_NAME = "v1"
# seconds; 15 unless a handler waits on a third party: integrations calls Fleetrock up to 3 times at
# 7 s at most each (shared/fleetrock/integration/credentials.py), under API Gateway's 29 s
REQUEST_TIMEOUTS = {"integrations": 25}
# Gateway-made errors (before our code runs), in the same shape our handlers answer with.
GATEWAY_ERRORS: dict[apigw.ResponseType, tuple[str | None, str]] = {
    apigw.ResponseType.DEFAULT_4_XX: (None, "bad_request"),
    apigw.ResponseType.DEFAULT_5_XX: (None, "internal_error"),
    apigw.ResponseType.UNAUTHORIZED: ("401", "unauthenticated"),
    apigw.ResponseType.ACCESS_DENIED: ("403", "forbidden"),
    apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN: ("404", "not_found"),  # what API GW says for no route
    apigw.ResponseType.REQUEST_TOO_LARGE: ("413", "payload_too_large"),
    apigw.ResponseType.THROTTLED: ("429", "too_many_requests"),
    apigw.ResponseType.QUOTA_EXCEEDED: ("429", "too_many_requests"),
}


def _error_template(code: str) -> str:
    body = json.dumps({"error": {"code": code, "message": "MESSAGE", "details": []}})
    # $context.error.messageString is API Gateway's message as a quoted JSON string.
    return body.replace('"MESSAGE"', "$context.error.messageString")


def _table_access(handler: str) -> TableAccess:
    if handler in PUBLIC_HANDLERS:  # public routes never touch tenant data
        return TableAccess.NONE
    return TableAccess.READ if handler in READ_ONLY_HANDLERS else TableAccess.READ_WRITE


class _ProxyIntegration(apigw.LambdaIntegration):
    """A Lambda proxy integration that grants no invoke permission per method: Api grants one per
    path segment instead. Per method, the connections function alone had 36 statements (14 KB of
    the 20 KB a function's resource policy may hold), and each was one of the stack's 500 resources."""

    def __init__(self, handler: lambda_.IFunction) -> None:
        super().__init__(handler, proxy=True, allow_test_invoke=False)

    def bind(self, method: apigw.Method) -> apigw.IntegrationConfig:
        config = super().bind(method)
        for child in list(method.node.children):
            if isinstance(child, lambda_.CfnPermission):
                method.node.try_remove_child(child.node.id)
        return config


class Api(Construct):
    """RestApi + Cognito authorizer + one function per API handler, logged and traced."""

    def __init__(self, scope: Construct, construct_id: str, *, runtime: LambdaRuntime, app_base_url: str,
                 pool: PoolOptions) -> None:
        super().__init__(scope, construct_id)
        self.auth = Auth(self, "Auth", runtime=runtime, options=pool)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{Stack.of(self).stack_name}-api",  # the ApiName dimension of its metrics
            description="Fleetbridge HTTP API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS)),
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # never log bodies: they hold customer data
                metrics_enabled=True,
                throttling_rate_limit=100,
                throttling_burst_limit=200,
            ),
        )
        self.authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[self.auth.user_pool])
        # Declared parameters and body models only: our handlers validate bodies with pydantic.
        self.validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_parameters=True, validate_request_body=True
        )
        # the web app reads these too (shared/api/cors.py): the app's origin, as our handlers answer it
        cors_headers = {"Access-Control-Allow-Origin": f"'{app_origin(app_base_url)}'", "Vary": "'Origin'"}
        for response_type, (status, code) in GATEWAY_ERRORS.items():
            self.rest_api.add_gateway_response(
                f"Gateway{response_type.response_type}",
                type=response_type,
                status_code=status,
                response_headers=cors_headers,
                templates={"application/json": _error_template(code)},
            )
        self.functions: dict[str, lambda_.Function] = {}
        for name in API_HANDLERS:
            segments = segments_of(name)
            fn = runtime.function(
                self,
                f"{name.title().replace('_', '')}Function",
                handler=name,
                description=f"Fleetbridge API: /{', /'.join(segments)}",
                timeout=Duration.seconds(REQUEST_TIMEOUTS.get(name, 15)),
                table_access=_table_access(name),
            )
            self.functions[name] = fn
            for segment in segments:
                if name in SELF_AUTHENTICATED_HANDLERS:
                    self._self_authenticated_route(segment, fn)
                else:
                    self._route(segment, fn, public=name in PUBLIC_HANDLERS)
                self._allow_invoke(segment, fn)
        self._acknowledge()

    def _route(self, segment: str, fn: lambda_.Function, *, public: bool) -> None:
        """`/{segment}` and `/{segment}/{proxy+}` to `fn`; public routes answer GET only."""
        integration = _ProxyIntegration(fn)
        resource = self.rest_api.root.add_resource(segment)
        for target in (resource, resource.add_resource("{proxy+}")):
            if public:
                self._without_authorizer(target, "GET", integration,
                                         "Public on purpose: the docs (/swagger, the OpenAPI and AsyncAPI "
                                         "documents) describe the API and hold no data; every data route "
                                         "requires a Cognito token.")
            else:
                target.add_method(
                    "ANY",
                    integration,
                    authorizer=self.authorizer,
                    authorization_type=apigw.AuthorizationType.COGNITO,
                    request_validator=self.validator,
                )
                # CORS preflight: a browser sends it without the token; the handler answers it from
                # shared/api/cors.py and runs no route (OPTIONS takes precedence over ANY)
                self._without_authorizer(target, "OPTIONS", integration,
                                         "CORS preflight (OPTIONS): browsers send it without credentials; the handler "
                                         "answers 204 with the allowed origin, methods and headers and runs no route.",
                                         validated=False)

    def _self_authenticated_route(self, segment: str, fn: lambda_.Function) -> None:
        """`/{segment}` and `/{segment}/{proxy+}` to `fn` with no Cognito authorizer: the handler
        authenticates each request itself (webhook HMAC signature, portal link or session token)."""
        integration = _ProxyIntegration(fn)
        resource = self.rest_api.root.add_resource(segment)
        for target in (resource, resource.add_resource("{proxy+}")):
            self._without_authorizer(target, "ANY", integration,
                                     f"/{segment} is called by parties without a Cognito user (Fleetrock, a vendor's "
                                     "customers): the handler authenticates every request itself (HMAC-SHA256 webhook "
                                     "signature or signed portal token) before it reads or writes anything; only "
                                     "the portal's own page and its static files (GET /portal, /portal/assets/*) "
                                     "answer without one, and they read no data.")

    def _allow_invoke(self, segment: str, fn: lambda_.Function) -> None:
        """API Gateway may invoke `fn` for `/{segment}` and `/{segment}/...`, any method, this API's stages."""
        for suffix, path in (("", f"/{segment}"), ("Proxy", f"/{segment}/*")):
            fn.add_permission(
                f"ApiInvoke{segment.title().replace('-', '')}{suffix}",
                principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
                source_arn=self.rest_api.arn_for_execute_api("*", path, "*"),
            )

    def _without_authorizer(self, target: apigw.IResource, http_method: str, integration: apigw.Integration,
                            why: str, *, validated: bool = True) -> None:
        """A method API Gateway lets through without a Cognito token, and why (cdk-nag APIG4, COG4)."""
        method = target.add_method(http_method, integration, authorization_type=apigw.AuthorizationType.NONE,
                                   request_validator=self.validator if validated else None)
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(method, rule, why)

    def _acknowledge(self) -> None:
        acknowledge(
            self.rest_api.node.find_child("CloudWatchRole"),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level API Gateway logging role (needed for stage execution logs) uses the "
            "AWS-documented managed policy; it only allows writing CloudWatch Logs.",
        )
        acknowledge(
            self.rest_api.deployment_stage,
            "AwsSolutions-APIG3",
            "No WAF web ACL yet: every data route needs a Cognito JWT and the stage is throttled; "
            "attach a WAFv2 ACL per environment when one is provisioned.",
        )


_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLatency": "$context.responseLatency",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "errorMessage": "$context.error.message",
    "sub": "$context.authorizer.claims.sub",
    "xrayTraceId": "$context.xrayTraceId",
}
