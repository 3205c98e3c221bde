"""The country a browser's time zone names, for crisis lines before we know the customer."""

import pytest

from bot.i18n import country_of_timezone


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/Madrid", "ES"),
        ("America/Mexico_City", "MX"),
        ("Asia/Kolkata", "IN"),  # IANA's name (Firefox)
        ("Asia/Calcutta", "IN"),  # the older name ICU-based browsers give
        ("Asia/Saigon", "VN"),
        ("Asia/Manila", "PH"),
        ("Australia/Perth", "AU"),
        ("Etc/UTC", None),  # no one country
        ("UTC", None),
        ("Not/AZone", None),
        ("", None),
    ],
)
def test_a_time_zone_names_its_country(zone, country):
    assert country_of_timezone(zone) == country
