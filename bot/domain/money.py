"""Money as integer minor units with an ISO 4217 currency, formatted with Babel."""

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision, list_currencies


@dataclass(frozen=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"money is whole minor units, got {self.minor!r}")
        if self.currency not in list_currencies():
            raise ValueError(f"unknown ISO 4217 currency {self.currency!r}")

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-get_currency_precision(self.currency))

    def format(self, locale: str) -> str:
        """The amount as a customer in `locale` expects to read it, e.g. `$1,234.50`."""
        return format_currency(self.decimal, self.currency, locale=locale)

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.minor + other.minor, self.currency)
