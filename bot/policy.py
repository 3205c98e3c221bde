"""The creditor's policy, read from `creditor.yml`: what may be offered, never hard-coded."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.schedule import Frequency


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


@dataclass(frozen=True)
class CreditorPolicy:
    name: str
    payment_link_template: str
    payment_link_ttl_minutes: int
    arrangements: ArrangementPolicy
    phone: str
    website: str
    debt_advice: dict[str, str]

    def debt_advice_for(self, jurisdiction: str) -> str:
        return self.debt_advice.get(jurisdiction) or self.debt_advice["default"]


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
    )
