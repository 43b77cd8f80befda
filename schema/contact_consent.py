"""Marketing consent on a contact: its enums, what the Contact type shows of it, and the
input of `contactConsentSet` (which lives with the other contact mutations)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.contacts import ConsentChannel, ConsentStatus
from resolvers.contacts import consent
from schema.identity import UserType

ConsentChannelEnum = strawberry.enum(ConsentChannel, name="ConsentChannel")
ConsentStatusEnum = strawberry.enum(ConsentStatus, name="ConsentStatus")
ImpliedBasisEnum = strawberry.enum(
    consent.ImpliedBasis,
    name="ImpliedConsentBasis",
    description="What implied consent rests on: a purchase (2 years) or an inquiry (6 months).",
)


@strawberry.type(description="Marketing consent on one channel.")
class ChannelConsent:
    status: ConsentStatusEnum = strawberry.field(
        description="In force now: an implied consent past its expiry reads NOT_ASKED."
    )
    recorded_status: ConsentStatusEnum = strawberry.field(description="As last recorded.")
    expires_at: datetime | None = strawberry.field(description="When implied consent ends.")
    lapsed: bool = strawberry.field(description="An implied consent that has expired.")


@strawberry.type(description="Whether marketing may be sent now, per channel.")
class MarketingAllowed:
    email: bool
    sms: bool


@strawberry.type(name="ConsentRecord", description="One change of consent, with its proof.")
class ConsentRecordType:
    channel: ConsentChannelEnum
    status: ConsentStatusEnum
    source: str
    proof: str
    expires_at: datetime | None
    recorded_at: datetime

    @strawberry.field(
        description="The staff member who recorded it; null when the person gave it themself "
        "(a form, a purchase)."
    )
    def recorded_by(self) -> UserType | None:
        return self.recorded_by  # fetched with the record


@strawberry.input
class ContactConsentSetInput:
    contact_id: strawberry.ID
    channel: ConsentChannelEnum
    status: ConsentStatusEnum
    source: str = strawberry.field(description='How it was given: "web form", "phone call"…')
    proof: str = strawberry.field(default="", description="The wording agreed to, a reference…")
    implied_basis: ImpliedBasisEnum | None = strawberry.field(
        default=None, description="Required for IMPLIED."
    )
    implied_at: datetime | None = strawberry.field(
        default=None,
        description="When the purchase or inquiry happened (IMPLIED); now if not given.",
    )
