"""Rasa's record of conversations (its SQL tracker store, table `events`), for erasure and
retention: Rasa keeps every message a customer typed there too, so forgetting a conversation
means forgetting it in every replica's store as well."""

from sqlalchemy import bindparam, create_engine, inspect, text

from bot.config import Settings


def delete_trackers(settings: Settings, conversation_ids: list[str]) -> int:
    """Remove the conversations' events from every replica's tracker store; returns how many."""
    if not conversation_ids:
        return 0
    deleted = 0
    for url in dict.fromkeys(settings.tracker_url_for(n) for n in range(settings.rasa_replicas)):
        engine = create_engine(_for_our_driver(url))
        try:
            with engine.begin() as connection:
                if not inspect(connection).has_table("events"):
                    continue  # this replica never stored anything
                for start in range(0, len(conversation_ids), 500):
                    batch = conversation_ids[start : start + 500]
                    statement = text("DELETE FROM events WHERE sender_id IN :ids").bindparams(
                        bindparam("ids", expanding=True)
                    )
                    deleted += connection.execute(statement, {"ids": batch}).rowcount
        finally:
            engine.dispose()
    return deleted


def _for_our_driver(url: str) -> str:
    """Rasa's URL names psycopg2's dialect; this side has psycopg 3."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
