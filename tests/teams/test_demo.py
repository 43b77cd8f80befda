"""The demo's team: seats of each type, as the API shows them to its owner."""

from carnet.cli.demo import seed_demo
from models.teams import Seat, Team


async def test_the_demo_team_has_a_seat_of_each_type(api, app):
    await seed_demo()
    await seed_demo()
    assert await Team.all().count() == 1
    signed_in = await api.execute(
        'mutation { tokenCreate(input: {email: "owner@club.demo.carnet.test", '
        'password: "demo-password"}) { accessToken errors { code } } }'
    )
    owner = api.as_(type("Owner", (), {"token": signed_in.ok("tokenCreate")["accessToken"]}))
    teams = (
        await owner.execute(
            "{ myTeams { name members(first: 10) { edges { node { user { email } "
            "seat { seatType status paidBy hasAccess } } } } } }"
        )
    ).payload("myTeams")
    [team] = teams
    seats = {
        edge["node"]["user"]["email"].split("@")[0]: edge["node"]["seat"]
        for edge in team["members"]["edges"]
    }
    assert {s["seatType"] for s in seats.values()} == {"SUPPORT", "UNLIMITED", "ESSENTIALS"}
    assert seats["agent"]["status"] == "TRIAL" and seats["agent"]["paidBy"] == "TEAM"
    assert all(s["hasAccess"] for s in seats.values())
    assert await Seat.all().count() == 3
