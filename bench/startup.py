"""Cold start to the first painted screen: the kiosk against hello-world.

Each run is a fresh interpreter (bench/driver.py). The clock starts at the
top of the driver, before Textual or the kiosk is imported, and stops when
the first screen has been painted: the kiosk's WelcomeScreen (its tiles on
screen), the hello-world app's one Static. The kiosk's time includes opening
(and checking the migrations of) its database and building KioskApp, as
``kiosk run`` does. The two apps take turns (ABBA order) so that drift in the
machine's load hits both alike; one unmeasured run of each goes first to warm
the page cache and create the database.
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from bench.child import run_child
from bench.stats import emit, median, note, ratio

BENCH = "startup"
TARGET_RATIO = 1.15  # issue #16
APPS = ("hello", "kiosk")
# (figure suffix, start mark, end mark, what it is)
SPANS = (
    ("ms", "t0", "painted", "driver start (before imports) to first screen painted"),
    ("from_spawn_ms", "spawn", "painted", "parent's spawn to first screen painted"),
    ("import_ms", "t0", "imported", "imports of Textual (and the kiosk)"),
    ("build_ms", "imported", "built", "building the app (kiosk: and opening the db)"),
    ("run_to_paint_ms", "built", "painted", "app start to first screen painted"),
)
NAMES = {"hello": "hello_first_paint", "kiosk": "kiosk_welcome"}


def one_run(app: str, scratch: Path) -> dict[str, float]:
    job = {"mode": "startup", "app": app, "database": str(scratch / "kiosk.db")}
    result = run_child(job, scratch)
    marks: dict[str, float] = dict(result.data)
    marks["spawn"] = result.spawned_at
    return marks


def run(runs: int) -> None:
    samples: dict[str, dict[str, list[float]]] = {
        app: {suffix: [] for suffix, *_ in SPANS} for app in APPS
    }
    with TemporaryDirectory(prefix="kiosk-bench-startup-") as folder:
        scratch = Path(folder)
        note(f"startup: warm-up, then {runs} runs of each app, interleaved")
        for app in APPS:
            one_run(app, scratch)
        for index in range(runs):
            order = APPS if index % 2 == 0 else APPS[::-1]
            for app in order:
                marks = one_run(app, scratch)
                for suffix, start, end, _ in SPANS:
                    samples[app][suffix].append((marks[end] - marks[start]) * 1000)
    for suffix, _, _, meaning in SPANS:
        hello = median(samples["hello"][suffix])
        kiosk = median(samples["kiosk"][suffix])
        baseline = f"{NAMES['hello']}_{suffix}_median"
        emit(
            BENCH,
            baseline,
            hello,
            unit="ms",
            runs=runs,
            samples=samples["hello"][suffix],
            measures=meaning,
        )
        extra: dict[str, object] = {}
        if suffix == "ms":
            kiosk_ratio = ratio(kiosk, hello)
            extra = {
                "target": f"ratio <= {TARGET_RATIO}",
                "meets_target": kiosk_ratio is not None and kiosk_ratio <= TARGET_RATIO,
            }
        emit(
            BENCH,
            f"{NAMES['kiosk']}_{suffix}_median",
            kiosk,
            unit="ms",
            runs=runs,
            samples=samples["kiosk"][suffix],
            measures=meaning,
            baseline=baseline,
            baseline_value=hello,
            ratio=ratio(kiosk, hello),
            **extra,
        )
