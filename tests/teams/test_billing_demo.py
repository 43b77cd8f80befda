"""The demo team's billing (issue 16): a regular invoice and a prorated one, paid."""

from carnet.cli.demo import seed_demo
from models.team_billing import TeamCharge


async def test_the_demo_team_has_a_regular_and_a_prorated_invoice(api, app, provider):
    await seed_demo()
    await seed_demo()
    assert await TeamCharge.all().count() == 2
    signed_in = await api.execute(
        'mutation { tokenCreate(input: {email: "owner@club.demo.carnet.test", '
        'password: "demo-password"}) { accessToken errors { code } } }'
    )
    owner = api.as_(type("Owner", (), {"token": signed_in.ok("tokenCreate")["accessToken"]}))
    [team] = (
        await owner.execute(
            "{ myTeams { billing { interval paymentMethod invoices { kind status "
            "sections { lines { description amount { amount } } } } } } }"
        )
    ).payload("myTeams")
    invoices = team["billing"]["invoices"]
    assert [(i["kind"], i["status"]) for i in invoices] == [
        ("PRORATION", "PAID"),
        ("RENEWAL", "PAID"),
    ]
    [upgrade] = invoices[0]["sections"][0]["lines"]
    assert "Unlimited" in upgrade["description"] and 0 < upgrade["amount"]["amount"] < 2000
