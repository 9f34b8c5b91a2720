"""The recordings bucket: private, TLS only, SSE-KMS with its own key, access-logged, expired
per retention tag; the bridge may only upload to it and the admin function only read it."""

from __future__ import annotations

import json

import pytest

from infra import recordings
from pitstop.recordings import ENV_RECORDINGS_BUCKET, RETENTION_DAYS, RETENTION_TAG
from tests.infra.conftest import bridge_container

pytestmark = pytest.mark.infra


def _bucket(synth):
    (found,) = [
        (logical_id, bucket["Properties"])
        for logical_id, bucket in synth.resources("AWS::S3::Bucket").items()
        if bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        == "aws:kms"
    ]
    return found


def _statements_naming(synth, logical_id):
    """(role logical ids, statement) of every identity statement that names `logical_id`."""
    for policy in synth.resources("AWS::IAM::Policy").values():
        props = policy["Properties"]
        roles = {r["Ref"] for r in props["Roles"]}
        for statement in props["PolicyDocument"]["Statement"]:
            if logical_id in json.dumps(statement["Resource"]):
                yield roles, statement


def _actions(statement):
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _task_role(synth):
    (task,) = synth.resources("AWS::ECS::TaskDefinition").values()
    return task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]


def _admin_function(synth):
    (found,) = [
        fn["Properties"]
        for fn in synth.resources("AWS::Lambda::Function").values()
        if fn["Properties"].get("Handler") == "functions.admin.handler.lambda_handler"
    ]
    return found


def test_encrypted_with_its_own_rotated_key_and_private(synth):
    _, props = _bucket(synth)
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    key_id = rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    assert rule["BucketKeyEnabled"] is True
    assert synth.raw["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_access_is_logged_and_tls_is_enforced(synth):
    logical_id, props = _bucket(synth)
    log_bucket = props["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert log_bucket in synth.resources("AWS::S3::Bucket")
    (policy,) = [
        p["Properties"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["PolicyDocument"]["Statement"]
    )


def test_each_retention_period_has_its_expiry_and_nothing_outlives_the_longest(synth):
    _, props = _bucket(synth)
    rules = props["LifecycleConfiguration"]["Rules"]
    tagged = {}
    for rule in rules:
        if "TagFilters" in rule:
            [tag] = rule["TagFilters"]
            assert tag["Key"] == RETENTION_TAG
            tagged[tag["Value"]] = rule
    assert set(tagged) == {str(days) for days in RETENTION_DAYS}
    for days, rule in tagged.items():
        assert rule["ExpirationInDays"] == int(days) and rule["Status"] == "Enabled"
        assert rule["Prefix"] == recordings.PREFIX
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    (ceiling,) = [r for r in rules if "TagFilters" not in r and "ExpirationInDays" in r]
    assert ceiling["ExpirationInDays"] == max(RETENTION_DAYS)
    assert ceiling["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert any(r.get("ExpiredObjectDeleteMarker") for r in rules)


def test_the_bridge_may_only_upload_and_the_admin_only_read(synth):
    bucket_id, _ = _bucket(synth)
    admin_role = _admin_function(synth)["Role"]["Fn::GetAtt"][0]
    task_role = _task_role(synth)
    grants: dict[str, set[str]] = {}
    for roles, statement in _statements_naming(synth, bucket_id):
        assert statement["Effect"] == "Allow"
        assert "/calls/*" in json.dumps(statement["Resource"])  # objects, never the bucket
        for role in roles:
            grants.setdefault(role, set()).update(_actions(statement))
    assert grants == {
        task_role: set(recordings.WRITE_ACTIONS),
        admin_role: set(recordings.READ_ACTIONS),
    }


def test_the_key_is_granted_to_the_same_two_roles_for_their_use_only(synth):
    _, props = _bucket(synth)
    key_id = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    grants: dict[str, set[str]] = {}
    for roles, statement in _statements_naming(synth, key_id):
        for role in roles:
            grants.setdefault(role, set()).update(_actions(statement))
    assert grants == {
        _task_role(synth): set(recordings.WRITE_KEY_ACTIONS),
        _admin_function(synth)["Role"]["Fn::GetAtt"][0]: set(recordings.READ_KEY_ACTIONS),
    }


def test_the_bridge_and_the_admin_function_are_told_the_bucket(synth):
    bucket_id, _ = _bucket(synth)
    env = {e["Name"]: e["Value"] for e in bridge_container(synth)["Environment"]}
    assert env[ENV_RECORDINGS_BUCKET] == {"Ref": bucket_id}
    admin_env = _admin_function(synth)["Environment"]["Variables"]
    assert admin_env[ENV_RECORDINGS_BUCKET] == {"Ref": bucket_id}


def test_the_bridge_task_has_disk_for_its_spooled_recordings(synth):
    (task,) = synth.resources("AWS::ECS::TaskDefinition").values()
    assert task["Properties"]["EphemeralStorage"] == {"SizeInGiB": 40}


def test_the_operator_is_told_the_bucket(synth):
    bucket_id, _ = _bucket(synth)
    assert synth.raw["Outputs"]["RecordingsBucket"]["Value"] == {"Ref": bucket_id}
