from api.session_tokens import SessionTokens


def test_a_token_resumes_its_own_conversation():
    tokens = SessionTokens("secret")
    assert tokens.conversation_id(tokens.issue("conv-1")) == "conv-1"


def test_a_tampered_or_foreign_token_resumes_nothing():
    token = SessionTokens("secret").issue("conv-1")
    assert SessionTokens("other-secret").conversation_id(token) is None
    assert SessionTokens("secret").conversation_id(token[:-2] + "xx") is None
    assert SessionTokens("secret").conversation_id("conv-1") is None
