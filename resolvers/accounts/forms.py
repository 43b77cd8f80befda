"""Forms of a client account (seed 004), the staff side: a title and questions (TEXT,
CHOICE, DATE, NUMBER, YES_NO, TABLE), assigned to access groups and account contacts.

Every change of the title or questions is a new version: a response belongs to one
version, so a signed one keeps what was signed; a draft moves to the new version with
the answers to the questions that remain. Answering and signing: form_answers.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from carnet.i18n import N_
from models.account_forms import (
    AccountForm,
    AccountFormResponse,
    AccountFormShare,
    AccountFormVersion,
    AccountTable,
    ResponseStatus,
)
from resolvers.accounts import visibility
from resolvers.accounts.accounts import locked_account
from resolvers.common import audit
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text

FORMS = visibility.ItemKind(AccountForm, AccountFormShare, "form_id")


class QuestionKind(StrEnum):
    TEXT = "TEXT"
    CHOICE = "CHOICE"
    DATE = "DATE"
    NUMBER = "NUMBER"
    YES_NO = "YES_NO"
    TABLE = "TABLE"  # rows for an account table, added to it when the form is signed


TITLE_MAX = 200
LABEL_MAX = 200
CHOICE_MAX = 100
QUESTIONS_MAX = 100


@dataclass
class QuestionData:
    label: str | None
    kind: str
    required: bool = False
    choices: list[str] = field(default_factory=list)
    key: str | None = None  # an existing question's key, to keep its answers
    table_id: int | None = None  # for a TABLE question: the table its rows go to


async def record(actor, action: str, target: tuple[str, int], **values) -> None:
    await audit.record(
        action,
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=target,
        **values,
    )


def _questions(
    questions: Sequence[QuestionData], errors: ErrorCollector, taken: Sequence[str] = ()
) -> list[dict]:
    """The questions as stored, each with a key: the one given if the form had it, else a
    new one (q1, q2…) never used by this form before."""
    if len(questions) > QUESTIONS_MAX:
        errors.add(
            UserErrorCode.TOO_MANY,
            ("input", "questions"),
            N_("At most {max} questions."),
            max=QUESTIONS_MAX,
        )
    used = {k for k in taken}
    serial = max([int(k[1:]) for k in used if k[1:].isdigit()] + [0])
    cleaned = []
    for index, q in enumerate(questions):
        at = ("input", "questions", index)
        label = clean_text(q.label, errors, (*at, "label"), max_length=LABEL_MAX, required=True)
        choices = [
            clean_text(c, errors, (*at, "choices", i), max_length=CHOICE_MAX, required=True)
            for i, c in enumerate(q.choices)
        ]
        if q.kind == "CHOICE" and not choices:
            errors.add(UserErrorCode.REQUIRED, (*at, "choices"), N_("Give at least one choice."))
        if q.kind == "TABLE" and q.table_id is None:
            errors.add(
                UserErrorCode.REQUIRED, (*at, "tableId"), N_("Name the table its rows go to.")
            )
        key = q.key if q.key in used and q.key not in [c["key"] for c in cleaned] else None
        if key is None:
            serial += 1
            key = f"q{serial}"
        cleaned.append(
            {
                "key": key,
                "label": label,
                "kind": q.kind,
                "required": bool(q.required),
                "choices": choices if q.kind == "CHOICE" else [],
                "table_id": q.table_id if q.kind == "TABLE" else None,
            }
        )
    return cleaned


async def _check_tables(account_id: int, questions: list[dict], errors: ErrorCollector) -> None:
    wanted = {q["table_id"] for q in questions if q["table_id"] is not None}
    found = set(
        await AccountTable.filter(id__in=list(wanted), account_id=account_id).values_list(
            "id", flat=True
        )
    )
    for index, q in enumerate(questions):
        if q["table_id"] is not None and q["table_id"] not in found:
            errors.add(
                UserErrorCode.NOT_FOUND, ("input", "questions", index, "tableId"), N_("Not found.")
            )


async def create(
    actor,
    account_id: int,
    title: str | None,
    questions: Sequence[QuestionData],
    group_ids: Sequence[int],
    link_ids: Sequence[int],
) -> AccountForm:
    errors = ErrorCollector()
    title = clean_text(title, errors, ("input", "title"), max_length=TITLE_MAX, required=True)
    cleaned = _questions(questions, errors)
    errors.raise_if_any()
    async with unit_of_work():
        account = await locked_account(actor, account_id, ("input", "account_id"))
        await _check_tables(account.id, cleaned, errors)
        groups = await visibility.account_groups(
            account.id, group_ids, ("input", "access_group_ids")
        )
        links = await visibility.account_links(
            account.id, link_ids, ("input", "account_contact_ids")
        )
        errors.raise_if_any()
        form = await AccountForm.create(account_id=account.id, version=1, created_by=actor.user)
        await AccountFormVersion.create(form=form, number=1, title=title, questions=cleaned)
        await visibility.share(FORMS, form.id, groups, links)
        await record(
            actor,
            "account_form.create",
            ("AccountForm", form.id),
            after={"title": title, "questions": len(cleaned)},
        )
    return form


async def locked_form(actor, form_id: int) -> AccountForm:
    form = (
        await AccountForm.filter(id=form_id, account__organization_id=actor.organization_id)
        .select_for_update()
        .first()
    )
    if form is None:
        raise NotFound(("input", "form_id"))
    return form


async def current_version(form: AccountForm) -> AccountFormVersion:
    return await AccountFormVersion.get(form_id=form.id, number=form.version)


async def update(
    actor,
    form_id: int,
    title: str | None,
    questions: Sequence[QuestionData] | None,
    group_ids: Sequence[int] | None,
    link_ids: Sequence[int] | None,
) -> AccountForm:
    """A new version when the title or the questions change; the assignment when given."""
    errors = ErrorCollector()
    async with unit_of_work():
        form = await locked_form(actor, form_id)
        version = await current_version(form)
        new_title = version.title
        if title is not None:
            new_title = clean_text(
                title, errors, ("input", "title"), max_length=TITLE_MAX, required=True
            )
        new_questions = version.questions
        if questions is not None:
            taken = await AccountFormVersion.filter(form_id=form.id).values_list(
                "questions", flat=True
            )
            keys = [q["key"] for qs in taken for q in qs]
            new_questions = _questions(questions, errors, keys)
            await _check_tables(form.account_id, new_questions, errors)
        groups = links = None
        if group_ids is not None:
            groups = await visibility.account_groups(
                form.account_id, group_ids, ("input", "access_group_ids")
            )
        if link_ids is not None:
            links = await visibility.account_links(
                form.account_id, link_ids, ("input", "account_contact_ids")
            )
        errors.raise_if_any()
        if (new_title, new_questions) != (version.title, version.questions):
            await _new_version(form, version, new_title, new_questions)
        before = {}
        if groups is not None or links is not None:
            old = await visibility.assignments_of(FORMS, [form.id])
            before = await visibility.shares_set(
                FORMS,
                form.id,
                groups if groups is not None else old[0][0],
                links if links is not None else old[0][1],
            )
        await record(
            actor,
            "account_form.update",
            ("AccountForm", form.id),
            before={"version": version.number, **before},
            after={"version": form.version, "title": new_title},
        )
    return form


async def _new_version(form: AccountForm, old: AccountFormVersion, title, questions) -> None:
    form.version += 1
    await form.save(update_fields=["version", "updated_at"])
    version = await AccountFormVersion.create(
        form=form, number=form.version, title=title, questions=questions
    )
    draft = await AccountFormResponse.get_or_none(version_id=old.id, status=ResponseStatus.DRAFT)
    if draft is not None:  # a draft follows the form; a signed response stays where it is
        keys = {q["key"] for q in questions}
        draft.version_id = version.id
        draft.answers = {k: v for k, v in draft.answers.items() if k in keys}
        await draft.save(update_fields=["version_id", "answers", "updated_at"])


async def delete(actor, form_id: int) -> int:
    async with unit_of_work():
        form = await locked_form(actor, form_id)
        version = await current_version(form)
        await form.delete()
        await record(
            actor, "account_form.delete", ("AccountForm", form_id), before={"title": version.title}
        )
    return form.account_id


async def versions_of(form_ids: list[int]) -> list[AccountFormVersion]:
    """Each form's current version."""
    forms = dict(await AccountForm.filter(id__in=form_ids).values_list("id", "version"))
    rows = await AccountFormVersion.filter(form_id__in=form_ids)
    found = {(v.form_id, v.number): v for v in rows if forms.get(v.form_id) == v.number}
    return [found[(pk, forms[pk])] for pk in form_ids]


async def responses_of(form_ids: list[int]) -> list[list[AccountFormResponse]]:
    """Each form's responses, newest version first, with their versions."""
    found: dict[int, list] = {pk: [] for pk in form_ids}
    rows = (
        await AccountFormResponse.filter(form_id__in=form_ids)
        .select_related("version")
        .order_by("-version__number")
    )
    for row in rows:
        found[row.form_id].append(row)
    return [found[pk] for pk in form_ids]
