"""No 500s for any text a client can send, in any argument of any root field.

Generated from the SDL (tests/support/sdl_arguments.py): every String, ID and JSON
argument of every Query and Mutation field, and every such field of their input objects,
gets each hostile value in turn, as a variable and written inline, sent by the OWNER of
the world's organization with every other argument valid, so the value reaches the
resolver and the database. The body is sent as ASCII JSON, so a lone surrogate travels as
the `\\ud800` escape a hostile client sends. Each answer must be a clear error or a normal
answer, never a 5xx nor INTERNAL_SERVER_ERROR.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest

from schema import ids
from schema.text_arguments import MAX_TEXT_LENGTH
from tests.support.sdl_arguments import Call, Fillers, Slot, load_schema, selection, text_slots
from tests.support.world import World

SCHEMA = load_schema()
SLOTS = [pair for root in ("Query", "Mutation") for pair in text_slots(SCHEMA, root)]
SQL_LIKE = "%_\\'\"; --"
LONGEST = "😀%" * (MAX_TEXT_LENGTH // 2)  # as long as any argument may be; 3 bytes a char

# (value, also written inline in the document): inline literals and variables converge on
# the same coerced arguments, so one kind of each is enough to keep the inline path honest.
HOSTILE_TEXT = {
    "nul-and-controls": ("a\x00\x1b[31m\x07\r\nb", True),
    "lone-surrogate": ("a\ud800b", False),
    "megabyte": ("x" * 1024 * 1024, False),
    "longest-allowed": (LONGEST, False),
    "right-to-left-override": ("\u202eabc", False),
    "sql-and-like-metacharacters": (SQL_LIKE, False),
}
# Numbers beyond PostgreSQL's int4 and int8 columns (and SQLite's integer).
HUGE_NUMBERS = {"beyond-int4": (2**31, False), "beyond-int8": (2**63, True)}
HOSTILE_CURSOR_VALUES = ["\x00", "\ud800", "x" * 400, 2**63]
# What every call must not answer: the server failed rather than the input.
SERVER_FAILURE = "INTERNAL_SERVER_ERROR"
BENIGN = {"right-to-left-override", "sql-and-like-metacharacters"}
CURSORS = {"after", "before"}


@dataclass
class Records:
    fillers: Fillers
    type_of: dict[str, str]  # global id -> the type it names


async def owner_call(client, world: World, call: Call, *, inline: bool):
    document, variables = call.document(selection(call.root_field.type), inline=inline)
    headers = {"accept": "application/json", "authorization": f"Bearer {world.owner.token}"}
    if call.has_upload:
        files = {str(i): ("contacts.csv", b"email\nx@example.test\n", "text/csv")
                 for i, _ in enumerate(call.upload_paths())}
        file_map = {str(i): [f"variables.{p}"] for i, p in enumerate(call.upload_paths())}
        data = {"operations": json.dumps({"query": document, "variables": variables}),
                "map": json.dumps(file_map)}
        return await client.post("/graphql", data=data, files=files, headers=headers)
    body = json.dumps({"query": document, "variables": variables})  # ASCII: escapes kept
    return await client.post(
        "/graphql", content=body, headers={**headers, "content-type": "application/json"}
    )


def codes_of(body: dict) -> list[str]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def failure(response, allowed: set[str] | None) -> str | None:
    """Why the answer is a server failure, or a top-level error other than those `allowed`
    (None: any but a server failure), or None."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}, not JSON: {response.text[:200]}"
    codes = codes_of(body)
    if SERVER_FAILURE in codes:
        return SERVER_FAILURE
    if allowed is not None and not set(codes) <= allowed:
        return f"unexpected: {json.dumps(body['errors'])[:300]}"
    return None


async def build_records(api, world: World) -> Records:
    """One record of each kind an ID argument names, made through the API."""
    owner = api.as_(world.owner)
    org = world.org_gid

    async def made(document: str, variables: dict, field: str, *path: str) -> str:
        result = await owner.execute(document, {"input": variables})
        value = result.ok(field)
        for key in path:
            value = value[key]
        return value["id"]

    contact_doc = """mutation($input: ContactCreateInput!) {
      contactCreate(input: $input) { contact { id } errors { code field message } } }"""
    person = await made(contact_doc, {"organizationId": org, "firstName": "Ann",
                                      "email": "ann@example.test"}, "contactCreate", "contact")
    other = await made(contact_doc, {"organizationId": org, "firstName": "Bob"},
                       "contactCreate", "contact")
    school = await made(contact_doc, {"organizationId": org, "kind": "ORGANIZATION",
                                      "organizationName": "School"}, "contactCreate", "contact")
    group = await made("""mutation($input: GroupCreateInput!) { groupCreate(input: $input) {
      group { id } errors { code field message } } }""",
                       {"organizationId": org, "name": "Team"}, "groupCreate", "group")
    colour = await made("""mutation($input: ColourCreateInput!) { colourCreate(input: $input) {
      colour { id } errors { code field message } } }""",
                        {"organizationId": org, "name": "Sky", "hex": "#1e90ff"},
                        "colourCreate", "colour")
    affiliation = await made("""mutation($input: AffiliationCreateInput!) {
      affiliationCreate(input: $input) { affiliation { id } errors { code field message } } }""",
                             {"personId": person, "organizationContactId": school},
                             "affiliationCreate", "affiliation")
    form = await made("""mutation($input: CustomFormCreateInput!) {
      customFormCreate(input: $input) { form { id } errors { code field message } } }""",
                      {"organizationId": org, "nameEn": "Form", "nameFr": "Formulaire"},
                      "customFormCreate", "form")
    section = await made("""mutation($input: CustomSectionCreateInput!) {
      customSectionCreate(input: $input) { section { id } errors { code field message } } }""",
                         {"formId": form, "nameEn": "Section", "nameFr": "Section"},
                         "customSectionCreate", "section")
    custom_field = await made("""mutation($input: CustomFieldCreateInput!) {
      customFieldCreate(input: $input) { field { id } errors { code field message } } }""",
                              {"sectionId": section, "key": "shirt", "labelEn": "Shirt",
                               "labelFr": "Chandail", "type": "TEXT"},
                              "customFieldCreate", "field")
    segment = await made("""mutation($input: SegmentCreateInput!) {
      segmentCreate(input: $input) { segment { id } errors { code field message } } }""",
                         {"organizationId": org, "name": "Juniors"}, "segmentCreate", "segment")
    static_segment = await made("""mutation($input: SegmentCreateInput!) {
      segmentCreate(input: $input) { segment { id } errors { code field message } } }""",
                                {"organizationId": org, "name": "Board", "kind": "STATIC"},
                                "segmentCreate", "segment")
    export = await made("""mutation($input: ContactsExportInput!) {
      contactsExport(input: $input) { export { id } errors { code field message } } }""",
                        {"organizationId": org}, "contactsExport", "export")
    bulk_operation = await made("""mutation($input: ContactsBulkColourSetInput!) {
      contactsBulkColourSet(input: $input) { operation { id } errors { code field message } } }""",
                                {"organizationId": org, "target": {"contactIds": [person]}},
                                "contactsBulkColourSet", "operation")
    invitation = await made("""mutation($input: StaffAddInput!) { staffAdd(input: $input) {
      invitation { id } errors { code field message } } }""",
                            {"organizationId": org, "email": "invitee@example.test",
                             "firstName": "Ivy", "role": "AGENT"}, "staffAdd", "invitation")
    upload = await owner.upload(
        """mutation($input: ContactsImportInput!) { contactsImport(input: $input) {
          contactImport { id } errors { code field message } } }""",
        {"input": {"organizationId": org, "file": None}},
        {"input.file": ("contacts.csv", b"email\nimported@example.test\n")},
    )
    contact_import = upload.ok("contactsImport")["contactImport"]["id"]
    household = (await owner.execute("""mutation($input: ClientAccountCreateInput!) {
      clientAccountCreate(input: $input) { account { id contacts { id } } errors { code } } }""",
        {"input": {"organizationId": org, "holder": {"firstName": "Hal", "birthDate": "1980-01-01",
                                                     "email": world.owner.user.email},
                   "members": [{"firstName": "Kit"}]}})).ok("clientAccountCreate")["account"]
    sessions = await owner.execute("{ mySessions(first: 1) { edges { node { id } } } }")
    session = sessions.data["mySessions"]["edges"][0]["node"]["id"]
    membership = ids.encode("StaffMember", world.agent.membership.id)
    team = await made("""mutation($input: TeamCreateInput!) { teamCreate(input: $input) {
      team { id } errors { code field message } } }""",
                      {"organizationId": org, "name": "Nord", "switchToSupport": True},
                      "teamCreate", "team")
    message_draft = await made("""mutation($input: MessageDraftCreateInput!) {
      messageDraftCreate(input: $input) { draft { id } errors { code field message } } }""",
                               {"organizationId": org, "channel": "SMS",
                                "target": {"contactIds": [person]},
                                "contents": [{"locale": "EN", "body": "Hi"}]},
                               "messageDraftCreate", "draft")
    scheduled_draft = await made("""mutation($input: MessageDraftCreateInput!) {
      messageDraftCreate(input: $input) { draft { id } errors { code field message } } }""",
                                 {"organizationId": org, "channel": "SMS",
                                  "target": {"contactIds": [person]},
                                  "contents": [{"locale": "EN", "body": "Later"}]},
                                 "messageDraftCreate", "draft")
    message = await made("""mutation($input: MessageSendInput!) {
      messageSend(input: $input) { message { id } errors { code field message } } }""",
                         {"draftId": scheduled_draft, "at": "2099-01-01T09:00:00+00:00"},
                         "messageSend", "message")

    access_group = await made("""mutation($input: AccountAccessGroupCreateInput!) {
      accountAccessGroupCreate(input: $input) { accessGroup { id } errors { code } } }""",
                              {"accountId": household["id"], "name": "Tax"},
                              "accountAccessGroupCreate", "accessGroup")
    from models.accounts import AccountDocument

    document = ids.encode("AccountDocument", (await AccountDocument.create(
        account_id=ids.decode(household["id"])[1], name="receipt.pdf",
        content_type="application/pdf", size=5, storage_key="hostile/receipt.pdf",
    )).id)

    from models.billing import Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentMethod
    from resolvers.common.time import now as _now

    billed = await Invoice.create(
        organization_id=ids.decode(org)[1], account_id=ids.decode(household["id"])[1],
        status=InvoiceStatus.OPEN, number=1, currency="CAD", subtotal=1000, total=1000,
        amount_paid=500)
    invoice = ids.encode("Invoice", billed.id)
    invoice_line = ids.encode("InvoiceLine", (await InvoiceLine.create(
        invoice=billed, description="Court", quantity=1, unit_amount=1000, amount=1000,
        currency="CAD")).id)
    payment = ids.encode("Payment", (await Payment.create(
        organization_id=billed.organization_id, account_id=billed.account_id, invoice=billed,
        method=PaymentMethod.CASH, amount=500, currency="CAD", received_at=_now())).id)
    catalogue = await _catalogue_records(world, ids.decode(household["contacts"][1]["id"])[1])
    from models.account_features import MemberSkill, OrganizationFeatures
    from models.account_forms import AccountForm, AccountFormVersion, AccountTable, AccountTableRow
    from models.account_requests import AccountRequest, RequestKind
    from models.accounts import AccountContact

    account_pk = ids.decode(household["id"])[1]
    await OrganizationFeatures.create(
        organization=world.organization, skills=True, membership_cards=True
    )
    table = await AccountTable.create(
        account_id=account_pk, name="Vehicles", columns=[{"key": "c1", "label": "Make"}]
    )
    table_row = await AccountTableRow.create(table=table, values={"c1": "Volvo"})
    request = await AccountRequest.create(
        account_id=account_pk, kind=RequestKind.ANSWER, title="Mileage"
    )
    kit = await AccountContact.get(id=ids.decode(household["contacts"][1]["id"])[1])
    skill = await MemberSkill.create(
        organization=world.organization, contact_id=kit.contact_id, name="Swim"
    )
    account_form = await AccountForm.create(account_id=account_pk)
    await AccountFormVersion.create(form=account_form, number=1, title="Renewal", questions=[])
    form_gid = ids.encode("AccountForm", account_form.id)
    account_items = {
        **{
            f"{field}.formId": form_gid
            for field in (
                "accountFormUpdate",
                "accountFormDelete",
                "myAccountFormAnswersSave",
                "myAccountFormSign",
            )
        },
        "tableId": ids.encode("AccountTable", table.id),
        "rowId": ids.encode("AccountTableRow", table_row.id),
        "requestId": ids.encode("AccountRequest", request.id),
        "skillId": ids.encode("MemberSkill", skill.id),
    }
    from models.privacy import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus

    privacy_export = await PrivacyRequest.create(
        organization=world.organization,
        kind=PrivacyRequestKind.EXPORT,
        status=PrivacyRequestStatus.DONE,
        finished_at=_now(),
        file_key=f"org/{world.organization.id}/privacy-exports/0.zip",
    )
    my_export = await PrivacyRequest.create(
        kind=PrivacyRequestKind.MY_EXPORT,
        status=PrivacyRequestStatus.DONE,
        requested_by=world.owner.user,
        finished_at=_now(),
        file_key=f"users/{world.owner.user.id}/privacy-exports/0.zip",
    )

    by_field = {
        "personDataExportLink": ids.encode("PrivacyRequest", privacy_export.id),
        "myDataExportLink": ids.encode("PrivacyRequest", my_export.id),
        "invoice": invoice,
        "node": person, "organization": org, "contact": person, "group": group,
        "contactImport": contact_import, "contactExport": export, "sessionRevoke": session,
        "organizationUpdate": org, "contactUpdate": person, "contactArchive": person,
        "contactRestore": person, "colourUpdate": colour, "colourDelete": colour,
        "groupUpdate": group, "groupDelete": group, "affiliationUpdate": affiliation,
        "affiliationDelete": affiliation, "contactExportLink": export,
        "customFormUpdate": form, "customFormDelete": form, "customSectionUpdate": section,
        "customSectionDelete": section, "customFieldUpdate": custom_field,
        "customFieldArchive": custom_field, "segment": segment, "segmentUpdate": segment,
        "segmentDelete": segment, "segmentMembersAdd": static_segment,
        "segmentMembersRemove": static_segment, "bulkOperation": bulk_operation,
        "bulkOperationCancel": bulk_operation, "bulkOperationUndo": bulk_operation,
        "clientAccount": household["id"],
        "team": team,
        "messageDraft": message_draft, "messageDraftUpdate": message_draft,
        "messageDraftDelete": message_draft,
        "plan": catalogue["planId"], "catalogueItem": catalogue["itemId"],
        "member": catalogue["memberId"],
        "message": message, "messageSendCancel": message, "messageMarkRead": message,
    }
    fillers = Fillers(
        ids={
            "id": lambda field_name: by_field[field_name],
            "organizationId": org, "membershipId": membership, "invitationId": invitation,
            "contactId": person, "contactIds": person, "personId": person,
            "survivorId": person, "firstId": person, "targetId": person,
            "otherIds": other, "secondId": other, "organizationContactId": school,
            "affiliatedTo": school, "colourId": colour, "colourIds": colour, "ids": group,
            "groupId": group, "fieldId": custom_field, "customFieldId": custom_field,
            "sectionId": section, "formId": form, "userId": world.loner.gid,
            "actorId": world.owner.gid, "segmentId": segment, "accountId": household["id"],
            "accountContactId": household["contacts"][1]["id"], "useExistingContactId": other,
            "teamId": team, "newOwnerId": world.owner.gid, "userIds": world.loner.gid,
            "intoTeamId": team,
            "accessGroupId": access_group, "accessGroupIds": access_group,
            "accountContactIds": household["contacts"][1]["id"],
            "documentId": document,
            "invoiceId": invoice, "lineId": invoice_line, "paymentId": payment,
            "paymentIds": payment,
            **catalogue,
            "activityId": catalogue["itemId"],
            "draftId": message_draft, "messageId": message,
            **account_items,
        },
        texts={
            "email": lambda n: f"filler{n}@example.test",
            "tokenCreate.email": world.loner.user.email,
            "password": world.loner.password, "currentPassword": world.owner.password,
            "newEmail": lambda n: f"new{n}@example.test",
            "key": lambda n: f"key{n}", "hex": "#123456", "column": "email",
            "value": lambda n: f"choice{n}", "source": "web form",
        },
        enums={"Role": "AGENT", "CustomFieldType": "TEXT"},
    )
    type_of = {gid: ids.decode(gid)[0] for gid in _all_ids(fillers, by_field)}
    return Records(fillers, type_of)


async def _catalogue_records(world, member_pk: int) -> dict[str, str]:
    """A plan, an activity with a slot, and a subscription, booking and purchase of one
    account member: the catalogue's ids, by argument name."""
    from datetime import timedelta

    from models.accounts import AccountContact
    from models.catalogue import Booking, Purchase, Subscription
    from resolvers.common.time import now
    from tests.catalogue.flows import a_plan, a_slot

    member = await AccountContact.get(id=member_pk)
    plan = await a_plan(world.organization)
    slot = await a_slot(world.organization, capacity=1000)
    item = await slot.item
    subscription = await Subscription.create(
        organization=world.organization, plan=plan, member=member, contact_id=member.contact_id,
        interval="MONTHLY", status="ACTIVE", current_period_start=now(),
        current_period_end=now() + timedelta(days=30), unit_amount=1, currency="CAD",
    )
    booking = await Booking.create(
        slot=slot, member=member, contact_id=member.contact_id, starts_at=slot.starts_at
    )
    purchase = await Purchase.create(
        organization=world.organization, account_id=member.account_id, member=member,
        item=item, unit_amount=1, currency="CAD",
    )
    return {
        "planId": ids.encode("Plan", plan.id), "itemId": ids.encode("CatalogueItem", item.id),
        "slotId": ids.encode("CatalogueSlot", slot.id),
        "memberId": ids.encode("AccountContact", member.id),
        "subscriptionId": ids.encode("PlanSubscription", subscription.id),
        "bookingId": ids.encode("Booking", booking.id),
        "purchaseId": ids.encode("Purchase", purchase.id),
    }


def _all_ids(fillers: Fillers, by_field: dict[str, str]) -> list[str]:
    return [v for v in (*fillers.ids.values(), *by_field.values()) if isinstance(v, str)]


async def hostile_failures(
    client, world, records: Records, value_for, *, inline: bool, allowed=lambda slot: None
) -> list[str]:
    """Sends every slot its hostile value (None: skip the slot); returns what answered
    with a server failure or with top-level errors other than `allowed(slot)`."""
    failures = []
    for root_field, slot in SLOTS:
        value = value_for(slot)
        if value is None:
            continue
        call = Call.build(root_field, slot, value, records.fillers)
        for written_inline in (False, True) if inline and not call.has_upload else (False,):
            response = await owner_call(client, world, call, inline=written_inline)
            why = failure(response, allowed(slot))
            if why:
                failures.append(f"{slot} {'inline' if written_inline else 'variable'}: {why}")
    return failures


def runs_with_benign_text(slot: Slot) -> set[str] | None:
    """Benign text in a text argument lets the field run: an answer saying the caller may
    not, or that an id names nothing, would mean a filler is wrong and the value never
    reached the resolver. (Clear refusals of the value itself are fine.)"""
    if slot.scalar == "ID":
        return None
    return {"BAD_USER_INPUT", "RATE_LIMITED"}


@pytest.mark.parametrize("kind", HOSTILE_TEXT, ids=HOSTILE_TEXT.keys())
async def test_hostile_text_in_any_argument_is_answered(client, api, world, kind):
    records = await build_records(api, world)
    text, inline = HOSTILE_TEXT[kind]
    failures = await hostile_failures(
        client, world, records, lambda slot: text, inline=inline,
        allowed=runs_with_benign_text if kind in BENIGN else lambda slot: None,
    )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("kind", HUGE_NUMBERS, ids=HUGE_NUMBERS.keys())
async def test_ids_beyond_their_column_are_not_found(client, api, world, kind):
    records = await build_records(api, world)
    number, inline = HUGE_NUMBERS[kind]

    def huge_id(slot: Slot) -> str | None:
        if slot.scalar != "ID":
            return None
        valid = records.fillers.scalar(slot.field_name, slot.name, SCHEMA.get_type("ID"))
        return ids.encode(records.type_of[valid], number)

    failures = await hostile_failures(
        client, world, records, huge_id, inline=inline, allowed=lambda slot: {"NOT_FOUND"}
    )
    assert not failures, "\n".join(failures)


async def test_hostile_values_inside_cursors_are_answered(client, api, world):
    """A cursor is base64 JSON of sort-key values: whatever it decodes to must be checked
    as the column it is compared with, with one key or with two (the key, then the id)."""
    records = await build_records(api, world)
    failures = []
    for raw in HOSTILE_CURSOR_VALUES:
        # Sorted by id alone, by text then id, by a date then id.
        for values in ([raw], [raw, 1], ["a", raw], [{"dt": "2030-01-01T00:00:00"}, raw]):
            cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
            failures += await hostile_failures(
                client, world, records,
                lambda slot, cursor=cursor: cursor if slot.name in CURSORS else None,
                inline=False,
            )
    assert not failures, "\n".join(failures)
