"""Secrets come from the environment, else from Secrets Manager (moto); never a placeholder."""

import boto3
import pytest
from moto import mock_aws

from pitstop import secrets


@pytest.fixture
def secret_arn(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with mock_aws():
        client = boto3.client("secretsmanager")

        def make(value: str) -> str:
            arn = client.create_secret(Name=f"openai-{len(value)}", SecretString=value)["ARN"]
            monkeypatch.setenv("PITSTOP_OPENAI_SECRET_ARN", arn)
            return arn

        yield make


def test_the_openai_key_comes_from_its_secret(secret_arn):
    secret_arn("sk-from-secrets-manager")
    assert secrets.openai_api_key() == "sk-from-secrets-manager"


def test_the_environment_wins_over_the_secret(secret_arn, monkeypatch):
    secret_arn("sk-from-secrets-manager")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert secrets.openai_api_key() == "sk-from-env"


def test_a_placeholder_secret_is_no_key(secret_arn):
    secret_arn(secrets.PLACEHOLDER)
    assert secrets.openai_api_key() is None


def test_no_key_anywhere_is_none(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("PITSTOP_OPENAI_SECRET_ARN", raising=False)
    assert secrets.openai_api_key() is None
