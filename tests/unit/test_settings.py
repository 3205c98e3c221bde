"""Settings that keep Concord closed by default."""

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from bot.config import Settings


def test_default_or_short_secrets_stop_a_start_that_is_reachable_beyond_this_machine():
    assert Settings(_env_file=None).weak_secrets() == []  # loopback: the defaults are fine
    exposed = Settings(_env_file=None, public_url="https://pay.example.com", data_keys=[])
    assert exposed.weak_secrets() == [
        "CONCORD_SECRET_KEY",
        "CONCORD_RASA_TOKEN",
        "CONCORD_INTERNAL_TOKEN",
        "CONCORD_DATA_KEYS",
    ]
    long = "x" * 32
    assert Settings(
        _env_file=None,
        host="0.0.0.0",
        secret_key=long,
        rasa_token=long,
        internal_token="short",
        data_keys=[Fernet.generate_key().decode()],
    ).weak_secrets() == ["CONCORD_INTERNAL_TOKEN"]


def test_the_refusal_says_how_to_make_each_missing_secret():
    from api.cli import refusal

    said = refusal(["CONCORD_SECRET_KEY", "CONCORD_DATA_KEYS"])
    assert "Set CONCORD_SECRET_KEY to a long random value" in said
    assert "python -m api.cli new-data-key" in said and "CONCORD_DATA_KEYS to" in said
    assert "CONCORD_DATA_KEYS" not in refusal(["CONCORD_RASA_TOKEN"])


def test_outreach_channels_are_checked_when_the_settings_are_read():
    assert Settings(_env_file=None).outreach_channels == []  # the assistant never speaks first unless told
    with pytest.raises(ValidationError, match="nobody can be reached on the web chat"):
        Settings(_env_file=None, outreach_channels=["sms", "web"])
    with pytest.raises(ValidationError, match="each channel once"):
        Settings(_env_file=None, outreach_channels=["sms", "sms"])
