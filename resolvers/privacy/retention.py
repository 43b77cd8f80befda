"""Retention: how long an organization keeps archived contacts and inactive client
accounts (`organizationUpdate(input: {retention})`), what the next daily run would erase
(`retentionDryRun`), and the daily run itself (`apply`).

An archived contact is due once archived longer than `archived_contact_days`; an account
is inactive once nothing happened on it (no edit, no ledger entry, no activity of its
contacts) for `inactive_account_days`, and then every contact of it is erased, its primary
included, and its name replaced. Contacts that are an account's primary are left to the
account's rule. Each erasure is `erasure.erase_contact`, one transaction each, audited
with no actor: a run stopped halfway and run again erases the rest, never one twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from carnet.i18n import N_
from models.accounts import AccountContact, ClientAccount
from models.billing import LedgerEntry
from models.contacts import Contact
from models.privacy import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus, RetentionPolicy
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import ErrorCollector, Forbidden, UserErrorCode
from resolvers.common.permissions import Permission
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.privacy.erasure import erase_contact

MAX_DAYS = 36500
FIELDS = ("archived_contact_days", "inactive_account_days")


@dataclass(frozen=True)
class DryRun:
    archived_contacts: int
    inactive_accounts: int
    contacts_in_inactive_accounts: int


def check(actor: Actor, values: dict[str, int | None] | None) -> dict[str, int | None]:
    """Before anything is written: privacy.manage, and days from 1 to 36500 (0 keeps them,
    stored as null)."""
    if values is None:
        return {}
    if not actor.can(Permission.PRIVACY_MANAGE):
        raise Forbidden()
    errors = ErrorCollector()
    cleaned: dict[str, int | None] = {}
    for name, value in values.items():
        if value is None:
            continue
        if value < 0 or value > MAX_DAYS:
            camel = "".join(p if i == 0 else p.title() for i, p in enumerate(name.split("_")))
            errors.add(
                UserErrorCode.INVALID,
                ("input", "retention", camel),
                N_("Give a number of days from 1 to {max}, or 0 to keep them."),
                max=MAX_DAYS,
            )
            continue
        cleaned[name] = value or None
    errors.raise_if_any()
    return cleaned


async def policy_of(organization_id: int) -> RetentionPolicy:
    found = await RetentionPolicy.get_or_none(organization_id=organization_id)
    return found or RetentionPolicy(organization_id=organization_id)


async def update(actor: Actor, values: dict[str, int | None]) -> None:
    """Sets the policy (values already `check`ed); audited as `privacy.retention`."""
    if not values:
        return
    async with unit_of_work():
        policy = await policy_of(actor.organization_id)
        before = {name: getattr(policy, name) for name in FIELDS}
        for name, value in values.items():
            setattr(policy, name, value)
        await policy.save()
        after = {name: getattr(policy, name) for name in FIELDS}
        if before != after:
            await audit.record(
                "privacy.retention",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Organization", actor.organization_id),
                before=before,
                after=after,
            )


async def _erased_ids(organization_id: int) -> set[int]:
    return set(
        await PrivacyRequest.filter(
            organization_id=organization_id,
            kind=PrivacyRequestKind.ERASURE,
            status=PrivacyRequestStatus.DONE,
        ).values_list("contact_id", flat=True)
    )


async def due_contacts(policy: RetentionPolicy) -> list[int]:
    if not policy.archived_contact_days:
        return []
    cutoff = now() - timedelta(days=policy.archived_contact_days)
    erased = await _erased_ids(policy.organization_id)
    primaries = set(
        await ClientAccount.filter(organization_id=policy.organization_id).values_list(
            "primary_contact_id", flat=True
        )
    )
    found = await Contact.filter(
        organization_id=policy.organization_id, archived_at__lte=cutoff
    ).values_list("id", flat=True)
    return sorted(set(found) - erased - primaries)


async def due_accounts(policy: RetentionPolicy) -> dict[int, list[int]]:
    """Inactive accounts with contacts left to erase: account id -> contact ids."""
    if not policy.inactive_account_days:
        return {}
    cutoff = now() - timedelta(days=policy.inactive_account_days)
    organization_id = policy.organization_id
    accounts = await ClientAccount.filter(
        organization_id=organization_id, updated_at__lte=cutoff
    ).values_list("id", flat=True)
    recent_ledger = set(
        await LedgerEntry.filter(
            organization_id=organization_id, created_at__gt=cutoff
        ).values_list("account_id", flat=True)
    )
    erased = await _erased_ids(organization_id)
    due: dict[int, list[int]] = {}
    for account_id in accounts:
        if account_id in recent_ledger:
            continue
        links = await AccountContact.filter(account_id=account_id).values_list(
            "contact_id", "contact__last_activity_at"
        )
        if any(seen and seen > cutoff for _, seen in links):
            continue
        primary = await ClientAccount.get(id=account_id).values_list(
            "primary_contact_id", flat=True
        )
        left = sorted(({c for c, _ in links} | {primary}) - erased)
        if left:
            # The primary last: the account keeps a primary until it is erased too.
            due[account_id] = [c for c in left if c != primary] + (
                [primary] if primary in left else []
            )
    return due


async def dry_run(actor: Actor) -> DryRun:
    policy = await policy_of(actor.organization_id)
    accounts = await due_accounts(policy)
    return DryRun(
        archived_contacts=len(await due_contacts(policy)),
        inactive_accounts=len(accounts),
        contacts_in_inactive_accounts=sum(len(c) for c in accounts.values()),
    )


async def apply() -> int:
    """The daily job: erases what every organization's retention says is due."""
    erased = 0
    meta = RequestMeta()
    for policy in await RetentionPolicy.all():
        for contact_id in await due_contacts(policy):
            await erase_contact(
                policy.organization_id,
                contact_id,
                f"Retention: archived more than {policy.archived_contact_days} days.",
                actor=None,
                meta=meta,
            )
            erased += 1
        for account_id, contact_ids in (await due_accounts(policy)).items():
            reason = f"Retention: account inactive more than {policy.inactive_account_days} days."
            for contact_id in contact_ids:
                await erase_contact(
                    policy.organization_id,
                    contact_id,
                    reason,
                    actor=None,
                    meta=meta,
                    whole_account=True,
                )
                erased += 1
            await ClientAccount.filter(id=account_id).update(
                name=f"Erased account {account_id}", sort_name=f"erased account {account_id}"
            )
    return erased
