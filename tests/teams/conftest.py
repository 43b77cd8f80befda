from tests.teams.billing_flows import billing_clock, provider  # noqa: F401
from tests.teams.flows import seat_clock  # noqa: F401
