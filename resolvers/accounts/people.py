"""The people of a client account as staff enter them: a new person's details, or an
existing contact of the organization, checked in the order the seed gives (age, address,
existing contact, then custom questions), with every error on its own input path.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from carnet.i18n import N_
from models.contacts import Contact
from models.custom_fields import CustomField, CustomFieldAnswer, CustomFieldScope
from models.organizations import Organization
from resolvers.common.errors import ErrorCollector, FieldError, FieldPath, UserErrorCode
from resolvers.common.time import today_in
from resolvers.contacts.contacts import clean_values, years_before
from resolvers.custom_fields.answers import Answer, AnswerRefused, clean_value, stored_answer
from resolvers.custom_fields.forms import localized

ADULT_AGE = 18
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "locale")
HOLDER_SCOPES = (CustomFieldScope.ACCOUNT, CustomFieldScope.MEMBER)
MEMBER_SCOPES = (CustomFieldScope.MEMBER,)


@dataclass
class Person:
    """A person of an account as given: `existing_contact_id` names a contact of the
    organization to use as is (a child already in another household); otherwise `values`
    describe a new contact. Values left out are absent from the dict."""

    existing_contact_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    answers: Sequence[Answer] = ()


@dataclass
class CheckedPerson:
    path: tuple
    contact: Contact | None  # the existing contact, if one was named
    values: dict[str, Any]  # cleaned contact fields to write
    answers: dict[int, Any]  # field id -> cleaned value (None removes)


def is_adult(birth_date: date | None, organization: Organization) -> bool:
    """At least 18 on this day, in the organization's timezone."""
    today = today_in(organization.timezone)
    return birth_date is not None and birth_date <= years_before(today, ADULT_AGE)


def under_age(errors: ErrorCollector, path: FieldPath) -> None:
    errors.add(
        UserErrorCode.UNDER_AGE,
        path,
        N_("An account's primary contact must be an adult of at least {age} today."),
        age=ADULT_AGE,
    )


def clean_person_values(
    values: dict[str, Any], organization: Organization, errors: ErrorCollector, path: tuple
) -> dict[str, Any]:
    """The contact book's own checks, reported under `path` rather than at the input's root."""
    mine = ErrorCollector()
    clean = clean_values(values, organization, mine)
    for error in mine.errors:  # ("input", name) -> (*path, name)
        errors.errors.append(
            FieldError(error.code, (*path, *error.field[1:]), error.message, error.params)
        )
    return clean


async def scoped_fields(
    organization_id: int, scopes: Sequence[CustomFieldScope]
) -> list[CustomField]:
    """The questions asked of a holder or a member, archived ones left out."""
    return await CustomField.filter(
        organization_id=organization_id, scope__in=list(scopes), archived_at__isnull=True
    ).order_by("position", "id")


def check_answers(
    fields: list[CustomField],
    answers: Sequence[Answer],
    stored: dict[int, Any],
    errors: ErrorCollector,
    path: tuple,
    locale: str,
) -> dict[int, Any]:
    """Each answer against its question, then one REQUIRED error per required question
    left without an answer (the stored ones count)."""
    by_id = {f.id: f for f in fields}
    cleaned: dict[int, Any] = {}
    for index, answer in enumerate(answers):
        at = (*path, "answers", index)
        question = by_id.get(answer.field_id)
        if question is None:
            errors.add(
                UserErrorCode.NOT_FOUND,
                (*at, "field_id"),
                N_("This question is not asked of this person."),
            )
            continue
        try:
            cleaned[question.id] = clean_value(question, answer.value)
        except AnswerRefused as refusal:
            errors.add(UserErrorCode.INVALID, (*at, "value"), refusal.message, **refusal.params)
            cleaned[question.id] = stored.get(question.id, "refused")
    for question in fields:
        final = cleaned[question.id] if question.id in cleaned else stored.get(question.id)
        if question.required and final is None:
            errors.add(
                UserErrorCode.REQUIRED,
                (*path, "answers"),
                N_("Answer the required question “{label}” ({key})."),
                label=localized(question, "label", locale),
                key=question.key,
            )
    return cleaned


async def stored_answers(contact_id: int | None, fields: list[CustomField]) -> dict[int, Any]:
    if contact_id is None or not fields:
        return {}
    rows = await CustomFieldAnswer.filter(
        contact_id=contact_id, field_id__in=[f.id for f in fields]
    )
    return {row.field_id: row.value for row in rows}


async def existing_with_email(organization_id: int, email: str) -> Contact | None:
    """The contact here with this email, or linked to the login with this email."""
    mine = Contact.filter(organization_id=organization_id)
    found = await mine.filter(email=email).order_by("id").first()
    return found or await mine.filter(user__email=email).order_by("id").first()


async def check_person(
    person: Person,
    organization: Organization,
    errors: ErrorCollector,
    path: tuple,
    *,
    holder: bool,
    locale: str,
    contact: Contact | None = None,
    scopes: Sequence[CustomFieldScope] | None = None,
) -> CheckedPerson:
    """Checks a new or existing person: a holder must be an adult and a new one's email
    must not already be a contact's here (CONTACT_EXISTS names that contact, to use it
    instead); then the custom questions of their scope."""
    values: dict[str, Any] = {}
    if contact is None:
        values = clean_person_values(person.values, organization, errors, path)
        if not (values.get("first_name") or values.get("last_name")):
            errors.add(
                UserErrorCode.REQUIRED, (*path, "first_name"), N_("Enter a first or last name.")
            )
    elif person.values.get("birth_date") is not None:
        values = clean_person_values(
            {"birth_date": person.values["birth_date"]}, organization, errors, path
        )
    birth_date = values.get("birth_date") or (contact.birth_date if contact else None)
    if holder and birth_date is None:
        errors.add(
            UserErrorCode.REQUIRED,
            (*path, "birth_date"),
            N_("Enter the primary contact's birth date: they must be an adult."),
        )
    elif holder and not is_adult(birth_date, organization):
        under_age(errors, (*path, "birth_date"))
    email = values.get("email")
    if contact is None and email:
        twin = await existing_with_email(organization.id, email)
        if twin is not None:
            errors.add(
                UserErrorCode.CONTACT_EXISTS,
                (*path, "email"),
                N_(
                    "A contact with this email already exists here ({id}): use that contact "
                    "(useExistingContactId) rather than creating a twin."
                ),
                id=contact_gid(twin.id),
                contact_id=twin.id,
            )
    if scopes is None:
        scopes = HOLDER_SCOPES if holder else MEMBER_SCOPES
    fields = await scoped_fields(organization.id, scopes) if scopes else []
    stored = await stored_answers(contact.id if contact else None, fields)
    answers = check_answers(fields, person.answers, stored, errors, path, locale)
    return CheckedPerson(path, contact, values, answers)


def contact_gid(pk: int) -> str:
    # The Contact global id, as schema.ids spells it (resolvers import no schema).
    return base64.b64encode(f"Contact:{pk}".encode()).decode()


async def save_answers(contact_id: int, answers: dict[int, Any]) -> None:
    """Writes cleaned answers (None removes one); questions not given keep theirs."""
    if not answers:
        return
    questions = {
        f.id: f.type for f in await CustomField.filter(id__in=list(answers)).only("id", "type")
    }
    rows = {
        row.field_id: row
        for row in await CustomFieldAnswer.filter(contact_id=contact_id, field_id__in=list(answers))
    }
    for field_id, value in answers.items():
        row = rows.get(field_id)
        if value is None:
            if row is not None:
                await row.delete()
        elif row is None:
            await CustomFieldAnswer.create(
                contact_id=contact_id,
                field_id=field_id,
                **stored_answer(questions[field_id], value),
            )
        elif row.value != value:
            row.update_from_dict(stored_answer(questions[field_id], value))
            await row.save(update_fields=["content", "search_text", "updated_at"])
