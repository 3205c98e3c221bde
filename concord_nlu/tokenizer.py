"""A whitespace tokenizer that also splits Chinese, Japanese and Thai into characters (Rasa 3.6)."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from concord_nlu.segments import segments


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ScriptAwareTokenizer(WhitespaceTokenizer):
    """Whitespace tokens, with words of unspaced scripts split into one token per character."""

    @staticmethod
    def not_supported_languages() -> list[str] | None:
        return None  # one model for every language; unspaced scripts are what this is for

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens: list[Token] = []
        for token in super().tokenize(message, attribute):
            for text, offset in segments(token.text):
                tokens.append(
                    Token(text, token.start + offset, data=dict(token.data) if token.data else None)
                )
        return tokens
