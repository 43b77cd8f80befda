"""Requests (seed 004): a document or an answer staff ask of a client account, with a due
date, assigned like documents. OPEN → SUBMITTED when the client answers or uploads (by the
documents' own upload) → ACCEPTED, or REJECTED with a reason (the client may submit
again). An OPEN or REJECTED request past its due date reads as OVERDUE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from carnet.i18n import N_
from models.account_requests import AccountRequest, AccountRequestShare, RequestKind, RequestState
from resolvers.accounts import items, visibility
from resolvers.accounts.accounts import locked_account
from resolvers.accounts.forms import record
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

REQUESTS = visibility.ItemKind(AccountRequest, AccountRequestShare, "request_id")
TITLE_MAX = 200
TEXT_MAX = 5000
OVERDUE = "OVERDUE"
_OPEN = (RequestState.OPEN, RequestState.REJECTED)


def status(request: AccountRequest, today: date | None = None) -> str:
    """The state, or OVERDUE for one still awaited past its due date."""
    today = today or now().date()
    if request.state in _OPEN and request.due_on is not None and request.due_on < today:
        return OVERDUE
    return request.state.value


async def create(
    actor,
    account_id: int,
    kind: RequestKind,
    title: str | None,
    description: str | None,
    due_on: date | None,
    group_ids: Sequence[int],
    link_ids: Sequence[int],
) -> AccountRequest:
    errors = ErrorCollector()
    title = clean_text(title, errors, ("input", "title"), max_length=TITLE_MAX, required=True)
    description = clean_text(
        description, errors, ("input", "description"), max_length=TEXT_MAX, multiline=True
    )
    errors.raise_if_any()
    async with unit_of_work():
        account = await locked_account(actor, account_id, ("input", "account_id"))
        groups = await visibility.account_groups(
            account.id, group_ids, ("input", "access_group_ids")
        )
        links = await visibility.account_links(
            account.id, link_ids, ("input", "account_contact_ids")
        )
        request = await AccountRequest.create(
            account_id=account.id,
            kind=kind,
            title=title,
            description=description,
            due_on=due_on,
            created_by=actor.user,
        )
        await visibility.share(REQUESTS, request.id, groups, links)
        await record(
            actor,
            "account_request.create",
            ("AccountRequest", request.id),
            after={"kind": kind.value, "title": title, "due_on": due_on and due_on.isoformat()},
        )
    return request


async def _locked(caller, request_id: int) -> AccountRequest:
    request = (
        await AccountRequest.filter(id=request_id, account__organization_id=caller.organization_id)
        .select_for_update()
        .first()
    )
    if request is None:
        raise NotFound(("input", "request_id"))
    return request


async def update(
    actor, request_id: int, title, description, due_on, clear_due: bool, group_ids, link_ids
) -> AccountRequest:
    errors = ErrorCollector()
    async with unit_of_work():
        request = await _locked(actor, request_id)
        before = {"title": request.title, "due_on": request.due_on and request.due_on.isoformat()}
        if title is not None:
            request.title = clean_text(
                title, errors, ("input", "title"), max_length=TITLE_MAX, required=True
            )
        if description is not None:
            request.description = clean_text(
                description, errors, ("input", "description"), max_length=TEXT_MAX, multiline=True
            )
        if due_on is not None or clear_due:
            request.due_on = due_on
        groups = links = None
        if group_ids is not None:
            groups = await visibility.account_groups(
                request.account_id, group_ids, ("input", "access_group_ids")
            )
        if link_ids is not None:
            links = await visibility.account_links(
                request.account_id, link_ids, ("input", "account_contact_ids")
            )
        errors.raise_if_any()
        await request.save()
        if groups is not None or links is not None:
            [(old_groups, old_links)] = await visibility.assignments_of(REQUESTS, [request.id])
            await visibility.shares_set(
                REQUESTS,
                request.id,
                old_groups if groups is None else groups,
                old_links if links is None else links,
            )
        await record(
            actor,
            "account_request.update",
            ("AccountRequest", request.id),
            before=before,
            after={"title": request.title, "due_on": request.due_on and request.due_on.isoformat()},
        )
    return request


async def delete(actor, request_id: int) -> int:
    async with unit_of_work():
        request = await _locked(actor, request_id)
        await request.delete()
        await record(
            actor,
            "account_request.delete",
            ("AccountRequest", request_id),
            before={"title": request.title},
        )
    return request.account_id


def _state_error(field, message) -> UserErrors:
    return UserErrors.single(UserErrorCode.INVALID_STATE, field, message)


async def fulfil(
    caller, request_id: int, answer: str | None, file, max_bytes: int
) -> AccountRequest:
    """The client answers the request, or uploads the document asked for (checked and
    stored like any account document, and assigned to whom the request is assigned)."""
    errors = ErrorCollector()
    async with unit_of_work():
        request = await _locked(caller, request_id)
        if request.state not in _OPEN:
            raise _state_error(
                ("input", "request_id"),
                N_("This request has already been answered."),
            )
        if request.kind is RequestKind.ANSWER:
            request.answer = clean_text(
                answer,
                errors,
                ("input", "answer"),
                max_length=TEXT_MAX,
                required=True,
                multiline=True,
            )
            errors.raise_if_any()
        else:
            if file is None:
                raise UserErrors.single(
                    UserErrorCode.REQUIRED, items.FILE, N_("Attach the document.")
                )
            [(groups, links)] = await visibility.assignments_of(REQUESTS, [request.id])
            document = await items.upload(
                caller, request.account_id, file, None, groups, links, max_bytes
            )
            request.document_id = document.id
        request.state = RequestState.SUBMITTED
        request.submitted_at = now()
        request.submitted_by = caller.user
        request.rejection_reason = ""
        await request.save()
        await record(
            caller,
            "account_request.submit",
            ("AccountRequest", request.id),
            after={"kind": request.kind.value, "document_id": request.document_id},
        )
    return request


async def review(actor, request_id: int, accept: bool, reason: str | None) -> AccountRequest:
    """Staff accept a submitted request, or reject it with a reason (the client may then
    submit again)."""
    errors = ErrorCollector()
    reason = clean_text(
        reason,
        errors,
        ("input", "reason"),
        max_length=TEXT_MAX,
        required=not accept,
        multiline=True,
    )
    errors.raise_if_any()
    async with unit_of_work():
        request = await _locked(actor, request_id)
        if request.state is not RequestState.SUBMITTED:
            raise _state_error(
                ("input", "request_id"), N_("Only a submitted request can be accepted or rejected.")
            )
        request.state = RequestState.ACCEPTED if accept else RequestState.REJECTED
        request.rejection_reason = "" if accept else reason
        request.decided_at = now()
        await request.save()
        await record(
            actor,
            "account_request.review",
            ("AccountRequest", request.id),
            after={"state": request.state.value, "reason": request.rejection_reason},
        )
    return request
