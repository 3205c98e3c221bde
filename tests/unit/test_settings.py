"""Settings that keep Concord closed by default."""

from bot.config import Settings


def test_default_or_short_secrets_stop_a_start_that_is_reachable_beyond_this_machine():
    assert Settings(_env_file=None).weak_secrets() == []  # loopback: the defaults are fine
    exposed = Settings(_env_file=None, public_url="https://pay.example.com")
    assert exposed.weak_secrets() == ["CONCORD_SECRET_KEY", "CONCORD_RASA_TOKEN", "CONCORD_INTERNAL_TOKEN"]
    long = "x" * 32
    assert Settings(
        _env_file=None, host="0.0.0.0", secret_key=long, rasa_token=long, internal_token="short"
    ).weak_secrets() == ["CONCORD_INTERNAL_TOKEN"]
