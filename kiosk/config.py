"""The station's settings: one typed object, read from TOML and validated.

``kiosk`` runs with no file at all on the embedded demo station. A value that
is wrong stops start-up with a ConfigError naming the file, the key and what
is allowed.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

APP_NAME = "station-kiosk"
CONFIG_ENV = "KIOSK_CONFIG"
LANGUAGES = ("zh-CN", "en")
# The QR code on the resident's screen must fit the smallest supported
# screen, 80x24: 22 rows under the header and above the keypad bar hold 44
# modules (two per row), a version-4 code (33 modules) with its 4-module
# quiet zone. At low error correction a version-4 code holds 78 bytes.
SMALLEST_SCREEN = "80x24"
QR_SCREEN_URL_LIMIT = 78
TRACKING_TOKEN_CHARACTERS = 22  # 128 bits, URL-safe base64 (kiosk.tickets)


def qr_url_length(public_base_url: str, station_code: str) -> int:
    """The longest tracking link (kiosk.tickets.tracking_url) a ticket of
    this station gets: ``<base>/t/<CODE>-<YYMMDD>-<NNNN>?k=<token>``."""
    ticket_no = len(station_code) + len("-261125-") + 4  # up to 9,999 a day
    return (
        len(public_base_url.rstrip("/"))
        + len("/t/")
        + ticket_no
        + len("?k=")
        + TRACKING_TOKEN_CHARACTERS
    )


STATION_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


# The tables (and keys) a config file may have at its top level.
TOP_LEVEL_KEYS = frozenset(
    {"station", "kiosk", "central", "printer", "staff", "database", "timezone"}
)
PRINTER_WIDTHS = (384, 576)  # dots: 58 mm and 80 mm thermal paper


class ConfigError(Exception):
    """A bad configuration value; the message names the file and the key."""

    def __init__(self, source: Path | None, key: str, message: str) -> None:
        self.source = source
        self.key = key
        where = str(source) if source else "the built-in defaults"
        super().__init__(f"{where}: {key}: {message}")


@dataclass(frozen=True)
class Grid:
    name: str
    name_en: str
    buildings: tuple[str, ...]


@dataclass(frozen=True)
class StationSettings:
    code: str
    name: str
    name_en: str
    subdistrict: str
    subdistrict_en: str
    grids: tuple[Grid, ...]
    demo: bool


@dataclass(frozen=True)
class KioskSettings:
    language: str = "zh-CN"
    idle_timeout: float = 60.0
    idle_countdown: float = 15.0
    ticket_screen_seconds: float = 45.0
    large_text: bool = False


@dataclass(frozen=True)
class CentralSettings:
    url: str = ""
    api_key: str = ""
    public_base_url: str = "http://127.0.0.1:8311"
    ca_bundle: str = ""
    # Sync (kiosk/sync/engine.py): events per request, seconds for the TCP/TLS
    # connect and for each read, and the retry backoff (full jitter, capped).
    batch_size: int = 2000  # the central's default limit (docs/sync-protocol.md)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    sync_interval: float = 30.0
    # The resident kiosk syncs in a helper process of its own; false where
    # the kiosk-sync daemon runs (deploy/kiosk-sync.service) and does it.
    background_sync: bool = True


@dataclass(frozen=True)
class PrinterSettings:
    """Where tickets are printed: ``none``, ``file:DIR``, ``escpos:DEVICE``,
    ``tcp://HOST:PORT`` or ``cups:QUEUE``; empty means PNG files in a folder
    named ``printed`` beside the database."""

    target: str = ""
    width: int = 384
    font: str = ""
    timeout: float = 5.0

    @property
    def enabled(self) -> bool:
        return self.target != "none"

    @property
    def on_paper(self) -> bool:
        """Tickets come out of a printer (not PNG files, not nothing)."""
        return self.target.startswith(("escpos:", "tcp://", "cups:"))


@dataclass(frozen=True)
class StaffSettings:
    """The front-desk terminal: PIN lockout and idle lock, in minutes."""

    lockout_minutes: float = 5.0
    idle_lock_minutes: float = 10.0


def user_data_dir() -> Path:
    """Where the kiosk keeps its data by default: the XDG data folder.

    The same folder ``platformdirs.user_data_dir(APP_NAME)`` names on Linux,
    without importing platformdirs (and tempfile and shutil with it) into
    every kiosk start.
    """
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return Path(base or os.path.expanduser("~/.local/share")) / APP_NAME


@dataclass(frozen=True)
class Settings:
    station: StationSettings
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    central: CentralSettings = field(default_factory=CentralSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)
    database_path: Path = field(default_factory=lambda: user_data_dir() / "kiosk.db")
    timezone: str = "Asia/Shanghai"
    source: Path | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


DEMO_STATION = StationSettings(
    code="PHY3",
    name="蒲黄榆第三社区治理综合服务站",
    name_en="Puhuangyu No. 3 Community Service Station",
    subdistrict="东铁匠营街道",
    subdistrict_en="Dongtiejiangying Subdistrict",
    # Invented for the demo: grid and building names are not real addresses.
    grids=(
        Grid(
            "第一网格（蒲黄榆桥东）",
            "Grid 1 (Puhuangyu Bridge East)",
            ("1号楼", "2号楼", "3号楼", "5号楼", "6号楼"),
        ),
        Grid(
            "第二网格（五巷银行小区）",
            "Grid 2 (Wuxiang Yinhang Estate)",
            ("五巷1号楼", "五巷2号楼", "五巷3号楼", "五巷4号楼"),
        ),
        Grid(
            "第三网格（玉蜓桥南）",
            "Grid 3 (Yuting Bridge South)",
            ("8号楼", "9号楼", "10号楼", "11号楼", "12号楼", "14号楼"),
        ),
        Grid(
            "第四网格（刘家窑桥西）",
            "Grid 4 (Liujiayao Bridge West)",
            ("15号楼", "16号楼", "17号楼", "沿街商铺", "社区公共区域"),
        ),
    ),
    demo=True,
)


def default_settings() -> Settings:
    return Settings(station=DEMO_STATION)


def config_path_from_env(explicit: str | None) -> Path | None:
    chosen = explicit or os.environ.get(CONFIG_ENV)
    return Path(chosen).expanduser() if chosen else None


def load_settings(path: Path | None) -> Settings:
    """Read and validate a TOML config, or return the embedded defaults."""
    if path is None:
        return default_settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(path, "(file)", "the file does not exist") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, "(file)", f"cannot be read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, "(file)", f"is not valid TOML: {error}") from error
    return _Reader(path).settings(raw)


class _Reader:
    """Walks the raw TOML table and builds Settings, naming keys on error."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, key, message)

    def table(self, raw: dict[str, Any], key: str, allowed: set[str]) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table ([" + key + "])")
        for name in value:
            if name not in allowed:
                raise self.fail(
                    f"{key}.{name}",
                    f"unknown key; allowed: {', '.join(sorted(allowed))}",
                )
        return value

    def text(self, table: dict[str, Any], prefix: str, key: str, default: str) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"{prefix}.{key}", "must be a string")
        return value.strip()

    def number(
        self,
        table: dict[str, Any],
        prefix: str,
        key: str,
        default: float,
        low: float,
        high: float,
    ) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(
                f"{prefix}.{key}", f"must be a number from {low:g} to {high:g}"
            )
        if not low <= value <= high:
            raise self.fail(
                f"{prefix}.{key}",
                f"{value!r} is out of range; allowed: {low:g} to {high:g}",
            )
        return float(value)

    def flag(self, table: dict[str, Any], prefix: str, key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{prefix}.{key}", "must be true or false")
        return value

    def settings(self, raw: dict[str, Any]) -> Settings:
        for name in raw:
            if name not in TOP_LEVEL_KEYS:
                raise self.fail(
                    name, f"unknown key; allowed: {', '.join(sorted(TOP_LEVEL_KEYS))}"
                )
        timezone = raw.get("timezone", "Asia/Shanghai")
        if not isinstance(timezone, str):
            raise self.fail("timezone", "must be a string such as Asia/Shanghai")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise self.fail(
                "timezone",
                f"{timezone!r} is not a known time zone (e.g. Asia/Shanghai)",
            ) from error
        station = self.station(raw)
        central = self.central(raw)
        longest = qr_url_length(central.public_base_url, station.code)
        if longest > QR_SCREEN_URL_LIMIT:
            room = QR_SCREEN_URL_LIMIT - (longest - len(central.public_base_url))
            raise self.fail(
                "central.public_base_url",
                f"too long for the ticket's QR code to fit the smallest supported "
                f"screen ({SMALLEST_SCREEN}): {len(central.public_base_url)} "
                f"characters, at most {room} with station code {station.code}",
            )
        return Settings(
            station=station,
            kiosk=self.kiosk(raw),
            central=central,
            printer=self.printer(raw),
            staff=self.staff(raw),
            database_path=self.database(raw),
            timezone=timezone,
            source=self.source,
        )

    def station(self, raw: dict[str, Any]) -> StationSettings:
        table = self.table(
            raw,
            "station",
            {"code", "name", "name_en", "subdistrict", "subdistrict_en", "grids"},
        )
        if not table:
            return DEMO_STATION
        code = self.text(table, "station", "code", "")
        if not STATION_CODE.match(code):
            raise self.fail(
                "station.code",
                f"{code!r} is not allowed; use 2-8 capital letters or digits, "
                "starting with a letter (e.g. PHY3)",
            )
        name = self.text(table, "station", "name", "")
        if not name:
            raise self.fail("station.name", "must not be empty")
        grids_raw = table.get("grids", [])
        if not isinstance(grids_raw, list):
            raise self.fail(
                "station.grids", "must be a list of [[station.grids]] tables"
            )
        grids = []
        for index, grid_raw in enumerate(grids_raw):
            prefix = f"station.grids[{index}]"
            if not isinstance(grid_raw, dict):
                raise self.fail(prefix, "must be a table with name and buildings")
            for key in grid_raw:
                if key not in {"name", "name_en", "buildings"}:
                    raise self.fail(
                        f"{prefix}.{key}",
                        "unknown key; allowed: buildings, name, name_en",
                    )
            grid_name = self.text(grid_raw, prefix, "name", "")
            if not grid_name:
                raise self.fail(f"{prefix}.name", "must not be empty")
            buildings = grid_raw.get("buildings", [])
            if not isinstance(buildings, list) or not all(
                isinstance(b, str) and b.strip() for b in buildings
            ):
                raise self.fail(
                    f"{prefix}.buildings", "must be a list of non-empty strings"
                )
            grids.append(
                Grid(
                    grid_name,
                    self.text(grid_raw, prefix, "name_en", grid_name),
                    tuple(b.strip() for b in buildings),
                )
            )
        return StationSettings(
            code=code,
            name=name,
            name_en=self.text(table, "station", "name_en", name),
            subdistrict=self.text(table, "station", "subdistrict", ""),
            subdistrict_en=self.text(table, "station", "subdistrict_en", ""),
            grids=tuple(grids),
            demo=False,
        )

    def kiosk(self, raw: dict[str, Any]) -> KioskSettings:
        table = self.table(
            raw,
            "kiosk",
            {
                "language",
                "idle_timeout",
                "idle_countdown",
                "ticket_screen_seconds",
                "large_text",
            },
        )
        defaults = KioskSettings()
        language = self.text(table, "kiosk", "language", defaults.language)
        if language not in LANGUAGES:
            raise self.fail(
                "kiosk.language", f"{language!r} is not allowed; allowed: zh-CN, en"
            )
        return KioskSettings(
            language=language,
            idle_timeout=self.number(
                table, "kiosk", "idle_timeout", defaults.idle_timeout, 5, 3600
            ),
            idle_countdown=self.number(
                table, "kiosk", "idle_countdown", defaults.idle_countdown, 3, 300
            ),
            ticket_screen_seconds=self.number(
                table,
                "kiosk",
                "ticket_screen_seconds",
                defaults.ticket_screen_seconds,
                5,
                600,
            ),
            large_text=self.flag(table, "kiosk", "large_text", defaults.large_text),
        )

    def central(self, raw: dict[str, Any]) -> CentralSettings:
        table = self.table(
            raw,
            "central",
            {
                "url",
                "api_key",
                "public_base_url",
                "ca_bundle",
                "batch_size",
                "connect_timeout",
                "read_timeout",
                "backoff_base",
                "backoff_cap",
                "sync_interval",
                "background_sync",
            },
        )
        defaults = CentralSettings()
        url = self.text(table, "central", "url", "")
        if url and not re.match(r"^https?://[^\s/]+", url):
            raise self.fail("central.url", f"{url!r} is not an http:// or https:// URL")
        public = self.text(
            table, "central", "public_base_url", url or defaults.public_base_url
        )
        if not re.match(r"^https?://[^\s/]+", public):
            raise self.fail(
                "central.public_base_url",
                f"{public!r} is not an http:// or https:// URL",
            )
        ca_bundle = self.text(table, "central", "ca_bundle", "")
        if ca_bundle:
            bundle_path = Path(ca_bundle).expanduser()
            if not bundle_path.is_absolute():
                bundle_path = (self.source.parent / bundle_path).resolve()
            if not bundle_path.is_file():
                raise self.fail(
                    "central.ca_bundle", f"{str(bundle_path)!r} is not a file"
                )
            ca_bundle = str(bundle_path)
        batch_size = self.number(
            table, "central", "batch_size", defaults.batch_size, 1, 5000
        )
        if batch_size != int(batch_size):
            raise self.fail("central.batch_size", "must be a whole number")
        backoff_base = self.number(
            table, "central", "backoff_base", defaults.backoff_base, 0.01, 600
        )
        backoff_cap = self.number(
            table, "central", "backoff_cap", defaults.backoff_cap, 0.01, 86400
        )
        if backoff_cap < backoff_base:
            raise self.fail(
                "central.backoff_cap",
                f"{backoff_cap:g} is less than backoff_base ({backoff_base:g})",
            )
        return CentralSettings(
            url=url.rstrip("/"),
            api_key=self.text(table, "central", "api_key", ""),
            public_base_url=public.rstrip("/"),
            ca_bundle=ca_bundle,
            batch_size=int(batch_size),
            connect_timeout=self.number(
                table, "central", "connect_timeout", defaults.connect_timeout, 0.1, 120
            ),
            read_timeout=self.number(
                table, "central", "read_timeout", defaults.read_timeout, 0.1, 600
            ),
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            sync_interval=self.number(
                table, "central", "sync_interval", defaults.sync_interval, 0.1, 86400
            ),
            background_sync=self.flag(
                table, "central", "background_sync", defaults.background_sync
            ),
        )

    def printer(self, raw: dict[str, Any]) -> PrinterSettings:
        table = self.table(raw, "printer", {"target", "width", "font", "timeout"})
        defaults = PrinterSettings()
        target = self.text(table, "printer", "target", defaults.target)
        if (
            target
            and target != "none"
            and not re.match(
                r"^(file:.+|escpos:.+|cups:[^\s]+|tcp://[^\s:/]+:\d+)$", target
            )
        ):
            raise self.fail(
                "printer.target",
                f"{target!r} is not allowed; use none, file:DIR, escpos:DEVICE, "
                "tcp://HOST:PORT or cups:QUEUE",
            )
        width = table.get("width", defaults.width)
        if isinstance(width, bool) or width not in PRINTER_WIDTHS:
            raise self.fail(
                "printer.width",
                f"{width!r} is not allowed; allowed: 384 (58 mm paper), 576 (80 mm)",
            )
        return PrinterSettings(
            target=target,
            width=int(width),
            font=self.text(table, "printer", "font", defaults.font),
            timeout=self.number(table, "printer", "timeout", defaults.timeout, 0.5, 60),
        )

    def staff(self, raw: dict[str, Any]) -> StaffSettings:
        table = self.table(raw, "staff", {"lockout_minutes", "idle_lock_minutes"})
        defaults = StaffSettings()
        return StaffSettings(
            lockout_minutes=self.number(
                table, "staff", "lockout_minutes", defaults.lockout_minutes, 1, 1440
            ),
            idle_lock_minutes=self.number(
                table, "staff", "idle_lock_minutes", defaults.idle_lock_minutes, 1, 480
            ),
        )

    def database(self, raw: dict[str, Any]) -> Path:
        table = self.table(raw, "database", {"path"})
        default = Settings(station=DEMO_STATION).database_path
        value = self.text(table, "database", "path", str(default))
        if not value:
            raise self.fail("database.path", "must not be empty")
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = (self.source.parent / path).resolve()
        return path


CONFIG_TEMPLATE = """\
# Station kiosk configuration (TOML).
# Start the kiosk with:  kiosk --config {path}   (or set KIOSK_CONFIG)

# Time zone of the station: dates, daily ticket numbers and SLAs follow it.
timezone = "Asia/Shanghai"

[station]
# 2-8 capital letters or digits, starting with a letter; ticket numbers
# begin with it (PHY3-261125-001).
code = "{code}"
name = "{name}"
name_en = "{name_en}"
subdistrict = "{subdistrict}"
subdistrict_en = "{subdistrict_en}"

# The grids of the community and their buildings, as residents know them.
# Residents pick one with the number keys; add as many as you need.
{grids}
[kiosk]
# zh-CN or en: the language each new resident starts in.
language = "zh-CN"
# Seconds without input before the kiosk asks "do you need more time?" (5-3600),
# and seconds of that countdown before the form is cleared (3-300).
idle_timeout = 60
idle_countdown = 15
# Seconds the ticket stays on screen before the kiosk starts over (5-600).
ticket_screen_seconds = 45
# Start in large-text, high-contrast mode.
large_text = false

[central]
# The subdistrict's central endpoint; leave empty to run offline only.
url = "{central}"
# This station's API key (keep this file readable by its owner only).
api_key = "{api_key}"
# Base of the tracking link in the QR code; defaults to url. Keep it short:
# the QR must fit an 80x24 screen (about 35 characters at most).
# public_base_url = "https://track.example.gov.cn"
# A CA bundle to verify the central's certificate, if not a public CA.
# ca_bundle = "/etc/ssl/certs/subdistrict-ca.pem"
# Sync: events per request (1-5000), timeouts in seconds, the backoff after a
# failure (base and cap, seconds) and the pause between passes.
# batch_size = 2000
# connect_timeout = 5
# read_timeout = 30
# backoff_base = 1
# backoff_cap = 300
# sync_interval = 30
# The resident kiosk syncs in the background by itself; set false where the
# kiosk-sync daemon runs (deploy/kiosk-sync.service): one syncing is enough.
# background_sync = true

[printer]
# Where tickets are printed: none, file:DIR (PNG files), escpos:/dev/usb/lp0,
# tcp://HOST:9100 (ESC/POS network printer) or cups:QUEUE. Empty: PNG files
# in a folder "printed" beside the database.
target = ""
# Paper width in dots: 384 (58 mm) or 576 (80 mm).
width = 384
# A font file with Chinese glyphs (path[:index]); empty: found by fontconfig.
font = ""
# Seconds to wait for the printer (0.5-60).
timeout = 5

[staff]
# Minutes an account stays locked after five wrong PINs, and minutes of no
# input before the staff terminal locks itself.
lockout_minutes = 5
idle_lock_minutes = 10

[database]
# The station's SQLite file (relative paths are relative to this file).
path = "kiosk.db"
"""


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def render_config(path: Path, code: str, name: str, central: str, api_key: str) -> str:
    demo = DEMO_STATION
    grids = "".join(
        "[[station.grids]]\n"
        f'name = "{_toml_string(grid.name)}"\n'
        f'name_en = "{_toml_string(grid.name_en)}"\n'
        "buildings = ["
        + ", ".join(f'"{_toml_string(b)}"' for b in grid.buildings)
        + "]\n\n"
        for grid in demo.grids
    )
    is_demo = code == demo.code and not name
    return CONFIG_TEMPLATE.format(
        path=path,
        code=code,
        name=_toml_string(name or demo.name),
        name_en=_toml_string(demo.name_en if is_demo else (name or demo.name_en)),
        subdistrict=_toml_string(demo.subdistrict),
        subdistrict_en=_toml_string(demo.subdistrict_en),
        grids=grids,
        central=_toml_string(central),
        api_key=_toml_string(api_key),
    )
