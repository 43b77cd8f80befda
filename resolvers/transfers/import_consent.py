"""What an import does to a contact's consent: the file's column or the organization's
declaration for the whole file, applied only where it replaces what the contact has.
Consent from an import never resubscribes: WITHDRAWN is kept unless the row withdraws
again, and EXPRESS does not replace a withdrawal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.contacts import ConsentChannel, ConsentStatus, Contact
from resolvers.contacts import consent as consent_rules
from resolvers.transfers.import_rows import ImportRow


def consent_changes(
    contact: Contact, row: ImportRow, declared_by_channel: dict[ConsentChannel, dict]
) -> dict[ConsentChannel, Any]:
    """Sets the consent columns the row changes; returns (before, status, expiry) by
    channel for the records and audit events."""
    changes: dict[ConsentChannel, Any] = {}
    for channel in ConsentChannel:
        declared = declared_by_channel.get(channel)
        status = row.consent.get(channel) or (
            ConsentStatus(declared["status"]) if declared else None
        )
        if status is None:
            continue
        expires_at = None
        if status is ConsentStatus.IMPLIED:
            basis = consent_rules.ImpliedBasis(declared["implied_basis"])
            expires_at = consent_rules.implied_expiry(
                basis, datetime.fromisoformat(declared["implied_at"])
            )
        before = consent_rules.recorded(contact, channel)
        if not _replaces(contact, channel, status, expires_at):
            continue
        status_column, expiry_column = consent_rules._columns(channel)
        setattr(contact, status_column, status)
        setattr(contact, expiry_column, expires_at)
        changes[channel] = (before, status, expires_at)
    return changes


def _replaces(contact: Contact, channel: ConsentChannel, status: ConsentStatus, expires_at) -> bool:
    """Whether an imported status replaces what the contact has: a withdrawal always (but
    is not recorded twice); express consent unless withdrawn or already express; implied
    only where none, or a shorter implied one, is in force."""
    recorded_status, recorded_expiry = consent_rules.recorded(contact, channel)
    current = consent_rules.current(contact, channel)
    if status is ConsentStatus.WITHDRAWN:
        return recorded_status is not ConsentStatus.WITHDRAWN
    if status is ConsentStatus.EXPRESS:
        return recorded_status not in (ConsentStatus.EXPRESS, ConsentStatus.WITHDRAWN)
    if status is ConsentStatus.IMPLIED:
        if current is ConsentStatus.NOT_ASKED:
            return True
        return current is ConsentStatus.IMPLIED and (
            recorded_expiry is None or expires_at > recorded_expiry
        )
    return False
