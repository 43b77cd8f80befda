"""A person with data in every domain, built as a client and staff would leave it: the
subject of the export, discovery and erasure tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carnet.storage import current_storage
from models.account_features import MemberDocument, MemberSkill
from models.accounts import (
    AccessLevel,
    AccountContact,
    AccountContactKind,
    AccountDocument,
    AccountDocumentShare,
    ClientAccount,
)
from models.affiliations import Affiliation
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact, ContactKind
from models.custom_fields import CustomFieldAnswer
from models.groups import Group, GroupMember
from models.identity import User
from models.message_sends import Delivery, DeliveryStatus, Message, MessageState
from models.messaging import Channel, MessageChannel, OutboxMessage
from models.teams import Seat, SeatStatus, SeatType, Team, TeamMember, TeamMemberStatus
from resolvers.common.time import now
from schema import ids
from tests.billing.flows import REFUND, open_invoice, pay
from tests.custom_fields_authz_examples import a_fresh_field

FIRST, LAST = "Zéphyrine", "Quillfeather"
EMAIL = "zephyrine.quill@example.test"
PHONE = "+15145550199"
SECRETS = (FIRST, LAST, EMAIL, PHONE, "Quillfeather", "zephyrine")

CREATE = """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
  contact { id } errors { code field message } } }"""


@dataclass
class Subject:
    contact: Contact
    user: User
    account: ClientAccount
    other_account: ClientAccount
    link: AccountContact
    holder_link: AccountContact

    @property
    def gid(self) -> str:
        return ids.encode("Contact", self.contact.id)


async def a_person_everywhere(api, world, password_hash: str) -> Subject:
    org = world.organization
    created = await api.as_(world.admin).execute(
        CREATE,
        {
            "input": {
                "organizationId": world.org_gid,
                "firstName": FIRST,
                "lastName": LAST,
                "email": EMAIL,
                "phone": PHONE,
                "birthDate": "1985-04-02",
                "addressLine1": "12 rue Quillfeather",
                "notes": f"Call {FIRST} after 5",
            }
        },
    )
    contact = await Contact.get(id=ids.decode(created.ok("contactCreate")["contact"]["id"])[1])
    user = await User.create(
        email=EMAIL, password_hash=password_hash, first_name=FIRST, last_name=LAST
    )
    contact.user = user
    await contact.save()
    await ConsentRecord.create(
        contact=contact,
        channel=ConsentChannel.EMAIL,
        status=ConsentStatus.EXPRESS,
        source="web form",
        proof=f"Ticked 'yes' as {EMAIL}",
        recorded_by=world.admin.user,
    )
    await ConsentRecord.create(
        contact=contact,
        channel=ConsentChannel.SMS,
        status=ConsentStatus.WITHDRAWN,
        source="STOP reply",
        proof=f"STOP from {PHONE}",
    )
    group = await Group.create(organization=org, name="Swimmers")
    await GroupMember.create(group=group, contact=contact)
    school = await Contact.create(
        organization=org,
        kind=ContactKind.ORGANIZATION,
        organization_name="École du Parc",
        sort_name="École du Parc",
    )
    await Affiliation.create(person=contact, organization_contact=school, role_title="Parent")
    field = await a_fresh_field(world)
    await CustomFieldAnswer.create(
        contact=contact, field=field, content={"value": f"{LAST} allergies"}
    )
    await MemberSkill.create(organization=org, contact=contact, name="Butterfly")
    # Their own household, which they hold, and billing on it.
    other = await Contact.create(
        organization=org,
        first_name="Holder",
        last_name="Other",
        sort_name="Other, Holder",
        birth_date=date(1970, 1, 1),
    )
    account = await ClientAccount.create(
        organization=org, name="Maison 12", sort_name="maison 12", primary_contact=contact
    )
    link = await AccountContact.create(
        account=account,
        contact=contact,
        kind=AccountContactKind.MEMBER,
        access_level=AccessLevel.FULL,
    )
    holder_link = await AccountContact.create(
        account=account,
        contact=other,
        kind=AccountContactKind.MEMBER,
        access_level=AccessLevel.FULL,
    )
    other_account = await ClientAccount.create(
        organization=org, name="Maison 13", sort_name="maison 13", primary_contact=other
    )
    storage = current_storage()
    key = f"org/{org.id}/member-documents/receipt-{contact.id}.pdf"
    await storage.put(key, b"%PDF- receipt")
    await MemberDocument.create(
        organization=org,
        contact=contact,
        name="Tax receipt.pdf",
        content_type="application/pdf",
        size=13,
        storage_key=key,
        uploaded_by=world.admin.user,
    )
    doc_key = f"org/{org.id}/account-documents/waiver-{contact.id}.pdf"
    await storage.put(doc_key, b"%PDF- waiver")
    document = await AccountDocument.create(
        account=account,
        name="Waiver.pdf",
        content_type="application/pdf",
        size=12,
        storage_key=doc_key,
        uploaded_by=world.admin.user,
    )
    await AccountDocumentShare.create(document=document, account_contact=link)
    # A message they received, by email and in their inbox.
    message = await Message.create(
        organization=org,
        channel=MessageChannel.EMAIL,
        state=MessageState.SENT,
        send_at=now(),
        contents={"subject": "Season news", "body": "Hello {{ first_name }}"},
    )
    outbox = await OutboxMessage.create(
        organization=org,
        channel=Channel.EMAIL,
        template="group_message",
        recipient=EMAIL,
        subject="Season news",
        body_text=f"Hello {FIRST}",
        context={"name": FIRST},
    )
    await Delivery.create(
        message=message,
        organization_id=org.id,
        contact=contact,
        contact_key=contact.id,
        channel=MessageChannel.EMAIL,
        status=DeliveryStatus.SENT,
        recipient=EMAIL,
        subject="Season news",
        body=f"Hello {FIRST} {LAST}",
        outbox_message=outbox,
    )
    # A team seat (teams are made of logins).
    team = await Team.create(organization=org, name="Coaches", owner=world.admin.user)
    await TeamMember.create(team=team, user=user, status=TeamMemberStatus.ACTIVE)
    await Seat.create(
        organization=org, user=user, seat_type=SeatType.SUPPORT, status=SeatStatus.ACTIVE
    )
    # Billing: an invoice, a payment and a refund on their account.
    gid = ids.encode("ClientAccount", account.id)
    invoice = await open_invoice(api, world, gid, [(1, 5000, ["GST"])])
    payment = await pay(api, world, invoice["id"], 5250)
    refunded = await api.as_(world.owner).execute(
        REFUND,
        {
            "p": payment["id"],
            "amount": {"amount": 1000, "currency": "CAD"},
            "k": "r-1",
            "r": "Class canceled",
        },
    )
    refunded.ok("refundCreate")
    return Subject(contact, user, account, other_account, link, holder_link)
