"""The payload check, without a server: one encoding measures and stores."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central.schemas import PAYLOAD_LIMIT, Payload, check_payload, payload_json

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(value=JSON)
def test_payload_json_is_json_dumps(value: Any) -> None:
    assert payload_json(value) == json.dumps(value, ensure_ascii=False)


@given(value=st.dictionaries(st.text(max_size=8), JSON, max_size=5))
def test_a_checked_payload_carries_the_text_it_is_stored_as(
    value: dict[str, Any],
) -> None:
    try:
        checked = check_payload(value)
    except ValueError as error:
        # Only what the walk refuses: NUL, lone surrogates, depth, size.
        assert str(error)
        return
    assert isinstance(checked, Payload)
    assert checked == value
    assert checked.text == json.dumps(value, ensure_ascii=False)
    assert len(checked.text.encode("utf-8")) <= PAYLOAD_LIMIT


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"n": math.nan}, "NaN"),
        ({"n": [math.inf]}, "NaN"),
        ({"t": "\ud800"}, "Unicode"),
        ({"\udfff": 1}, "Unicode"),
        ({"t": "a\x00"}, "NUL"),
        ({"a\x00": 1}, "NUL"),
        ({"d": json.loads("[" * 17 + "]" * 17)}, "deeper"),
        ({"t": "x" * PAYLOAD_LIMIT}, "bytes"),
        ([], "JSON object"),
        ("text", "JSON object"),
    ],
)
def test_unstorable_payloads_are_refused(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_payload(value)


def test_an_escaped_backslash_before_u0000_is_not_a_nul() -> None:
    assert check_payload({"t": "\\u0000"}).text == '{"t": "\\\\u0000"}'
    nested = {"a": [[[[{"b": "{[{[{[{[{[{[{[{["}]]]]}
    assert check_payload(nested) == nested  # braces in text only look deep
