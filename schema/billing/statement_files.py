"""Statement PDFs and statements emailed: for staff who read billing, and for the
account's primary contact from the client side."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.billing import mail, statement_files
from resolvers.common.permissions import Permission, Relationship
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id


@strawberry.input
class StatementPeriodInput:
    account_id: strawberry.ID
    from_: datetime = strawberry.field(name="from", description="The period's start (included).")
    to: datetime = strawberry.field(description="The period's end (excluded).")


@strawberry.type
class StatementPdfPayload(Payload):
    download_url: str | None = strawberry.field(
        default=None,
        description="GET it (no session needed) before `expiresAt`: it serves the PDF once, "
        "answering 409 while the worker is still rendering it. Shown only here.",
    )
    expires_at: datetime | None = None


@strawberry.input
class InvoicePdfInput:
    invoice_id: strawberry.ID


@strawberry.type
class StatementSendPayload(Payload):
    sent_to: str | None = strawberry.field(
        default=None, description="The primary contact's email address the statement goes to."
    )


def _reader() -> dict:
    return requires(
        Permission.BILLING_READ,
        relationship=Relationship.ACCOUNT_PRIMARY,
        scope="input.accountId",
    )


@strawberry.type
class StatementFilesMutation:
    @strawberry.mutation(
        **describe(
            "An account's statement for [from, to) as a PDF, in your language: a job renders "
            "it; the payload's short-lived, single-use link serves it.",
            _reader(),
        )
    )
    async def statement_pdf(
        self, info: strawberry.Info, input: StatementPeriodInput
    ) -> StatementPdfPayload:
        pk = await scoped_id(info, input.account_id, "ClientAccount", ("input", "accountId"))
        link = await statement_files.request(
            info.context.principal(info),
            pk,
            (input.from_, input.to),
            info.context.locale,
            info.context.settings,
        )
        return StatementPdfPayload(download_url=link.url, expires_at=link.expires_at)

    @strawberry.mutation(
        **describe(
            "Emails an account's statement for [from, to) to its primary contact: a "
            "transactional message, sent by the worker; the payload names the address.",
            _reader(),
        )
    )
    async def statement_send(
        self, info: strawberry.Info, input: StatementPeriodInput
    ) -> StatementSendPayload:
        pk = await scoped_id(info, input.account_id, "ClientAccount", ("input", "accountId"))
        sent_to = await mail.send_statement(info.context.principal(info), pk, input.from_, input.to)
        return StatementSendPayload(sent_to=sent_to)

    @strawberry.mutation(
        **describe(
            "An invoice as a PDF, in your language: a job renders it; the payload's "
            "short-lived, single-use link serves it. The account's primary: finalized "
            "invoices only.",
            requires(
                Permission.BILLING_READ,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.invoiceId",
            ),
        )
    )
    async def invoice_pdf(
        self, info: strawberry.Info, input: InvoicePdfInput
    ) -> StatementPdfPayload:
        pk = await scoped_id(info, input.invoice_id, "Invoice", ("input", "invoiceId"))
        link = await statement_files.request_invoice(
            info.context.principal(info), pk, info.context.locale, info.context.settings
        )
        return StatementPdfPayload(download_url=link.url, expires_at=link.expires_at)
