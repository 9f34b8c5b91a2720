from pathlib import Path

import pytest

from pitstop.config import Settings


@pytest.fixture
def env(monkeypatch):
    """`env(**variables)`: exactly these Pitstop variables (and region) in the environment."""
    for name in ("PITSTOP_TABLE", "PITSTOP_BRIDGE_PORT", "PITSTOP_OUTBOX", "PITSTOP_TELEPHONY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)

    def set_env(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_settings_from_env_override_defaults(env):
    env(
        PITSTOP_TABLE="t",
        PITSTOP_BRIDGE_PORT="8080",
        PITSTOP_OUTBOX="/tmp/o.jsonl",
        AWS_REGION="eu-west-1",
    )
    settings = Settings()
    assert (settings.table_name, settings.bridge_port, settings.aws_region) == (
        "t",
        8080,
        "eu-west-1",
    )
    assert settings.outbox_path == Path("/tmp/o.jsonl")
    env()
    assert Settings().telephony == "outbox"


def test_region_falls_back_to_the_default_region_and_empty_values_are_unset(env):
    env(AWS_DEFAULT_REGION="eu-central-1", PITSTOP_TABLE="")
    assert (Settings().aws_region, Settings().table_name) == ("eu-central-1", "pitstop")


def test_keyword_arguments_win_over_the_environment(env):
    env(PITSTOP_TABLE="from-env")
    assert Settings(table_name="mine").table_name == "mine"
