"""The token routes' Content-Length rule: any header value is a number within the limit or a 400."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.embedding.tokens import check_body_length


@pytest.mark.parametrize(
    ("declared", "code"),
    [("²", "bad-content-length"), ("1e3", "bad-content-length"), ("9" * 5000, "body-too-large")],
)
def test_odd_content_lengths_are_400s(declared: str, code: str) -> None:
    """ "²" passed isdigit() and then failed int(); 5,000 digits exceeded int()'s limit."""
    with pytest.raises(WebError) as refused:
        check_body_length(declared, 1024)
    assert (refused.value.status, refused.value.code) == (400, code)


@given(st.text(max_size=30) | st.integers(0, 10**30).map(str))
def test_any_content_length_is_accepted_or_a_400(declared: str) -> None:
    try:
        check_body_length(declared, 1024)
    except WebError as refused:
        assert refused.status == 400
        return
    assert declared.isascii() and int(declared) <= 1024
