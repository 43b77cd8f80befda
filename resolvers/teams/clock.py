"""The clock seats are judged by (trials, access): `resolvers.common.time`'s, read through
this module so that tests can move it days ahead without expiring their sign-in."""

from datetime import datetime

from resolvers.common import time


def now() -> datetime:
    return time.now()
