"""Forms, the client side: the forms a contact sees in `me { accounts { forms } }`, and
answering and signing them (the primary, FULL contacts, and ASSIGNED contacts the form
is assigned to)."""

from __future__ import annotations

import strawberry
from strawberry.dataloader import DataLoader

from models.account_forms import AccountForm
from models.identity import User
from resolvers.accounts import form_answers, forms, visibility
from resolvers.common.permissions import Relationship
from resolvers.common.relationships import register
from schema.accounts.forms import AccountFormResponseType, AccountFormType
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id


async def _sees_form(user: User, form: AccountForm) -> bool:
    return await visibility.sees(forms.FORMS, user, form)


register(Relationship.ACCOUNT_CONTACT, AccountForm, _sees_form)


def mine_loader(info: strawberry.Info, kind: visibility.ItemKind) -> DataLoader:
    """Per request, for each of the caller's account links: the items of `kind` they see."""

    async def batch(links):
        return await visibility.visible(kind, list(links))

    return info.context.loader(
        f"accounts.mine.{kind.item_field}",
        lambda: DataLoader(batch, cache_key_fn=lambda link: link.id),
    )


async def my_forms(root, info: strawberry.Info) -> list[AccountFormType]:
    return await mine_loader(info, forms.FORMS).load(root.link)


@strawberry.input
class FormAnswerInput:
    question_key: str
    value: str | None = strawberry.field(
        default=None,
        description="TEXT; CHOICE: one of the choices; DATE: YYYY-MM-DD; NUMBER; YES_NO: YES "
        "or NO. Empty clears the answer.",
    )
    rows: list[list[str]] | None = strawberry.field(
        default=None, description="TABLE: one value per column of the table, in its order."
    )


@strawberry.input
class MyAccountFormAnswersSaveInput:
    form_id: strawberry.ID
    answers: list[FormAnswerInput]


@strawberry.input
class MyAccountFormSignInput:
    form_id: strawberry.ID
    signer_name: str = strawberry.field(description="The name signed with.")


@strawberry.type
class MyAccountFormPayload(Payload):
    form: AccountFormType | None = None
    response: AccountFormResponseType | None = None


@strawberry.type
class FormAnswersMutation:
    @strawberry.mutation(
        **describe(
            "Saves draft answers to a form of your account (empty values clear answers).",
            requires(relationship=Relationship.ACCOUNT_CONTACT, scope="input.formId"),
        )
    )
    async def my_account_form_answers_save(
        self, info: strawberry.Info, input: MyAccountFormAnswersSaveInput
    ) -> MyAccountFormPayload:
        pk = await scoped_id(info, input.form_id, "AccountForm", ("input", "formId"))
        answers = [form_answers.AnswerData(a.question_key, a.value, a.rows) for a in input.answers]
        response = await form_answers.save(info.context.principal(info), pk, answers)
        return MyAccountFormPayload(form=await AccountForm.get(id=pk), response=response)

    @strawberry.mutation(
        **describe(
            "Submits and signs a form of your account: every required question must be "
            "answered; the signer's name, the time and a SHA-256 hash of the version and "
            "answers are kept, and the response is read-only from then on.",
            requires(relationship=Relationship.ACCOUNT_CONTACT, scope="input.formId"),
        )
    )
    async def my_account_form_sign(
        self, info: strawberry.Info, input: MyAccountFormSignInput
    ) -> MyAccountFormPayload:
        pk = await scoped_id(info, input.form_id, "AccountForm", ("input", "formId"))
        response = await form_answers.sign(info.context.principal(info), pk, input.signer_name)
        return MyAccountFormPayload(form=await AccountForm.get(id=pk), response=response)
