import time

from api.session_tokens import SessionTokens

MONTH = 30 * 24 * 3600


def test_a_token_resumes_its_own_conversation():
    tokens = SessionTokens("secret", MONTH)
    assert tokens.conversation_id(tokens.issue("conv-1")) == "conv-1"


def test_a_tampered_or_foreign_token_resumes_nothing():
    token = SessionTokens("secret", MONTH).issue("conv-1")
    assert SessionTokens("other-secret", MONTH).conversation_id(token) is None
    assert SessionTokens("secret", MONTH).conversation_id(token[:-2] + "xx") is None
    assert SessionTokens("secret", MONTH).conversation_id("conv-1") is None


def test_a_token_older_than_its_lifetime_resumes_nothing(monkeypatch):
    tokens = SessionTokens("secret", MONTH)
    issued_at = time.time() - MONTH - 60
    with monkeypatch.context() as frozen:
        frozen.setattr(time, "time", lambda: issued_at)
        old = tokens.issue("conv-1")
    assert tokens.conversation_id(old) is None
    assert tokens.conversation_id(tokens.issue("conv-1")) == "conv-1"
