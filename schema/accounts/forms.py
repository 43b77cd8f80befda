"""Forms of a client account: types, and the staff mutations (accounts.write) defining
and assigning them. Answering and signing, the client side: schema/accounts/form_answers.py.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.account_forms import AccountForm, AccountFormResponse, ResponseStatus
from models.accounts import ClientAccount
from resolvers.accounts import forms, visibility
from resolvers.common.permissions import Permission
from schema import ids
from schema.accounts.assignment import assignees
from schema.accounts.types import ClientAccountType, _loader
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node

QuestionKindEnum = strawberry.enum(
    forms.QuestionKind,
    name="FormQuestionKind",
    description="TABLE: rows for an account table, added to it when the form is signed.",
)
ResponseStatusEnum = strawberry.enum(
    ResponseStatus, name="FormResponseStatus", description="DRAFT, then SIGNED (read-only)."
)


@strawberry.type
class FormQuestion:
    key: str = strawberry.field(description="Stable across versions: answers name it.")
    label: str
    kind: QuestionKindEnum
    required: bool
    choices: list[str]
    table_id: strawberry.ID | None = strawberry.field(description="For a TABLE question.")


def question(q: dict) -> FormQuestion:
    table = q.get("table_id")
    return FormQuestion(
        key=q["key"],
        label=q["label"],
        kind=forms.QuestionKind(q["kind"]),
        required=q["required"],
        choices=q["choices"],
        table_id=strawberry.ID(ids.encode("AccountTable", table)) if table else None,
    )


@strawberry.type
class FormAnswer:
    question_key: str
    value: str | None = strawberry.field(description="YES or NO for a YES_NO question.")
    rows: list[list[str]] | None = strawberry.field(
        description="For a TABLE question: one value per column, in the table's order."
    )


def answer(key: str, value) -> FormAnswer:
    if isinstance(value, list):
        return FormAnswer(question_key=key, value=None, rows=[list(r.values()) for r in value])
    if isinstance(value, bool):
        value = "YES" if value else "NO"
    return FormAnswer(question_key=key, value=value, rows=None)


@strawberry.type(name="AccountFormResponse", description="The answers to one version of a form.")
class AccountFormResponseType:
    status: ResponseStatusEnum
    signer_name: str = strawberry.field(description="Empty until signed.")
    signed_at: datetime | None
    signature_hash: str = strawberry.field(
        description="SHA-256 (hex) of the canonical JSON of the form version and the answers "
        "signed (keys sorted, no spaces, UTF-8); empty until signed."
    )
    updated_at: datetime

    @strawberry.field(description="The form version answered.")
    async def version(self) -> int:
        from schema.types import related

        return (await related(self, "version")).number

    @strawberry.field
    def answers(self) -> list[FormAnswer]:
        return [answer(k, v) for k, v in sorted(self.answers.items())]


async def _version(info, form):
    return await _loader(info, "form_versions", forms.versions_of).load(form.id)


@model_node(
    "AccountForm",
    AccountForm,
    Permission.ACCOUNTS_READ,
    organization_path="account__organization_id",
)
class AccountFormType(Node):
    version: int = strawberry.field(description="A new version on every edit of the questions.")
    created_at: datetime

    @strawberry.field
    async def title(self, info: strawberry.Info) -> str:
        return (await _version(info, self)).title

    @strawberry.field
    async def questions(self, info: strawberry.Info) -> list[FormQuestion]:
        return [question(q) for q in (await _version(info, self)).questions]

    @strawberry.field(description="The answers to the current version: a draft or signed.")
    async def response(self, info: strawberry.Info) -> AccountFormResponseType | None:
        found = await _loader(info, "form_responses", forms.responses_of).load(self.id)
        return next((r for r in found if r.version.number == self.version), None)

    @strawberry.field(description="Every signed response, newest version first.")
    async def signed_responses(self, info: strawberry.Info) -> list[AccountFormResponseType]:
        found = await _loader(info, "form_responses", forms.responses_of).load(self.id)
        return [r for r in found if r.status is ResponseStatus.SIGNED]

    @strawberry.field(description="The access groups it is assigned to.")
    async def access_group_ids(self, info: strawberry.Info) -> list[strawberry.ID]:
        groups, _ = await _assignment(info, self.id)
        return [strawberry.ID(ids.encode("AccessGroup", pk)) for pk in groups]

    @strawberry.field(description="The account contacts it is assigned to.")
    async def account_contact_ids(self, info: strawberry.Info) -> list[strawberry.ID]:
        _, links = await _assignment(info, self.id)
        return [strawberry.ID(ids.encode("AccountContact", pk)) for pk in links]


async def _assignment(info, pk: int):
    async def batch(keys):
        return await visibility.assignments_of(forms.FORMS, keys)

    return await _loader(info, "form_assignments", batch).load(pk)


async def account_forms(root: ClientAccountType, info: strawberry.Info) -> list[AccountFormType]:
    async def batch(keys):
        return await visibility.of_accounts(forms.FORMS, keys)

    return await _loader(info, "forms", batch).load(root.id)


@strawberry.input
class FormQuestionInput:
    key: str | None = strawberry.field(
        default=None, description="An existing question's key, to keep it (and its answers)."
    )
    label: str
    kind: QuestionKindEnum
    required: bool = False
    choices: list[str] = strawberry.field(default_factory=list, description="For CHOICE.")
    table_id: strawberry.ID | None = strawberry.field(default=None, description="For TABLE.")


@strawberry.input
class AccountFormCreateInput:
    account_id: strawberry.ID
    title: str
    questions: list[FormQuestionInput]
    access_group_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    account_contact_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class AccountFormUpdateInput:
    form_id: strawberry.ID
    title: str | None = None
    questions: list[FormQuestionInput] | None = strawberry.field(
        default=None, description="All of them, in order: a new version when they change."
    )
    access_group_ids: list[strawberry.ID] | None = None
    account_contact_ids: list[strawberry.ID] | None = None


@strawberry.input
class AccountFormDeleteInput:
    form_id: strawberry.ID


@strawberry.type
class AccountFormPayload(Payload):
    form: AccountFormType | None = None


@strawberry.type
class AccountFormDeletePayload(Payload):
    deleted_form_id: strawberry.ID | None = None
    account: ClientAccountType | None = None


async def _questions(info, questions) -> list[forms.QuestionData]:
    found = []
    for index, q in enumerate(questions):
        field = ("input", "questions", index, "tableId")
        table = await scoped_id(info, q.table_id, "AccountTable", field) if q.table_id else None
        found.append(
            forms.QuestionData(
                q.label, forms.QuestionKind(q.kind), q.required, q.choices, q.key, table
            )
        )
    return found


@strawberry.type
class AccountFormsMutation:
    @strawberry.mutation(
        **describe(
            "Defines a form for the account, assigned to access groups and account contacts.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.accountId"),
        )
    )
    async def account_form_create(
        self, info: strawberry.Info, input: AccountFormCreateInput
    ) -> AccountFormPayload:
        pk = await scoped_id(info, input.account_id, "ClientAccount", ("input", "accountId"))
        groups, links = await assignees(info, input.access_group_ids, input.account_contact_ids)
        questions = await _questions(info, input.questions)
        form = await forms.create(
            info.context.actor(info), pk, input.title, questions, groups, links
        )
        return AccountFormPayload(form=form)

    @strawberry.mutation(
        **describe(
            "Edits a form: a new title or questions make a new version (a signed response "
            "keeps its version); the assignment is replaced when given.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.formId"),
        )
    )
    async def account_form_update(
        self, info: strawberry.Info, input: AccountFormUpdateInput
    ) -> AccountFormPayload:
        pk = await scoped_id(info, input.form_id, "AccountForm", ("input", "formId"))
        groups, links = await assignees(info, input.access_group_ids, input.account_contact_ids)
        questions = None if input.questions is None else await _questions(info, input.questions)
        form = await forms.update(
            info.context.actor(info), pk, input.title, questions, groups, links
        )
        return AccountFormPayload(form=form)

    @strawberry.mutation(
        **describe(
            "Deletes a form with its answers and signatures.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.formId"),
        )
    )
    async def account_form_delete(
        self, info: strawberry.Info, input: AccountFormDeleteInput
    ) -> AccountFormDeletePayload:
        pk = await scoped_id(info, input.form_id, "AccountForm", ("input", "formId"))
        account_id = await forms.delete(info.context.actor(info), pk)
        return AccountFormDeletePayload(
            deleted_form_id=strawberry.ID(ids.encode("AccountForm", pk)),
            account=await ClientAccount.get(id=account_id),
        )


__all__ = ["AccountFormResponse", "AccountFormsMutation", "account_forms"]
