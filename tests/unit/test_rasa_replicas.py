"""Several Rasa replicas: each conversation always reaches the same one, with its own store."""

from api.cli import procfile
from bot.config import Settings
from bot.gateway.assistant import RasaClient


def test_a_conversation_always_goes_to_the_same_replica_and_conversations_spread_over_all():
    client = RasaClient(["http://127.0.0.1:5005", "http://127.0.0.1:5006"], timeout_seconds=1)
    ids = [f"conversation-{n}" for n in range(1000)]
    first = [client.replica_for(i) for i in ids]
    assert first == [client.replica_for(i) for i in ids]
    assert 400 < first.count(0) < 600


def test_each_replica_gets_its_own_port_and_sqlite_tracker_and_shares_a_server_store():
    settings = Settings(
        _env_file=None, rasa_port=6000, rasa_replicas=3, tracker_url="sqlite:////srv/var/rasa_tracker.db"
    )
    assert settings.rasa_base_urls() == [f"http://127.0.0.1:{port}" for port in (6000, 6001, 6002)]
    assert settings.tracker_url_for(2) == "sqlite:////srv/var/rasa_tracker_2.db"
    shared = Settings(_env_file=None, rasa_replicas=2, tracker_url="postgresql://db/tracker")
    assert shared.tracker_url_for(1) == "postgresql://db/tracker"
    lines = procfile(settings).read_text().splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("rasa")] == ["rasa", "rasa_1", "rasa_2"]
    assert (
        "export CONCORD_RASA_PORT=6002 CONCORD_TRACKER_URL=sqlite:////srv/var/rasa_tracker_2.db;" in lines[-1]
    )


def test_outreach_workers_get_processes_of_their_own_only_when_the_api_does_not_run_them():
    embedded = Settings(_env_file=None, outreach_channels=["sms"])
    assert not any(line.startswith("outreach") for line in procfile(embedded).read_text().splitlines())
    apart = Settings(_env_file=None, outreach_channels=["sms"], outreach_in_api=False, outreach_workers=2)
    workers = [line for line in procfile(apart).read_text().splitlines() if line.startswith("outreach")]
    assert workers == [f"outreach_{n}: .venv/bin/python -m api.cli outreach-worker" for n in (0, 1)]
