"""Fixed clocks for tests whose data sets are dated: no outcome depends on the real date."""

import datetime
from zoneinfo import ZoneInfo

import pytest

PARIS = ZoneInfo("Europe/Paris")

# After the hand-built impact data sets of 2026 (first quarter, March and April), so that what
# the factories date "now" (publications, claims) falls at one known day, not in whichever
# period the real clock happens to be in.
MID_2026 = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=PARIS)
in_mid_2026 = pytest.mark.time_machine(MID_2026, tick=False)
