"""The CDK app, synthesized in-process once for the module, with cdk-nag's AwsSolutions checks.

What is checked here is what a reviewer would otherwise check by reading the template: the table
is the one of shared/db/table.py, every function is least-privilege, failures go somewhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from dev import security_doc
from infra import app as infra_app
from infra import bundle
from shared.api.catalog import (
    API_HANDLERS,
    EVENT_HANDLERS,
    PUBLIC_HANDLERS,
    READ_ONLY_HANDLERS,
    SELF_AUTHENTICATED_HANDLERS,
    segments_of,
)
from shared.db import table as table_def

ROOT = Path(__file__).resolve().parent.parent
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}


@pytest.fixture(scope="module")
def assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bundle (a no-op when cached), then synth with cdk.json's context, as `cdk synth` does."""
    bundle.bundle()
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    outdir = tmp_path_factory.mktemp("cdk.out")
    # In a test run CDK raises here, report included, on any unacknowledged cdk-nag error.
    infra_app.build_app(outdir=str(outdir), context=context).synth()
    return outdir


@pytest.fixture(scope="module")
def template_json(assembly_dir: Path) -> dict[str, Any]:
    return json.loads((assembly_dir / f"{infra_app.STACK_NAME}.template.json").read_text())


@pytest.fixture(scope="module")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)


def resources(template_json: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template_json["Resources"].items() if r["Type"] == kind}


def only(template_json: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = resources(template_json, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def test_table_is_the_one_of_shared_db_table(template_json: dict[str, Any]) -> None:
    expected = table_def.create_table_request("unused")
    _, table = only(template_json, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["KeySchema"] == expected["KeySchema"]
    assert _by_name(props["AttributeDefinitions"]) == _by_name(expected["AttributeDefinitions"])
    assert sorted(props["GlobalSecondaryIndexes"], key=lambda i: i["IndexName"]) == expected["GlobalSecondaryIndexes"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["StreamSpecification"] == {"StreamViewType": table_def.STREAM_VIEW_TYPE}
    assert props["TimeToLiveSpecification"] == {"AttributeName": table_def.TTL_ATTRIBUTE, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def _by_name(attributes: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(attributes, key=lambda a: a["AttributeName"])


def test_one_arm64_function_per_handler_with_its_own_role(template_json: dict[str, Any]) -> None:
    functions = resources(template_json, "AWS::Lambda::Function")
    handlers = sorted(f["Properties"]["Handler"] for f in functions.values())
    assert handlers == sorted(f"functions.{n}.handler.lambda_handler" for n in (*API_HANDLERS, *EVENT_HANDLERS))
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    assert len(set(roles)) == len(functions), "every function has its own role"
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == f"python{bundle.PYTHON_VERSION}"
        assert props["TracingConfig"] == {"Mode": "Active"}
        # dependencies + Swagger UI files (docs) or ZIP data (the others); + its page for the portal function
        assert len(props["Layers"]) == (3 if props["Handler"].startswith("functions.portal.") else 2)
        env = props["Environment"]["Variables"]
        assert env["MAILER"] == "ses" and env["MAIL_FROM"] == "noreply@fleetbridge.example"
        assert env["APP_BASE_URL"].startswith("https://")  # email links never point at localhost in AWS
        assert env["TABLE_NAME"] == {"Ref": only(template_json, "AWS::DynamoDB::Table")[0]}
        assert env["POWERTOOLS_SERVICE_NAME"] == "fleetbridge"
    managed = [
        k for k, r in resources(template_json, "AWS::IAM::Role").items() if "ManagedPolicyArns" in r["Properties"]
    ]
    assert all("CloudWatchRole" in k for k in managed), "only API Gateway's account logging role uses one"


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    res = statement["Resource"]
    return res if isinstance(res, list) else [res]


def test_read_only_functions_may_not_write_the_table(template_json: dict[str, Any]) -> None:
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
              "dynamodb:ConditionCheckItem"}
    checked = 0
    for name, policy in resources(template_json, "AWS::IAM::Policy").items():
        if any(name.startswith(f"Api{handler.title().replace('_', '')}FunctionRole") for handler in READ_ONLY_HANDLERS):
            actions = {a for statement in _statements(policy) for a in _actions(statement)}
            assert "dynamodb:Query" in actions and not actions & writes, (name, sorted(actions & writes))
            checked += 1
    assert checked == len(READ_ONLY_HANDLERS) > 0


def test_each_id_token_gets_its_tenancy_from_the_read_only_token_claims_function(template_json: dict[str, Any]) -> None:
    """The user pool's Pre Token Generation trigger is the token_claims function (shared/orgs/tenancy.py),
    which may read the table and nothing more, and Cognito may invoke it."""
    _, pool = only(template_json, "AWS::Cognito::UserPool")
    trigger = pool["Properties"]["LambdaConfig"]["PreTokenGeneration"]["Fn::GetAtt"][0]
    functions = resources(template_json, "AWS::Lambda::Function")
    assert functions[trigger]["Properties"]["Handler"] == "functions.token_claims.handler.lambda_handler"
    assert functions[trigger]["Properties"]["Timeout"] <= 5, "Cognito waits 5 s for a trigger"
    [policy] = [p for n, p in resources(template_json, "AWS::IAM::Policy").items()
                if n.startswith("ApiAuthTokenClaimsFunctionRole")]
    dynamo = {a for statement in _statements(policy) for a in _actions(statement) if a.startswith("dynamodb:")}
    assert dynamo == {"dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query"}
    assert any(p["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
               and p["Properties"]["FunctionName"] == {"Fn::GetAtt": [trigger, "Arn"]}
               for p in resources(template_json, "AWS::Lambda::Permission").values())


def test_api_gateway_may_invoke_each_function_for_its_own_path_segments_only(template_json: dict[str, Any]) -> None:
    """Two statements per segment (`/seg`, `/seg/*`), not one per method: a function's resource policy
    holds at most 20 KB, and the stack at most 500 resources (kept under 450 here, to see it coming)."""
    functions = resources(template_json, "AWS::Lambda::Function")
    handler_of = {logical: f["Properties"]["Handler"].split(".")[1] for logical, f in functions.items()}
    granted: dict[str, set[str]] = {}
    for permission in resources(template_json, "AWS::Lambda::Permission").values():
        props = permission["Properties"]
        if props["Principal"] != "apigateway.amazonaws.com":
            continue
        handler = handler_of[props["FunctionName"]["Fn::GetAtt"][0]]
        granted.setdefault(handler, set()).add(props["SourceArn"]["Fn::Join"][1][-1])
    assert granted == {name: {f"/*/*/{s}" for s in segments_of(name)} | {f"/*/*/{s}/*" for s in segments_of(name)}
                       for name in API_HANDLERS}
    assert len(template_json["Resources"]) < 450, len(template_json["Resources"])


def test_dynamodb_permissions_reach_only_this_table(template_json: dict[str, Any]) -> None:
    table_id = only(template_json, "AWS::DynamoDB::Table")[0]
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    allowed = [table_arn, {"Fn::Join": ["", [table_arn, "/index/*"]]}]
    stream_arn = {"Fn::GetAtt": [table_id, "StreamArn"]}
    seen = 0
    for name, policy in resources(template_json, "AWS::IAM::Policy").items():
        for statement in _statements(policy):
            dynamo = [a for a in _actions(statement) if a.startswith("dynamodb:")]
            assert "dynamodb:Scan" not in dynamo, f"{name}: no function may Scan the table"
            if not dynamo:
                continue
            seen += 1
            assert all("*" not in a for a in dynamo), (name, dynamo)
            if dynamo == ["dynamodb:ListStreams"]:  # takes no resource in IAM; the mapping needs it
                assert _resources(statement) == ["*"] and "StreamProcessor" in name, name
                continue
            for resource in _resources(statement):
                assert resource != "*", f"{name}: {dynamo} on *"
                if resource == stream_arn:
                    assert set(dynamo) <= STREAM_ACTIONS and "StreamProcessor" in name, name
                else:
                    assert resource in allowed, (name, resource)
    data_functions = len(set(API_HANDLERS) - PUBLIC_HANDLERS) + len(EVENT_HANDLERS) - 1  # the processor: below
    assert seen == data_functions + 3, "each data function once, the processor 3 times"
    docs_policy = next(p for n, p in resources(template_json, "AWS::IAM::Policy").items() if "Docs" in n)
    assert not any(a.startswith("dynamodb:") for s in _statements(docs_policy) for a in _actions(s))


def test_stream_processor_may_send_mail_only_as_our_domain(template_json: dict[str, Any]) -> None:
    ses = [
        s
        for n, p in resources(template_json, "AWS::IAM::Policy").items()
        for s in _statements(p)
        if any(a.startswith("ses:") for a in _actions(s))
    ]
    assert len(ses) == 1 and _actions(ses[0]) == ["ses:SendEmail"]
    assert ":identity/fleetbridge.example" in json.dumps(_resources(ses[0])) and "*" not in _resources(ses[0])


def test_stream_mapping_reports_item_failures_and_has_a_failure_queue(template_json: dict[str, Any]) -> None:
    _, mapping = only(template_json, "AWS::Lambda::EventSourceMapping")
    props = mapping["Properties"]
    queue_id = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    queue = resources(template_json, "AWS::SQS::Queue")[queue_id]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert props["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumRetryAttempts"] > 0 and props["MaximumRecordAgeInSeconds"] > 0
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    policies = resources(template_json, "AWS::SQS::QueuePolicy").values()
    assert any(queue_id in json.dumps(p) and "aws:SecureTransport" in json.dumps(p) for p in policies), "TLS only"


def test_only_the_stream_processor_manages_accounts_and_only_of_the_pool(template_json: dict[str, Any]) -> None:
    """Users' Cognito accounts follow the table through the stream (shared/orgs/accounts.py): the stream
    processor alone may create, enable, disable and sign out users, of this pool only."""
    from infra.constructs.auth import ACCOUNT_ACTIONS

    pool_id, _ = only(template_json, "AWS::Cognito::UserPool")
    granted: dict[str, set[str]] = {}
    for name, policy in resources(template_json, "AWS::IAM::Policy").items():
        for statement in _statements(policy):
            actions = {a for a in _actions(statement) if a.startswith("cognito-idp:")}
            if actions:
                assert statement["Resource"] == {"Fn::GetAtt": [pool_id, "Arn"]}, name
                granted[name] = granted.get(name, set()) | actions
    assert len(granted) == 1 and next(iter(granted)).startswith("StreamProcessorFunctionRole"), granted
    assert granted.popitem()[1] == set(ACCOUNT_ACTIONS)
    functions = resources(template_json, "AWS::Lambda::Function")
    with_pool = [f for f in functions.values()
                 if "USER_POOL_ID" in f["Properties"].get("Environment", {}).get("Variables", {})]
    assert [f["Properties"]["Handler"] for f in with_pool] == ["functions.stream_processor.handler.lambda_handler"]
    assert with_pool[0]["Properties"]["Environment"]["Variables"]["USER_POOL_ID"] == {"Ref": pool_id}


def test_anyone_signs_up_with_a_code_sent_through_ses_from_our_address(template_json: dict[str, Any]) -> None:
    """#20: self sign-up, the email verified by a code before any sign-in, Cognito's emails from our SES
    identity (its own email service stops at 50 a day); Essentials, its COG8 finding acknowledged with why."""
    _, pool = only(template_json, "AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": False}
    assert props["AutoVerifiedAttributes"] == ["email"]
    assert props["VerificationMessageTemplate"]["DefaultEmailOption"] == "CONFIRM_WITH_CODE"
    assert "{####}" in props["VerificationMessageTemplate"]["EmailMessage"]
    assert props["EmailConfiguration"]["EmailSendingAccount"] == "DEVELOPER"
    assert props["EmailConfiguration"]["From"] == "Fleetbridge <noreply@fleetbridge.example>"
    assert json.dumps(props["EmailConfiguration"]["SourceArn"]).endswith('":identity/fleetbridge.example"]]}')
    assert props["UserPoolTier"] == "ESSENTIALS" and "UserPoolAddOns" not in props
    rules = [r["id"] for r in pool["Metadata"]["cdk_nag"]["rules_to_suppress"]]
    assert "AwsSolutions-COG8" in rules


def test_threat_protection_is_one_context_value_away(tmp_path: Path) -> None:
    """`-c cognito_threat_protection=true`: the Plus plan with full-function threat protection, and cdk-nag
    then has nothing to acknowledge about it. A small stack: the pool's construct alone."""
    from aws_cdk import aws_dynamodb as dynamodb

    from infra.constructs.auth import Auth, PoolOptions
    from infra.constructs.runtime import LambdaRuntime

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Pool")
    key = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    table = dynamodb.Table(stack, "Table", partition_key=key)
    runtime = LambdaRuntime(stack, "Runtime", table=table, environment={})
    Auth(stack, "Auth", runtime=runtime, options=PoolOptions("noreply@x.example", "x.example", threat_protection=True))
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Cognito::UserPool", {
        "UserPoolTier": "PLUS", "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"}})
    [pool] = template.find_resources("AWS::Cognito::UserPool").values()
    rules = [r["id"] for r in pool.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])]
    assert "AwsSolutions-COG8" not in rules


def test_the_local_cognito_pool_has_the_deployed_pools_settings(template_json: dict[str, Any]) -> None:
    """`make dev` and the tests create their user pool (dev/cognito.py) with these settings: the deployed
    pool's, so a sign-in, a password or an account behaves locally as it will in AWS."""
    from dev import cognito

    _, pool = only(template_json, "AWS::Cognito::UserPool")
    local = cognito.pool_request("us-east-1")
    for key in ("Policies", "UsernameAttributes", "AutoVerifiedAttributes", "Schema", "AdminCreateUserConfig",
                "MfaConfiguration", "AccountRecoverySetting", "DeletionProtection"):
        assert pool["Properties"].get(key) == local[key], key
    assert set(pool["Properties"]["LambdaConfig"]) == set(local["LambdaConfig"]) == {"PreTokenGeneration"}
    deployed = pool["Properties"]["VerificationMessageTemplate"]  # the sign-up code's email, in the same words
    assert {k: deployed[k] for k in local["VerificationMessageTemplate"]} == local["VerificationMessageTemplate"]
    _, client = only(template_json, "AWS::Cognito::UserPoolClient")
    for key, value in cognito.WEB_CLIENT.items():
        if key == "ClientName":
            continue
        deployed = client["Properties"].get(key)
        assert (sorted(deployed) if isinstance(deployed, list) else deployed) == (
            sorted(value) if isinstance(value, list) else value), key


def test_api_routes_are_cognito_authorized_except_the_docs(template: Template, template_json: dict[str, Any]) -> None:
    template.has_resource_properties("AWS::ApiGateway::Authorizer", {"Type": "COGNITO_USER_POOLS"})
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "Schema": Match.array_with(
                [
                    Match.object_like({"Name": "org_id", "AttributeDataType": "String"}),
                    Match.object_like({"Name": "role", "AttributeDataType": "String"}),
                ]
            )
        },
    )
    _, client = only(template_json, "AWS::Cognito::UserPoolClient")
    assert not any(a.startswith("custom:") for a in client["Properties"]["WriteAttributes"])
    paths = _resource_paths(template_json)
    segments = [s for name in API_HANDLERS for s in segments_of(name)]
    assert sorted(paths.values()) == sorted(p for s in segments for p in (f"/{s}", f"/{s}/{{proxy+}}"))
    public = {f"/{s}" for name in PUBLIC_HANDLERS for s in segments_of(name)}
    self_authenticated = {f"/{s}" for name in SELF_AUTHENTICATED_HANDLERS for s in segments_of(name)}
    data_methods: dict[str, set[str]] = {}
    for method in resources(template_json, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        path = paths[props["ResourceId"]["Ref"]]
        if any(path == p or path.startswith(p + "/") for p in public):
            assert (props["HttpMethod"], props["AuthorizationType"]) == ("GET", "NONE"), path
        elif any(path == p or path.startswith(p + "/") for p in self_authenticated):
            assert (props["HttpMethod"], props["AuthorizationType"]) == ("ANY", "NONE"), path
        elif props["HttpMethod"] == "OPTIONS":  # a CORS preflight carries no token; the handler answers it
            assert props["AuthorizationType"] == "NONE", path
            data_methods.setdefault(path, set()).add("OPTIONS")
        else:
            assert props["HttpMethod"] == "ANY", path
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS" and "AuthorizerId" in props, path
            data_methods.setdefault(path, set()).add("ANY")
        assert props["Integration"]["Type"] == "AWS_PROXY"
    assert data_methods and all(methods == {"ANY", "OPTIONS"} for methods in data_methods.values()), data_methods


def _resource_paths(template_json: dict[str, Any]) -> dict[str, str]:
    """API Gateway resource logical id -> its full path."""
    found = resources(template_json, "AWS::ApiGateway::Resource")

    def path(resource_id: str) -> str:
        props = found[resource_id]["Properties"]
        parent = props["ParentId"]
        return (path(parent["Ref"]) if "Ref" in parent else "") + "/" + props["PathPart"]

    return {resource_id: path(resource_id) for resource_id in found}


def test_gateway_errors_use_our_error_format(template_json: dict[str, Any]) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in resources(template_json, "AWS::ApiGateway::GatewayResponse").values()
    }
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED"} <= set(responses)
    for props in responses.values():
        body = props["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '"m"')
        error = json.loads(body)["error"]
        assert set(error) == {"code", "message", "details"} and error["details"] == []
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    for props in responses.values():  # the web app reads gateway errors too (shared/api/cors.py)
        assert props["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == \
            "'https://app.fleetbridge.example'"


def test_alarms_cover_every_function_dlq_and_api_and_notify_sns(template_json: dict[str, Any]) -> None:
    topic_id, topic = only(template_json, "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = resources(template_json, "AWS::CloudWatch::Alarm").values()
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    by_metric: dict[str, list[str]] = {}
    for alarm in alarms:
        props = alarm["Properties"]
        if "MetricName" in props:
            by_metric.setdefault(props["MetricName"], []).append(json.dumps(props.get("Dimensions")))
        else:
            expression = next(m["Expression"] for m in props["Metrics"] if "Expression" in m)
            by_metric.setdefault(expression, []).append(json.dumps(props["Metrics"]))
    for fn_id in resources(template_json, "AWS::Lambda::Function"):
        for metric in ("Errors", "Throttles"):
            assert any(fn_id in d for d in by_metric[metric]), (fn_id, metric)
    assert "ApproximateNumberOfMessagesVisible" in by_metric
    rate_metrics = " ".join(d for k, ds in by_metric.items() if "errors / requests" in k for d in ds)
    assert "5XXError" in rate_metrics and "4XXError" in rate_metrics


def test_cdk_nag_reports_no_errors_and_every_acknowledgment_has_a_reason(
    assembly_dir: Path, template_json: dict[str, Any]
) -> None:
    report = json.loads((assembly_dir / "validation-report.json").read_text())
    errors = [
        (v["ruleName"], [c["constructPath"] for c in v["violatingConstructs"]])
        for plugin in report["pluginReports"]
        if plugin["pluginName"] == "AwsSolutions"
        for v in plugin["violations"]
        if v["severity"] == "error"
    ]
    assert errors == []
    acknowledged = [
        rule
        for r in template_json["Resources"].values()
        for rule in r.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged, "the plugin ran and wrote its acknowledgments"
    assert all(len(rule["reason"]) >= 20 for rule in acknowledged)


def test_cdk_nag_fails_synth_on_a_violation(tmp_path: Path) -> None:
    """The negative control: the same plugin setup rejects an unencrypted, non-TLS queue."""
    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Bad"), "Queue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    infra_app.add_nag_checks(app)
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()


def test_synth_without_bundle_says_run_make_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(infra_app, "LAYER_DIR", tmp_path / "layer")
    with pytest.raises(infra_app.BundleMissingError, match="make bundle"):
        infra_app.build_app(outdir=str(tmp_path / "out"))


def test_bundle_is_cached_and_leaves_out_the_runtime_sdk(assembly_dir: Path) -> None:
    assert bundle.build_layer(bundle.uv_binary()) is False, "a second build reuses the stamped layer"
    site = bundle.LAYER_DIR / "python"
    assert not any((site / name).exists() for name in bundle.RUNTIME_PROVIDED)
    assert list(site.glob("pydantic_core/*aarch64*.so")), "compiled wheels are the arm64 ones"
    assert not list(bundle.APP_DIR.rglob("__pycache__"))
    assert bundle.compile_packages() is False, "a second bundle reuses the compiled packages"


def test_what_a_handler_imports_at_cold_start_is_packaged_as_bytecode(assembly_dir: Path) -> None:
    """Lambda cannot cache bytecode (read-only files): a module shipped as source is compiled on every
    cold start. Import each handler from the packaged app, as Lambda does, and check every module it
    loads: ours and the layer's are bytecode only; the rest is the runtime's (stdlib, boto3)."""
    from infra import bytecode

    loaded = bundle.handlers_load(bundle.APP_DIR)
    ours = [f for f in loaded if f.startswith(str(bundle.APP_DIR))]
    assert ours and all(f.endswith(".pyc") for f in ours), [f for f in ours if not f.endswith(".pyc")]
    assert not list(bundle.APP_DIR.rglob("*.py")), "the app ships bytecode only"
    layer = bundle.LAYER_DIR / "python"
    # what the package ships (a dev-only package of this venv, e.g. rich for httpx's CLI, is not in it)
    shipped = {p.name.split(".")[0] for p in (bundle.LAYER_SOURCE_DIR / "python").iterdir()}
    third_party = [rel for rel in bytecode.site_relative(loaded) if rel.split("/")[0].split(".")[0] in shipped]
    assert len(third_party) > 100  # pydantic, Powertools, PynamoDB, X-Ray...
    as_source = [rel for rel in third_party if not (layer / f"{rel}c").is_file() or (layer / rel).exists()]
    assert not as_source, f"shipped as source, compiled at every cold start: {as_source[:10]}"


def schedule_of(template_json: dict[str, Any], detail_type: str) -> dict[str, Any]:
    """The properties of the one schedule whose target input has this detail-type."""
    [found] = [s["Properties"] for s in resources(template_json, "AWS::Scheduler::Schedule").values()
               if json.loads(s["Properties"]["Target"]["Input"])["detail-type"] == detail_type]
    return found


def test_maintenance_refresh_runs_daily_after_fleetrocks_5_am_est_data_and_sweeps_every_minute(
        template_json: dict[str, Any]) -> None:
    functions = resources(template_json, "AWS::Lambda::Function")
    for detail_type, expression in (("maintenance_refresh", "cron(30 5 * * ? *)"),
                                    ("maintenance_refresh_sweep", "rate(1 minute)")):
        props = schedule_of(template_json, detail_type)
        assert props["ScheduleExpression"] == expression and props["State"] == "ENABLED"
        if expression.startswith("cron"):  # 05:30 EST all year: half an hour after Fleetrock's "5 AM EST" data
            assert props["ScheduleExpressionTimezone"] == "Etc/GMT+5"
        assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
        target = props["Target"]
        target_fn = target["Arn"]["Fn::GetAtt"][0]
        assert functions[target_fn]["Properties"]["Handler"] == "functions.maintenance_refresh.handler.lambda_handler"
        assert json.loads(target["Input"])["time"] == "<aws.scheduler.scheduled-time>"
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
        dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        depth_alarms = [a for a in resources(template_json, "AWS::CloudWatch::Alarm").values()
                        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"]
        assert any(dlq in json.dumps(a) for a in depth_alarms), "the schedule's DLQ is watched"
        # a run failing in the function (async invoke: not the scheduler's DLQ) lands in the same queue
        [invoke_config] = [c["Properties"] for c in resources(template_json, "AWS::Lambda::EventInvokeConfig").values()
                           if c["Properties"]["FunctionName"] == {"Ref": target_fn}]
        assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [dlq, "Arn"]}
    gave_up = [a for a in resources(template_json, "AWS::CloudWatch::Alarm").values()
               if a["Properties"].get("MetricName") == "MaintenanceRefreshGaveUp"]
    assert len(gave_up) == 1 and gave_up[0]["Properties"]["AlarmActions"]
    event_gave_up = [a for a in resources(template_json, "AWS::CloudWatch::Alarm").values()
                     if a["Properties"].get("MetricName") == "FleetrockEventGaveUp"]  # the inbox sweep's
    assert len(event_gave_up) == 1 and event_gave_up[0]["Properties"]["AlarmActions"]
    sync_gave_up = [a for a in resources(template_json, "AWS::CloudWatch::Alarm").values()
                    if a["Properties"].get("MetricName") == "FleetrockSyncGaveUp"]  # the sync sweep's
    assert len(sync_gave_up) == 1 and sync_gave_up[0]["Properties"]["AlarmActions"]
    outbox_gave_up = [a for a in resources(template_json, "AWS::CloudWatch::Alarm").values()
                      if a["Properties"].get("MetricName") == "OutboxGaveUp"]  # the outbox sweep's
    assert len(outbox_gave_up) == 1 and outbox_gave_up[0]["Properties"]["AlarmActions"]
    _, mapping = only(template_json, "AWS::Lambda::EventSourceMapping")
    assert mapping["Properties"]["ParallelizationFactor"] == 10  # fleets' refresh tasks side by side


def test_push_retry_runs_every_minute_with_retries_and_a_dead_letter_queue(template_json: dict[str, Any]) -> None:
    props = schedule_of(template_json, "push_retry")
    assert props["ScheduleExpression"] == "rate(1 minute)" and props["State"] == "ENABLED"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = props["Target"]
    functions = resources(template_json, "AWS::Lambda::Function")
    target_fn = target["Arn"]["Fn::GetAtt"][0]
    assert functions[target_fn]["Properties"]["Handler"] == "functions.push_retry.handler.lambda_handler"
    assert json.loads(target["Input"])["time"] == "<aws.scheduler.scheduled-time>"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert resources(template_json, "AWS::SQS::Queue")[dlq]["Properties"]["SqsManagedSseEnabled"] is True
    depth_alarms = [a for a in resources(template_json, "AWS::CloudWatch::Alarm").values()
                    if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"]
    assert any(dlq in json.dumps(a) for a in depth_alarms), "the schedule's DLQ is watched"


def test_only_the_functions_that_need_it_use_the_secrets_key(template_json: dict[str, Any]) -> None:
    key_id = next(k for k in resources(template_json, "AWS::KMS::Key") if "SecretsKey" in k)
    uses: dict[str, set[str]] = {}
    for name, policy in resources(template_json, "AWS::IAM::Policy").items():
        for statement in _statements(policy):
            if key_id in json.dumps(_resources(statement)):
                uses.setdefault(name, set()).update(_actions(statement))
    ours = {"Subscriptions": {"kms:Encrypt"}, "StreamProcessor": {"kms:Decrypt"}, "PushRetryFunction": {"kms:Decrypt"}}
    for part, actions in ours.items():  # push secrets: encrypted by the API, decrypted where deliveries are signed
        assert [a for n, a in uses.items() if part in n] == [actions], part
    assert all("*" not in a for actions in uses.values() for a in actions)


def test_each_use_of_the_secrets_key_is_bound_to_its_secrets_purposes(template_json: dict[str, Any]) -> None:
    """The cipher puts a secret's purpose in the KMS encryption context; each grant names the purposes it
    serves, so the internet-facing webhook function cannot decrypt Fleetrock API keys or push secrets."""
    from shared.secrets import purposes

    key_id = next(k for k in resources(template_json, "AWS::KMS::Key") if "SecretsKey" in k)
    granted: dict[str, set[str]] = {}
    for name, policy in resources(template_json, "AWS::IAM::Policy").items():
        for statement in _statements(policy):
            if key_id in json.dumps(_resources(statement)):
                condition = statement["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"]
                granted.setdefault(name, set()).update([condition] if isinstance(condition, str) else condition)
    by_part = {part: set().union(*(p for n, p in granted.items() if part in n))
               for part in ("FleetrockWebhook", "Integrations", "StreamProcessor", "PushRetry", "Subscriptions")}
    assert by_part["FleetrockWebhook"] == {purposes.FLEETROCK_WEBHOOK_SECRET}
    assert by_part["Integrations"] == {purposes.FLEETROCK_API_KEY, purposes.FLEETROCK_WEBHOOK_SECRET}
    assert by_part["StreamProcessor"] == {purposes.FLEETROCK_API_KEY, purposes.PUSH_SUBSCRIPTION_SECRET}
    assert by_part["PushRetry"] == by_part["Subscriptions"] == {purposes.PUSH_SUBSCRIPTION_SECRET}


def test_portal_secret_and_pictures_bucket_reach_only_the_portal_functions(template_json: dict[str, Any]) -> None:
    secret_id = only(template_json, "AWS::SecretsManager::Secret")[0]
    buckets = resources(template_json, "AWS::S3::Bucket")
    pictures_id = next(k for k in buckets if "PortalPictures" in k and "AccessLogs" not in k)
    pictures = buckets[pictures_id]["Properties"]
    assert pictures["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                          "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert pictures["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert "DestinationBucketName" in pictures["LoggingConfiguration"]
    policies = [p["Properties"] for p in resources(template_json, "AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": pictures_id}]
    tls_only = [s for p in policies for s in p["PolicyDocument"]["Statement"]
                if s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}]
    assert tls_only
    with_env = set()
    for fn in resources(template_json, "AWS::Lambda::Function").values():
        env = fn["Properties"]["Environment"]["Variables"]
        if "PORTAL_SIGNING_SECRET_ARN" in env:
            assert env["PORTAL_SIGNING_SECRET_ARN"] == {"Ref": secret_id}
            assert env["PICTURES_BUCKET"] == {"Ref": pictures_id}
            with_env.add(fn["Properties"]["Handler"].split(".")[1])
    assert with_env == {"portal", "customers"}
    readers = set()
    for name, policy in resources(template_json, "AWS::IAM::Policy").items():
        for statement in _statements(policy):
            if "secretsmanager:GetSecretValue" in _actions(statement):
                assert _resources(statement) == [{"Ref": secret_id}], name
                readers.add(name)
            if any(a.startswith("s3:") for a in _actions(statement)):
                assert any(h in name for h in ("PortalFunction", "CustomersFunction")), name
    assert len(readers) == 2 and all(any(h in n for h in ("PortalFunction", "CustomersFunction")) for n in readers)


def test_fleetrock_functions_may_use_the_secrets_key_and_bad_webhook_signatures_alarm(
    template_json: dict[str, Any],
) -> None:
    key_id = next(k for k in resources(template_json, "AWS::KMS::Key") if "SecretsKey" in k)
    kms_actions: dict[str, set[str]] = {}
    for name, policy in resources(template_json, "AWS::IAM::Policy").items():
        for statement in _statements(policy):
            if {"Fn::GetAtt": [key_id, "Arn"]} in _resources(statement):
                kms_actions.setdefault(name, set()).update(_actions(statement))
    assert any("Integrations" in n and {"kms:Encrypt", "kms:Decrypt"} <= a for n, a in kms_actions.items())
    assert any("FleetrockWebhook" in n and a == {"kms:Decrypt"} for n, a in kms_actions.items())
    assert not any("Assets" in n or "Docs" in n for n in kms_actions), "only the functions that hold secrets"
    alarms = json.dumps(resources(template_json, "AWS::CloudWatch::Alarm"))
    assert "FleetrockWebhookUnauthorized" in alarms and "unauthorized / received" in alarms
    assert "FleetrockWebhook4xx" in alarms and "errors / answered" in alarms and "FleetrockWebhook5xx" in alarms
    # any signed webhook of a shape we do not recognise, within 5 minutes, tells the alarm topic
    [unrecognized] = [a["Properties"] for a in resources(template_json, "AWS::CloudWatch::Alarm").values()
                      if a["Properties"].get("MetricName") == "FleetrockWebhookUnrecognized"]
    assert (unrecognized["Threshold"], unrecognized["Period"], unrecognized["Statistic"]) == (0, 300, "Sum")
    assert unrecognized["ComparisonOperator"] == "GreaterThanThreshold" and unrecognized["EvaluationPeriods"] == 1
    assert unrecognized["Namespace"] == "Fleetbridge" and unrecognized["AlarmActions"]


def test_the_portal_functions_layer_holds_every_file_its_page_serves(assembly_dir: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.portal.view import page

    monkeypatch.setattr(page, "ROOTS", (bundle.PORTAL_LAYER_DIR / page.LAYER_FOLDER,))  # as /opt/portal_page
    page._read.cache_clear()
    try:
        assert all(page.asset(name)[0] for name in page.ASSETS)
        assert 'src="portal/assets/portal.js"' in page.page_html()
    finally:
        page._read.cache_clear()


# -- docs/security.md's tables of the synthesized stack (tests/test_security_doc.py has the role table) --

def test_iam_and_cdk_nag_tables_match_the_synthesized_stack(template_json: dict[str, Any]) -> None:
    doc = security_doc.DOC_FILE.read_text()
    for name, text in security_doc.render(template_json).items():
        assert security_doc.section(doc, name) == text, f"docs/security.md ({name}) is out of date: run `make docs`"


def test_iam_table_names_every_function_and_nag_table_every_reason(template_json: dict[str, Any]) -> None:
    iam = security_doc.render_iam(template_json)
    handlers = {
        r["Properties"]["Handler"].split(".")[1]
        for r in template_json["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and str(r["Properties"].get("Handler", "")).startswith("functions.")
    }
    assert {line.split("|")[1].strip() for line in iam.splitlines()[2:]} == handlers
    nag = security_doc.render_nag(template_json)
    assert all(len(line.split("|")[2].strip()) >= 20 for line in nag.splitlines()[2:])
