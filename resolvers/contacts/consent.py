"""Marketing consent per channel (EMAIL, SMS), as Canada's anti-spam law (CASL) frames it.

EXPRESS consent lasts until withdrawn. IMPLIED consent comes from a purchase (it lasts two
years) or an inquiry (six months); past its expiry it counts as NOT_ASKED — the contact's
*effective* status, which filters, flags and audiences read. WITHDRAWN blocks the channel,
and so does `do_not_contact` for every channel. Consent governs marketing only: storing a
contact needs none, and transactional messages need none.

Each change is a ConsentRecord (source, proof, who recorded it) and an audit event; the
contact row keeps the current status and expiry for filters.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from carnet.i18n import N_
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.identity import User
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import ErrorCollector, FieldPath, UserErrorCode
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text
from resolvers.contacts.records import locked_contact

SOURCE_MAX_LENGTH = 64
PROOF_MAX_LENGTH = 5000


class ImpliedBasis(StrEnum):
    PURCHASE = "PURCHASE"
    INQUIRY = "INQUIRY"


# CASL: implied consent lasts two years after a purchase, six months after an inquiry.
IMPLIED_MONTHS = {ImpliedBasis.PURCHASE: 24, ImpliedBasis.INQUIRY: 6}
MARKETABLE = (ConsentStatus.EXPRESS, ConsentStatus.IMPLIED)


@dataclass
class ConsentChange:
    channel: ConsentChannel
    status: ConsentStatus
    source: str  # "web form", "purchase #123", "phone call"...
    proof: str = ""  # the wording the person agreed to, the checkbox text...
    implied_basis: ImpliedBasis | None = None
    # When the purchase or inquiry happened; now when not given.
    implied_at: datetime | None = None


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later; the 31st becomes the month's last day."""
    year, month_index = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month_index + 1)[1])
    return moment.replace(year=year, month=month_index + 1, day=day)


def implied_expiry(basis: ImpliedBasis, since: datetime) -> datetime:
    return add_months(since, IMPLIED_MONTHS[basis])


def _column_names(channel: ConsentChannel) -> tuple[str, str]:
    column = f"{channel.value.lower()}_consent"
    return column, f"{column}_expires_at"


# Built once: an import asks for them several times per row (an enum's `.value` is slow).
_COLUMNS = {channel: _column_names(channel) for channel in ConsentChannel}


def _columns(channel: ConsentChannel) -> tuple[str, str]:
    return _COLUMNS[channel]


def recorded(contact: Contact, channel: ConsentChannel) -> tuple[ConsentStatus, datetime | None]:
    """The status and expiry as last recorded on the contact."""
    status, expires = _columns(channel)
    return getattr(contact, status), getattr(contact, expires)


def effective_status(
    status: ConsentStatus, expires_at: datetime | None, at: datetime
) -> ConsentStatus:
    if status is ConsentStatus.IMPLIED and expires_at is not None and expires_at <= at:
        return ConsentStatus.NOT_ASKED
    return status


def current(contact: Contact, channel: ConsentChannel, at: datetime | None = None) -> ConsentStatus:
    return effective_status(*recorded(contact, channel), at or now())


def marketing_allowed(
    contact: Contact, channel: ConsentChannel, at: datetime | None = None
) -> bool:
    """May the organization send this contact marketing on this channel now?"""
    if contact.archived_at is not None or contact.do_not_contact:
        return False
    address = contact.email if channel is ConsentChannel.EMAIL else contact.phone
    return bool(address) and current(contact, channel, at) in MARKETABLE


def _clean_proof(value: str, errors: ErrorCollector, field: FieldPath) -> str:
    return clean_text(value, errors, field, max_length=PROOF_MAX_LENGTH, multiline=True)


def _utc(moment: datetime) -> datetime:
    # Stored in UTC: SQLite compares the ISO text, offsets and all. No offset means UTC.
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class CheckedChange:
    change: ConsentChange
    source: str
    proof: str
    expires_at: datetime | None


def check(change: ConsentChange, errors: ErrorCollector, path: FieldPath = ("input",)):
    """Validates a change; its expiry computed for IMPLIED consent."""
    at = now()
    source = clean_text(
        change.source, errors, (*path, "source"), max_length=SOURCE_MAX_LENGTH, required=True
    )
    proof = _clean_proof(change.proof or "", errors, (*path, "proof"))
    expires_at = None
    if change.status is ConsentStatus.IMPLIED:
        since = _utc(change.implied_at) if change.implied_at else at
        if change.implied_basis is None:
            errors.add(
                UserErrorCode.REQUIRED,
                (*path, "implied_basis"),
                N_("Implied consent needs its basis: a purchase or an inquiry."),
            )
        elif since > at:
            errors.add(
                UserErrorCode.INVALID,
                (*path, "implied_at"),
                N_("This date cannot be in the future."),
            )
        else:
            expires_at = implied_expiry(change.implied_basis, since)
            if expires_at <= at:
                errors.add(
                    UserErrorCode.INVALID,
                    (*path, "implied_at"),
                    N_("Implied consent from that date has already expired."),
                )
    elif change.implied_basis is not None or change.implied_at is not None:
        errors.add(
            UserErrorCode.INVALID,
            (*path, "implied_basis"),
            N_("Only implied consent has a basis and a date."),
        )
    return CheckedChange(change, source, proof, expires_at)


async def apply(
    contact: Contact,
    checked: CheckedChange,
    by: User | None,
    meta: RequestMeta,
    *,
    recorded_by: User | None = None,
) -> ConsentRecord:
    """Records the change on the (locked) contact, in the caller's transaction. `by` acted
    (the audit log's actor); `recorded_by` is the staff member the history names, None when
    the person gave it themself (a form, a purchase)."""
    channel, status = checked.change.channel, checked.change.status
    before_status, before_expiry = recorded(contact, channel)
    expires_at = checked.expires_at
    if (
        status is ConsentStatus.IMPLIED
        and current(contact, channel) is ConsentStatus.IMPLIED
        and before_expiry is not None
        and before_expiry > expires_at
    ):
        # A new inquiry does not cut short the two years a purchase gave: the later wins.
        expires_at = before_expiry
    record = await ConsentRecord.create(
        contact_id=contact.id,
        channel=channel,
        status=status,
        source=checked.source,
        proof=checked.proof,
        expires_at=checked.expires_at,
        recorded_by=recorded_by,
    )
    status_column, expiry_column = _columns(channel)
    setattr(contact, status_column, status)
    setattr(contact, expiry_column, expires_at)
    await contact.save(update_fields=[status_column, expiry_column, "updated_at"])
    await audit.record(
        "contact.consent_set",
        actor=by,
        meta=meta,
        organization_id=contact.organization_id,
        target=("Contact", contact.id),
        **change_audit(
            channel,
            (before_status, before_expiry),
            (status, expires_at),
            checked.source,
            record_id=record.id,
        ),
    )
    return record


def change_audit(
    channel: ConsentChannel,
    before: tuple[ConsentStatus, datetime | None],
    after: tuple[ConsentStatus, datetime | None],
    source: str,
    **more: Any,
) -> dict[str, dict]:
    """The before/after of a `contact.consent_set` audit event; `more` goes with after."""

    def state(status: ConsentStatus, expires_at: datetime | None) -> dict:
        return {
            "channel": channel.value,
            "status": status.value,
            "expires_at": expires_at.isoformat() if expires_at else None,
        }

    return {"before": state(*before), "after": {**state(*after), "source": source, **more}}


def supersedes(contact: Contact, change: ConsentChange) -> bool:
    """Whether consent given through an interaction (a purchase, a registration) replaces
    what the contact has: a new express consent or a withdrawal always does; implied consent
    only renews implied consent or fills in where none was asked, and never overrides an
    express consent or a withdrawal."""
    if change.status in (ConsentStatus.EXPRESS, ConsentStatus.WITHDRAWN):
        return True
    if change.status is ConsentStatus.IMPLIED:
        return current(contact, change.channel) in (ConsentStatus.NOT_ASKED, ConsentStatus.IMPLIED)
    return False


async def set_consent(actor: Actor, contact_id: int | None, change: ConsentChange) -> Contact:
    """Staff record what the person said, as said (an implied consent still never shortens
    a current implied one)."""
    errors = ErrorCollector()
    checked = check(change, errors)
    errors.raise_if_any()
    async with unit_of_work():
        contact = await locked_contact(actor, contact_id, ("input", "contact_id"))
        await apply(contact, checked, actor.user, actor.meta, recorded_by=actor.user)
    return contact


def history(contact_ids: list[int]):
    """Consent records of these contacts, newest first, with who recorded them."""
    return (
        ConsentRecord.filter(contact_id__in=contact_ids)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-id")
    )
