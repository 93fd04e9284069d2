"""``python -m bench WHICH [--runs N] [--tickets N]``: see --help for WHICH."""

from __future__ import annotations

import argparse
import time

from bench.stats import note

FLOWS = ("direct", "keypad")  # as in bench/flow.py, which imports Textual

DEFAULT_RUNS = 7
DEFAULT_TICKETS = 500
SAMPLE_EVERY = 100


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Kiosk benchmarks. Each figure is one JSON object per line on "
        "stdout, with its same-run baseline and the ratio; progress goes to stderr.",
    )
    parser.add_argument(
        "which",
        choices=(
            "startup",
            "issue",
            "memory",
            "all",
            "print",
            "central",
            "sync",
            "staff",
            "input",
            "report",
            "phone",
            "demo",
            "box",
        ),
    )
    parser.add_argument(
        "--runs",
        type=_positive,
        default=DEFAULT_RUNS,
        help=f"startup: fresh processes per app; box: sessions of each kind "
        f"(default {DEFAULT_RUNS})",
    )
    parser.add_argument(
        "--tickets",
        type=_positive,
        default=DEFAULT_TICKETS,
        help=f"issue, memory: tickets to issue (default {DEFAULT_TICKETS})",
    )
    parser.add_argument(
        "--flow",
        choices=FLOWS,
        default=FLOWS[0],
        help="issue, memory: how each ticket gets to the review screen: direct "
        "(the default: draft set, review screen pushed from the welcome screen) "
        "or keypad (every screen of the resident flow; twice as long per ticket)",
    )
    parser.add_argument(
        "--sample-every",
        type=_positive,
        default=None,
        help=f"memory: tickets between RSS samples (default {SAMPLE_EVERY}, "
        "or a fifth of --tickets when that is fewer than 4 samples)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=("district", "catch-up", "crowd", "instances"),
        help="central: run only this scenario (repeatable; default all)",
    )
    parser.add_argument(
        "--database",
        action="append",
        choices=("sqlite", "postgresql"),
        help="central: only on this database (repeatable; default both)",
    )
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def sample_every(tickets: int, chosen: int | None) -> int:
    if chosen is not None:
        return chosen
    if tickets >= SAMPLE_EVERY * 4:
        return SAMPLE_EVERY
    return max(1, tickets // 5)


def compile_project() -> None:
    """Byte-compile the project, as installing its wheel does.

    An editable install (or PYTHONDONTWRITEBYTECODE) leaves the kiosk's own
    modules as source, to be compiled on every start, while Textual, the
    baseline's only import, comes compiled from its wheel.
    """
    import compileall
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for package in ("kiosk", "screens", "db", "assets", "central", "bench"):
        compileall.compile_dir(root / package, quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    every = sample_every(args.tickets, args.sample_every)
    started = time.perf_counter()
    compile_project()
    if args.which in ("startup", "all"):
        from bench import startup

        startup.run(args.runs)
    kiosk = None
    if args.which in ("issue", "all"):
        from bench import issue

        kiosk = issue.run(args.tickets, every, args.flow)
    if args.which in ("memory", "all"):
        from bench import memory

        # "all" reads memory from the same kiosk run as "issue": one 500-ticket
        # run instead of two (the RSS samples are taken between tickets).
        memory.run(args.tickets, every, args.flow, kiosk)
    if args.which == "phone":
        from bench import phone

        phone.run()
    if args.which == "print":
        from bench import printing

        printing.run()
    if args.which == "central":
        from bench import central

        central.run(
            tuple(args.scenario or central.SCENARIOS),
            tuple(args.database or central.DATABASES),
        )
    if args.which == "sync":
        from bench import sync

        sync.run()
    if args.which == "staff":
        from bench import staff

        staff.run()
    if args.which == "input":
        from bench import input as writing_input

        writing_input.run()
    if args.which == "report":
        from bench import report

        report.run()
    if args.which == "demo":
        from bench import demo

        demo.run()
    if args.which == "box":
        from bench import box

        box.run(args.runs)
    note(f"{args.which}: done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
