"""Pay-in-full links: the creditor's payment page with a signed, expiring token; no card data here."""

from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.domain.money import Money


class PaymentLinks:
    def __init__(self, secret_key: str, template: str, ttl_minutes: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="concord-payment-link")
        self.template = template
        self.ttl = timedelta(minutes=ttl_minutes)

    def link(self, account_reference: str, amount: Money) -> str:
        token = self._serializer.dumps(
            {"account": account_reference, "minor": amount.minor, "currency": amount.currency}
        )
        return self.template.format(token=token)

    def read(self, token: str, now: datetime | None = None) -> tuple[str, Money] | None:
        """What a token asks to be paid, or None if it was forged or has expired."""
        try:
            data = self._serializer.loads(token, max_age=self.ttl.total_seconds())
        except (SignatureExpired, BadSignature):
            return None
        return data["account"], Money(int(data["minor"]), data["currency"])
