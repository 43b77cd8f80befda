"""Privacy requests (Québec Law 25, GDPR): `personDataExport`, `personErase` and the
organization's `privacyRequests` for staff with privacy.manage; `myDataExport` for a
signed-in user. Download links are shown only in the payload of the mutation minting them.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.privacy import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus
from resolvers.common.errors import NotFound
from resolvers.common.permissions import Permission
from resolvers.privacy import account_deletion, erasure, export, requests, retention
from schema import ids
from schema.identity import self_only, signed_in
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import decode_at, scoped_id
from schema.types import Connection, Node, model_node

PrivacyRequestKindEnum = strawberry.enum(
    PrivacyRequestKind, name="PrivacyRequestKind", description="What a privacy request is."
)
PrivacyRequestStatusEnum = strawberry.enum(
    PrivacyRequestStatus, name="PrivacyRequestStatus", description="Where it stands."
)


@model_node("PrivacyRequest", PrivacyRequest, Permission.PRIVACY_MANAGE)
class PrivacyRequestType(Node):
    kind: PrivacyRequestKindEnum
    status: PrivacyRequestStatusEnum
    reason: str = strawberry.field(description="Why (an erasure), as the requester wrote it.")
    created_at: datetime
    finished_at: datetime | None

    @strawberry.field(description="The contact's global id (after erasure: the pseudonym's).")
    def contact_id(self) -> strawberry.ID | None:
        return strawberry.ID(ids.encode("Contact", self.contact_id)) if self.contact_id else None

    @strawberry.field(description="An export built and still kept: a link can be asked for.")
    def downloadable(self, info: strawberry.Info) -> bool:
        return export.downloadable(self, info.context.settings)

    @strawberry.field(
        description="The download link, only in the payload of the mutation that mints it "
        "(a secret: works once, for a few minutes)."
    )
    def download_url(self) -> str | None:
        link = getattr(self, "_minted_link", None)
        return link.url if link else None

    @strawberry.field(description="When the latest link minted stops working.")
    def link_expires_at(self) -> datetime | None:
        return self.expires_at


@strawberry.input
class PersonDataExportInput:
    contact_id: strawberry.ID = strawberry.field(description="A contact of your organization.")


@strawberry.input
class PersonEraseInput:
    contact_id: strawberry.ID = strawberry.field(description="A contact of your organization.")
    reason: str = strawberry.field(description="Why (kept in the audit log; not personal data).")


@strawberry.input
class PrivacyExportLinkInput:
    id: strawberry.ID = strawberry.field(description="A DONE export request.")


@strawberry.type
class PrivacyRequestPayload(Payload):
    request: PrivacyRequestType | None = None


@strawberry.input
class MyAccountDeleteInput:
    password: str = strawberry.field(description="Your password, asked again.")


@strawberry.type
class MyAccountDeletePayload(Payload):
    organizations_asked: int = strawberry.field(
        default=0,
        description="Organizations that knew you, each given a privacy request to erase or "
        "keep your contact per its retention rules.",
    )


@strawberry.type
class RetentionDryRun:
    archived_contact_days: int | None = strawberry.field(
        description="The policy: days an archived contact is kept (null: kept)."
    )
    inactive_account_days: int | None = strawberry.field(
        description="The policy: days an inactive client account is kept (null: kept)."
    )
    archived_contacts: int = strawberry.field(
        description="Archived contacts the next daily run would erase."
    )
    inactive_accounts: int = strawberry.field(
        description="Inactive client accounts whose contacts the next run would erase."
    )
    contacts_in_inactive_accounts: int


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        **describe(
            "The retention policy and what the next daily run would erase under it, counted "
            "now: nothing is erased by asking.",
            requires(Permission.PRIVACY_MANAGE),
        )
    )
    async def retention_dry_run(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> RetentionDryRun:
        actor = info.context.actor(info)
        policy = await retention.policy_of(actor.organization_id)
        counted = await retention.dry_run(actor)
        return RetentionDryRun(
            archived_contact_days=policy.archived_contact_days,
            inactive_account_days=policy.inactive_account_days,
            archived_contacts=counted.archived_contacts,
            inactive_accounts=counted.inactive_accounts,
            contacts_in_inactive_accounts=counted.contacts_in_inactive_accounts,
        )

    @strawberry.field(
        **describe(
            "The organization's privacy requests (exports, erasures, deleted logins), newest "
            "first.",
            requires(Permission.PRIVACY_MANAGE),
        )
    )
    async def privacy_requests(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PrivacyRequestType]:
        page = await requests.of_organization(info.context.actor(info), first=first, after=after)
        return Connection.of(page)


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        **describe(
            "Exports everything the organization holds about a contact as a ZIP (one JSON "
            "document plus their files), built by a job; the requester is mailed when it is "
            "ready and downloads it with `personDataExportLink`. Audited.",
            requires(Permission.PRIVACY_MANAGE, scope="input.contactId"),
        )
    )
    async def person_data_export(
        self, info: strawberry.Info, input: PersonDataExportInput
    ) -> PrivacyRequestPayload:
        pk = await scoped_id(info, input.contact_id, "Contact", ("input", "contactId"))
        request = await export.request_person_export(info.context.actor(info), pk)
        return PrivacyRequestPayload(request=request)

    @strawberry.mutation(
        **describe(
            "Mints the single-use download link of a DONE `personDataExport` (valid "
            "CARNET_EXPORT_LINK_TTL_SECONDS; the previous one stops working).",
            requires(Permission.PRIVACY_MANAGE),
        )
    )
    async def person_data_export_link(
        self, info: strawberry.Info, input: PrivacyExportLinkInput
    ) -> PrivacyRequestPayload:
        pk = await scoped_id(info, input.id, "PrivacyRequest", ("input", "id"))
        actor = info.context.actor(info)
        found = await PrivacyRequest.get_or_none(
            id=pk, organization_id=actor.organization_id, kind=PrivacyRequestKind.EXPORT
        )
        request, link = await export.issue_link(
            found, actor.user, actor.meta, info.context.settings
        )
        request._minted_link = link
        return PrivacyRequestPayload(request=request)

    @strawberry.mutation(
        **describe(
            "Erases a contact in your organization, for good: personal fields replaced by a "
            "pseudonym, memberships and answers deleted, message bodies dropped (counts "
            "kept), consent reduced to the proof of withdrawal; ledger entries stay and show "
            "the pseudonym. An account's primary must be moved first (PRIMARY_REQUIRED); "
            "erasing twice is ALREADY_ERASED. Audited without the erased data.",
            requires(Permission.PRIVACY_MANAGE, scope="input.contactId"),
        )
    )
    async def person_erase(
        self, info: strawberry.Info, input: PersonEraseInput
    ) -> PrivacyRequestPayload:
        pk = await scoped_id(info, input.contact_id, "Contact", ("input", "contactId"))
        actor = info.context.actor(info)
        request = await erasure.erase_contact(
            actor.organization_id, pk, input.reason, actor=actor.user, meta=actor.meta
        )
        return PrivacyRequestPayload(request=request)

    @strawberry.mutation(
        **describe(
            "Exports everything Carnet holds about you, in every organization where you are "
            "a contact, staff, an account contact or on a team, plus your login's own "
            "records: a ZIP built by a job, mailed to you when ready; download it with "
            "`myDataExportLink`.",
            signed_in(),
        )
    )
    async def my_data_export(self, info: strawberry.Info) -> PrivacyRequestPayload:
        request = await export.request_my_export(info.context.user, info.context.meta)
        return PrivacyRequestPayload(request=request)

    @strawberry.mutation(
        **describe("Mints the single-use download link of your `myDataExport`.", self_only())
    )
    async def my_data_export_link(
        self, info: strawberry.Info, input: PrivacyExportLinkInput
    ) -> PrivacyRequestPayload:
        type_name, pk = decode_at(input.id, ("input", "id"))
        user = info.context.user
        found = None
        if type_name == "PrivacyRequest":
            found = await PrivacyRequest.get_or_none(
                id=pk, requested_by_id=user.id, kind=PrivacyRequestKind.MY_EXPORT
            )
        if found is None:
            raise NotFound(("input", "id"))
        request, link = await export.issue_link(
            found, user, info.context.meta, info.context.settings
        )
        request._minted_link = link
        return PrivacyRequestPayload(request=request)

    @strawberry.mutation(
        **describe(
            "Deletes your login, for good: every device is signed out, your name and address "
            "are removed from it, and each organization that knew you gets a privacy request "
            "to erase or keep your contact per its retention rules. Refused while you are an "
            "organization's last owner (LAST_OWNER) or own a team (TEAM_OWNER).",
            self_only(),
        )
    )
    async def my_account_delete(
        self, info: strawberry.Info, input: MyAccountDeleteInput
    ) -> MyAccountDeletePayload:
        asked = await account_deletion.delete_login(
            info.context.user, input.password, info.context.meta
        )
        return MyAccountDeletePayload(organizations_asked=len(asked))
