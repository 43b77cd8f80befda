"""Members taken off a family holding one by one: a family pass (a FAMILY purchase) or a
family subscription covers every member of the account; staff take one member off it
while the others keep it (seed 002: cancellations listed per member). Nothing is credited:
a family price does not depend on how many members it covers."""

from __future__ import annotations

from carnet.i18n import N_
from models.accounts import AccountContact, AccountContactKind
from models.catalogue import (
    LIVE_SUBSCRIPTION,
    FamilyCoverCancellation,
    HoldingStatus,
    Purchase,
    Subscription,
)
from resolvers.catalogue.common import Caller, audit_event
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work


async def cancel_for_member(
    caller: Caller,
    member_id: int,
    purchase_id: int | None = None,
    subscription_id: int | None = None,
) -> Purchase | Subscription:
    """Exactly one of `purchase_id` and `subscription_id`; ids already scoped."""
    if (purchase_id is None) == (subscription_id is None):
        raise UserErrors.single(
            UserErrorCode.INVALID,
            ("input", "purchase_id"),
            N_("Give a family purchase or a family subscription, not both."),
        )
    model, pk = (
        (Purchase, purchase_id)
        if purchase_id is not None
        else (
            Subscription,
            subscription_id,
        )
    )
    field = ("input", "purchase_id" if model is Purchase else "subscription_id")
    async with unit_of_work():
        holding = (
            await model.filter(id=pk, organization_id=caller.organization_id)
            .select_for_update()
            .first()
        )
        if holding is None:
            raise NotFound(field)
        if not holding.covers_account:
            raise UserErrors.single(
                UserErrorCode.INVALID,
                field,
                N_("Only a family pass or a family subscription is canceled per member."),
            )
        ended = (
            holding.status not in LIVE_SUBSCRIPTION
            if model is Subscription
            else holding.status is HoldingStatus.CANCELED
        )
        member = await AccountContact.get_or_none(
            id=member_id, account_id=holding.account_id, kind=AccountContactKind.MEMBER
        )
        if member is None:
            raise NotFound(("input", "member_id"))
        key = {"purchase_id": pk} if model is Purchase else {"subscription_id": pk}
        if ended or await FamilyCoverCancellation.filter(member_id=member.id, **key).exists():
            raise UserErrors.single(
                UserErrorCode.ALREADY_CANCELED,
                ("input", "member_id"),
                N_("This member is no longer covered."),
            )
        await FamilyCoverCancellation.create(
            organization_id=caller.organization_id,
            member_id=member.id,
            created_by=caller.user,
            **key,
        )
        await audit_event(
            caller,
            "family_cover.cancel",
            ("Purchase" if model is Purchase else "Subscription", holding.id),
            after={"member_id": member.id},
        )
    return holding
