"""The creditor's policy, read from `creditor.yml`: what may be offered, never hard-coded."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.domain.schedule import Frequency


@dataclass(frozen=True)
class ArrangementPolicy:
    frequencies: tuple[Frequency, ...]
    longest_term_days: int
    most_instalments: int
    first_payment_within_days: int
    promise_within_days: int
    short_delay_days: int
    lapse_after_missed: int
    smallest_instalment: dict[str, int]

    def smallest_instalment_for(self, currency: str) -> int:
        try:
            return self.smallest_instalment[currency]
        except KeyError:
            raise ValueError(f"creditor.yml sets no smallest instalment for {currency}") from None


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class StaffedHours:
    timezone: str
    days: frozenset[int]  # 0 is Monday
    opens: time
    closes: time

    def next_opening(self, now: datetime) -> datetime | None:
        """When people are next at work; None while they are (so a reply comes soon)."""
        local = now.astimezone(ZoneInfo(self.timezone))
        if local.weekday() in self.days and self.opens <= local.time() < self.closes:
            return None
        for days_ahead in range(8):
            day = (local + timedelta(days=days_ahead)).date()
            opening = datetime.combine(day, self.opens, tzinfo=local.tzinfo)
            if day.weekday() in self.days and opening > local:
                return opening
        raise ValueError("staffed_hours names no working day")


@dataclass(frozen=True)
class SupportLines:
    """Where someone in crisis or danger can get help now, in one jurisdiction."""

    crisis: str
    family_violence: str
    emergency: str


@dataclass(frozen=True)
class Cadence:
    """When the assistant starts a conversation, in days (creditor.yml `outreach.cadence`)."""

    first_contact_after_due: int
    before_due: int
    before_instalment: int
    missed_instalment_after: int
    re_engage_after_silence: int
    drop_after: int


@dataclass(frozen=True)
class OutreachPolicy:
    caps: dict[str, int]  # contacts per span where the jurisdiction sets none
    hours: dict[str, str] | None  # narrower hours everywhere ({"mon-sat": "08:00-20:00"})
    cadence: Cadence


@dataclass(frozen=True)
class CreditorPolicy:
    name: str
    payment_link_template: str
    payment_link_ttl_minutes: int
    arrangements: ArrangementPolicy
    phone: str
    website: str
    debt_advice: dict[str, str]
    home_jurisdiction: str
    support_lines: dict[str, SupportLines]
    staffed_hours: StaffedHours
    outreach: OutreachPolicy

    def support_lines_for(self, jurisdiction: str | None) -> SupportLines:
        return self.support_lines.get(jurisdiction or "") or self.support_lines[self.home_jurisdiction]

    def debt_advice_for(self, jurisdiction: str) -> str | None:
        """The free advice service to name where the customer lives; None where we know none."""
        return self.debt_advice.get(jurisdiction)


def load_policy(path: Path) -> CreditorPolicy:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    arrangements = data["arrangements"]
    if "{token}" not in data["payment_link_template"]:
        raise ValueError(f"{path}: payment_link_template needs a {{token}} placeholder")
    return CreditorPolicy(
        name=data["name"],
        payment_link_template=data["payment_link_template"],
        payment_link_ttl_minutes=int(data["payment_link_ttl_minutes"]),
        arrangements=ArrangementPolicy(
            frequencies=tuple(Frequency(f) for f in arrangements["frequencies"]),
            longest_term_days=int(arrangements["longest_term_days"]),
            most_instalments=int(arrangements["most_instalments"]),
            first_payment_within_days=int(arrangements["first_payment_within_days"]),
            promise_within_days=int(arrangements["promise_within_days"]),
            short_delay_days=int(arrangements["short_delay_days"]),
            lapse_after_missed=int(arrangements["lapse_after_missed"]),
            smallest_instalment={k: int(v) for k, v in arrangements["smallest_instalment"].items()},
        ),
        phone=data["contact"]["phone"],
        website=data["contact"]["website"],
        debt_advice=dict(data["debt_advice"]),
        home_jurisdiction=data["home_jurisdiction"],
        support_lines={code: SupportLines(**lines) for code, lines in data["support_lines"].items()},
        staffed_hours=_staffed_hours(data["staffed_hours"]),
        outreach=OutreachPolicy(
            caps={span: int(n) for span, n in data["outreach"]["caps"].items()},
            hours=data["outreach"].get("hours"),
            cadence=Cadence(**{name: int(days) for name, days in data["outreach"]["cadence"].items()}),
        ),
    )


def _staffed_hours(data: dict) -> StaffedHours:
    ZoneInfo(data["timezone"])  # an unknown zone fails here, at start-up
    return StaffedHours(
        timezone=data["timezone"],
        days=frozenset(DAYS.index(day) for day in data["days"]),
        opens=time.fromisoformat(data["opens"]),
        closes=time.fromisoformat(data["closes"]),
    )
