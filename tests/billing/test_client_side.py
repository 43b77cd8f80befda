"""The account's primary sees their own invoices and statement from the client side
(`me { accounts { invoices statement } }`); another contact of the account is refused,
and nobody sees another household's."""

from __future__ import annotations

from models.accounts import AccessLevel, AccountContact
from models.contacts import Contact
from schema import ids
from tests.billing.flows import household, open_invoice, pay
from tests.support.world import make_member

MINE = """{ me { accounts { id role invoices { number status total { amount formatted }
  amountDue { amount } payments { method amount { amount } } }
  statement(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z") {
    closingBalance { amount } entries { kind amount { amount } } } } } }"""


async def test_the_primary_sees_their_invoices_and_statement(api, world, password_hash):
    account, link = await household(world)
    await Contact.filter(id=account.primary_contact_id).update(user_id=world.loner.user.id)
    other_user = await make_member("co-parent@example.test", password_hash, None, None)
    await Contact.filter(id=link.contact_id).update(user_id=other_user.user.id)
    await AccountContact.filter(id=link.id).update(access_level=AccessLevel.FULL)
    gid = ids.encode("ClientAccount", account.id)
    invoice = await open_invoice(api, world, gid, [(1, 2000, ["GST", "QST"])])
    await pay(api, world, invoice["id"], 1000)
    await api.as_(world.billing_admin).execute(
        "mutation($a: ID!) { invoiceCreate(input: {accountId: $a}) { errors { code } } }",
        {"a": gid},
    )  # a draft: not shown to the client
    neighbour, _ = await household(world)
    await open_invoice(api, world, ids.encode("ClientAccount", neighbour.id))

    result = await api.as_(world.loner).execute(MINE)
    assert not result.errors, result.errors
    [mine] = result.data["me"]["accounts"]
    assert mine["role"] == "PRIMARY"
    assert [(i["number"], i["status"], i["amountDue"]["amount"]) for i in mine["invoices"]] == [
        (1, "OPEN", 2300 - 1000)
    ]
    assert mine["invoices"][0]["payments"] == [{"method": "CASH", "amount": {"amount": 1000}}]
    assert mine["statement"]["closingBalance"]["amount"] == 1300
    assert [e["kind"] for e in mine["statement"]["entries"]] == ["INVOICE", "PAYMENT"]

    refused = await api.as_(other_user).execute(MINE)
    [theirs] = refused.data["me"]["accounts"]
    assert theirs["role"] == "MEMBER"
    assert theirs["invoices"] is None and theirs["statement"] is None
    assert set(refused.error_codes) == {"FORBIDDEN"}
    # The staff-side invoice query is no way in for a client either.
    direct = await api.as_(world.loner).execute(
        "query($i: ID!) { invoice(id: $i) { id } }", {"i": invoice["id"]}
    )
    assert direct.error_codes == ["NOT_FOUND"]
