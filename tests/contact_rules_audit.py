"""An audit of contacts against the rules, written apart from the contact policy it checks: it reads
the rules table (contact_rules.yml) and creditor.yml itself, asks the `holidays` package directly
and counts the ledger plainly."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import yaml

from bot.config import ROOT
from bot.outreach.contact_policy import RULES_FILE

TABLE = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
CREDITOR = yaml.safe_load((ROOT / "creditor.yml").read_text(encoding="utf-8"))["outreach"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(spec: dict[str, str]) -> dict[int, tuple[time, time]]:
    hours = {}
    for days, span in spec.items():
        first, _, last = days.partition("-")
        opens, closes = (time.fromisoformat(part) for part in span.split("-"))
        for day in range(DAYS.index(first), DAYS.index(last or first) + 1):
            hours[day] = (opens, closes)
    return hours


def broken_rule(
    moment: datetime,
    jurisdiction: str,
    region: str | None,
    zones: list[str] | tuple[str, ...],
    earlier: list[datetime],
    caps: dict[str, int],
    creditor_hours: dict[str, str] | None = None,
    wished: tuple[time, time] | None = None,
) -> str | None:
    """What a contact at `moment` breaks, or None. `earlier`: the account's earlier contacts."""
    entry = TABLE.get(jurisdiction) or TABLE["default"]
    windows = [_hours(entry["hours"])] + ([_hours(creditor_hours)] if creditor_hours else [])
    for zone in zones:
        local = moment.astimezone(ZoneInfo(zone))
        for hours in windows:
            window = hours.get(local.weekday())
            if window is None or not window[0] <= local.time() < window[1]:
                return f"outside the hours in {zone}: {local:%a %H:%M}"
        if wished and not wished[0] <= local.time() < wished[1]:
            return f"outside the customer's hours in {zone}"
        if entry["holidays"] and jurisdiction in holidays.list_supported_countries():
            regions = holidays.list_supported_countries()[jurisdiction]
            calendar = holidays.country_holidays(jurisdiction, subdiv=region if region in regions else None)
            if local.date() in calendar:
                return f"a holiday in {zone}: {calendar.get(local.date())}"
    limits = entry.get("caps") or caps
    for span, days in (("week", 7), ("month", 31)):
        if span in limits:
            within = sum(1 for sent in earlier if moment - timedelta(days=days) < sent <= moment)
            if within >= limits[span]:
                return f"over the {span}'s cap of {limits[span]}"
    return None
