from pathlib import Path

from pitstop.config import Settings


def test_settings_from_env_override_defaults():
    settings = Settings.from_env(
        {
            "PITSTOP_TABLE": "t",
            "PITSTOP_BRIDGE_PORT": "8080",
            "PITSTOP_OUTBOX": "/tmp/o.jsonl",
            "AWS_REGION": "eu-west-1",
        }
    )
    assert (settings.table_name, settings.bridge_port, settings.aws_region) == (
        "t",
        8080,
        "eu-west-1",
    )
    assert settings.outbox_path == Path("/tmp/o.jsonl")
    assert Settings.from_env({}).telephony == "outbox"
