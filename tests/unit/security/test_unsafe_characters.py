"""The characters refused in text (issue 13): every control character (Unicode category Cc) but the line feed,
a carriage return unless a line feed follows it, and the bidirectional controls; nothing else."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from owes_service.text_guard import BIDI_CONTROLS, unsafe_character


def refused(char: str) -> bool:
    """Alone or between letters: no line feed follows a carriage return here."""
    return char in BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and char != "\n")


def test_each_character_alone_and_amid_text_is_judged_by_its_category():
    wrong = []
    for point in range(sys.maxunicode + 1):
        if 0xD800 <= point <= 0xDFFF:  # surrogates are not characters of a decoded text
            continue
        char = chr(point)
        for text in (char, f"Ala {char} ma kota"):
            named = unsafe_character(text)
            expected = f"U+{point:04X} {unicodedata.name(char, 'control character')}" if refused(char) else None
            if named != expected:
                wrong.append((point, text, named))
    assert not wrong[:10]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Notatka\r\nDruga linia", None),  # a browser's line break
        ("Notatka\nDruga linia", None),
        ("Notatka\rDruga linia", "U+000D control character"),  # a lone CR splits log lines
        ("koniec\r", "U+000D control character"),
        ("\r\r\n", "U+000D control character"),
        ("a\tb", "U+0009 control character"),  # a tab starts a spreadsheet formula
        ("abc\u202egnp.exe", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Zażółć gęślą jaźń", None),
        ("", None),
    ],
)
def test_line_breaks_tabs_and_overrides(text, named):
    assert unsafe_character(text) == named
