"""Realistic German persons, companies and addresses from the embedded word lists."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from portal_sync.demo import words

_TRANSLIT = str.maketrans(
    {
        "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
        "ş": "s", "ı": "i", "ë": "e", "é": "e", " ": "-",
    }
)  # fmt: skip
_NOT_MAIL = re.compile(r"[^a-z0-9.-]")


def mail_part(text: str) -> str:
    """The e-mail local-part form of a name: umlauts transliterated (ü→ue, ß→ss), lower case."""
    return _NOT_MAIL.sub("", text.translate(_TRANSLIT).lower()).strip(".-")


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    postal_code: str
    city: str
    country: str = "DE"


@dataclass(frozen=True, slots=True)
class PersonData:
    """The name/contact columns of `persons` (person_type, ids and dates come from the world)."""

    salutation: str | None
    title: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    phone: str | None
    mobile: str | None


class German:
    """Draws German names, companies, addresses, e-mails and phone numbers from one RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._mail_cache: dict[str, str] = {}

    def _mail(self, text: str) -> str:
        cached = self._mail_cache.get(text)
        if cached is None:
            cached = self._mail_cache[text] = mail_part(text)
        return cached

    def address(self) -> Address:
        rng = self.rng
        postal_code, city = rng.choice(words.CITIES)
        number = rng.randint(1, 140)
        suffix = rng.choice(("", "", "", "", "a", "b"))
        return Address(f"{rng.choice(words.STREETS)} {number}{suffix}", postal_code, city)

    def phone(self) -> str:
        rng = self.rng
        area = rng.choice(words.AREA_CODES)
        if rng.random() < 0.3:
            return f"+49 {area[1:]} {rng.randint(100000, 9999999)}"
        return f"{area} {rng.randint(100000, 9999999)}"

    def mobile(self) -> str:
        rng = self.rng
        prefix = rng.choice(words.MOBILE_PREFIXES)
        if rng.random() < 0.4:
            return f"+49 {prefix[1:]} {rng.randint(1000000, 99999999)}"
        return f"{prefix} {rng.randint(1000000, 99999999)}"

    def private(self, *, email_share: float = 0.85) -> PersonData:
        """A private person (Herr/Frau, sometimes with a title); e-mail only with `email_share`."""
        rng = self.rng
        female = rng.random() < 0.5
        first = rng.choice(words.FEMALE_FIRST_NAMES if female else words.MALE_FIRST_NAMES)
        last = rng.choice(words.LAST_NAMES)
        if rng.random() < 0.08:
            last = f"{last}-{rng.choice(words.LAST_NAMES)}"
        title = rng.choice(words.TITLES) if rng.random() < 0.07 else None
        email = None
        if rng.random() < email_share:
            style = rng.randrange(4)
            first_m, last_m = self._mail(first), self._mail(last)
            if style == 0:
                local = f"{first_m}.{last_m}"
            elif style == 1:
                local = f"{first_m[0]}.{last_m}"
            elif style == 2:
                local = f"{last_m}{rng.randint(1, 99)}"
            else:
                local = f"{first_m}{last_m}{rng.randint(60, 2005)}"
            email = f"{local}@{rng.choice(words.MAIL_DOMAINS)}"
        return PersonData(
            salutation="Frau" if female else "Herr",
            title=title,
            first_name=first,
            last_name=last,
            company_name=None,
            email=email,
            phone=self.phone() if rng.random() < 0.6 else None,
            mobile=self.mobile() if rng.random() < 0.7 else None,
        )

    def company(self, *, service: bool = False, email_share: float = 0.95) -> PersonData:
        """A company (salutation Firma): an owner company or, with `service`, a contractor."""
        rng = self.rng
        name = rng.choice(words.LAST_NAMES)
        stems = words.SERVICE_COMPANY_STEMS if service else words.COMPANY_STEMS
        city = rng.choice(words.CITIES)[1]
        stem = rng.choice(stems).format(
            name=name, city=city, street=rng.choice(words.STREETS).split(" ")[-1]
        )
        company = f"{stem} {rng.choice(words.COMPANY_FORMS)}"
        email = None
        if rng.random() < email_share:
            domain = self._mail(stem.replace("&", "und")).replace(".", "")[:40].strip("-")
            email = f"{rng.choice(('info', 'kontakt', 'verwaltung', 'buero'))}@{domain}.de"
        return PersonData(
            salutation="Firma",
            title=None,
            first_name=None,
            last_name=None,
            company_name=company,
            email=email,
            phone=self.phone(),
            mobile=None,
        )

    def contractor_name(self) -> str:
        """A contractor company name for commissioning (ticket_orders)."""
        rng = self.rng
        stem = rng.choice(words.SERVICE_COMPANY_STEMS).format(
            name=rng.choice(words.LAST_NAMES), city=rng.choice(words.CITIES)[1]
        )
        return f"{stem} {rng.choice(words.COMPANY_FORMS)}"
