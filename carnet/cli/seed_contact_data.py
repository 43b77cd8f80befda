"""What `carnet seed-contacts` writes: realistic Quebec address-book rows, drawn from one
seeded random generator, as plain dicts of column values (carnet/cli/seed_contacts.py writes
them with COPY or executemany); the words are carnet/cli/seed_words.py's. The derived columns
come from the app's own `refresh_derived`, so search and sort see seeded rows exactly as
app-created ones.
"""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from carnet.cli.seed_words import (
    AREA_CODES,
    CITIES,
    DOMAINS,
    FIRST_EN,
    FIRST_FR,
    LAST_EN,
    LAST_FR,
    ORG_KINDS,
    STREETS,
    TEXT_ANSWERS,
)
from models.contacts import ConsentChannel, ConsentStatus, ContactKind, ContactSource
from models.custom_fields import CustomFieldType
from resolvers.contacts.consent import ImpliedBasis, implied_expiry
from resolvers.contacts.records import refresh_derived
from resolvers.custom_fields.answers import stored_answer

YEARS_OF_HISTORY = 8


@dataclass(slots=True)
class _Names:
    """What `refresh_derived` reads and writes, without building a model per row."""

    kind: ContactKind
    first_name: str = ""
    last_name: str = ""
    organization_name: str = ""
    email: str | None = None
    phone: str | None = None
    sort_name: str = ""
    search_text: str = ""


@dataclass
class Batch:
    """The rows of one batch, per table; contacts carry the ids reserved for them."""

    contacts: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    consent_records: list[dict[str, Any]] = field(default_factory=list)
    affiliations: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0


def ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == "-")


@dataclass(frozen=True)
class Question:
    """A custom field as the generator needs it (picklable, unlike a model instance)."""

    id: int
    type: CustomFieldType
    values: tuple[Any, ...]  # the choices' values


# A table as written: its columns in order, and the default of each column a row leaves out.
Layout = tuple[list[str], dict[str, Any]]


def draw(generator: Generator, layouts: dict[str, Layout], number: int, ids: list[int]):
    """Batch `number` as records ready for COPY or executemany, per table, and how many
    intentional duplicates it holds. Runs in a worker process for big loads."""
    batch = generator.batch(number, ids)
    records = {}
    for key, (columns, defaults) in layouts.items():
        records[key] = [
            tuple(row.get(c, defaults[c]) for c in columns) for row in getattr(batch, key)
        ]
    return records, batch.duplicates


@dataclass
class Generator:
    """One organization's rows, batch by batch; `seed` and the anchor day fix them all."""

    organization_id: int
    seed: int
    group_ids: list[int]
    colour_ids: list[int]
    custom_fields: list[Question]
    anchor: datetime  # "now" for the data: midnight UTC of the day of the run

    def __post_init__(self) -> None:
        # Some groups are big (a newsletter), most are small: filters of every selectivity.
        self.group_weights = [1.0 / (1 + i % 12) for i in range(len(self.group_ids))]

    def batch(self, number: int, ids: list[int]) -> Batch:
        rng = random.Random(f"{self.seed}:{number}")
        out = Batch()
        organizations: list[tuple[int, str]] = []
        for contact_id in ids:
            if rng.random() < 0.10:
                row = self._organization(rng, contact_id)
                organizations.append((contact_id, row.pop("_role")))
            elif out.contacts and rng.random() < 0.003:
                row = self._duplicate(rng, contact_id, out.contacts)
                out.duplicates += 1
            else:
                row = self._person(rng, contact_id)
            out.contacts.append(row)
        for row in out.contacts:
            self._related(rng, row, organizations, out)
        return out

    def _moment(self, rng: random.Random, after: datetime | None = None) -> datetime:
        start = after or self.anchor - timedelta(days=365 * YEARS_OF_HISTORY)
        span = max(1, int((self.anchor - start).total_seconds()))
        return start + timedelta(seconds=rng.randrange(span))

    def _common(self, rng: random.Random, contact_id: int, names: _Names) -> dict[str, Any]:
        refresh_derived(names)
        city, fsa = rng.choice(CITIES)
        created = self._moment(rng)
        active = self._moment(rng, created) if rng.random() < 0.7 else None
        return {
            "id": contact_id,
            "organization_id": self.organization_id,
            "kind": names.kind.value,
            "first_name": names.first_name,
            "last_name": names.last_name,
            "organization_name": names.organization_name,
            "sort_name": names.sort_name,
            "search_text": names.search_text,
            "email": names.email,
            "phone": names.phone,
            "address_line1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
            "city": city,
            "region": "QC",
            "postal_code": f"{fsa} {rng.randint(0, 9)}{rng.choice('ABCEGHJKLMNPRSTVXY')}"
            f"{rng.randint(0, 9)}",
            "country": "CA",
            "colour_id": rng.choice(self.colour_ids)
            if self.colour_ids and rng.random() < 0.2
            else None,
            "source": rng.choice(
                (
                    ContactSource.IMPORT,
                    ContactSource.IMPORT,
                    ContactSource.STAFF_ENTRY,
                    ContactSource.REGISTRATION,
                    ContactSource.PURCHASE,
                )
            ).value,
            "created_at": created,
            "updated_at": active or created,
            "last_activity_at": active,
            "archived_at": self._moment(rng, created) if rng.random() < 0.03 else None,
            "do_not_contact": rng.random() < 0.01,
            "notes": "Rappeler en septembre." if rng.random() < 0.02 else "",
            "email_consent": ConsentStatus.NOT_ASKED.value,
            "sms_consent": ConsentStatus.NOT_ASKED.value,
        }

    def _phone(self, rng: random.Random) -> str:
        return f"+1{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"

    def _person(self, rng: random.Random, contact_id: int) -> dict[str, Any]:
        french = rng.random() < 0.7
        first = rng.choice(FIRST_FR if french else FIRST_EN)
        last = rng.choice(LAST_FR if french or rng.random() < 0.3 else LAST_EN)
        if rng.random() < 0.06:  # a compound surname: "Gagnon-Tremblay"
            last = f"{last}-{rng.choice(LAST_FR)}"
        email = None
        if rng.random() < 0.85:
            email = f"{ascii_word(first)}.{ascii_word(last)}{contact_id}@{rng.choice(DOMAINS)}"
        phone = self._phone(rng) if rng.random() < 0.75 else None
        row = self._common(
            rng, contact_id, _Names(ContactKind.PERSON, first, last, "", email, phone)
        )
        row["locale"] = "fr" if french else "en"
        if rng.random() < 0.65:
            age_days = rng.randint(3 * 365, 90 * 365)
            row["birth_date"] = self.anchor.date() - timedelta(days=age_days)
        return row

    def _organization(self, rng: random.Random, contact_id: int) -> dict[str, Any]:
        kind, role = rng.choice(ORG_KINDS)
        city, _ = rng.choice(CITIES)
        name = f"{kind} {city}" if kind != "Fondation" else f"Fondation {rng.choice(LAST_FR)}"
        email = f"info{contact_id}@{ascii_word(name)[:20]}.qc.ca" if rng.random() < 0.8 else None
        phone = self._phone(rng) if rng.random() < 0.9 else None
        row = self._common(
            rng, contact_id, _Names(ContactKind.ORGANIZATION, "", "", name, email, phone)
        )
        row["locale"] = "fr"
        row["_role"] = role
        return row

    def _duplicate(
        self, rng: random.Random, contact_id: int, earlier: list[dict]
    ) -> dict[str, Any]:
        """A person entered twice: same name, and the same email, phone or birth date."""
        people = [r for r in earlier[-50:] if r["kind"] == ContactKind.PERSON.value]
        if not people:
            return self._person(rng, contact_id)
        twin = rng.choice(people)
        shared = rng.choice(("email", "phone", "birth_date"))
        names = _Names(
            ContactKind.PERSON,
            twin["first_name"],
            twin["last_name"],
            "",
            twin["email"] if shared == "email" else None,
            twin["phone"] if shared == "phone" else None,
        )
        row = self._common(rng, contact_id, names)
        row["locale"] = twin["locale"]
        row["birth_date"] = twin.get("birth_date")
        return row

    def _related(self, rng: random.Random, row: dict, organizations: list, out: Batch) -> None:
        contact_id, created = row["id"], row["created_at"]
        if self.group_ids and rng.random() < 0.9:
            picked = set(
                rng.choices(self.group_ids, self.group_weights, k=rng.choice((1, 1, 2, 3)))
            )
            out.memberships += [
                {"group_id": g, "contact_id": contact_id, "added_at": created} for g in picked
            ]
        for channel, has_address in (
            (ConsentChannel.EMAIL, row["email"]),
            (ConsentChannel.SMS, row["phone"]),
        ):
            if has_address and rng.random() < (0.7 if channel is ConsentChannel.EMAIL else 0.35):
                self._consent(rng, row, channel, out)
        is_person = row["kind"] == ContactKind.PERSON.value
        if is_person and organizations and rng.random() < 0.06:
            org_id, role = rng.choice(organizations)
            out.affiliations.append(
                {
                    "person_id": contact_id,
                    "organization_contact_id": org_id,
                    "role_title": role,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        if is_person and self.custom_fields and rng.random() < 0.3:
            for custom_field in self.custom_fields:
                if rng.random() < 0.7:
                    # The columns the app stores for an answer (its folded text too).
                    stored = stored_answer(custom_field.type, answer(rng, custom_field))
                    stored["content"] = json.dumps(stored["content"])
                    out.answers.append(
                        {
                            "contact_id": contact_id,
                            "field_id": custom_field.id,
                            "created_at": created,
                            "updated_at": created,
                            **stored,
                        }
                    )

    def _consent(self, rng: random.Random, row: dict, channel: ConsentChannel, out: Batch) -> None:
        """The contact's current consent on `channel` and the history that led to it."""
        status = rng.choice(
            (
                ConsentStatus.EXPRESS,
                ConsentStatus.EXPRESS,
                ConsentStatus.IMPLIED,
                ConsentStatus.WITHDRAWN,
            )
        )
        given_at = self._moment(rng, row["created_at"])
        expires = None
        if status is ConsentStatus.IMPLIED:
            expires = implied_expiry(rng.choice(list(ImpliedBasis)), given_at)
        history = [(status, given_at, expires)]
        if status is ConsentStatus.WITHDRAWN:  # withdrawn from an express consent
            history.insert(0, (ConsentStatus.EXPRESS, given_at, None))
            history[1] = (status, self._moment(rng, given_at), None)
        for recorded_status, at, until in history:
            out.consent_records.append(
                {
                    "contact_id": row["id"],
                    "channel": channel.value,
                    "status": recorded_status.value,
                    "source": rng.choice(("web form", "import", "purchase", "phone call")),
                    "proof": "Seeded data",
                    "expires_at": until,
                    "recorded_at": at,
                }
            )
        column = channel.value.lower()
        row[f"{column}_consent"] = status.value
        row[f"{column}_consent_expires_at"] = expires


def answer(rng: random.Random, question: Question) -> Any:
    """A plausible answer of the question's type, as stored in `content["value"]`."""
    values = list(question.values)
    match question.type:
        case CustomFieldType.TEXT:
            return rng.choice(TEXT_ANSWERS)
        case CustomFieldType.NUMBER:
            return rng.randint(1, 200)
        case CustomFieldType.DATE:
            return (date(2020, 1, 1) + timedelta(days=rng.randrange(2000))).isoformat()
        case CustomFieldType.BOOLEAN:
            return rng.random() < 0.5
        case CustomFieldType.SINGLE_CHOICE if values:
            return rng.choice(values)
        case CustomFieldType.MULTIPLE_CHOICE if values:
            return rng.sample(values, k=rng.randint(1, min(3, len(values))))
    return "—"


def midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
