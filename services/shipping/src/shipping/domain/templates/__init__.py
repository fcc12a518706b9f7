"""Customer e-mail wording, one module per language (`en`, `fr`): a table of strings with
named placeholders, month names and the date pattern. `for_language` picks the table from
a shop's language tag; anything unknown or missing is English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from types import ModuleType

from shipping.domain.templates import en, fr

DEFAULT = "en"
_LANGUAGES: dict[str, ModuleType] = {"en": en, "fr": fr}


def language_of(tag: str | None) -> str:
    """'fr', 'fr-FR', 'FR_ca' -> 'fr'; None, '', 'de' -> 'en' (the primary subtag decides)."""
    primary = re.split(r"[-_]", (tag or "").strip().lower(), maxsplit=1)[0]
    return primary if primary in _LANGUAGES else DEFAULT


@dataclass(frozen=True)
class Wording:
    language: str
    _module: ModuleType

    def __call__(self, key: str, **fields: object) -> str:
        return self._module.STRINGS[key].format(**fields)

    def date(self, d: date) -> str:
        # French writes the first of the month as an ordinal: « le 1er mai ».
        day = "1er" if self.language == "fr" and d.day == 1 else str(d.day)
        return self._module.DATE.format(day=day, month=self._module.MONTHS[d.month - 1], year=d.year)


def for_language(tag: str | None) -> Wording:
    lang = language_of(tag)
    return Wording(lang, _LANGUAGES[lang])
