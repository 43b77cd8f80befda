from tests.teams.flows import seat_clock  # noqa: F401
