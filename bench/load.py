"""`make bench`: many customers at once through the whole product, against raw Rasa, same run.

    .venv/bin/python -m bench.load            (BENCH_USERS=50 BENCH_SECONDS=60 by default)

Starts the stack as `make run` does (SQLite in a temporary folder; BENCH_DATABASE_URL for
PostgreSQL), seeds one bench customer per simulated user, then runs two phases of
BENCH_SECONDS each with BENCH_USERS concurrent customers walking whole journeys:

- product: over the web chat WebSocket, as the widget speaks it (gateway, database, language,
  sentiment and vulnerability, Rasa, actions, NLG, delivery);
- raw Rasa: the same messages straight to Rasa's REST channel, same model, same action server
  and NLG, so the difference is what the product adds.

A journey: hi → (one in five: something not understood) → what do I owe → reference → date of
birth → a payment plan → weekly → an amount → the first option → yes → (one in ten: ask for a
person). Every turn is timed until its last reply; a turn without a reply is lost, a reply seen
twice is duplicated. Peak memory and CPU of each process are sampled. Results go to
bench/results/<date>.json, .md and .png.
"""

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import websockets
from tqdm import tqdm

from bot.config import ROOT
from bot.db.engine import Database
from bot.db.models import Account, AccountStatus, Conversation, Customer
from tests.stack import launch, rasa_channel, stack_environment, stop, wait_until

USERS = int(os.environ.get("BENCH_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
# Rasa processes behind the gateway for the Concord phase; the baseline is always one of them.
REPLICAS = int(os.environ.get("BENCH_RASA_REPLICAS", "2"))
# BENCH_PROFILE=1: sample the api and the action server with py-spy during the Concord phase.
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
RESULTS = ROOT / "bench" / "results"
TURN_TIMEOUT = 60.0
BORN = date(1980, 1, 2)
NOT_UNDERSTOOD = "the purple elephant sings"


@dataclass
class Turn:
    sent: str
    seconds: float
    replies: int
    duplicated: int = 0
    error: str | None = None


@dataclass
class Phase:
    name: str
    turns: list[Turn] = field(default_factory=list)
    elapsed: float = 0.0
    processes: dict[str, dict[str, float]] = field(default_factory=dict)

    def summary(self) -> dict[str, float | int]:
        ok = sorted(t.seconds for t in self.turns if t.error is None and t.replies)
        cuts = statistics.quantiles(ok, n=100) if len(ok) > 1 else [0.0] * 99
        return {
            "turns": len(self.turns),
            "turns_per_second": round(len(ok) / self.elapsed, 2),
            "p50_ms": round(cuts[49] * 1000, 1),
            "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
            "errors": sum(t.error is not None for t in self.turns),
            "lost": sum(t.error is None and t.replies == 0 for t in self.turns),
            "duplicated": sum(t.duplicated for t in self.turns),
        }


# A channel: send one message, get (replies as (id, text, buttons), duplicated count).
Say = Callable[[str], Awaitable[tuple[list[dict], int]]]


async def journey(say: Say, reference: str, rng: random.Random, turns: list[Turn]) -> None:
    async def turn(text: str) -> list[dict]:
        start = time.perf_counter()
        try:
            replies, duplicated = await asyncio.wait_for(say(text), TURN_TIMEOUT)
        except Exception as error:  # a bench counts failures; it does not stop at the first
            turns.append(Turn(text, time.perf_counter() - start, 0, error=type(error).__name__))
            raise
        turns.append(Turn(text, time.perf_counter() - start, len(replies), duplicated))
        return replies

    def button(replies: list[dict], index: int, fallback: str) -> str:
        buttons = [b for r in replies for b in r.get("buttons") or []]
        return buttons[index]["payload"] if len(buttons) > index else fallback

    await turn("hi")
    if rng.random() < 0.2:
        await turn(NOT_UNDERSTOOD)
    await turn("how much do I owe?")
    await turn(reference)
    await turn(BORN.strftime("%d/%m/%Y"))
    frequency = await turn("can I pay it off in instalments?")
    await turn(button(frequency, 0, "weekly"))
    options = await turn("I can do $100 a week")
    await turn(button(options, 0, "1"))
    await turn("yes, I agree")
    if rng.random() < 0.1:
        await turn("can I talk to a person please")


class WebChat:
    """The product: a customer on the web chat, speaking the widget's protocol."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url

    async def open(self) -> tuple[Say, Callable[[], Awaitable[None]]]:
        socket = await websockets.connect(self.ws_url, max_size=2**20)
        session = json.loads(await socket.recv())["session"]
        await socket.recv()  # history
        seen: set[int] = set()

        async def say(text: str) -> tuple[list[dict], int]:
            await socket.send(
                json.dumps(
                    {"type": "message", "session": session, "text": text, "client_id": str(uuid.uuid4())}
                )
            )
            replies, duplicated = [], 0
            while True:
                frame = json.loads(await socket.recv())
                if frame["type"] == "message":
                    duplicated += frame["id"] in seen
                    seen.add(frame["id"])
                    replies.append(frame)
                elif frame["type"] == "typing" and not frame["on"]:
                    return replies, duplicated
                elif frame["type"] == "error":
                    raise RuntimeError(frame.get("code", "error"))

        return say, socket.close


class RawRasa:
    """The baseline: the same messages straight to Rasa's REST channel (the gateway's, which
    differs from Rasa's own only in checking a header)."""

    def __init__(self, env: dict[str, str], http: httpx.AsyncClient, database: Database) -> None:
        (self.url, self.headers), self.http, self.database = rasa_channel(env), http, database

    async def open(self) -> tuple[Say, Callable[[], Awaitable[None]]]:
        # The actions keep their state per conversation, so the baseline's exist too.
        async with self.database.transaction() as session:
            conversation = Conversation(channel="web", channel_user_id="bench-raw", language="en")
            session.add(conversation)
        sender = conversation.id

        async def say(text: str) -> tuple[list[dict], int]:
            response = await self.http.post(
                self.url, json={"sender": sender, "message": text}, headers=self.headers
            )
            response.raise_for_status()
            return response.json(), 0

        async def close() -> None:
            return None

        return say, close


async def run_phase(name: str, channel, references: list[str], processes: dict[str, psutil.Process]) -> Phase:
    phase = Phase(name)
    stop_at = time.monotonic() + SECONDS
    progress = tqdm(
        total=int(SECONDS), desc=f"{name:>8}", unit="s", bar_format="{desc} {bar} {n}/{total}s {postfix}"
    )

    async def customer(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < stop_at:
            say, close = await channel.open()
            try:
                await journey(say, references[index], rng, phase.turns)
            except Exception:  # counted in the turn; a new conversation starts
                pass
            finally:
                await close()

    async def sample() -> None:
        peaks = {label: 0.0 for label in processes}
        cpu: dict[str, list[float]] = {label: [] for label in processes}
        for group in processes.values():
            for process in group:
                process.cpu_percent()
        while time.monotonic() < stop_at:
            await asyncio.sleep(1)
            for label, group in processes.items():
                peaks[label] = max(peaks[label], sum(p.memory_info().rss for p in group) / 2**20)
                cpu[label].append(sum(p.cpu_percent() for p in group))
            progress.n = min(int(SECONDS), int(SECONDS - (stop_at - time.monotonic())))
            progress.set_postfix_str(f"{len(phase.turns)} turns")
        phase.processes = {
            label: {
                "peak_rss_mb": round(peaks[label], 1),
                "cpu_percent": round(statistics.mean(cpu[label] or [0]), 1),
            }
            for label in processes
        }

    started = time.monotonic()
    await asyncio.gather(sample(), *(customer(i) for i in range(USERS)))
    phase.elapsed = time.monotonic() - started
    progress.close()
    return phase


async def seed(database: Database) -> list[str]:
    """One past-due account per simulated customer, so no two customers share a record."""
    references = [f"BN-{900000 + n}" for n in range(USERS)]
    async with database.transaction() as session:
        for reference in references:
            customer = Customer(
                full_name="Bench Customer",
                date_of_birth=BORN,
                language="en",
                locale="en_AU",
                timezone="Australia/Sydney",
                jurisdiction="AU",
            )
            session.add_all(
                [
                    customer,
                    Account(
                        customer=customer,
                        reference=reference,
                        product="Mobile plan",
                        currency="AUD",
                        balance_minor=120_000,
                        overdue_minor=30_000,
                        minimum_payment_minor=5_000,
                        fees_minor=0,
                        due_date=(datetime.now(UTC) - timedelta(days=20)).date(),
                        status=AccountStatus.PAST_DUE,
                    ),
                ]
            )
    return references


def stack_processes(root: psutil.Process) -> dict[str, list[psutil.Process]]:
    """Rasa, the action server and the api among the processes `api.cli run` started, each with
    every process it runs in (the action server's workers are children of its manager)."""
    found: dict[str, list[psutil.Process]] = {"rasa": [], "actions": [], "api": []}  # rasa: every replica
    for child in root.children(recursive=True):
        command = " ".join(child.cmdline())
        for label, marker in (("rasa", "rasa_server run"), ("actions", "actions.server"), ("api", "uvicorn")):
            if marker in command and "python" in Path(child.cmdline()[0]).name:
                found[label] += [child, *child.children(recursive=True)]
    return found


def busiest(processes: list[psutil.Process]) -> psutil.Process:
    """The one doing the work: the last started (a worker rather than its manager)."""
    return max(processes, key=lambda p: p.create_time())


def profile(process: psutil.Process, output: Path) -> subprocess.Popen:
    """py-spy sampling one process for the Concord phase, as collapsed stacks."""
    py_spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [
            str(py_spy),
            "record",
            "--pid",
            str(process.pid),
            "--duration",
            str(int(SECONDS)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def hottest(collapsed: Path, top: int = 12) -> dict[str, list[tuple[str, float]]]:
    """Where a process spent its samples: through each of our own functions (bot/, api/,
    actions/), and in each function that was running at the time (any library)."""
    if not collapsed.exists():
        return {}
    ours: Counter[str] = Counter()
    running: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        total += int(count)
        running[_short(frames[-1])] += int(count)
        for frame in {_short(f) for f in frames if _path(f).split("/")[0] in OUR_CODE}:
            ours[frame] += int(count)

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(frame, round(100 * n / total, 1)) for frame, n in counter.most_common(top)]

    return {"through our functions": shares(ours), "running": shares(running)} if total else {}


OUR_CODE = {"bot", "api", "actions"}


def _path(frame: str) -> str:
    """ "receive (bot/gateway/intake.py:97)" → "bot/gateway/intake.py" (py-spy names files from their package)"""
    return frame.rpartition(" (")[2].rsplit(":", 1)[0]


def _short(frame: str) -> str:
    return f"{frame.rpartition(' (')[0]} ({_path(frame)})"


def report(phases: list[Phase], machine: dict[str, object]) -> dict[str, object]:
    product, raw = (p.summary() for p in phases)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "users": USERS,
        "seconds_per_phase": SECONDS,
        "rasa_replicas": REPLICAS,
        "machine": machine,
        "product": product | {"processes": phases[0].processes},
        "raw_rasa": raw | {"processes": phases[1].processes},
        "ratios": {
            "p50": round(product["p50_ms"] / raw["p50_ms"], 2),
            "p95": round(product["p95_ms"] / raw["p95_ms"], 2),
            "p99": round(product["p99_ms"] / raw["p99_ms"], 2),
            "throughput": round(product["turns_per_second"] / raw["turns_per_second"], 2),
        },
        "memory_mb_all_processes": round(sum(p["peak_rss_mb"] for p in phases[0].processes.values()), 1),
    }
    return result


def write(result: dict[str, object], phases: list[Phase]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    chart(phases, stem.with_suffix(".png"))
    return stem


def markdown(result: dict) -> str:
    product, raw, ratios = result["product"], result["raw_rasa"], result["ratios"]
    rows = [
        "| | turns | turns/s | p50 | p95 | p99 | errors | lost | duplicated |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, data in (("Concord (web chat)", product), ("Raw Rasa REST", raw)):
        rows.append(
            f"| {label} | {data['turns']} | {data['turns_per_second']} | {data['p50_ms']} ms | {data['p95_ms']} ms "
            f"| {data['p99_ms']} ms | {data['errors']} | {data['lost']} | {data['duplicated']} |"
        )
    rows.append(
        f"| **Concord / raw** | | **{ratios['throughput']}×** | {ratios['p50']}× | **{ratios['p95']}×** | {ratios['p99']}× | | | |"
    )
    memory = ["| process | peak RSS | mean CPU |", "|---|---|---|"] + [
        f"| {name} | {p['peak_rss_mb']} MB | {p['cpu_percent']}% |"
        for name, p in product["processes"].items()
    ]
    machine = result["machine"]
    return (
        f"# Concord benchmark, {result['date']}\n\n"
        f"{result['users']} concurrent customers, {result['seconds_per_phase']:.0f} s per phase, "
        f"{result['rasa_replicas']} Rasa replicas behind Concord against one raw Rasa process, "
        f"{machine['cpus']} CPUs, {machine['memory_gb']} GB, Python {machine['python']}, {machine['database']}.\n\n"
        + "\n".join(rows)
        + "\n\nProcesses during the Concord phase (all together "
        + f"{result['memory_mb_all_processes']} MB):\n\n"
        + "\n".join(memory)
        + "\n"
        + "".join(
            f"\nWhere {label} spent its samples, {kind}:\n\n"
            + "\n".join(f"- {frame}: {share}%" for frame, share in frames)
            + "\n"
            for label, kinds in result.get("profile", {}).items()
            for kind, frames in kinds.items()
        )
    )


def chart(phases: list[Phase], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5))
    for phase, colour in zip(phases, ("#1d3557", "#e76f51"), strict=True):
        values = sorted(t.seconds * 1000 for t in phase.turns if t.error is None and t.replies)
        if values:
            axis.plot(
                [100 * n / len(values) for n in range(len(values))], values, label=phase.name, color=colour
            )
    axis.set_xlabel("percentile of turns")
    axis.set_ylabel("turn latency (ms)")
    axis.set_yscale("log")
    axis.set_title(f"Turn latency, {USERS} concurrent customers")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


async def main() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="concord-bench-"))
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{folder / 'concord.db'}"
    env = stack_environment(
        database_url,
        f"sqlite:///{folder / 'tracker.db'}",
        CONCORD_WEBCHAT_RATE_LIMIT="100000/minute",
        CONCORD_WIDGET_ORIGINS="[]",
        CONCORD_RASA_REPLICAS=str(REPLICAS),
    )
    log = folder / "stack.log"
    print(f"starting the stack (log: {log})")
    runner = launch(env, log)
    api_url = f"http://127.0.0.1:{env['CONCORD_API_PORT']}"
    database = Database(database_url)
    try:
        wait_until(f"{api_url}/healthz", log, runner, timeout=300)
        references = await seed(database)
        processes = stack_processes(psutil.Process(runner.pid))
        profilers = (
            [profile(busiest(processes[label]), folder / f"{label}.txt") for label in ("api", "actions")]
            if PROFILE
            else []
        )
        async with httpx.AsyncClient(
            timeout=TURN_TIMEOUT, limits=httpx.Limits(max_connections=USERS + 10)
        ) as http:
            phases = [
                await run_phase(
                    "concord", WebChat(api_url.replace("http", "ws") + "/ws/chat"), references, processes
                ),
            ]
            for profiler in profilers:
                profiler.wait()
            phases.append(await run_phase("raw rasa", RawRasa(env, http, database), references, processes))
    finally:
        await database.close()
        stop(runner)
    machine = {
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": "3.11 (api, actions) / 3.10 (Rasa 3.6)",
        "database": database_url.split(":", 1)[0],
    }
    result = report(phases, machine)
    if PROFILE:
        result["profile"] = {label: hottest(folder / f"{label}.txt") for label in ("api", "actions")}
    stem = write(result, phases)
    print(stem.with_suffix(".md").read_text())
    print(f"written: {stem}.json, .md, .png")
    return stem


if __name__ == "__main__":
    asyncio.run(main())
