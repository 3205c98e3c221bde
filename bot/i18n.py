"""Every customer-facing sentence, per language, from `locales/<lang>.yml`."""

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class MissingValueError(KeyError):
    """A response needs a value (e.g. `{balance}`) that the caller did not give."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Rendered:
    key: str
    language: str
    text: str
    buttons: list[Button] = field(default_factory=list)


def placeholders(template: str) -> set[str]:
    """The `{names}` a template needs."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Catalog:
    """All locales, loaded once; a language without a key falls back to the default language."""

    def __init__(self, locales_dir: Path, default_language: str) -> None:
        self.default_language = default_language
        self.languages: dict[str, dict[str, Any]] = {}
        for path in sorted(locales_dir.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            self.languages[path.stem] = data.get("responses", {})
        if default_language not in self.languages:
            raise ValueError(f"no locale file for the default language {default_language!r}")

    def supports(self, language: str | None) -> bool:
        return language in self.languages

    def keys(self, language: str) -> set[str]:
        return set(self.languages[language])

    def resolve_language(self, language: str | None) -> str:
        return language if language in self.languages else self.default_language

    def render(self, key: str, language: str | None, values: dict[str, Any] | None = None) -> Rendered:
        lang = self.resolve_language(language)
        entry = self.languages[lang].get(key) or self.languages[self.default_language].get(key)
        if entry is None:
            raise KeyError(f"no response {key!r} in locales")
        values = values or {}
        return Rendered(
            key=key,
            language=lang,
            text=_fill(entry["text"], values, key),
            buttons=[
                Button(title=_fill(b["title"], values, key), payload=b["payload"])
                for b in entry.get("buttons", [])
            ],
        )


def _fill(template: str, values: dict[str, Any], key: str) -> str:
    missing = placeholders(template) - values.keys()
    if missing:
        raise MissingValueError(f"response {key!r} needs {sorted(missing)}")
    return template.format_map(values)
