"""The review loop: cards from gaps, the log, FSRS's schedule, the terminal session, the pages."""

from __future__ import annotations

import datetime as dt
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import fsrs
import pytest

from tests.helpers import REPO, entry_yaml, make_journal, write
from tests.site_helpers import copy_committed_journal
from torchleet_journal.build.pipeline import Day
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.pages import render
from torchleet_journal.review import cards as review

UTC = dt.timezone.utc
T0 = dt.datetime(2025, 2, 1, 9, 0, 0, tzinfo=UTC)
GAPS = """
  - 'Ensure `dtype` of the input and the weights are the same'
  - '`Dataset` and `DataLoader` reside in `torch.utils.data`'
  - 'Gap <script>alert(1)</script> in `a<b` and $x^2$'"""


@pytest.fixture
def root(tmp_path) -> Path:
    """Two toy days, day 1 with three gaps (one hostile), day 2 with one; not built."""
    return make_journal(tmp_path, extra_files={
        "entries/day-01.yaml": entry_yaml(1, "solutions/day01.py", gaps=GAPS)})


def entries_of(root: Path):
    return load_entries(root, load_catalog())


def edit_gaps(root: Path, gaps: str, **fields) -> None:
    write(root / "entries/day-01.yaml", entry_yaml(1, "solutions/day01.py", gaps=gaps, **fields))


def log_lines(root: Path) -> list[str]:
    return (root / review.LOG).read_text(encoding="utf-8").splitlines()


# --- card identity -------------------------------------------------------------------------


def test_a_card_keeps_its_id_when_other_gaps_are_reordered_or_edited(root):
    before = [c.id for c in review.cards_of(entries_of(root))]
    assert len(before) == len(set(before)) == 4
    edit_gaps(root, """
  - 'Gap <script>alert(1)</script> in `a<b` and $x^2$'
  - 'Ensure `dtype` of the input and the weights are the same'
  - '`Dataset` and `DataLoader` live in `torch.utils.data`'""")
    after = [c.id for c in review.cards_of(entries_of(root))]
    assert after[:2] == [before[2], before[0]], "moved, same cards"
    assert after[2] not in before, "a gap whose words changed is a new card"
    assert after[3] == before[3], "day 2's card is untouched"


def test_case_spacing_punctuation_and_markdown_do_not_change_a_card():
    same = ["Ensure `dtype` of the input and the weights are the same",
            "ensure dtype of the input and the weights are the same.",
            "  Ensure  *dtype*  of the input, and the weights are the same!  "]
    assert len({review.card_id(3, gap) for gap in same}) == 1
    assert review.card_id(3, same[0]) != review.card_id(4, same[0]), "another day, another card"
    assert review.card_id(3, same[0]).startswith("d03-")


def test_a_deleted_gap_retires_its_card_and_the_log_keeps_its_answers(root):
    dropped = review.cards_of(entries_of(root))[1]
    review.append(root, review.Answer(dropped.id, T0, 3))
    edit_gaps(root, GAPS.replace("\n  - '`Dataset` and `DataLoader` reside in `torch.utils.data`'", ""))
    deck = review.deck(root, entries_of(root))
    assert dropped.id not in [s.card.id for s in deck.cards]
    assert deck.retired == {dropped.id}
    assert log_lines(root) == [f"{dropped.id}\t2025-02-01T09:00:00Z\t3"]


# --- the schedule is FSRS's, recomputed from the log ---------------------------------------


def test_the_schedule_recomputed_from_the_log_equals_fsrs_own(root):
    card = review.cards_of(entries_of(root))[0]
    grades = [(T0, 3), (T0 + dt.timedelta(days=2), 1), (T0 + dt.timedelta(days=3), 4),
              (T0 + dt.timedelta(days=20), 2)]
    for time_, grade in grades:
        review.append(root, review.Answer(card.id, time_, grade))
    scheduled = next(s for s in review.deck(root, entries_of(root)).cards if s.card.id == card.id)
    # The library, driven directly, with the same settings: days-long steps, no fuzz.
    own = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    memory = fsrs.Card(card_id=0)
    for time_, grade in grades:
        memory, _ = own.review_card(memory, fsrs.Rating(grade), time_)
    assert scheduled.due == memory.due > T0 + dt.timedelta(days=21)
    assert scheduled.memory == memory.to_dict()
    # Read back from the journal's cache, the next time, it is still fsrs's own.
    assert (root / ".journal/reviews.json").is_file()
    again = next(s for s in review.deck(root, entries_of(root)).cards if s.card.id == card.id)
    assert (again.memory, again.due) == (memory.to_dict(), memory.due)


def test_new_cards_are_due_from_their_day_and_an_answer_moves_one_days_ahead(root):
    cards = review.cards_of(entries_of(root))
    moment = dt.datetime(2025, 3, 1, tzinfo=UTC)
    assert len(review.deck(root, entries_of(root)).due(moment)) == 4
    review.append(root, review.Answer(cards[0].id, moment, 3))
    deck = review.deck(root, entries_of(root))
    assert [s.card.id for s in deck.due(moment)] == [c.id for c in cards[1:]]
    answered = next(s for s in deck.cards if s.card.id == cards[0].id)
    assert answered.due - moment >= dt.timedelta(days=1), "no minute-long learning steps"
    assert answered.state(moment) == "learning"


def test_a_days_review_date_brings_its_cards_forward_until_they_are_answered(root):
    card = review.cards_of(entries_of(root))[0]
    review.append(root, review.Answer(card.id, T0, 4))  # Easy: due weeks later
    edit_gaps(root, GAPS, review="2025-02-05")
    scheduled = {s.card.id: s for s in review.deck(root, entries_of(root)).cards}[card.id]
    assert scheduled.due == dt.datetime(2025, 2, 5, tzinfo=UTC)
    review.append(root, review.Answer(card.id, dt.datetime(2025, 2, 5, 10, tzinfo=UTC), 3))
    scheduled = {s.card.id: s for s in review.deck(root, entries_of(root)).cards}[card.id]
    assert scheduled.due > dt.datetime(2025, 2, 6, tzinfo=UTC)


# --- the log: merged from two clones, damaged lines ----------------------------------------


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C",
                           str(folder), *args], capture_output=True, text=True,
                          check=True).stdout


def test_two_clones_logs_merge_without_conflict_and_both_histories_count(root, tmp_path):
    (root / ".gitattributes").write_bytes((REPO / ".gitattributes").read_bytes())
    cards = review.cards_of(entries_of(root))
    review.append(root, review.Answer(cards[0].id, T0, 3))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "journal")
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(root), str(other)], check=True)
    review.append(other, review.Answer(cards[1].id, T0 + dt.timedelta(hours=1), 4))
    git(other, "commit", "-q", "-am", "reviewed on the laptop")
    review.append(root, review.Answer(cards[2].id, T0 + dt.timedelta(hours=2), 1))
    git(root, "commit", "-q", "-am", "reviewed on the desktop")
    git(root, "pull", "-q", "--no-rebase", str(other), "main")
    answers, problems = review.read_log(root)
    assert problems == []
    assert [(a.card, a.grade) for a in answers] == [(cards[0].id, 3), (cards[1].id, 4),
                                                    (cards[2].id, 1)]
    assert "<<<<<<<" not in (root / review.LOG).read_text()


def test_a_damaged_or_conflicted_line_is_reported_with_its_place_and_skipped(root):
    card = review.cards_of(entries_of(root))[0]
    good = review.Answer(card.id, T0, 3).line()
    write(root / review.LOG, good + "<<<<<<< HEAD\n" + "garbage line\n"
          + f"{card.id}\t2025-02-31T00:00:00Z\t3\n" + f"{card.id}\t2025-02-02T00:00:00Z\t7\n"
          + good + ">>>>>>> laptop\n")
    answers, problems = review.read_log(root)
    assert answers == [review.Answer(card.id, T0, 3)], "a line merged twice counts once"
    assert [str(p) for p in problems] == [
        "reviews/log.tsv:2: a merge conflict marker: keep both sides' lines and delete the markers"
        " (`reviews/log.tsv merge=union` in .gitattributes makes git do that), got "
        "'<<<<<<< HEAD'; skipped",
        "reviews/log.tsv:3: not a review (card, time and grade, separated by tabs), got "
        "'garbage line'; skipped",
        f"reviews/log.tsv:4: the time must be UTC as YYYY-MM-DDTHH:MM:SSZ, got "
        f"'{card.id}\\t2025-02-31T00:00:00Z\\t3'; skipped",
        f"reviews/log.tsv:5: the grade must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), got "
        f"'{card.id}\\t2025-02-02T00:00:00Z\\t7'; skipped",
        "reviews/log.tsv:7: a merge conflict marker: keep both sides' lines and delete the markers"
        " (`reviews/log.tsv merge=union` in .gitattributes makes git do that), got "
        "'>>>>>>> laptop'; skipped"]


def test_an_answer_after_a_line_cut_short_starts_a_line_of_its_own(root):
    card = review.cards_of(entries_of(root))[0]
    write(root / review.LOG, f"{card.id}\t2025-02-0")
    review.append(root, review.Answer(card.id, T0, 2))
    assert log_lines(root)[1] == f"{card.id}\t2025-02-01T09:00:00Z\t2"
    assert len(review.read_log(root)[1]) == 1


# --- the command line ----------------------------------------------------------------------


def cli(root: Path, *args: str, **run) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args, "--root", str(root)],
                          capture_output=True, text=True, **run)


def test_review_list_prints_one_line_a_due_card_and_the_count_and_warns_of_bad_lines(root):
    write(root / review.LOG, "not a line\n")
    done = cli(root, "review", "--list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "4 due" and len(lines) == 5
    assert lines[0].startswith(review.card_id(1, "Ensure `dtype` of the input and the weights "
                                              "are the same") + "  day 1   new   since 2025-01-01")
    assert done.stderr == ("warning: reviews/log.tsv:1: not a review (card, time and grade, "
                           "separated by tabs), got 'not a line'; skipped\n")


def test_review_without_a_terminal_says_so_in_one_line_and_exits_2(root):
    done = cli(root, "review", stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("build.py review: needs a terminal to show cards and read grades; "
                           "`python build.py review --list` prints what is due\n")


class Terminal:
    """`build.py review` on a pseudo-terminal, read and typed into like a person would."""

    def __init__(self, root: Path):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # A shell's background job starts with Ctrl-C ignored; a person's terminal has it.
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execv(sys.executable, [sys.executable, str(REPO / "build.py"), "review",
                                      "--root", str(root)])
        self.seen = ""

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            assert time.monotonic() < deadline, f"{text!r} never came; saw {self.seen!r}"
            if select.select([self.fd], [], [], 0.5)[0]:
                try:
                    self.seen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:  # the other end closed
                    break
        assert text in self.seen, f"{text!r} never came; saw {self.seen!r}"

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait_reading(self, timeout: float = 30) -> None:
        """Wait until the program sleeps in its read of the terminal, as it does by the time a
        person presses a key. A signal that lands between input() printing its prompt and
        reading is only seen once a line comes in (CPython checks signals after the read)."""
        deadline = time.monotonic() + timeout
        while Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()[0] != "S":
            assert time.monotonic() < deadline, "the review never waited for a key"
            time.sleep(0.01)

    def exit_status(self) -> int:
        try:
            while os.read(self.fd, 4096):
                pass
        except OSError:
            pass
        return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])


def test_three_answers_in_a_terminal_are_three_log_lines_and_three_fewer_due(root):
    terminal = Terminal(root)
    terminal.wait_for("[1/4] Day 1")
    terminal.wait_for("show the answer")
    terminal.type("\n")
    terminal.wait_for("Learnt: Learning of day 1 with `code` and $x^2$")
    for position in (2, 3, 4):
        terminal.type("3")  # one key, no Enter
        terminal.wait_for(f"[{position}/4]")
        if position < 4:
            terminal.wait_for("show the answer")
            terminal.seen = terminal.seen[-200:]
    terminal.type("q")
    terminal.wait_for("3 answered; 1 due")
    assert terminal.exit_status() == 0
    lines = log_lines(root)
    assert len(lines) == 3 and all(line.endswith("\t3") for line in lines)
    assert cli(root, "review", "--list").stdout.splitlines()[-1] == "1 due"


def test_a_back_from_hostile_code_reaches_the_terminal_without_its_escapes(root):
    hostile = "from torch.utils.data import DataLoader  # \x1b]0;pwned\x07\x1b[2J\n"
    write(root / "solutions/day01.py", hostile + (root / "solutions/day01.py").read_text())
    terminal = Terminal(root)
    terminal.wait_for("[1/4]")
    terminal.type("3")
    terminal.wait_for("[2/4]")
    terminal.type("\n")  # the `Dataset` and `DataLoader` card: its back shows line 1
    terminal.wait_for("1 Again · 2 Hard")
    assert ">   1  from torch.utils.data import DataLoader  # \r\n" in terminal.seen
    assert "pwned" not in terminal.seen and "\x1b]" not in terminal.seen and "\x1b[2J" not in terminal.seen
    terminal.type("q")
    assert terminal.exit_status() == 0


def test_keys_that_mean_nothing_are_ignored_and_ctrl_d_stops_keeping_answers(root):
    terminal = Terminal(root)
    terminal.wait_for("[1/4]")
    terminal.type("x7 2")  # neither a grade nor Enter: nothing happens until the 2
    terminal.wait_for("[2/4]")
    terminal.wait_reading()
    terminal.type("\x04")  # Ctrl-D: the end of input, as it ends a line-mode session
    terminal.wait_for("stopped; 1 answer saved in reviews/log.tsv")
    assert terminal.exit_status() == 0
    assert [line.split("\t")[2] for line in log_lines(root)] == ["2"]


def test_ctrl_c_mid_session_keeps_every_answer_and_gives_the_terminal_back(root):
    terminal = Terminal(root)
    terminal.wait_for("[1/4]")
    terminal.type("1")
    terminal.wait_for("[2/4]")
    terminal.type("\n")
    terminal.wait_for("1 Again · 2 Hard")
    terminal.wait_reading()
    cbreak = termios.tcgetattr(terminal.fd)[3]
    assert not cbreak & (termios.ICANON | termios.ECHO), "one key a grade: no line editing"
    terminal.type("\x03")  # Ctrl-C while the second card's back is shown
    terminal.wait_for("stopped; 1 answer saved in reviews/log.tsv")
    lflag = termios.tcgetattr(terminal.fd)[3]
    assert lflag & termios.ICANON and lflag & termios.ECHO, "the terminal is given back as it was"
    assert terminal.exit_status() == 130
    assert len(log_lines(root)) == 1 and log_lines(root)[0].endswith("\t1")


def test_on_the_seed_enter_shows_day_5s_own_line_and_docs_and_3_alone_grades(tmp_path):
    root = copy_committed_journal(tmp_path)
    (root / review.LOG).unlink(missing_ok=True)
    gap = "difference between `unsqueeze` and `view`"
    card = review.card_id(5, gap)
    # Every other card answered Easy an hour ago, but for day 6's first: two are due, this first.
    entries = entries_of(root)
    now = review.now()
    following = review.card_id(6, entries[5].gaps[0])
    for other in review.cards_of(entries):
        if other.id not in (card, following):
            review.append(root, review.Answer(other.id, now - dt.timedelta(hours=1), 4))
    terminal = Terminal(root)
    terminal.wait_for("[1/2] Day 5")
    terminal.wait_for("Gap: difference between `unsqueeze` and `view`")
    terminal.wait_for("show the answer")
    terminal.type("\n")
    terminal.wait_for("Page: site/days/day-05.html")
    shown = terminal.seen
    assert "Your code, solutions/day05_deep_nn.py:" in shown
    assert ">  20      y = (X[:, 0] + 2 * X[:, 1] + torch.randn(n)).unsqueeze(1)" in shown
    assert ("Docs: torch.Tensor.unsqueeze <https://pytorch.org/docs/stable/generated/"
            "torch.Tensor.unsqueeze.html>") in shown
    assert ("Read: Excellent discussion on view and unsqueeze <https://discuss.pytorch.org/t/"
            "what-is-the-difference-between-view-and-unsqueeze/1155/6>") in shown
    assert "Figure: results/day-05/figure-01.png" in shown
    before = len(log_lines(root))
    terminal.wait_reading()
    terminal.type("3")  # no Enter
    terminal.wait_for("[2/2] Day 6")  # graded, and the next card shows
    assert len(log_lines(root)) == before + 1
    terminal.type("q")
    terminal.wait_for("1 answered; 1 due")
    assert terminal.exit_status() == 0
    assert len(log_lines(root)) == before + 1
    assert log_lines(root)[-1].startswith(f"{card}\t") and log_lines(root)[-1].endswith("\t3")


# --- the pages -----------------------------------------------------------------------------


def test_pages_show_due_counts_states_and_retention_and_escape_the_gaps(root):
    cards = review.cards_of(entries_of(root))
    for days, grade in ((0, 3), (3, 3), (10, 1)):  # card 0: learnt, recalled, then forgotten
        review.append(root, review.Answer(cards[0].id, T0 + dt.timedelta(days=days), grade))
    review.append(root, review.Answer(cards[1].id, T0, 4))
    docs = render.render_docs(root, [Day(e, None) for e in entries_of(root)], load_catalog(),
                              today=dt.date(2025, 2, 12))
    page = docs["review.md"]
    assert "This page was built on **2025-02-12** and counts from that day." in page
    due = page[page.index("## Due today"):page.index("## Later this week")]
    # Two new cards, and the one answered Easy on 1 February; the one forgotten (Again) on the
    # 11th is learning again, due in days.
    assert due.count("\n<li>") == 3
    assert ('<li>Gap &lt;script&gt;alert(1)&lt;/script&gt; in <code>a&lt;b</code> and '
            '<span class="arithmatex">&#92;(x^2&#92;)</span> · <a href="days/day-01.html">Day 1: '
            'Toy task 1</a> · <span class="jl-review jl-review-new">new</span></li>') in due
    assert ('<li><code>Dataset</code> and <code>DataLoader</code> reside in <code>torch.utils.data'
            '</code> · <a href="days/day-01.html">Day 1: Toy task 1</a> · <span class="jl-review '
            'jl-review-due">due</span> since 2025-02-09</li>') in due
    assert "<script>" not in page
    assert "4 answers in the log." in page
    table = page[page.index("## Every card"):]
    assert table.count("<tr><td>") == 4
    assert ('<tr><td><a href="days/day-02.html">2</a></td><td>Gap of day 2</td><td><span class='
            '"jl-review jl-review-new">new</span></td><td>2025-01-02</td><td>0</td><td>–</td></tr>') in table
    assert "Week of 2025-02-10: 0 of 1 recalled" in page and \
        "Week of 2025-01-27: 1 of 1 recalled" not in page  # the first answer is learning
    index = docs["index.md"]
    assert 'href="review.html">Reviews due</a></span> <span class="jl-stat-value">3<small> ' \
        'of 4 gaps</small>' in index
    day = docs["days/day-01.md"]
    gaps = day[day.index("## Gaps"):day.index("## Key learnings")]
    assert gaps.count('<span class="jl-review jl-review-due">due</span>') == 1
    assert gaps.count('jl-review-learning') == 1 and gaps.count('jl-review-new') == 1
    assert "<script>" not in day
    assert "marked as it stood on the day the site was built." in gaps
    assert "2025-02-12" not in day, "a day page changes with its gaps' states, not every day"


def test_the_review_state_is_computed_without_importing_torch_or_matplotlib(root):
    code = ("import sys; from torchleet_journal.review import cards as review; from torchleet_journal.model.catalog import load_catalog;"
            "from torchleet_journal.model.entries import load_entries; from pathlib import Path;"
            f"d = review.deck(Path({str(root)!r}), load_entries(Path({str(root)!r}), "
            "load_catalog())); print(len(d.cards), "
            "[m for m in ('torch', 'matplotlib', 'genanki', 'fsrs') if m in sys.modules])")
    run = {"capture_output": True, "text": True, "cwd": REPO, "check": True}
    assert subprocess.run([sys.executable, "-c", code], **run).stdout == "4 []\n", \
        "no answer yet: not even fsrs"
    card = review.cards_of(entries_of(root))[0]
    review.append(root, review.Answer(card.id, T0, 3))
    assert subprocess.run([sys.executable, "-c", code], **run).stdout == "4 ['fsrs']\n"


def test_serve_watches_the_log_so_an_answer_given_meanwhile_reaches_the_site(root):
    from torchleet_journal.build.serve import snapshot

    assert not [rel for rel in snapshot(root, set()) if rel.startswith("reviews/")]
    review.append(root, review.Answer(review.cards_of(entries_of(root))[0].id, T0, 3))
    assert review.LOG in snapshot(root, set())
