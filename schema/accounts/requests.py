"""Requests of a client account: types; staff ask and review (accounts.write); the client
side fulfils them (ACCOUNT_CONTACT: whoever sees the request)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import strawberry
from strawberry.file_uploads import Upload

from models.account_requests import AccountRequest, RequestKind
from models.accounts import ClientAccount
from models.identity import User
from resolvers.accounts import requests, visibility
from resolvers.common.permissions import Permission, Relationship
from resolvers.common.relationships import register
from schema import ids
from schema.accounts.assignment import assignees
from schema.accounts.form_answers import mine_loader
from schema.accounts.items import AccountDocumentType
from schema.accounts.types import ClientAccountType, _loader
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node, related


async def _sees_request(user: User, request: AccountRequest) -> bool:
    return await visibility.sees(requests.REQUESTS, user, request)


register(Relationship.ACCOUNT_CONTACT, AccountRequest, _sees_request)


class RequestStatus(StrEnum):
    OPEN = "OPEN"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    OVERDUE = "OVERDUE"


RequestKindEnum = strawberry.enum(
    RequestKind, name="AccountRequestKind", description="A DOCUMENT to upload or an ANSWER."
)
RequestStatusEnum = strawberry.enum(
    RequestStatus,
    name="AccountRequestStatus",
    description="OPEN → SUBMITTED → ACCEPTED or REJECTED (then it may be submitted again); "
    "OVERDUE: still awaited (open or rejected) past its due date.",
)


@model_node(
    "AccountRequest",
    AccountRequest,
    Permission.ACCOUNTS_READ,
    organization_path="account__organization_id",
)
class AccountRequestType(Node):
    kind: RequestKindEnum
    title: str
    description: str
    due_on: date | None
    answer: str = strawberry.field(description="The client's answer, for an ANSWER request.")
    rejection_reason: str
    submitted_at: datetime | None
    decided_at: datetime | None
    created_at: datetime

    @strawberry.field
    def status(self) -> RequestStatusEnum:
        return RequestStatus(requests.status(self))

    @strawberry.field(description="The document uploaded, for a DOCUMENT request.")
    async def document(self) -> AccountDocumentType | None:
        return await related(self, "document")

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
        return await visibility.assignments_of(requests.REQUESTS, keys)

    return await _loader(info, "request_assignments", batch).load(pk)


async def account_requests(root, info: strawberry.Info) -> list[AccountRequestType]:
    async def batch(keys):
        return await visibility.of_accounts(requests.REQUESTS, keys)

    return await _loader(info, "requests", batch).load(root.id)


async def my_requests(root, info: strawberry.Info) -> list[AccountRequestType]:
    return await mine_loader(info, requests.REQUESTS).load(root.link)


@strawberry.input
class AccountRequestCreateInput:
    account_id: strawberry.ID
    kind: RequestKindEnum
    title: str
    description: str = ""
    due_on: date | None = None
    access_group_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    account_contact_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class AccountRequestUpdateInput:
    request_id: strawberry.ID
    title: str | None = None
    description: str | None = None
    due_on: date | None = strawberry.field(default=None, description="null leaves it as is.")
    clear_due_on: bool = strawberry.field(default=False, description="Removes the due date.")
    access_group_ids: list[strawberry.ID] | None = None
    account_contact_ids: list[strawberry.ID] | None = None


@strawberry.input
class AccountRequestDeleteInput:
    request_id: strawberry.ID


@strawberry.input
class AccountRequestReviewInput:
    request_id: strawberry.ID
    accept: bool
    reason: str | None = strawberry.field(default=None, description="Required to reject.")


@strawberry.input
class MyAccountRequestFulfilInput:
    request_id: strawberry.ID
    answer: str | None = strawberry.field(default=None, description="For an ANSWER request.")
    file: Upload | None = strawberry.field(
        default=None,
        description="For a DOCUMENT request: a PDF, PNG or JPEG file (checked by its "
        "content), as a multipart upload; it becomes an account document.",
    )


@strawberry.type
class AccountRequestPayload(Payload):
    request: AccountRequestType | None = None


@strawberry.type
class AccountRequestDeletePayload(Payload):
    deleted_request_id: strawberry.ID | None = None
    account: ClientAccountType | None = None


def _write(scope: str) -> dict:
    return requires(Permission.ACCOUNTS_WRITE, scope=scope)


@strawberry.type
class AccountRequestsMutation:
    @strawberry.mutation(
        **describe(
            "Asks the client for a document or an answer, by a due date.",
            _write("input.accountId"),
        )
    )
    async def account_request_create(
        self, info: strawberry.Info, input: AccountRequestCreateInput
    ) -> AccountRequestPayload:
        pk = await scoped_id(info, input.account_id, "ClientAccount", ("input", "accountId"))
        groups, links = await assignees(info, input.access_group_ids, input.account_contact_ids)
        request = await requests.create(
            info.context.actor(info),
            pk,
            RequestKind(input.kind),
            input.title,
            input.description,
            input.due_on,
            groups,
            links,
        )
        return AccountRequestPayload(request=request)

    @strawberry.mutation(
        **describe(
            "Edits a request's title, description, due date or assignment.",
            _write("input.requestId"),
        )
    )
    async def account_request_update(
        self, info: strawberry.Info, input: AccountRequestUpdateInput
    ) -> AccountRequestPayload:
        pk = await scoped_id(info, input.request_id, "AccountRequest", ("input", "requestId"))
        groups, links = await assignees(info, input.access_group_ids, input.account_contact_ids)
        request = await requests.update(
            info.context.actor(info),
            pk,
            input.title,
            input.description,
            input.due_on,
            input.clear_due_on,
            groups,
            links,
        )
        return AccountRequestPayload(request=request)

    @strawberry.mutation(**describe("Withdraws a request.", _write("input.requestId")))
    async def account_request_delete(
        self, info: strawberry.Info, input: AccountRequestDeleteInput
    ) -> AccountRequestDeletePayload:
        pk = await scoped_id(info, input.request_id, "AccountRequest", ("input", "requestId"))
        account_id = await requests.delete(info.context.actor(info), pk)
        return AccountRequestDeletePayload(
            deleted_request_id=strawberry.ID(ids.encode("AccountRequest", pk)),
            account=await ClientAccount.get(id=account_id),
        )

    @strawberry.mutation(
        **describe(
            "Accepts a submitted request, or rejects it with a reason.",
            _write("input.requestId"),
        )
    )
    async def account_request_review(
        self, info: strawberry.Info, input: AccountRequestReviewInput
    ) -> AccountRequestPayload:
        pk = await scoped_id(info, input.request_id, "AccountRequest", ("input", "requestId"))
        request = await requests.review(info.context.actor(info), pk, input.accept, input.reason)
        return AccountRequestPayload(request=request)

    @strawberry.mutation(
        **describe(
            "Fulfils a request of your account: answers it, or uploads the document asked "
            "for (a multipart request). Open and rejected requests only.",
            requires(relationship=Relationship.ACCOUNT_CONTACT, scope="input.requestId"),
        )
    )
    async def my_account_request_fulfil(
        self, info: strawberry.Info, input: MyAccountRequestFulfilInput
    ) -> AccountRequestPayload:
        pk = await scoped_id(info, input.request_id, "AccountRequest", ("input", "requestId"))
        request = await requests.fulfil(
            info.context.principal(info),
            pk,
            input.answer,
            input.file,
            info.context.settings.account_document_max_bytes,
        )
        return AccountRequestPayload(request=request)
