"""Bilingual (中文 / English) messages.

Every student-facing message is a :class:`Msg` carrying both languages; the
reporter picks one at the very end, so a result can be rendered in either.
"""

from __future__ import annotations

import locale
import os
from dataclasses import dataclass

LANGS = ("zh", "en")


@dataclass(frozen=True)
class Msg:
    """A message in both languages."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def format(self, **kwargs: object) -> Msg:
        return Msg(self.zh.format(**kwargs), self.en.format(**kwargs))

    def __add__(self, other: Msg) -> Msg:
        return Msg(self.zh + other.zh, self.en + other.en)

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    @classmethod
    def from_dict(cls, data: dict[str, str] | str | None) -> Msg:
        if data is None:
            return cls("", "")
        if isinstance(data, str):
            return cls(data, data)
        return cls(data.get("zh", ""), data.get("en", ""))

    @classmethod
    def same(cls, text: str) -> Msg:
        """A message that reads the same in both languages (code, numbers)."""
        return cls(text, text)


def default_lang() -> str:
    """The language from the environment (KIT_LANG, then the locale); English otherwise."""
    forced = os.environ.get("KIT_LANG", "")
    if forced in LANGS:
        return forced
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"
