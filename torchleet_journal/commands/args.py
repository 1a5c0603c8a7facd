"""The command line's argument types, each checked before anything runs, and the build options."""

from __future__ import annotations

import argparse
import ipaddress

from torchleet_journal.build.pipeline import DEFAULT_TIMEOUT, Options


def add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=positive_int, help="solutions run at once "
                        "(default: one per core)")
    parser.add_argument("--force", action="store_true", help="re-run every day, cached or not")
    parser.add_argument("--only", type=day_numbers, help="re-run only these days, e.g. 3,5")
    parser.add_argument("--timeout", type=seconds, default=DEFAULT_TIMEOUT,
                        help="seconds a solution may run (default: %(default)g); an entry's "
                        "`timeout:` wins")
    parser.add_argument("--no-site", action="store_true", help="stop after rendering docs/")
    parser.add_argument("--publish", action="store_true", help="run a day only when its code, "
                        "data or settings changed or it has no stored run; publish one made "
                        "with other versions, Python or OS as stored (the Pages workflow)")


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, got {text!r}")
    return int(text)


def dev_addr(text: str) -> str:
    """IP:PORT as mkdocs serve takes it (`localhost` too), checked before anything is built."""
    host, _, port = text.rpartition(":")
    try:
        if host != "localhost":
            ipaddress.ip_address(host[1:-1] if host[:1] + host[-1:] == "[]" else host)
        valid = port.isdigit() and int(port) <= 65535
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"must be IP:PORT with a port from 0 to 65535, e.g. "
                                         f"127.0.0.1:8000, got {text!r}")
    return text


def seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return seconds


def iso_date(text: str):
    from torchleet_journal.base.dates import BOUNDS, parse_date

    date = parse_date(text)
    if date is None:
        raise argparse.ArgumentTypeError(f"must be a real date {BOUNDS} written YYYY-MM-DD, "
                                         f"got {text!r}")
    return date


def day_numbers(text: str) -> frozenset[int]:
    try:
        days = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be day numbers separated by commas, e.g. 3,5; "
                                         f"got {text!r}") from None
    if not days:
        raise argparse.ArgumentTypeError("name at least one day, e.g. --only 3")
    return days


def build_options(args) -> Options:
    return Options(jobs=args.jobs, force=args.force, only=args.only, timeout=args.timeout,
                   site=not args.no_site, publish=args.publish)
