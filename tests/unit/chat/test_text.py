"""Chat text rules: plain text kept as written, escaped copies inert, bad text refused."""

from __future__ import annotations

import pytest

from ccengine.channels.chat.text import (
    BadText,
    ControlCharacters,
    TextTooLong,
    as_html,
    check_optional,
    check_text,
)


@pytest.mark.parametrize("text", ["hello", "  spaced  ", "tab\there", "two\nlines", "crlf\r\n",
                                  "émoji 🙂 and 中文", "<b>not bold</b>"])
def test_given_plain_text_then_kept_exactly(text: str) -> None:
    assert check_text(text, 100) == text


@pytest.mark.parametrize(("value", "error"), [
    ("", BadText), ("   \n", BadText), (None, BadText), (12, BadText), (["a"], BadText),
    ("x" * 11, TextTooLong), ("nul\x00", ControlCharacters), ("esc\x1b[31m", ControlCharacters),
    ("del\x7f", ControlCharacters), ("c1\x85", ControlCharacters),
    ("rlo\u202ecba", ControlCharacters), ("isolate\u2067x", ControlCharacters),
    ("lone \ud800 surrogate", ControlCharacters),
])
def test_given_bad_text_then_refused_with_code(value: object, error: type[Exception]) -> None:
    with pytest.raises(error) as e:
        check_text(value, 10 if error is TextTooLong else 100)
    assert e.value.code in ("bad_text", "message_too_long", "control_characters")  # type: ignore[attr-defined]


def test_given_optional_field_then_blank_is_none_and_text_stripped() -> None:
    assert check_optional(None, 10, "name") is None
    assert check_optional("   ", 10, "name") is None
    assert check_optional(" Ann ", 10, "name") == "Ann"
    with pytest.raises(TextTooLong):
        check_optional("n" * 11, 10, "name")


def test_given_markup_then_html_copy_is_inert_and_keeps_line_breaks() -> None:
    text = '<script>alert("x")</script>\r\n<img src=x onerror=\'y\'> & co\nend'
    html = as_html(text)
    assert "<script" not in html and "<img" not in html
    assert html == ("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>"
                    "&lt;img src=x onerror=&#x27;y&#x27;&gt; &amp; co<br>end")
