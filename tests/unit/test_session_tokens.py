import time

from api.session_tokens import SessionTokens

MONTH = 30 * 24 * 3600


def test_a_token_is_a_random_id_that_names_no_conversation():
    tokens = SessionTokens("secret", MONTH)
    (first, first_digest), (second, second_digest) = tokens.issue(), tokens.issue()
    assert first != second and first_digest != second_digest
    assert tokens.digest(first) == first_digest and tokens.digest(second) == second_digest


def test_a_tampered_or_foreign_token_resumes_nothing():
    token, _ = SessionTokens("secret", MONTH).issue()
    assert SessionTokens("other-secret", MONTH).digest(token) is None
    assert SessionTokens("secret", MONTH).digest(token[:-2] + "xx") is None
    assert SessionTokens("secret", MONTH).digest("conv-1") is None


def test_a_token_older_than_its_lifetime_resumes_nothing(monkeypatch):
    tokens = SessionTokens("secret", MONTH)
    issued_at = time.time() - MONTH - 60
    with monkeypatch.context() as frozen:
        frozen.setattr(time, "time", lambda: issued_at)
        old, _ = tokens.issue()
    assert tokens.digest(old) is None
    fresh, digest = tokens.issue()
    assert tokens.digest(fresh) == digest
