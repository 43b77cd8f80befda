"""Joining a team with the mailed link: the link proves the address (whoever had not
proven it chooses a password; a verified login keeps its own), the membership becomes
active, and the payment the invitation offered applies if the takeover rules still allow
it (the person may have subscribed meanwhile: then they join paying as before)."""

from __future__ import annotations

from dataclasses import dataclass

from carnet.auth import token_digest
from carnet.i18n import N_
from carnet.settings import Settings
from models.identity import TokenPurpose, User
from models.staff import Invitation, InvitationKind, InvitationState
from models.teams import SeatPayment, TeamMember, TeamMemberStatus
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text
from resolvers.contacts.links import link_verified_user
from resolvers.identity import tokens
from resolvers.identity.sessions import IssuedTokens, start_session
from resolvers.staff import invitations as staff_invitations
from resolvers.teams import billing, clock, seats, takeover, teams
from resolvers.teams.seats import SeatCaller


def _not_valid(code: UserErrorCode, message: str) -> UserErrors:
    return UserErrors.single(code, ("input", "token"), message)


@dataclass
class Joined:
    member: TeamMember
    tokens: IssuedTokens


async def accept(
    token: str,
    password: str | None,
    first_name: str | None,
    last_name: str | None,
    meta: RequestMeta,
    settings: Settings,
) -> Joined:
    errors = ErrorCollector()
    names = {}
    if first_name is not None:
        names["first_name"] = clean_text(
            first_name, errors, ("input", "first_name"), max_length=100, required=True
        )
    if last_name is not None:
        names["last_name"] = clean_text(last_name, errors, ("input", "last_name"), max_length=100)
    errors.raise_if_any()
    async with unit_of_work():
        invitee_id = (
            await Invitation.filter(token__token_hash=token_digest(token or ""))
            .first()
            .values_list("user_id", flat=True)
        )
        if invitee_id is not None:
            await User.filter(id=invitee_id).select_for_update().first()
        record = await tokens.consume(token, TokenPurpose.INVITATION, ("input", "token"))
        invitation = (
            await Invitation.filter(token_id=record.id, kind=InvitationKind.TEAM)
            .select_for_update()
            .first()
        )
        member = None
        if invitation is not None:
            member = await TeamMember.filter(invitation_id=invitation.id).first()
        if member is None or invitation.state is not InvitationState.PENDING:
            raise _not_valid(
                UserErrorCode.TOKEN_REVOKED,
                N_("This link was replaced or cancelled. Use the latest one."),
            )
        if staff_invitations.state_of(invitation) is InvitationState.EXPIRED:
            raise _not_valid(
                UserErrorCode.TOKEN_EXPIRED, N_("This link has expired. Ask for a new one.")
            )
        await invitation.fetch_related("user")
        user = invitation.user
        if not user.is_active or user.email != invitation.email:
            raise _not_valid(
                UserErrorCode.TOKEN_INVALID, N_("This link is not valid. Ask for a new one.")
            )
        if not user.email_verified:
            # The address is proven only now: the link's holder chooses the password.
            await staff_invitations._claim(user, password, errors)
            names = {**staff_invitations._typed_names(invitation), **names}
        user.update_from_dict(names)
        user.email_verified_at = user.email_verified_at or now()
        await user.save()
        member = await _join(member, invitation, user, meta)
        await link_verified_user(user, meta)
    issued = await start_session(user, "", meta, settings)
    return Joined(member, issued)


async def _join(
    member: TeamMember, invitation: Invitation, user: User, meta: RequestMeta
) -> TeamMember:
    team = await teams.locked_team(member.team_id)
    caller = SeatCaller(user, meta)
    member.status = TeamMemberStatus.ACTIVE
    member.joined_at = clock.now()
    await member.save(update_fields=["status", "joined_at", "updated_at"])
    invitation.state = InvitationState.ACCEPTED
    invitation.accepted_at = now()
    await invitation.save(update_fields=["state", "accepted_at", "updated_at"])
    seat = await seats.locked_seat(team.organization_id, user.id)
    payment = member.payment or SeatPayment.MEMBER_PAYS
    # The offer stands only if the rules still allow it (the person may have subscribed
    # meanwhile): then the team pays, else the member joins paying as before.
    if takeover.refusal(seat, team, payment, clock.now(), ()) is None and (
        payment is not SeatPayment.MEMBER_PAYS
    ):
        changes = takeover.payment_changes(seat, team, member.seat_type, payment, clock.now())
        await seats.save_seat(caller, team.organization_id, user, seat, changes, "seat.team_pay")
        if payment is SeatPayment.PAY_NOW:  # prorated and charged at once, by a job
            await billing.bill_soon(team.id)
    await audit.record(
        "team.invitation_accept",
        actor=user,
        meta=meta,
        organization_id=team.organization_id,
        target=("Invitation", invitation.id),
        after={"team_id": team.id, "team_member_id": member.id},
    )
    await teams.joined(caller, team, user)
    member.team = team
    member.user = user
    return member
