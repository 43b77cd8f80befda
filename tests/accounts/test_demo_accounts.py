"""The demo club's households: one managed without email, one pending activation, and
one whose holder signs in and sees their household (which shares a child)."""

from carnet.cli.demo import seed_demo
from models.accounts import ClientAccount
from models.staff import Invitation, InvitationKind, InvitationState


async def test_the_demo_households(api, app):
    await seed_demo()
    await seed_demo()
    assert sorted(await ClientAccount.all().values_list("name", flat=True)) == [
        "Gagnon",
        "Roy",
        "Team Coaches",  # the demo team's billing account: its invoices hang on it
        "Tremblay",
    ]
    pending = await Invitation.get(kind=InvitationKind.ACCOUNT)
    assert pending.state is InvitationState.PENDING
    signed_in = await api.execute(
        'mutation { tokenCreate(input: {email: "client@club.demo.carnet.test", '
        'password: "demo-password"}) { accessToken errors { code } } }'
    )
    client = api.as_(type("Client", (), {"token": signed_in.ok("tokenCreate")["accessToken"]}))
    result = await client.execute("{ me { accounts { name role people { firstName } } } }")
    [account] = result.data["me"]["accounts"]
    assert (account["name"], account["role"]) == ("Roy", "PRIMARY")
    assert sorted(p["firstName"] for p in account["people"]) == ["Léa", "Paul"]
