"""Invoices and statements emailed to the account's primary contact (seed 002: the holder
"recevra … les factures et les états de comptes").

Transactional mail, never marketing: recorded in the outbox (resolvers/messaging/email.py)
inside the caller's unit of work and sent by the send_email job after commit, so a job run
twice sends one email; no consent is asked and no unsubscribe link is added. The mail gives
the amounts, formatted with Babel in the contact's language, and links to the client side,
where the primary downloads the PDF (`statementPdf`): a download link is a secret, and the
outbox keeps nothing secret.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date

from carnet.i18n import N_
from models.accounts import ClientAccount
from models.billing import Invoice
from models.contacts import Contact
from models.organizations import Organization
from resolvers.billing import ledger
from resolvers.billing.money import format_money, remaining_due
from resolvers.common import audit
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.messaging.email import queue_email

INVOICE_TEMPLATE = "invoice_issued"
STATEMENT_TEMPLATE = "account_statement"


async def _recipient(account: ClientAccount) -> Contact | None:
    contact = await Contact.get_or_none(id=account.primary_contact_id)
    return contact if contact is not None and contact.email else None


def _locale(contact: Contact) -> str:
    value = str(getattr(contact.locale, "value", contact.locale))
    return value if value in ("en", "fr") else "en"


def _day(moment: datetime, locale: str) -> str:
    return format_date(moment.date(), format="long", locale={"fr": "fr_CA"}.get(locale, "en_CA"))


def _due(invoice: Invoice) -> int:
    return remaining_due(
        invoice.total, invoice.amount_paid, invoice.amount_refunded, invoice.amount_credited
    )


async def queue_invoice(invoice: Invoice) -> bool:
    """In the finalizing unit of work: the invoice's mail to the account's primary, if they
    have an email address (False otherwise: nothing queued)."""
    account = await ClientAccount.get(id=invoice.account_id)
    contact = await _recipient(account)
    if contact is None:
        return False
    organization = await Organization.get(id=invoice.organization_id)
    locale = _locale(contact)
    await queue_email(
        template=INVOICE_TEMPLATE,
        to=contact.email,
        locale=locale,
        organization_id=invoice.organization_id,
        name=contact.first_name or contact.email,
        organization=organization.name,
        account=account.name,
        number=invoice.number,
        total=format_money(invoice.total, invoice.currency, locale),
        amount_due=format_money(_due(invoice), invoice.currency, locale),
    )
    return True


async def send_statement(principal, account_id: int, start: datetime, end: datetime) -> str:
    """Queues the statement's mail to the account's primary; their address. Audited."""
    if end <= start:
        raise UserErrors.single(
            UserErrorCode.INVALID, ("input", "to"), N_("`to` must come after `from`.")
        )
    account = await ClientAccount.get(id=account_id)
    contact = await _recipient(account)
    if contact is None:
        raise UserErrors.single(
            UserErrorCode.REQUIRED,
            ("input", "accountId"),
            N_("The account's primary contact has no email address."),
        )
    organization = await Organization.get(id=account.organization_id)
    locale = _locale(contact)
    found = await ledger.statement(account.id, organization.currency, start, end)
    async with unit_of_work():
        await queue_email(
            template=STATEMENT_TEMPLATE,
            to=contact.email,
            locale=locale,
            organization_id=account.organization_id,
            name=contact.first_name or contact.email,
            organization=organization.name,
            account=account.name,
            start=_day(start, locale),
            end=_day(end, locale),
            entries=len(found.entries),
            opening_balance=format_money(found.opening_balance, found.currency, locale),
            closing_balance=format_money(found.closing_balance, found.currency, locale),
        )
        await audit.record(
            "billing.statement.send",
            actor=principal.user,
            meta=principal.meta,
            organization_id=account.organization_id,
            target=("ClientAccount", account.id),
            after={"from": start.isoformat(), "to": end.isoformat()},
        )
    return contact.email
