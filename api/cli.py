"""Operating Concord: `python -m api.cli migrate | seed | run | hints | create-user`."""

import argparse
import asyncio
import getpass
import hashlib
import os
import shlex
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from alembic import command
from alembic.config import Config
from cryptography.fernet import Fernet
from sqlalchemy import event, select

from bot.config import ROOT, Settings, get_settings
from bot.db.audit import record
from bot.db.demo_data import DEMO_CUSTOMERS, seed_if_empty
from bot.db.engine import Database


def migrate(settings: Settings) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = settings.database_url
    command.upgrade(config, "head")


async def seed(settings: Settings) -> bool:
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            return await seed_if_empty(session)
    finally:
        await db.close()


async def create_user(settings: Settings, username: str, name: str, role: str, languages: list[str]) -> str:
    """A console user; the password comes from CONCORD_NEW_USER_PASSWORD or is asked for (never an argument)."""
    from bot.people.agents import AgentError, create_agent

    password = os.environ.get("CONCORD_NEW_USER_PASSWORD") or getpass.getpass(f"password for {username}: ")
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            agent = await create_agent(session, username, name, password, role, languages)
    except AgentError as error:
        raise SystemExit(f"not created: {error}") from None
    finally:
        await db.close()
    return f"created {agent.role.value} {agent.username} ({', '.join(agent.languages) or 'no languages'})"


async def create_api_key(settings: Settings, name: str, scopes: list[str]) -> str:
    """A key for the creditor's systems; its token is printed once and never stored."""
    from bot.creditor.keys import Scope, issue

    try:
        wanted = [Scope(scope) for scope in scopes]
    except ValueError:
        raise SystemExit(f"scopes are {', '.join(Scope)}") from None
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            issued = await issue(session, name, wanted)
    except ValueError as error:
        raise SystemExit(f"not created: {error}") from None
    finally:
        await db.close()
    return (
        f"key {issued.key.key_id} for {issued.key.name} ({', '.join(issued.key.scopes)}); "
        f"shown only now, keep it secret:\n{issued.token}"
    )


async def revoke_api_key(settings: Settings, key_id: str) -> str:
    from bot.creditor.keys import revoke

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            key = await revoke(session, key_id)
    except LookupError as error:
        raise SystemExit(str(error)) from None
    finally:
        await db.close()
    return f"key {key.key_id} ({key.name}) revoked"


async def list_api_keys(settings: Settings) -> str:
    from bot.creditor.keys import listed

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            keys = await listed(session)
    finally:
        await db.close()
    return (
        "\n".join(
            f"{key.key_id}  {key.name}  {','.join(key.scopes)}  "
            + (f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live")
            for key in keys
        )
        or "no keys"
    )


def process_environment(settings: Settings) -> dict[str, str]:
    """What the Procfile and endpoints.yml read: every address derived from one settings object."""
    return {
        "CONCORD_HOST": settings.host,
        "CONCORD_INTERNAL_HOST": settings.internal_host,
        "CONCORD_API_PORT": str(settings.api_port),
        "CONCORD_RASA_PORT": str(settings.rasa_port),
        "CONCORD_ACTIONS_PORT": str(settings.actions_port),
        "CONCORD_RASA_TOKEN": settings.rasa_token,
        "CONCORD_INTERNAL_TOKEN": settings.internal_token,
        "CONCORD_ACTIONS_WEBHOOK": f"{settings.actions_base_url()}/webhook",
        "CONCORD_NLG_URL": f"{settings.local_api_url()}/nlg",
        "CONCORD_TRACKER_URL": settings.tracker_url,
        "CONCORD_DATABASE_URL": settings.database_url,
        "CONCORD_API_WORKERS": str(settings.api_workers),
        # Replicas sharing a tracker store also share Rasa's lock store, in Redis.
        "CONCORD_RASA_ENDPOINTS": "endpoints-shared.yml" if rasa_shares(settings) else "endpoints.yml",
        **_lock_store(settings.redis_url),
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }


def rasa_shares(settings: Settings) -> bool:
    return settings.shared_trackers() and bool(settings.redis_url)


def _lock_store(redis_url: str) -> dict[str, str]:
    """Rasa's Redis lock store takes a host, port and database, not a URL."""
    if not redis_url:
        return {}
    parts = urlsplit(redis_url)
    return {
        "CONCORD_LOCK_STORE_HOST": parts.hostname or "127.0.0.1",
        "CONCORD_LOCK_STORE_PORT": str(parts.port or 6379),
        "CONCORD_LOCK_STORE_DB": parts.path.strip("/") or "0",
    }


async def set_telegram_webhook(settings: Settings) -> str:
    """Point the Telegram bot at our webhook, with the secret Telegram will send back."""
    from bot.channels.telegram import bot_for

    bot = bot_for(settings)
    if bot is None or not settings.telegram_webhook_secret:
        raise SystemExit("set CONCORD_TELEGRAM_BOT_TOKEN and CONCORD_TELEGRAM_WEBHOOK_SECRET first")
    url = f"{settings.api_base_url()}/webhooks/telegram"
    async with bot:
        await bot.set_webhook(url=url, secret_token=settings.telegram_webhook_secret)
        return f"https://t.me/{bot.username}"


async def telegram_link(settings: Settings, reference: str) -> str:
    """A deep link that opens the bot already knowing which customer the chat belongs to: it
    expires after CONCORD_DEEP_LINK_DAYS and belongs to the first chat that opens it."""
    from bot.channels.telegram import bot_for
    from bot.db.types import utcnow
    from bot.domain.deep_links import create_link

    bot = bot_for(settings)
    if bot is None:
        raise SystemExit("set CONCORD_TELEGRAM_BOT_TOKEN first")
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            customer_id = await _customer_of(session, reference)
            lifetime = timedelta(days=settings.deep_link_days)
            token = await create_link(session, customer_id, "telegram", lifetime, utcnow())
    finally:
        await db.close()
    async with bot:
        return f"https://t.me/{bot.username}?start={token}"


async def _customer_of(session, reference: str) -> int:
    """The customer whose account this is; a clear exit when there is none."""
    from bot.db.models import Account

    account = await session.scalar(select(Account).where(Account.reference == reference))
    if account is None:
        raise SystemExit(f"no account {reference}")
    return account.customer_id


async def erase_customer(settings: Settings, reference: str) -> str:
    """Everything about the customer whose account this is, here and in Rasa's trackers."""
    from bot.db.trackers import delete_trackers
    from bot.domain import erasure

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            conversations = await erasure.erase_customer(
                session, await _customer_of(session, reference), "cli"
            )
    finally:
        await db.close()
    events = delete_trackers(settings, conversations)
    return (
        f"erased the customer of {reference}: {len(conversations)} conversations, {events} assistant events"
    )


async def purge(settings: Settings, days: float) -> str:
    """Every conversation quiet for longer than `days` (none still with a person)."""
    from bot.db.trackers import delete_trackers
    from bot.db.types import utcnow
    from bot.domain import erasure

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            conversations = await erasure.expired_conversations(session, utcnow() - timedelta(days=days))
            await erasure.erase_conversations(session, conversations)
            record(
                session, "cli", "conversations_purged", details={"days": days, "count": len(conversations)}
            )
    finally:
        await db.close()
    events = delete_trackers(settings, conversations)
    return f"erased {len(conversations)} conversations older than {days:g} days, {events} assistant events"


async def rotate_keys(settings: Settings) -> str:
    """Re-encrypt personal data with the newest of CONCORD_DATA_KEYS."""
    from bot.db.key_rotation import rotate_keys as rotate

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            rotated = await rotate(session)
            record(session, "cli", "data_keys_rotated", details={"customers": rotated.customers})
    finally:
        await db.close()
    waiting = (
        f"; {rotated.older_birth_hashes} dates of birth move to it when their owners next verify "
        "(keep the older keys listed until then)"
        if rotated.older_birth_hashes
        else "; every date of birth is under it too: older keys can be removed"
    )
    return f"re-encrypted {rotated.customers} customers with the newest data key{waiting}"


def outreach_simulate(start: date, days: int, accounts: int, seed: int, out: Path) -> str:
    """The real scheduler and contact policy on a simulated clock, in a database of its own."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        # Twilio and Telegram are configured only so messages are composed as they would be; the
        # simulation stops at the outbox, so nothing is sent anywhere.
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{scratch}/simulation.db",
            twilio_auth_token="simulation",
            twilio_sms_from="+10000000000",
            twilio_whatsapp_from="+10000000000",
            telegram_bot_token="0:simulation",
        )
        migrate(settings)
        return asyncio.run(_simulate(settings, start, days, accounts, seed, out))


async def _simulate(settings: Settings, start: date, days: int, accounts: int, seed: int, out: Path) -> str:
    from bot.channels import build_channels, close_channels, senders
    from bot.domain.policy import load_policy
    from bot.i18n import Catalog
    from bot.outreach.simulation import simulate

    db = Database(settings.database_url)
    event.listen(db.engine.sync_engine, "connect", _scratch)
    channels = build_channels(settings)
    try:
        with out.open("w", encoding="utf-8") as ledger:
            summary = await simulate(
                db,
                load_policy(ROOT / "creditor.yml"),
                Catalog(settings.locales_dir, settings.default_language),
                channels,
                senders(channels),
                start,
                days,
                accounts,
                seed,
                ledger,
            )
    finally:
        await close_channels(channels)
        await db.close()
    return summary.table()


def _scratch(dbapi_connection, _record) -> None:
    # A database thrown away at the end: no need to wait for the disk after each commit.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


async def worker(settings: Settings) -> None:
    """The loops beside the web (api.background) as a process of their own."""
    from api.background import run_worker
    from api.core import open_core

    await run_worker(await open_core(settings))


def hints(settings: Settings) -> str:
    lines = [
        "",
        "Concord is running:",
        f"  creditor page   {settings.api_base_url()}/   (the chat widget is in the corner)",
        f'  widget tag      <script src="{settings.api_base_url()}/widget.js" async></script>',
        f"  agent console   {settings.api_base_url()}/console   (add a user: make user USERNAME=... NAME=...)",
        f"  health          {settings.api_base_url()}/healthz",
        f"  Rasa            {', '.join(settings.rasa_base_urls())}",
        "",
        "Try this (fictional demo customers): say hi, ask what you owe, then give",
    ]
    lines += [
        f"  {c.reference}  born {c.born:%d %B %Y}   ({c.currency}, {c.locale}, {c.days_past_due} days past due)"
        for c in DEMO_CUSTOMERS
    ]
    return "\n".join(lines + ["", "Ctrl-C stops all three processes.", ""])


def refusal(weak: list[str]) -> str:
    secrets = [name for name in weak if name != "CONCORD_DATA_KEYS"]
    text = (
        "Concord is configured to be reachable beyond this machine (CONCORD_HOST, CONCORD_INTERNAL_HOST "
        "or CONCORD_PUBLIC_URL is not loopback), so it will not start with default secrets."
    )
    if secrets:
        text += (
            f" Set {', '.join(secrets)} to a long random value each (at least 32 characters, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"`).'
        )
    if "CONCORD_DATA_KEYS" in weak:
        text += ' Set CONCORD_DATA_KEYS to ["<key>"], a key from `python -m api.cli new-data-key`.'
    return text


def procfile(settings: Settings) -> Path:
    """The Procfile, with a line for each Rasa replica beyond the first (its port and tracker
    store) and one for each worker (CONCORD_WORKERS)."""
    base = (ROOT / "Procfile").read_text().splitlines()
    lines = list(base)
    rasa = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("rasa:"))
    lines += [
        f"rasa_{n}: export CONCORD_RASA_PORT={settings.rasa_port + n} "
        f"CONCORD_TRACKER_URL={shlex.quote(settings.tracker_url_for(n))}; {rasa}"
        for n in range(1, settings.rasa_replicas)
    ]
    lines += [f"worker_{n}: .venv/bin/python -m api.cli worker" for n in range(settings.workers)]
    if lines == base:
        return ROOT / "Procfile"
    text = "\n".join(lines) + "\n"
    # Named by its content, so two Concords starting at once with different process counts
    # never read each other's.
    generated = ROOT / "var" / f"Procfile.{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    generated.parent.mkdir(exist_ok=True)
    generated.write_text(text)
    return generated


def run(settings: Settings, only: list[str], wait_seconds: float) -> int:
    if weak := settings.weak_secrets():
        print(refusal(weak), file=sys.stderr)
        return 2
    (ROOT / "var").mkdir(exist_ok=True)
    migrate(settings)
    if asyncio.run(seed(settings)):
        print("Seeded the demo customers.", flush=True)
    environment = os.environ | process_environment(settings)
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start", "-f", str(procfile(settings)), *only],
        cwd=ROOT,
        env=environment,
    )
    try:
        if not only and not _wait_healthy(settings, supervisor, wait_seconds):
            print("Concord did not become healthy in time; see the logs above.", file=sys.stderr)
            supervisor.send_signal(signal.SIGINT)
            supervisor.wait()
            return 1
        if not only:
            print(hints(settings), flush=True)
        return supervisor.wait()
    except KeyboardInterrupt:
        supervisor.send_signal(signal.SIGINT)
        return supervisor.wait()


def _wait_healthy(settings: Settings, supervisor: subprocess.Popen, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline and supervisor.poll() is None:
        try:
            if httpx.get(f"{settings.local_api_url()}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m api.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed", help="add the demo customers if the database is empty")
    sub.add_parser("hints", help="print the demo accounts to try")
    sub.add_parser("telegram-webhook", help="point the Telegram bot at this api, with the webhook secret")
    link_parser = sub.add_parser("telegram-link", help="print a Telegram deep link for an account's customer")
    link_parser.add_argument("reference")
    user_parser = sub.add_parser("create-user", help="add a console user (agent, supervisor or admin)")
    user_parser.add_argument("username")
    user_parser.add_argument("--name", required=True, help="shown to customers, e.g. 'Maria'")
    user_parser.add_argument("--role", default="agent", choices=["agent", "supervisor", "admin"])
    user_parser.add_argument(
        "--languages", default="en", help="comma-separated codes the person reads, e.g. en,id"
    )
    key_parser = sub.add_parser("create-api-key", help="a key for the creditor's systems (/api/v1)")
    key_parser.add_argument("name", help="which system holds it, e.g. 'collections-core'")
    key_parser.add_argument(
        "--scopes",
        default="accounts,payments,events,reports",
        help="comma-separated: accounts,payments,events,reports",
    )
    revoke_parser = sub.add_parser("revoke-api-key", help="stop a key working at once")
    revoke_parser.add_argument("key_id")
    sub.add_parser("api-keys", help="list the API keys (never their secrets)")
    erase_parser = sub.add_parser(
        "erase-customer", help="erase everything about the customer whose account this is (right to erasure)"
    )
    erase_parser.add_argument("reference")
    purge_parser = sub.add_parser(
        "purge", help="erase every conversation quiet for longer than the retention"
    )
    purge_parser.add_argument(
        "--days", type=float, default=None, help="retention in days (default CONCORD_RETENTION_DAYS)"
    )
    sub.add_parser("new-data-key", help="print a new key for CONCORD_DATA_KEYS (put it first)")
    sub.add_parser("rotate-keys", help="re-encrypt personal data with the newest of CONCORD_DATA_KEYS")
    simulate_parser = sub.add_parser(
        "outreach-simulate", help="a month of outreach on a simulated clock; writes the ledger as JSON lines"
    )
    simulate_parser.add_argument(
        "--start", type=date.fromisoformat, required=True, help="first day, e.g. 2027-01-04"
    )
    simulate_parser.add_argument("--days", type=int, default=30)
    simulate_parser.add_argument("--accounts", type=int, default=1000)
    simulate_parser.add_argument("--seed", type=int, default=7)
    simulate_parser.add_argument("--out", type=Path, required=True)
    sub.add_parser(
        "worker",
        help="run the outbox, waiting messages, missed instalments, webhooks and outreach (many may run)",
    )
    run_parser = sub.add_parser("run", help="migrate, seed, start Rasa, actions and api, wait until healthy")
    run_parser.add_argument(
        "only", nargs="*", choices=["rasa", "actions", "api", []], help="start only these"
    )
    run_parser.add_argument("--wait", type=float, default=300, help="seconds to wait for health")
    args = parser.parse_args()
    settings = get_settings()
    if args.command == "migrate":
        migrate(settings)
    elif args.command == "seed":
        print("seeded" if asyncio.run(seed(settings)) else "the database already has customers")
    elif args.command == "hints":
        print(hints(settings))
    elif args.command == "telegram-webhook":
        print(f"webhook set; the bot is {asyncio.run(set_telegram_webhook(settings))}")
    elif args.command == "create-user":
        languages = [code.strip() for code in args.languages.split(",") if code.strip()]
        print(asyncio.run(create_user(settings, args.username, args.name, args.role, languages)))
    elif args.command == "create-api-key":
        scopes = [scope.strip() for scope in args.scopes.split(",") if scope.strip()]
        print(asyncio.run(create_api_key(settings, args.name, scopes)))
    elif args.command == "revoke-api-key":
        print(asyncio.run(revoke_api_key(settings, args.key_id)))
    elif args.command == "api-keys":
        print(asyncio.run(list_api_keys(settings)))
    elif args.command == "telegram-link":
        print(asyncio.run(telegram_link(settings, args.reference)))
    elif args.command == "erase-customer":
        print(asyncio.run(erase_customer(settings, args.reference)))
    elif args.command == "purge":
        print(asyncio.run(purge(settings, args.days if args.days is not None else settings.retention_days)))
    elif args.command == "new-data-key":
        print(Fernet.generate_key().decode())
    elif args.command == "rotate-keys":
        print(asyncio.run(rotate_keys(settings)))
    elif args.command == "outreach-simulate":
        print(outreach_simulate(args.start, args.days, args.accounts, args.seed, args.out))
    elif args.command == "worker":
        asyncio.run(worker(settings))
    else:
        return run(settings, args.only, args.wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
