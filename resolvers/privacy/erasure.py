"""`personErase`: a contact erased in their organization, on request or when retention has
passed. Cannot be undone.

In one transaction: the contact's personal fields are replaced by a pseudonym ("Erased
person 1a2b3c4d"); each table of the registry does what its entry says (memberships and
answers deleted, delivery bodies and addresses blanked while the rows, and so the counts,
stay); consent is reduced to what proves a withdrawal (the WITHDRAWN records, without
their proof text, and a new one per channel if needed); the outbox rows to their address
are blanked; strings of the organization's audit log naming them are redacted. The ledger
is never touched: invoices and ledger entries point to the account, purchases to the
account contact, which now shows the pseudonym, so totals and statements are unchanged and
statements rebuilt show the pseudonym. The primary of an account must be moved first.
Audited as `privacy.erase` with the reason and no erased value.
"""

from __future__ import annotations

import secrets
from typing import Any

from carnet.i18n import N_
from carnet.storage import current_storage
from models.accounts import ClientAccount
from models.audit import AuditEvent
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.identity import User
from models.messaging import OutboxMessage
from models.privacy import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.contacts.records import fold
from resolvers.privacy.archive import Person, person_in, rows_query
from resolvers.privacy.registry import Erase, references

MAX_REASON = 500
ERASED = "[erased]"
_FIELD = ("input", "contactId")


def pseudonym() -> str:
    return f"Erased person {secrets.token_hex(4)}"


async def erased(contact_id: int) -> bool:
    return await PrivacyRequest.filter(
        contact_id=contact_id, kind=PrivacyRequestKind.ERASURE, status=PrivacyRequestStatus.DONE
    ).exists()


def check_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise UserErrors.single(
            UserErrorCode.REQUIRED, ("input", "reason"), N_("Say why the person is erased.")
        )
    if len(reason) > MAX_REASON:
        raise UserErrors.single(
            UserErrorCode.TOO_LONG,
            ("input", "reason"),
            N_("Use at most {max} characters."),
            max=MAX_REASON,
        )
    return reason


async def erase_contact(
    organization_id: int,
    contact_id: int | None,
    reason: str,
    *,
    actor: User | None,
    meta: RequestMeta,
    whole_account: bool = False,
) -> PrivacyRequest:
    """Erases the contact (see the module's docstring); refuses with NOT_FOUND (another
    organization's or no such contact), ALREADY_ERASED or PRIMARY_REQUIRED (unless
    `whole_account`: retention erasing every contact of an inactive account)."""
    reason = check_reason(reason)
    files: list[str] = []
    async with unit_of_work():
        contact = None
        if contact_id is not None:
            contact = (
                await Contact.filter(id=contact_id, organization_id=organization_id)
                .select_for_update()
                .first()
            )
        if contact is None:
            raise NotFound(_FIELD)
        if await erased(contact.id):
            raise UserErrors.single(
                UserErrorCode.ALREADY_ERASED, _FIELD, N_("This contact was already erased.")
            )
        primary = await ClientAccount.filter(primary_contact_id=contact.id).exists()
        if primary and not whole_account:
            raise UserErrors.single(
                UserErrorCode.PRIMARY_REQUIRED,
                _FIELD,
                N_(
                    "This contact is the primary of a client account: make another contact "
                    "the primary first."
                ),
            )
        person = await person_in(organization_id, [contact.id])
        values = _personal_values(contact)
        await _reduce_consent(contact)
        files += await _apply_registry(person)
        await _blank_outbox(organization_id, contact)
        await _pseudonymise(contact)
        await redact_audit(organization_id, values)
        files += await _drop_exports(contact.id)
        request = await PrivacyRequest.create(
            organization_id=organization_id,
            kind=PrivacyRequestKind.ERASURE,
            status=PrivacyRequestStatus.DONE,
            contact_id=contact.id,
            requested_by=actor,
            reason=reason,
            finished_at=now(),
        )
        await audit.record(
            "privacy.erase",
            actor=actor,
            meta=meta,
            organization_id=organization_id,
            target=("Contact", contact.id),
            after={"request": request.id, "reason": reason},
        )
    storage = current_storage()
    for key in files:  # after commit: a rolled-back erasure keeps its files
        await storage.delete(key)
    return request


def _personal_values(contact: Contact) -> list[str]:
    """The strings that identify the person, for redacting free text that copied them."""
    found = [
        contact.first_name,
        contact.last_name,
        contact.organization_name,
        contact.email or "",
        contact.phone or "",
        f"{contact.first_name} {contact.last_name}".strip(),
        contact.sort_name,
    ]
    return [v for v in dict.fromkeys(found) if v and len(v) >= 3]


async def _reduce_consent(contact: Contact) -> None:
    await (
        ConsentRecord.filter(contact_id=contact.id).exclude(status=ConsentStatus.WITHDRAWN).delete()
    )
    for channel, current in (
        (ConsentChannel.EMAIL, contact.email_consent),
        (ConsentChannel.SMS, contact.sms_consent),
    ):
        if current is not ConsentStatus.WITHDRAWN:
            await ConsentRecord.create(
                contact_id=contact.id,
                channel=channel,
                status=ConsentStatus.WITHDRAWN,
                source="privacy erasure",
            )


async def _apply_registry(person: Person) -> list[str]:
    """Each entry's erase rule on the person's rows; the storage keys of deleted files."""
    files: list[str] = []
    for ref in references():
        if ref.erase in (Erase.KEEP, Erase.ACTOR) or (ref.model_name, ref.field) == (
            "Contact",
            "user",
        ):
            continue
        query = rows_query(ref, person)
        if query is None:
            continue
        if ref.erase is Erase.DELETE:
            if ref.files:
                files += [k for k in await query.values_list(ref.files, flat=True) if k]
            await query.delete()
        else:
            await query.update(**ref.cleared)
    return files


async def _blank_outbox(organization_id: int, contact: Contact) -> None:
    addresses = [a for a in (contact.email, contact.phone) if a]
    if addresses:
        await OutboxMessage.filter(organization_id=organization_id, recipient__in=addresses).update(
            recipient=ERASED, subject="", body_text="", body_html="", context={}, links=[]
        )


async def _pseudonymise(contact: Contact) -> None:
    name = pseudonym()
    await Contact.filter(id=contact.id).update(
        first_name="",
        last_name=name,
        organization_name="",
        sort_name=name,
        search_text=fold(name),
        email=None,
        phone=None,
        birth_date=None,
        address_line1="",
        address_line2="",
        city="",
        region="",
        postal_code="",
        notes="",
        user_id=None,
        do_not_contact=True,
        email_consent=ConsentStatus.WITHDRAWN,
        email_consent_expires_at=None,
        sms_consent=ConsentStatus.WITHDRAWN,
        sms_consent_expires_at=None,
    )


def redact(value: Any, names: list[str]) -> tuple[Any, bool]:
    """`value` (JSON) with every string mentioning one of `names` replaced; whether any was."""
    if isinstance(value, str):
        lowered = value.lower()
        if any(name.lower() in lowered for name in names):
            return ERASED, True
        return value, False
    if isinstance(value, list):
        pairs = [redact(v, names) for v in value]
        return [v for v, _ in pairs], any(c for _, c in pairs)
    if isinstance(value, dict):
        pairs = {k: redact(v, names) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
    return value, False


async def redact_audit(organization_id: int | None, names: list[str]) -> None:
    """The audit log keeps every event (who did what, when, to which record) but no longer
    the erased values its before/after copied. None: the platform's own events."""
    if not names:
        return
    scope = (
        {"organization_id": organization_id}
        if organization_id is not None
        else {"organization_id__isnull": True}
    )
    last = 0
    while True:
        events = (
            await AuditEvent.filter(**scope, id__gt=last)
            .order_by("id")
            .limit(500)
            .only("id", "before", "after")
        )
        if not events:
            return
        for event in events:
            before, changed_before = redact(event.before, names)
            after, changed_after = redact(event.after, names)
            if changed_before or changed_after:
                await AuditEvent.filter(id=event.id).update(before=before, after=after)
        last = events[-1].id


async def _drop_exports(contact_id: int) -> list[str]:
    """Earlier export archives of the person go with them."""
    built = await PrivacyRequest.filter(contact_id=contact_id, file_key__isnull=False)
    await PrivacyRequest.filter(id__in=[r.id for r in built]).update(
        file_key=None, download_token_hash=None, expires_at=None
    )
    return [r.file_key for r in built]
