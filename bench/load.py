"""`make bench`: customers through the whole product, against raw Rasa, and how many it sustains.

    .venv/bin/python -m bench.load            (BENCH_USERS=50 BENCH_SECONDS=60 by default)

Closed loop. Starts the stack as `make run` does (SQLite in a temporary folder; BENCH_DATABASE_URL
for PostgreSQL) with BENCH_RASA_REPLICAS Rasa processes, seeds one bench customer per simulated
user, then runs two phases of BENCH_SECONDS each with BENCH_USERS concurrent customers walking
whole journeys without pause:

- product: over the web chat WebSocket, as the widget speaks it (gateway, database, language,
  sentiment and vulnerability, Rasa, actions, NLG, delivery);
- raw Rasa: the same messages straight to Rasa's REST channel, same model, same action server
  and NLG, so the difference is what the product adds.

Both phases read the CPU time (user + system) of every process of the stack at their start and
end, so they compare turns per CPU-second as well as turns per second.

Open loop, the capacity search (BENCH_CAPACITY=0 skips it), for each of BENCH_SETUPS in turn, on a
stack of its own started afresh:

- embedded: SQLite for the app and the tracker store, one process of each, no Redis (`make run`);
- scaled: PostgreSQL for the app and the tracker store, 2 api workers, 2 Rasa replicas, one
  `api.cli worker`, Redis.

Customers arrive as a Poisson process at each rate of BENCH_RATES (customers a second, from the
lowest) for BENCH_STEP_SECONDS each; every one opens its own web chat, walks one journey, pausing
to think before each message (exponential, mean BENCH_THINK_SECONDS; not part of any turn), and
leaves. A turn belongs to the step in which it was sent. The first step whose p95 exceeds 1 s, or
that lost a turn or had one fail, ends the search: arrivals stop and the customers still there
finish. The capacity is the highest rate whose step passed. Each step also gives every process
group's CPU milliseconds per turn answered during it (cpu_times at its start and end) and the
group's peak memory.

A journey: hi → (one in five: something not understood) → what do I owe → reference → date of
birth → a payment plan → weekly → an amount → the first option → yes → (one in ten: ask for a
person). Every turn is timed until its last reply; a turn without a reply is lost, a reply seen
twice is duplicated, a chat that would not open is a failed turn. Results go to
bench/results/<date>.json and .md, with charts <date>.png (closed-loop latency) and
<date>-capacity.png (p95 against the offered rate).
"""

import asyncio
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import websockets
from redis import Redis
from tqdm import tqdm

from bot.config import ROOT
from bot.db.engine import Database
from bot.db.models import Account, AccountStatus, Conversation, Customer
from bot.db.protection import protection
from tests.conftest import POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database
from tests.stack import launch, rasa_channel, stack_environment, stop, wait_until

USERS = int(os.environ.get("BENCH_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
# Rasa processes behind the gateway for the Concord phase; the baseline is always one of them.
REPLICAS = int(os.environ.get("BENCH_RASA_REPLICAS", "2"))
# BENCH_PROFILE=1: sample the api and the action server with py-spy during the Concord phase.
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
# The capacity search (open loop).
CAPACITY = os.environ.get("BENCH_CAPACITY", "1") != "0"
CHOSEN_SETUPS = [s.strip() for s in os.environ.get("BENCH_SETUPS", "embedded,scaled").split(",") if s.strip()]
RATES = sorted(float(rate) for rate in os.environ.get("BENCH_RATES", "0.25,0.5,1,1.5,2,3,4").split(","))
STEP_SECONDS = float(os.environ.get("BENCH_STEP_SECONDS", "60"))
THINK_SECONDS = float(os.environ.get("BENCH_THINK_SECONDS", "3"))
P95_LIMIT_MS = 1000.0
# Journeys walked at once on each setup's fresh stack before its search, not counted: the first
# turns load models and fill caches in every process.
WARM_UP = 4
RESULTS = ROOT / "bench" / "results"
TURN_TIMEOUT = 60.0
BORN = date(1980, 1, 2)
NOT_UNDERSTOOD = "the purple elephant sings"
# Every setup: no limit on how fast a bench customer sends, and no creditor page besides the api's own.
UNLIMITED = {"CONCORD_WEBCHAT_RATE_LIMIT": "100000/minute", "CONCORD_WIDGET_ORIGINS": "[]"}
# Flushed before the scaled setup starts.
REDIS_URL = "redis://127.0.0.1:6379/12"
# The capacity search's setups: what each is, and the processes it runs.
SETUPS = {
    "embedded": (
        "SQLite, one api, one Rasa, no Redis",
        {
            "CONCORD_API_WORKERS": "1",
            "CONCORD_RASA_REPLICAS": "1",
            "CONCORD_WORKERS": "0",
            "CONCORD_REDIS_URL": "",
        },
    ),
    "scaled": (
        "PostgreSQL, 2 api workers, 2 Rasa replicas, 1 worker, Redis",
        {
            "CONCORD_API_WORKERS": "2",
            "CONCORD_RASA_REPLICAS": "2",
            "CONCORD_WORKERS": "1",
            "CONCORD_REDIS_URL": REDIS_URL,
        },
    ),
}


@dataclass(eq=False)  # compared by identity: an open in flight is removed from the list once open
class Turn:
    sent: str
    started: float  # time.monotonic() when sent
    seconds: float | None = None  # until the last reply; None while still waiting for it
    replies: int = 0
    duplicated: int = 0
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.error is None and self.replies > 0


@dataclass
class Phase:
    name: str
    turns: list[Turn] = field(default_factory=list)
    elapsed: float = 0.0
    processes: dict[str, dict[str, float]] = field(default_factory=dict)

    def summary(self) -> dict[str, float | int]:
        ok = sorted(t.seconds for t in self.turns if t.answered)
        cuts = statistics.quantiles(ok, n=100) if len(ok) > 1 else [0.0] * 99
        return {
            "turns": len(self.turns),
            "turns_per_second": round(len(ok) / self.elapsed, 2),
            "p50_ms": round(cuts[49] * 1000, 1),
            "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
            "errors": sum(t.error is not None for t in self.turns),
            "lost": sum(t.error is None and not t.replies for t in self.turns),
            "duplicated": sum(t.duplicated for t in self.turns),
            "error_kinds": dict(Counter(t.error for t in self.turns if t.error is not None)),
        }

    def turns_per_cpu_second(self) -> float:
        """Turns answered per CPU-second of all the stack's processes together."""
        cpu = sum(group["cpu_seconds"] for group in self.processes.values())
        return round(sum(t.answered for t in self.turns) / cpu, 2)


def failure(error: Exception) -> str:
    """How a failed turn is counted: the exception's type and message (an error frame's code)."""
    return f"{type(error).__name__} {error}".strip()[:100]


# A channel: send one message, get (replies as (id, text, buttons), duplicated count).
Say = Callable[[str], Awaitable[tuple[list[dict], int]]]


async def journey(
    say: Say, reference: str, rng: random.Random, turns: list[Turn], think: float = 0.0
) -> None:
    """One conversation's messages; `think`: mean seconds the customer pauses before each (0: none)."""

    async def turn(text: str) -> list[dict]:
        if think:
            await asyncio.sleep(rng.expovariate(1 / think))
        record = Turn(text, time.monotonic())
        turns.append(record)
        try:
            replies, record.duplicated = await asyncio.wait_for(say(text), TURN_TIMEOUT)
        except Exception as error:  # a bench counts failures; it does not stop at the first
            record.error = failure(error)
            raise
        finally:
            record.seconds = time.monotonic() - record.started
        record.replies = len(replies)
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


async def visit(channel, reference: str, rng: random.Random, turns: list[Turn], think: float = 0.0) -> None:
    """A customer opens a conversation, walks a journey and leaves. Failures are counted in the
    turns, not raised; opening is a turn in flight until it succeeds, and a failed turn if not."""
    opening = Turn("(open)", time.monotonic())
    turns.append(opening)
    try:
        say, close = await asyncio.wait_for(channel.open(), TURN_TIMEOUT)
    except Exception as error:
        opening.seconds, opening.error = time.monotonic() - opening.started, failure(error)
        return
    turns.remove(opening)
    try:
        await journey(say, reference, rng, turns, think)
    except Exception:  # counted in the turn
        pass
    finally:
        await close()


class WebChat:
    """The product: a customer on the web chat, speaking the widget's protocol."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url

    async def open(self) -> tuple[Say, Callable[[], Awaitable[None]]]:
        socket = await websockets.connect(self.ws_url, max_size=2**20)
        session = json.loads(await socket.recv())["session"]
        await socket.recv()  # history
        frames: asyncio.Queue[dict | None] = asyncio.Queue()  # None: the chat closed
        seen: set[int] = set()

        async def read() -> None:
            """Frames as they come, as the widget reads them: a new session token (identity was
            just checked; it may come after the turn's last frame) replaces the old one at once."""
            nonlocal session
            try:
                async for raw in socket:
                    frame = json.loads(raw)
                    if frame["type"] == "session":
                        session = frame["session"]
                    else:
                        frames.put_nowait(frame)
            except websockets.ConnectionClosed:
                pass
            finally:
                frames.put_nowait(None)

        reader = asyncio.create_task(read())

        async def say(text: str) -> tuple[list[dict], int]:
            await socket.send(
                json.dumps(
                    {"type": "message", "session": session, "text": text, "client_id": str(uuid.uuid4())}
                )
            )
            replies, duplicated = [], 0
            while (frame := await frames.get()) is not None:
                if frame["type"] == "message":
                    duplicated += frame["id"] in seen
                    seen.add(frame["id"])
                    replies.append(frame)
                elif frame["type"] == "typing" and not frame["on"]:
                    return replies, duplicated
                elif frame["type"] == "error":
                    raise RuntimeError(frame.get("code", "error"))
            raise ConnectionError("the chat closed")

        async def close() -> None:
            await socket.close()
            await reader

        return say, close


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


def cpu_seconds(group: list[psutil.Process]) -> float:
    """User and system CPU time the group's processes have used so far."""
    return sum(times.user + times.system for times in (process.cpu_times() for process in group))


class Usage:
    """What each process group uses from now on: CPU seconds (cpu_times now and at `read()`) and
    peak memory (from `sample()`, called every second or so)."""

    def __init__(self, processes: dict[str, list[psutil.Process]]) -> None:
        self.processes = processes
        self.start = {label: cpu_seconds(group) for label, group in processes.items()}
        self.peak_mb = dict.fromkeys(processes, 0.0)
        self.sample()

    def sample(self) -> None:
        for label, group in self.processes.items():
            self.peak_mb[label] = max(self.peak_mb[label], sum(p.memory_info().rss for p in group) / 2**20)

    def read(self) -> dict[str, dict[str, float]]:
        self.sample()
        return {
            label: {"cpu_seconds": cpu_seconds(group) - self.start[label], "peak_rss_mb": self.peak_mb[label]}
            for label, group in self.processes.items()
        }


def progress_bar(label: str, seconds: float) -> tqdm:
    return tqdm(
        total=int(seconds), desc=f"{label:>8}", unit="s", bar_format="{desc} {bar} {n}/{total}s {postfix}"
    )


async def watch(usage: Usage, until: float, progress: tqdm, turns: list[Turn]) -> None:
    """Samples memory every second until `until`, moving the progress bar."""
    while (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(1.0, left))
        usage.sample()
        progress.n = min(progress.total, int(progress.total - (until - time.monotonic())))
        progress.set_postfix_str(f"{len(turns)} turns")


async def run_phase(
    name: str, channel, references: list[str], processes: dict[str, list[psutil.Process]]
) -> Phase:
    """Closed loop: USERS customers, each starting a new journey as soon as the last ends, for SECONDS."""
    phase = Phase(name)
    started = time.monotonic()
    stop_at = started + SECONDS
    usage = Usage(processes)

    async def customer(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < stop_at:
            await visit(channel, references[index], rng, phase.turns)

    with progress_bar(name, SECONDS) as progress:
        await asyncio.gather(
            watch(usage, stop_at, progress, phase.turns), *(customer(i) for i in range(USERS))
        )
    phase.elapsed = time.monotonic() - started
    phase.processes = {
        label: {
            "peak_rss_mb": round(used["peak_rss_mb"], 1),
            "cpu_seconds": round(used["cpu_seconds"], 2),
            "cpu_percent": round(100 * used["cpu_seconds"] / phase.elapsed, 1),
        }
        for label, used in usage.read().items()
    }
    return phase


@dataclass
class Window:
    """A step's arrivals, and what the processes used meanwhile."""

    rate: float
    start: float
    end: float
    customers: int = 0
    usage: dict[str, dict[str, float]] = field(default_factory=dict)
    answered: int = 0  # turns answered during the window, whenever they were sent


class CapacitySearch:
    """The open loop on one stack: customers arriving as a Poisson process at each of RATES in
    turn, until a step fails. Each step's arrivals start as the last one's end; a step is judged
    once every turn sent during it has its replies (or failed), while the next one runs."""

    def __init__(
        self, setup: str, chat: WebChat, references: list[str], processes: dict[str, list[psutil.Process]]
    ) -> None:
        self.setup, self.chat, self.references, self.processes = setup, chat, references, processes
        self.turns: list[Turn] = []
        self.visits: set[asyncio.Task] = set()
        self.arrived = 0
        self.gaps = random.Random(0)  # the same arrivals for every setup

    async def run(self) -> list[dict]:
        steps: list[dict] = []
        measured = None
        try:
            for rate in RATES:
                window = asyncio.create_task(self.window(rate))
                if measured is not None:
                    steps.append(await self.judge(measured))
                    if not steps[-1]["passed"]:
                        break
                measured = await window
            else:
                steps.append(await self.judge(measured))
        finally:
            window.cancel()
            with suppress(asyncio.CancelledError):
                await window
            print(f"{self.setup}: arrivals stopped; {len(self.visits)} customers finishing")
            await asyncio.gather(*self.visits)
        return steps

    async def window(self, rate: float) -> Window:
        """STEP_SECONDS of arrivals at `rate` customers a second."""
        start = time.monotonic()
        window = Window(rate, start, start + STEP_SECONDS)
        usage = Usage(self.processes)
        with progress_bar(f"{self.setup} {rate:g}/s", STEP_SECONDS) as progress:
            watching = asyncio.create_task(watch(usage, window.end, progress, self.turns))
            try:
                arrival = start
                while (arrival := arrival + self.gaps.expovariate(rate)) < window.end:
                    await asyncio.sleep(arrival - time.monotonic())
                    self.arrive()
                    window.customers += 1
                await watching
            finally:
                watching.cancel()
        window.usage = usage.read()
        window.answered = sum(t.answered and start <= t.started + t.seconds < window.end for t in self.turns)
        return window

    def arrive(self) -> None:
        n, self.arrived = self.arrived, self.arrived + 1
        reference = self.references[n % len(self.references)]  # seeded for more than ever arrive
        task = asyncio.create_task(visit(self.chat, reference, random.Random(n), self.turns, THINK_SECONDS))
        self.visits.add(task)
        task.add_done_callback(self.visits.discard)

    async def judge(self, window: Window) -> dict:
        """The step's figures, once every turn sent during it is over."""

        def sent() -> list[Turn]:
            return [t for t in self.turns if window.start <= t.started < window.end]

        while any(t.seconds is None for t in sent()):
            await asyncio.sleep(0.25)
        summary = Phase(f"{window.rate:g}/s", sent(), STEP_SECONDS).summary()
        cpu = {label: used["cpu_seconds"] for label, used in window.usage.items()}

        def per_turn(seconds: float) -> float | None:
            return round(1000 * seconds / window.answered, 1) if window.answered else None

        return {
            "rate": window.rate,
            "customers": window.customers,
            **summary,
            "passed": summary["p95_ms"] <= P95_LIMIT_MS and not summary["errors"] and not summary["lost"],
            "cpu_ms_per_turn": {label: per_turn(seconds) for label, seconds in cpu.items()},
            "concord_cpu_ms_per_turn": per_turn(sum(cpu.values())),
            "peak_rss_mb": {label: round(used["peak_rss_mb"], 1) for label, used in window.usage.items()},
        }


def capacity(steps: list[dict]) -> dict:
    """A setup's capacity: the highest rate whose step passed (steps stop at the first that did not)."""
    best = next((step for step in reversed(steps) if step["passed"]), None)
    return {
        "capacity_rate": best and best["rate"],
        "capacity_turns_per_second": best and best["turns_per_second"],
        "steps": steps,
        "cpu_ms_per_turn_at_capacity": best["cpu_ms_per_turn"] if best else {},
        "memory_mb": {
            label: max(step["peak_rss_mb"][label] for step in steps) for label in steps[0]["peak_rss_mb"]
        },
    }


async def seed(database: Database, count: int) -> list[str]:
    """`count` past-due accounts, one per simulated customer, so no two customers share a record."""
    references = [f"BN-{900000 + n}" for n in range(count)]
    birth = protection().birth_digest(BORN)  # the stack's data keys: tests.conftest sets them for both
    async with database.transaction() as session:
        for reference in references:
            customer = Customer(
                full_name="Bench Customer",
                date_of_birth_digest=birth,
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


def arrivals_to_seed() -> int:
    """More customers than will arrive in every step, bar a Poisson tail of five deviations."""
    expected = sum(RATES) * STEP_SECONDS
    return math.ceil(expected + 5 * math.sqrt(expected)) + 1


# Each group: what its processes' command lines hold.
GROUPS = {
    "api": "uvicorn",
    "rasa": "rasa_server run",
    "actions": "actions.server",
    "worker": "api.cli worker",
}


def stack_processes(root: psutil.Process) -> dict[str, list[psutil.Process]]:
    """The processes `api.cli run` started, by group, each with every process under it: api (the
    uvicorn master and its workers), rasa (every replica), actions, worker (`api.cli worker`).
    Groups the stack does not run are left out."""
    found: dict[str, list[psutil.Process]] = {label: [] for label in GROUPS}
    for child in root.children(recursive=True):
        command = child.cmdline()
        if not command or "python" not in Path(command[0]).name:
            continue
        for label, marker in GROUPS.items():
            if marker in " ".join(command):
                found[label] += [p for p in [child, *child.children(recursive=True)] if p not in found[label]]
    return {label: group for label, group in found.items() if group}


@dataclass
class Running:
    env: dict[str, str]
    database: Database
    references: list[str]
    processes: dict[str, list[psutil.Process]]

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.env['CONCORD_API_PORT']}/ws/chat"


@asynccontextmanager
async def running(env: dict[str, str], log: Path, customers: int) -> AsyncIterator[Running]:
    """A stack started as `make run` does, healthy and seeded with `customers` accounts; stopped after."""
    print(f"starting the stack (log: {log})")
    runner = launch(env, log)
    database = Database(env["CONCORD_DATABASE_URL"])
    try:
        wait_until(f"http://127.0.0.1:{env['CONCORD_API_PORT']}/healthz", log, runner, timeout=300)
        references = await seed(database, customers)
        yield Running(env, database, references, stack_processes(psutil.Process(runner.pid)))
    finally:
        await database.close()
        stop(runner)


@contextmanager
def setup_environment(setup: str, folder: Path) -> Iterator[dict[str, str]]:
    """A fresh environment for a capacity setup: embedded on new SQLite files in `folder`, scaled
    on two new PostgreSQL databases (dropped afterwards) and a flushed Redis database."""
    overrides = UNLIMITED | SETUPS[setup][1]
    if setup == "embedded":
        yield stack_environment(
            f"sqlite+aiosqlite:///{folder / 'embedded.db'}",
            f"sqlite:///{folder / 'embedded-tracker.db'}",
            **overrides,
        )
        return
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    redis.close()
    created: list[tuple[str, str]] = []
    try:
        for _ in ("app", "tracker"):
            created.append(create_postgres_database(POSTGRES_ADMIN_URL))
        (_, app_url), (_, tracker_url) = created
        # Rasa's SQLAlchemy 1.4 speaks psycopg2.
        yield stack_environment(
            app_url, tracker_url.replace("postgresql+psycopg://", "postgresql://"), **overrides
        )
    finally:
        for name, _ in created:
            drop_postgres_database(POSTGRES_ADMIN_URL, name)


async def search_capacity(setup: str, folder: Path) -> dict:
    with setup_environment(setup, folder) as env:
        async with running(env, folder / f"{setup}.log", WARM_UP + arrivals_to_seed()) as stack:
            chat = WebChat(stack.ws_url)
            warm, references = stack.references[:WARM_UP], stack.references[WARM_UP:]
            print(f"{setup}: warming up with {WARM_UP} journeys at once")
            await asyncio.gather(
                *(visit(chat, reference, random.Random(reference), []) for reference in warm)
            )
            return capacity(await CapacitySearch(setup, chat, references, stack.processes).run())


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
    product, raw = (p.summary() | {"turns_per_cpu_second": p.turns_per_cpu_second()} for p in phases)
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
            # Both count every process of the stack: the api serves raw Rasa's /nlg too.
            "turns_per_cpu_second": round(product["turns_per_cpu_second"] / raw["turns_per_cpu_second"], 2),
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
    if "capacity" in result:
        capacity_chart(result["capacity"], stem.with_name(f"{stem.name}-capacity.png"))
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
    per_core = (
        f"Per core: Concord answered {product['turns_per_cpu_second']} turns per CPU-second of all its "
        f"processes, raw Rasa {raw['turns_per_cpu_second']} per CPU-second of the same processes (Rasa, "
        f"the actions, and the api serving its /nlg): **{ratios['turns_per_cpu_second']}×**."
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
        + f"\n\n{per_core}\n"
        + "\nProcesses during the Concord phase (all together "
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
        + (capacity_markdown(result["capacity"], result["open_loop"]) if "capacity" in result else "")
    )


def capacity_markdown(found: dict[str, dict], open_loop: dict) -> str:
    text = (
        "\n## Capacity (open loop, p95 ≤ 1 s)\n\n"
        f"Customers arrive at random (Poisson) at each rate for {open_loop['step_seconds']:.0f} s and "
        f"think {open_loop['think_seconds']:g} s on average before each message; a turn counts in the "
        "step it was sent in. CPU is per turn answered during the step, every process of the group.\n"
    )
    for setup, result in found.items():
        steps, groups = result["steps"], list(result["memory_mb"])
        rows = [
            "| customers/s | arrived | turns/s | p50 | p95 | errors | lost | "
            + " | ".join(f"{group} CPU ms/turn" for group in groups)
            + " | all CPU ms/turn |",
            "|---" * (8 + len(groups)) + "|",
        ] + [
            f"| {step['rate']:g} | {step['customers']} | {step['turns_per_second']} | {step['p50_ms']} ms "
            f"| {step['p95_ms']} ms | {step['errors']} | {step['lost']} | "
            + " | ".join(str(step["cpu_ms_per_turn"][group]) for group in groups)
            + f" | {step['concord_cpu_ms_per_turn']} |"
            for step in steps
        ]
        if result["capacity_rate"] is None:
            verdict = f"not even {steps[0]['rate']:g} customers/s"
        else:
            verdict = (
                f"**{result['capacity_rate']:g} customers/s** ({result['capacity_turns_per_second']} turns/s) "
                "with p95 ≤ 1 s and nothing lost"
            )
        if not (failed := steps[-1])["passed"]:
            kinds = ", ".join(f"{kind}: {n}" for kind, n in failed["error_kinds"].items())
            verdict += (
                f"; at {failed['rate']:g}/s p95 was {failed['p95_ms']} ms, {failed['lost']} lost, "
                f"{failed['errors']} errors" + (f" ({kinds})" if kinds else "")
            )
        elif result["capacity_rate"] == open_loop["rates"][-1]:
            verdict += " (the highest rate tried)"
        memory = ", ".join(f"{group} {mb} MB" for group, mb in result["memory_mb"].items())
        text += (
            f"\n### {setup}: {SETUPS[setup][0]}\n\n"
            + "\n".join(rows)
            + f"\n\n{setup} sustains {verdict}. Peak memory: {memory}.\n"
        )
    return text


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def chart(phases: list[Phase], path: Path) -> None:
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(8, 4.5))
    for phase, colour in zip(phases, ("#1d3557", "#e76f51"), strict=True):
        values = sorted(t.seconds * 1000 for t in phase.turns if t.answered)
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


def capacity_chart(found: dict[str, dict], path: Path) -> None:
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(8, 4.5))
    for (setup, result), colour in zip(found.items(), ("#1d3557", "#e76f51"), strict=False):
        steps = result["steps"]
        axis.plot(
            [step["rate"] for step in steps],
            [step["p95_ms"] / 1000 for step in steps],
            marker="o",
            label=setup,
            color=colour,
        )
    axis.axhline(P95_LIMIT_MS / 1000, color="grey", linestyle="--", label="p95 limit, 1 s")
    axis.set_xlabel("offered rate (customers arriving per second)")
    axis.set_xticks(RATES)
    axis.xaxis.set_major_formatter("{x:g}")
    axis.set_ylabel("p95 turn latency")
    axis.set_yscale("log")
    # At least 0.1 to 10 s, so the decades are labelled whatever the figures.
    seconds = [
        step["p95_ms"] / 1000 for result in found.values() for step in result["steps"] if step["p95_ms"]
    ]
    axis.set_ylim(min([0.1, *seconds]) / 1.5, max([10, *seconds]) * 1.5)
    axis.yaxis.set_major_formatter("{x:g} s")
    axis.set_title(f"Open loop, think time {THINK_SECONDS:g} s")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


async def main() -> Path:
    if unknown := [setup for setup in CHOSEN_SETUPS if setup not in SETUPS]:
        raise SystemExit(f"BENCH_SETUPS: {', '.join(unknown)}? The setups are {', '.join(SETUPS)}.")
    folder = Path(tempfile.mkdtemp(prefix="concord-bench-"))
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{folder / 'concord.db'}"
    env = stack_environment(
        database_url,
        f"sqlite:///{folder / 'tracker.db'}",
        **UNLIMITED | SETUPS["embedded"][1] | {"CONCORD_RASA_REPLICAS": str(REPLICAS)},
    )
    async with running(env, folder / "stack.log", USERS) as stack:
        profilers = (
            [
                profile(busiest(stack.processes[label]), folder / f"{label}.txt")
                for label in ("api", "actions")
            ]
            if PROFILE
            else []
        )
        async with httpx.AsyncClient(
            timeout=TURN_TIMEOUT, limits=httpx.Limits(max_connections=USERS + 10)
        ) as http:
            phases = [await run_phase("concord", WebChat(stack.ws_url), stack.references, stack.processes)]
            for profiler in profilers:
                profiler.wait()
            phases.append(
                await run_phase(
                    "raw rasa", RawRasa(env, http, stack.database), stack.references, stack.processes
                )
            )
    found = {setup: await search_capacity(setup, folder) for setup in CHOSEN_SETUPS} if CAPACITY else {}
    machine = {
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": "3.11 (api, actions) / 3.10 (Rasa 3.6)",
        "database": database_url.split(":", 1)[0],
    }
    result = report(phases, machine)
    if PROFILE:
        result["profile"] = {label: hottest(folder / f"{label}.txt") for label in ("api", "actions")}
    if found:
        result["open_loop"] = {
            "rates": RATES,
            "step_seconds": STEP_SECONDS,
            "think_seconds": THINK_SECONDS,
            "p95_limit_ms": P95_LIMIT_MS,
        }
        result["capacity"] = found
    stem = write(result, phases)
    print(stem.with_suffix(".md").read_text())
    print(f"written: {stem}.json, .md, .png" + (", -capacity.png" if found else ""))
    return stem


if __name__ == "__main__":
    asyncio.run(main())
