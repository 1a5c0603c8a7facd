"""One key a grade, as Windows' msvcrt hands keys over (the pty tests in test_review.py drive
the termios path on a real terminal)."""

from __future__ import annotations

import io

import pytest

from torchleet_journal.base import keypress


def asked(keys: str) -> tuple[str, str]:
    """What `_ask` answers to these keys, and what it wrote; after them the input is closed."""
    pressed = iter(keys)
    out = io.StringIO()
    return keypress._ask("grade: ", lambda: next(pressed, ""), out), out.getvalue()


def test_enter_a_grade_or_q_is_the_answer_and_other_keys_are_ignored():
    assert asked("\r") == ("", "grade: \n")
    assert asked("x\x1b[A3") == ("3", "grade: 3\n"), "an arrow key's bytes mean nothing here"
    assert asked("Q") == ("q", "grade: q\n")


@pytest.mark.parametrize("key, stop", [("\x04", EOFError), ("\x1a", EOFError), ("", EOFError),
                                       ("\x03", KeyboardInterrupt)])
def test_ctrl_d_ctrl_z_a_closed_input_and_ctrl_c_stop_the_session(key, stop):
    with pytest.raises(stop):
        asked(key)


def test_without_a_terminal_answers_are_read_a_line_at_a_time():
    with keypress.one_key(io.StringIO("3\n"), io.StringIO()) as ask:
        assert ask is input
