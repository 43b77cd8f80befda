"""Staff: the list, invitations, and every change to a membership."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.dataloader import DataLoader

from models.staff import Invitation, InvitationState, MembershipStatus, Role, StaffMembership
from resolvers.common.permissions import Permission
from resolvers.common.time import today_in
from resolvers.staff import deactivation, invitations, members
from resolvers.staff import status as membership_status
from resolvers.staff.loaders import organization_todays, pending_invitations
from schema import ids
from schema.identity import UserType, public
from schema.organizations import OrganizationType, RoleEnum
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Connection, Node, SortDirection, model_node, related

MembershipStatusEnum = strawberry.enum(MembershipStatus, name="MembershipStatus")
InvitationStateEnum = strawberry.enum(InvitationState, name="InvitationState")
StaffSortEnum = strawberry.enum(members.StaffSort, name="StaffSortField")


@model_node("StaffMember", StaffMembership, Permission.STAFF_READ)
class StaffMemberType(Node):
    role: RoleEnum
    deactivate_on: date | None = strawberry.field(
        description="Access ends at the start of this date (organization's timezone)."
    )
    deactivated_at: datetime | None
    created_at: datetime

    @strawberry.field(
        description="DEACTIVATED from the start of `deactivateOn`, as access is, even before "
        "the hourly job records it."
    )
    async def status(self, info: strawberry.Info) -> MembershipStatusEnum:
        return membership_status.effective(self, await _today(info, self.organization_id))

    @strawberry.field
    async def user(self) -> UserType:
        return await related(self, "user")

    @strawberry.field(description="The pending invitation, while the person has not joined.")
    async def invitation(self, info: strawberry.Info) -> InvitationType | None:
        if self.status is not MembershipStatus.INVITED:
            return None
        loader = info.context.loader(
            "staff.pending_invitations", lambda: DataLoader(pending_invitations)
        )
        return await loader.load(self.id)


@model_node("Invitation", Invitation, Permission.STAFF_READ)
class InvitationType(Node):
    email: str
    expires_at: datetime
    sent_at: datetime | None = strawberry.field(description="When the latest link was mailed.")
    send_count: int
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime

    @strawberry.field
    def state(self) -> InvitationStateEnum:
        return invitations.state_of(self)

    @strawberry.field(description="Who sent it.")
    async def invited_by(self) -> UserType | None:
        return await related(self, "invited_by")

    @strawberry.field(
        description="The membership it offers (with its role); null once revoked or removed."
    )
    async def member(self) -> StaffMemberType | None:
        return await related(self, "membership")


async def _today(info: strawberry.Info, organization_id: int) -> date:
    """Today in the organization's timezone: from the caller's role there (already loaded
    by the permission check), else one query per request for all organizations asked."""
    actor = await info.context.actor_for(organization_id)
    if actor is not None:
        return today_in(actor.organization.timezone)
    loader = info.context.loader(
        "staff.organization_todays", lambda: DataLoader(organization_todays)
    )
    return await loader.load(organization_id)


@strawberry.input
class StaffFilterInput:
    roles: list[RoleEnum] | None = None
    statuses: list[MembershipStatusEnum] | None = None
    search: str | None = strawberry.field(default=None, description="Part of a name or email.")
    pending_deactivation: bool | None = strawberry.field(
        default=None, description="Only active staff with (or without) a deactivation date."
    )


@strawberry.input
class StaffSortInput:
    field: StaffSortEnum = members.StaffSort.NAME
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class StaffAddInput:
    organization_id: strawberry.ID
    email: str
    first_name: str
    last_name: str = ""
    role: RoleEnum


@strawberry.input
class StaffRoleChangeInput:
    membership_id: strawberry.ID
    role: RoleEnum


@strawberry.input
class StaffMembershipInput:
    membership_id: strawberry.ID


@strawberry.input
class StaffDeactivateInput:
    membership_id: strawberry.ID
    on: date = strawberry.field(description="Today or later, in the organization's timezone.")


@strawberry.input
class InvitationInput:
    invitation_id: strawberry.ID


@strawberry.input
class InvitationAcceptInput:
    token: str
    password: str | None = strawberry.field(
        default=None, description="Needed when the person has no Carnet login yet."
    )
    first_name: str | None = None
    last_name: str | None = None


@strawberry.type
class StaffAddPayload(Payload):
    member: StaffMemberType | None = None
    invitation: InvitationType | None = strawberry.field(
        default=None, description="Set when the person must accept an invitation first."
    )


@strawberry.type
class StaffMemberPayload(Payload):
    member: StaffMemberType | None = None


@strawberry.type
class StaffRemovePayload(Payload):
    removed_member_id: strawberry.ID | None = None


@strawberry.type
class InvitationPayload(Payload):
    invitation: InvitationType | None = None


@strawberry.type
class InvitationAcceptPayload(Payload):
    organization: OrganizationType | None = None
    member: StaffMemberType | None = None
    user: UserType | None = None
    access_token: str | None = None
    refresh_token: str | None = None


@strawberry.type
class StaffQuery:
    @strawberry.field(
        **describe(
            "The organization's staff, invited, active and deactivated.",
            requires(Permission.STAFF_READ),
        )
    )
    async def staff_members(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        filter: StaffFilterInput | None = None,
        sort: StaffSortInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[StaffMemberType]:
        actor = info.context.actor(info)
        filters = members.StaffFilter()
        if filter is not None:
            filters = members.StaffFilter(
                roles=filter.roles,
                statuses=filter.statuses,
                search=filter.search,
                pending_deactivation=filter.pending_deactivation,
            )
        sort = sort or StaffSortInput()
        page = await members.members(
            actor,
            filters,
            members.StaffSort(sort.field),
            sort.direction is SortDirection.DESC,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)

    @strawberry.field(
        **describe("Staff invitations, newest first.", requires(Permission.STAFF_READ))
    )
    async def staff_invitations(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        state: InvitationStateEnum | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[InvitationType]:
        page = await invitations.invitations(
            info.context.actor(info), state, first=first, after=after, last=last, before=before
        )
        return Connection.of(page)


@strawberry.type
class StaffMutation:
    @strawberry.mutation(
        **describe(
            "Adds a person as staff with a role. Someone with a verified Carnet login gets access "
            "at once (same email and password); anyone else gets an invitation by email. The "
            "mail is rationed per organization and per inviter: over the quota, RATE_LIMITED "
            "with `retryAfter`.",
            requires(Permission.STAFF_MANAGE),
        )
    )
    async def staff_add(self, info: strawberry.Info, input: StaffAddInput) -> StaffAddPayload:
        addition = members.StaffAddition(
            email=input.email,
            first_name=input.first_name,
            last_name=input.last_name,
            role=Role(input.role),
        )
        added = await members.add(info.context.actor(info), addition, info.context.settings)
        return StaffAddPayload(member=added.membership, invitation=added.invitation)

    @strawberry.mutation(
        **describe(
            "Changes a staff member's role (only an owner grants or removes OWNER).",
            requires(Permission.STAFF_MANAGE),
        )
    )
    async def staff_role_change(
        self, info: strawberry.Info, input: StaffRoleChangeInput
    ) -> StaffMemberPayload:
        pk = await scoped_id(info, input.membership_id, "StaffMember", ("input", "membershipId"))
        member = await members.change_role(info.context.actor(info), pk, Role(input.role))
        return StaffMemberPayload(member=member)

    @strawberry.mutation(
        **describe(
            "Removes a person from the staff (their login stays).",
            requires(Permission.STAFF_MANAGE),
        )
    )
    async def staff_remove(
        self, info: strawberry.Info, input: StaffMembershipInput
    ) -> StaffRemovePayload:
        pk = await scoped_id(info, input.membership_id, "StaffMember", ("input", "membershipId"))
        removed = await members.remove(info.context.actor(info), pk)
        return StaffRemovePayload(removed_member_id=ids.encode("StaffMember", removed))

    @strawberry.mutation(
        **describe(
            "Ends a person's access today or on a later date.", requires(Permission.STAFF_MANAGE)
        )
    )
    async def staff_deactivate(
        self, info: strawberry.Info, input: StaffDeactivateInput
    ) -> StaffMemberPayload:
        pk = await scoped_id(info, input.membership_id, "StaffMember", ("input", "membershipId"))
        member = await deactivation.deactivate(info.context.actor(info), pk, input.on)
        return StaffMemberPayload(member=member)

    @strawberry.mutation(
        **describe("Cancels a scheduled deactivation.", requires(Permission.STAFF_MANAGE))
    )
    async def staff_deactivation_cancel(
        self, info: strawberry.Info, input: StaffMembershipInput
    ) -> StaffMemberPayload:
        pk = await scoped_id(info, input.membership_id, "StaffMember", ("input", "membershipId"))
        member = await deactivation.cancel_deactivation(info.context.actor(info), pk)
        return StaffMemberPayload(member=member)

    @strawberry.mutation(
        **describe(
            "Gives a deactivated person their access back.", requires(Permission.STAFF_MANAGE)
        )
    )
    async def staff_reactivate(
        self, info: strawberry.Info, input: StaffMembershipInput
    ) -> StaffMemberPayload:
        pk = await scoped_id(info, input.membership_id, "StaffMember", ("input", "membershipId"))
        member = await deactivation.reactivate(info.context.actor(info), pk)
        return StaffMemberPayload(member=member)

    @strawberry.mutation(
        **describe(
            "Mails a new invitation link with a new expiry; the previous link stops working. "
            "Counts against the same mail quota as staffAdd.",
            requires(Permission.STAFF_MANAGE),
        )
    )
    async def invitation_resend(
        self, info: strawberry.Info, input: InvitationInput
    ) -> InvitationPayload:
        pk = await scoped_id(info, input.invitation_id, "Invitation", ("input", "invitationId"))
        invitation = await invitations.resend(info.context.actor(info), pk, info.context.settings)
        return InvitationPayload(invitation=invitation)

    @strawberry.mutation(
        **describe(
            "Cancels an invitation; its link stops working.", requires(Permission.STAFF_MANAGE)
        )
    )
    async def invitation_revoke(
        self, info: strawberry.Info, input: InvitationInput
    ) -> InvitationPayload:
        pk = await scoped_id(info, input.invitation_id, "Invitation", ("input", "invitationId"))
        invitation = await invitations.revoke(info.context.actor(info), pk)
        return InvitationPayload(invitation=invitation)

    @strawberry.mutation(
        **describe(
            "Accepts an invitation with the mailed link's token: joins the organization and signs "
            "in (a new person also sets a password here).",
            public(),
        )
    )
    async def invitation_accept(
        self, info: strawberry.Info, input: InvitationAcceptInput
    ) -> InvitationAcceptPayload:
        accepted = await invitations.accept(
            input.token,
            input.password,
            input.first_name,
            input.last_name,
            info.context.meta,
            info.context.settings,
        )
        invitation = accepted.invitation
        return InvitationAcceptPayload(
            organization=invitation.organization,
            member=invitation.membership,
            user=accepted.tokens.session.user,
            access_token=accepted.tokens.access_token,
            refresh_token=accepted.tokens.refresh_token,
        )
