"""Answering a form and signing it, the client side: the primary, a FULL contact, or an
ASSIGNED contact the form is assigned to (the permission directive checked that).

Draft answers are saved as they come; submitting signs: the signer's name, the time and
the SHA-256 of the canonical JSON of what was signed (the form version and the answers,
`signed_content`) are stored, and the response is read-only from then on. A TABLE
question's rows are added to its table when the form is signed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from carnet.i18n import N_
from models.account_forms import (
    AccountForm,
    AccountFormResponse,
    AccountFormVersion,
    AccountTable,
    AccountTableRow,
    ResponseStatus,
)
from resolvers.accounts.forms import current_version, record
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

ANSWER_MAX = 5000
ROWS_MAX = 200
SIGNER_MAX = 200
_NUMBER = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")


@dataclass
class AnswerData:
    question_key: str
    value: str | None = None
    rows: list[list[str]] | None = None


def signed_content(version: AccountFormVersion, answers: dict) -> str:
    """The canonical JSON of what is signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        {
            "form_id": version.form_id,
            "version": version.number,
            "title": version.title,
            "questions": version.questions,
            "answers": answers,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def signature_hash(version: AccountFormVersion, answers: dict) -> str:
    return hashlib.sha256(signed_content(version, answers).encode()).hexdigest()


async def _columns(question: dict) -> list[str]:
    table = await AccountTable.get_or_none(id=question["table_id"])
    return [c["key"] for c in table.columns] if table else []


async def _value(question: dict, answer: AnswerData, errors: ErrorCollector, at: tuple):
    """The answer as stored, or None to clear it; errors at `at` when it does not fit."""
    kind = question["kind"]
    if kind == "TABLE":
        if answer.rows is None:
            return None
        columns = await _columns(question)
        if len(answer.rows) > ROWS_MAX:
            errors.add(
                UserErrorCode.TOO_MANY, (*at, "rows"), N_("At most {max} rows."), max=ROWS_MAX
            )
            return None
        rows = []
        for index, row in enumerate(answer.rows):
            if len(row) != len(columns):
                errors.add(
                    UserErrorCode.INVALID,
                    (*at, "rows", index),
                    N_("Give one value per column ({count})."),
                    count=len(columns),
                )
                continue
            cells = [
                clean_text(v, errors, (*at, "rows", index, i), max_length=ANSWER_MAX)
                for i, v in enumerate(row)
            ]
            rows.append(dict(zip(columns, cells, strict=True)))
        return rows or None
    text = clean_text(answer.value, errors, (*at, "value"), max_length=ANSWER_MAX, multiline=True)
    if not text:
        return None
    if kind == "CHOICE" and text not in question["choices"]:
        errors.add(UserErrorCode.INVALID, (*at, "value"), N_("Pick one of the choices."))
    elif kind == "DATE":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            errors.add(UserErrorCode.INVALID, (*at, "value"), N_("Give a date as YYYY-MM-DD."))
    elif kind == "NUMBER":
        try:
            if not _NUMBER.match(text):
                raise InvalidOperation
            return str(Decimal(text).normalize())
        except InvalidOperation:
            errors.add(UserErrorCode.INVALID, (*at, "value"), N_("Give a number."))
    elif kind == "YES_NO":
        if text.upper() not in ("YES", "NO"):
            errors.add(UserErrorCode.INVALID, (*at, "value"), N_("Answer YES or NO."))
        return text.upper() == "YES"
    return text


def _read_only() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.READ_ONLY,
        ("input", "form_id"),
        N_("This form is signed: it can no longer be changed."),
    )


async def _locked_draft(
    caller, form_id: int
) -> tuple[AccountForm, AccountFormVersion, AccountFormResponse]:
    form = (
        await AccountForm.filter(id=form_id, account__organization_id=caller.organization_id)
        .select_for_update()
        .first()
    )
    if form is None:
        raise NotFound(("input", "form_id"))
    version = await current_version(form)
    response = await AccountFormResponse.get_or_none(version_id=version.id)
    if response is None:
        response = await AccountFormResponse.create(form=form, version=version, answers={})
    elif response.status is ResponseStatus.SIGNED:
        raise _read_only()
    return form, version, response


async def save(caller, form_id: int, answers: Sequence[AnswerData]) -> AccountFormResponse:
    """Saves draft answers (an empty one clears the question's answer)."""
    errors = ErrorCollector()
    async with unit_of_work():
        form, version, response = await _locked_draft(caller, form_id)
        questions = {q["key"]: q for q in version.questions}
        values = dict(response.answers)
        for index, answer in enumerate(answers):
            at = ("input", "answers", index)
            question = questions.get(answer.question_key)
            if question is None:
                errors.add(UserErrorCode.NOT_FOUND, (*at, "questionKey"), N_("Not found."))
                continue
            value = await _value(question, answer, errors, at)
            if value is None:
                values.pop(question["key"], None)
            else:
                values[question["key"]] = value
        errors.raise_if_any()
        response.answers = values
        await response.save(update_fields=["answers", "updated_at"])
        await record(
            caller,
            "account_form.answers_save",
            ("AccountForm", form.id),
            after={"version": version.number, "questions": sorted(values)},
        )
    return response


async def sign(caller, form_id: int, signer_name: str | None) -> AccountFormResponse:
    """Submits and signs the current version's answers: every required question answered
    (else one error per missing question, on ["answers", key]), then read-only."""
    errors = ErrorCollector()
    name = clean_text(
        signer_name, errors, ("input", "signer_name"), max_length=SIGNER_MAX, required=True
    )
    errors.raise_if_any()
    async with unit_of_work():
        form, version, response = await _locked_draft(caller, form_id)
        for question in version.questions:
            if question["required"] and question["key"] not in response.answers:
                errors.add(
                    UserErrorCode.REQUIRED,
                    ("answers", question["key"]),
                    N_("Answer this question: {label}"),
                    label=question["label"],
                )
        errors.raise_if_any()
        response.status = ResponseStatus.SIGNED
        response.signer_name = name
        response.signed_at = now()
        response.signed_by = caller.user
        response.signature_hash = signature_hash(version, response.answers)
        await response.save()
        await AccountTableRow.bulk_create(
            [
                AccountTableRow(
                    table_id=q["table_id"], values=row, added_by=caller.user, response=response
                )
                for q in version.questions
                if q["kind"] == "TABLE"
                for row in response.answers.get(q["key"], [])
            ]
        )
        await record(
            caller,
            "account_form.sign",
            ("AccountForm", form.id),
            after={
                "version": version.number,
                "signer_name": name,
                "signature_hash": response.signature_hash,
            },
        )
    return response
