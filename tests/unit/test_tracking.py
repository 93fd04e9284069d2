"""Scan to track and track by number: valid, wrong token, unknown, garbage."""

from __future__ import annotations

import pytest

from kiosk.tracking import check_code, parse_scanned_link, ticket_no_from_digits


def test_check_code_is_six_digits_derived_from_the_token():
    code = check_code("abcDEF123_-abcDEF123_-")
    assert len(code) == 6 and code.isdigit()
    assert code == check_code("abcDEF123_-abcDEF123_-")
    codes = {check_code(f"token-number-{n:04d}-xxxxxx") for n in range(200)}
    assert len(codes) > 190  # spread out, not a counter


def test_only_our_exact_links_are_accepted(settings):
    base = "http://127.0.0.1:8311/t/PHY3-261125-007"
    token = "Zm9yLXNuYXBzaG90cy1vbmx5"
    assert parse_scanned_link(settings, f"{base}?k={token}") == (
        "PHY3-261125-007",
        token,
    )
    for garbage in [
        "",
        "hello",
        f"https://evil.example/t/PHY3-261125-007?k={token}",
        f"{base}?k={token}&x=1",
        f"{base}?k=",
        f"{base}?k=<script>",
        f"{base}?k={token}#frag",
        "http://127.0.0.1:8311/t/../../etc?k=" + token,
        f"{base}?k={token}&k={token}",
    ]:
        assert parse_scanned_link(settings, garbage) is None, garbage


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("261125007", "PHY3-261125-007"),
        ("2611257", "PHY3-261125-007"),
        ("2611251234", "PHY3-261125-1234"),
        ("26112", None),
        ("abc", None),
    ],
)
def test_ticket_number_from_keyed_digits(settings, digits, expected):
    assert ticket_no_from_digits(settings, digits) == expected
