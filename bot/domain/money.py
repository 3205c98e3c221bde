"""Money as integer minor units with an ISO 4217 currency, formatted with Babel."""

import copy
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision, list_currencies, parse_pattern


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

    @property
    def cash_step(self) -> int:
        """Minor units in the smallest amount in daily use: 100 for IDR (no sen), 1 for PHP."""
        return 10 ** (get_currency_precision(self.currency) - _cash_digits(self.currency))

    def format(self, locale: str, pattern: str | None = None) -> str:
        """The amount as a customer in `locale` expects to read it: `$1,234.50`, and `Rp150.000`
        where ISO 4217 keeps cents nobody uses (CLDR's cash digits), unless some are owed.
        `pattern` (Babel's number pattern) is how people there write it where that differs from
        CLDR's: "#,##0円" for 48,650円 rather than ￥48,650."""
        shown = get_currency_precision(self.currency)
        if self.minor % self.cash_step == 0:
            shown = _cash_digits(self.currency)
        pattern = copy.copy(parse_pattern(pattern or Locale.parse(locale).currency_formats["standard"]))
        pattern.frac_prec = (shown, shown)
        return format_currency(
            self.decimal, self.currency, format=pattern, locale=locale, currency_digits=False
        )

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.minor + other.minor, self.currency)


def _cash_digits(currency: str) -> int:
    """Decimals in daily use (CLDR "cash digits"): 0 for IDR, as for JPY, KRW and VND; 2 for PHP."""
    fractions = get_global("currency_fractions")
    return fractions.get(currency, fractions["DEFAULT"])[2]
