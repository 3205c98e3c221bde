"""Payment frequencies and the dates they fall on."""

from datetime import date, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta


class Frequency(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"

    def nth_date(self, first: date, n: int) -> date:
        """The date of the n-th payment (0 is `first`); monthly keeps the day, clamped to month end."""
        if self is Frequency.WEEKLY:
            return first + timedelta(weeks=n)
        if self is Frequency.FORTNIGHTLY:
            return first + timedelta(weeks=2 * n)
        return first + relativedelta(months=n)

    def dates(self, first: date, count: int) -> list[date]:
        return [self.nth_date(first, n) for n in range(count)]

    def per_year(self) -> int:
        return {Frequency.WEEKLY: 52, Frequency.FORTNIGHTLY: 26, Frequency.MONTHLY: 12}[self]
