"""The station's settings: one typed object, read from TOML and validated.

``kiosk`` runs with no file at all on the embedded demo station. Each setting
is declared once, below, with its default, its range or choices and its
description; the reader, its error messages and the commented file that
``kiosk init`` writes are all made from those declarations. A value that is
wrong stops start-up with a ConfigError naming the file, the key and what is
allowed. Unknown keys are refused.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar, dataclass_transform
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.i18n import LANGUAGES

APP_NAME = "station-kiosk"
CONFIG_ENV = "KIOSK_CONFIG"
STATION_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
STATION_CODE_HINT = (
    "use 2-8 capital letters or digits, starting with a letter (e.g. PHY3)"
)
HTTP_URL = re.compile(r"^https?://[^\s/]+")
PRINTER_TARGET = re.compile(
    r"^(none|file:.+|escpos:.+|cups:[^\s]+|tcp://[^\s:/]+:\d+)$"
)
PRINTER_WIDTHS = (384, 576)  # dots: 58 mm and 80 mm thermal paper
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


# age recipients: X25519 public keys (bech32) or SSH public keys, space-separated.
AGE_RECIPIENTS = re.compile(
    r"^\s*(?:(?:age1[02-9ac-hj-np-z]{58}|ssh-(?:ed25519|rsa) [A-Za-z0-9+/]+=*)"
    r"(?:\s+|$))+$"
)
# An rsync destination: never an option (no leading -), no control characters.
RSYNC_TARGET = re.compile(r"^[^-\s][^\x00-\x1f]*$")


class ConfigError(Exception):
    """A bad configuration value; the message names the file and the key."""

    def __init__(self, source: Path | None, key: str, message: str) -> None:
        self.source = source
        self.key = key
        where = str(source) if source else "the built-in defaults"
        super().__init__(f"{where}: {key}: {message}")


# -- records ------------------------------------------------------------------

_Class = TypeVar("_Class", bound=type)


class _Record:
    """What ``@dataclass(frozen=True)`` writes for each class (``__init__``,
    equality, hash, repr, no assignment), written once for all of them."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        declared = fields(self)  # type: ignore[arg-type]
        if len(args) > len(declared):
            raise TypeError(f"{type(self).__name__}() takes {len(declared)} values")
        for index, item in enumerate(declared):
            if index < len(args):
                if item.name in kwargs:
                    raise TypeError(f"{item.name!r} given twice")
                value = args[index]
            elif item.name in kwargs:
                value = kwargs.pop(item.name)
            elif item.default is not MISSING:
                value = item.default
            elif item.default_factory is not MISSING:
                value = item.default_factory()
            else:
                raise TypeError(f"{type(self).__name__}() needs {item.name!r}")
            object.__setattr__(self, item.name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() has no {', '.join(kwargs)}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, item.name) for item in fields(self))  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined,no-any-return]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{item.name}={getattr(self, item.name)!r}"
            for item in fields(self)  # type: ignore[arg-type]
            if item.repr
        )
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: _Class) -> _Class:
    """A frozen dataclass (``dataclasses.fields`` and ``replace`` work on
    it) that derives from _Record and uses its methods.
    ``@dataclass(frozen=True)`` compiles six methods for each class: for the
    thirteen here, 7 ms of every start, the resident kiosk's included."""
    if not issubclass(cls, _Record):
        raise TypeError(f"{cls.__name__} must derive from _Record")
    return dataclass(init=False, repr=False, eq=False)(cls)  # type: ignore[return-value]


# -- declarations ---------------------------------------------------------------


@record
class Spec(_Record):
    """What one setting allows, and the words that describe it."""

    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    choice_names: str = ""  # how the choices read in a message, when not plain
    pattern: re.Pattern[str] | None = None
    pattern_hint: str = ""
    whole: bool = False  # a number that must be whole
    in_template: bool = True  # written live in the template; else commented out


def setting(default: Any, doc: str, **limits: Any) -> Any:
    """A dataclass field carrying its Spec."""
    return field(default=default, metadata={"spec": Spec(doc, **limits)})


def spec_of(section: type, name: str) -> Spec:
    for item in fields(section):
        if item.name == name:
            return item.metadata["spec"]  # type: ignore[no-any-return]
    raise KeyError(name)


def allowed_text(spec: Spec) -> str:
    """What a setting allows, as an error message and the template say it."""
    if spec.choice_names:
        return spec.choice_names
    if spec.choices:
        return ", ".join(str(choice) for choice in spec.choices)
    if spec.low is not None and spec.high is not None:
        return f"{spec.low:g} to {spec.high:g}"
    if spec.pattern_hint:
        return spec.pattern_hint
    return ""


@record
class Grid(_Record):
    name: str
    name_en: str
    buildings: tuple[str, ...]


@record
class StationSettings(_Record):
    code: str
    name: str
    name_en: str
    subdistrict: str
    subdistrict_en: str
    grids: tuple[Grid, ...]
    demo: bool


@record
class KioskSettings(_Record):
    """[kiosk]: the resident screen."""

    language: str = setting(
        "zh-CN", "The language each new resident starts in.", choices=LANGUAGES
    )
    idle_timeout: float = setting(
        60.0,
        'Seconds without input before the kiosk asks "do you need more time?".',
        low=5,
        high=3600,
    )
    idle_countdown: float = setting(
        15.0, "Seconds of that countdown before the form is cleared.", low=3, high=300
    )
    ticket_screen_seconds: float = setting(
        45.0,
        "Seconds the ticket stays on screen before the kiosk starts over.",
        low=5,
        high=600,
    )
    large_text: bool = setting(False, "Start in large-text, high-contrast mode.")


@record
class CentralSettings(_Record):
    """[central]: the subdistrict's central endpoint, and sync."""

    url: str = setting(
        "",
        "The subdistrict's central endpoint; leave empty to run offline only.",
        pattern=HTTP_URL,
        pattern_hint="an http:// or https:// URL",
    )
    api_key: str = setting(
        "", "This station's API key (keep this file readable by its owner only)."
    )
    public_base_url: str = setting(
        "http://127.0.0.1:8311",
        "Base of the tracking link in the QR code; defaults to url. Keep it "
        "short: the QR must fit an 80x24 screen (about 35 characters at most).",
        pattern=HTTP_URL,
        pattern_hint="an http:// or https:// URL",
        in_template=False,
    )
    ca_bundle: str = setting(
        "",
        "A CA bundle to verify the central's certificate, if not a public CA.",
        in_template=False,
    )
    batch_size: int = setting(
        2000,  # the central's default limit (docs/sync-protocol.md)
        "Sync: events per request.",
        low=1,
        high=5000,
        whole=True,
        in_template=False,
    )
    connect_timeout: float = setting(
        5.0, "Seconds for the TCP/TLS connect.", low=0.1, high=120, in_template=False
    )
    read_timeout: float = setting(
        30.0, "Seconds for each read.", low=0.1, high=600, in_template=False
    )
    backoff_base: float = setting(
        1.0,
        "Seconds of the first wait after a failure (full jitter, doubling).",
        low=0.01,
        high=600,
        in_template=False,
    )
    backoff_cap: float = setting(
        300.0,
        "The longest wait after failures, in seconds (at least backoff_base).",
        low=0.01,
        high=86400,
        in_template=False,
    )
    sync_interval: float = setting(
        30.0, "Seconds between sync passes.", low=0.1, high=86400, in_template=False
    )
    background_sync: bool = setting(
        True,
        "The resident kiosk syncs in the background by itself; set false where "
        "the kiosk-sync daemon runs (deploy/kiosk-sync.service): one syncing is "
        "enough.",
        in_template=False,
    )
    clock_skew_limit: float = setting(
        120.0,
        "Seconds the box's clock may differ from the central's (measured at each "
        "sync) before staff and kiosk doctor are told and new tickets are "
        "marked as issued under a suspect clock.",
        low=1,
        high=86400,
        in_template=False,
    )


@record
class PrinterSettings(_Record):
    """[printer]: where tickets are printed."""

    target: str = setting(
        "",
        "Where tickets are printed: none, file:DIR (PNG files), "
        "escpos:/dev/usb/lp0, tcp://HOST:9100 (ESC/POS network printer) or "
        'cups:QUEUE. Empty: PNG files in a folder "printed" beside the database.',
        pattern=PRINTER_TARGET,
        pattern_hint="none, file:DIR, escpos:DEVICE, tcp://HOST:PORT or cups:QUEUE",
    )
    width: int = setting(
        384,
        "Paper width in dots.",
        choices=PRINTER_WIDTHS,
        choice_names="384 (58 mm paper), 576 (80 mm)",
    )
    font: str = setting(
        "", "A font file with Chinese glyphs (path[:index]); empty: fontconfig."
    )
    timeout: float = setting(5.0, "Seconds to wait for the printer.", low=0.5, high=60)

    @property
    def enabled(self) -> bool:
        return self.target != "none"

    @property
    def on_paper(self) -> bool:
        """Tickets come out of a printer (not PNG files, not nothing)."""
        return self.target.startswith(("escpos:", "tcp://", "cups:"))


@record
class StaffSettings(_Record):
    """[staff]: the front-desk terminal."""

    lockout_minutes: float = setting(
        5.0, "Minutes an account stays locked after five wrong PINs.", low=1, high=1440
    )
    idle_lock_minutes: float = setting(
        10.0,
        "Minutes of no input before the staff terminal locks itself.",
        low=1,
        high=480,
    )


@record
class BackupSettings(_Record):
    """[backup]: nightly copies of the station database (kiosk backup)."""

    folder: str = setting(
        "",
        "Where kiosk backup writes its copies (relative paths are relative to this "
        'file). Empty: a folder "backups" beside the database.',
    )
    keep_daily: int = setting(
        7, "Daily copies kept (the newest of each day).", low=0, high=366, whole=True
    )
    keep_weekly: int = setting(
        4,
        "Weekly copies kept (the newest of each ISO week).",
        low=0,
        high=260,
        whole=True,
    )
    keep_monthly: int = setting(
        6,
        "Monthly copies kept (the newest of each month).",
        low=0,
        high=120,
        whole=True,
    )
    copy_to: str = setting(
        "",
        "A second folder, on another disk, that receives each checked copy and "
        "keeps the same rotation. Empty: none.",
        in_template=False,
    )
    encrypt_to: str = setting(
        "",
        "Encrypt the copy sent to copy_to with gpg for this recipient (a key id "
        "or e-mail whose public key is in the kiosk user's keyring; keep the "
        "private key off the box). Encrypted copies cannot be purged, so they "
        "are deleted once older than [privacy] retention_days. Empty: plain.",
        in_template=False,
    )
    age_recipients: str = setting(
        "",
        "Encrypt the copies that leave the box (copy_to, send_to) with age for "
        "these recipients: age public keys (age1...) or SSH public keys, separated "
        "by spaces. The private key stays off the box. Encrypted copies cannot be "
        "purged, so they are deleted once older than [privacy] retention_days. "
        "Empty: as encrypt_to says.",
        pattern=AGE_RECIPIENTS,
        pattern_hint="age public keys (age1...) or SSH public keys "
        "(ssh-ed25519 AAAA...), separated by spaces",
        in_template=False,
    )
    send_to: str = setting(
        "",
        "Send the copies to another machine or disk with rsync: a folder, or "
        "[user@]host:folder over ssh (the kiosk user's ssh key, no password). The "
        "target mirrors the second folder (copy_to, else offbox/ in the backup "
        "folder) and its rotation; only this station's backups are touched there. "
        "Empty: none.",
        pattern=RSYNC_TARGET,
        pattern_hint="a folder or [user@]host:folder",
        in_template=False,
    )


@record
class ReportSettings(_Record):
    """[reports]: the station's numbers (docs/reports.md)."""

    response_hours: float = setting(
        24.0,
        "Response limit in hours for a category whose catalog entry has none.",
        low=0.5,
        high=720,
        in_template=False,
    )
    weight_response: float = setting(
        0.10,
        "Weight of 响应率 in the composite score.",
        low=0,
        high=1,
        in_template=False,
    )
    weight_resolution: float = setting(
        0.45,
        "Weight of 解决率 in the composite score.",
        low=0,
        high=1,
        in_template=False,
    )
    weight_satisfaction: float = setting(
        0.45,
        "Weight of 满意率 in the composite score.",
        low=0,
        high=1,
        in_template=False,
    )
    hotspot_count: int = setting(
        3,
        "Hot spot: this many tickets of one category at one building or grid.",
        low=2,
        high=100,
        whole=True,
        in_template=False,
    )
    hotspot_days: int = setting(
        30,
        "Hot spot: within this many days.",
        low=1,
        high=366,
        whole=True,
        in_template=False,
    )


@record
class PrivacySettings(_Record):
    """[privacy]: how long residents' contact details are kept."""

    retention_days: int = setting(
        180,
        "Days after a ticket ends (closed or withdrawn) before kiosk privacy purge "
        "erases its contact name and mobile number, here and in the backups.",
        low=1,
        high=3650,
        whole=True,
    )


@record
class DiskSettings(_Record):
    """[disk]: the disk that holds the database."""

    warn_percent: float = setting(
        80.0, "kiosk doctor warns when the disk is this full (percent).", low=1, high=99
    )
    reserve_mb: float = setting(
        64.0,
        "Free megabytes kept in reserve: below this the kiosk refuses new tickets "
        "with a clear message instead of failing in the middle of a write.",
        low=1,
        high=1_000_000,
    )


@record
class FollowUpSettings(_Record):
    """[follow_up]: the call-back after a ticket is resolved (回访)."""

    tries_before_unreachable: int = setting(
        3,
        "Calls that reach nobody before the desk may close the call-back as "
        "无法回访 (a ticket without contact details needs none).",
        low=1,
        high=20,
        whole=True,
    )
    phone_answer_days: float = setting(
        3.0,
        "Days a resolved ticket waits for the resident's answer on the tracking "
        "page before the desk calls back.",
        low=0,
        high=30,
    )


SECTIONS: dict[str, type] = {
    "kiosk": KioskSettings,
    "central": CentralSettings,
    "printer": PrinterSettings,
    "staff": StaffSettings,
    "backup": BackupSettings,
    "privacy": PrivacySettings,
    "disk": DiskSettings,
    "reports": ReportSettings,
    "follow_up": FollowUpSettings,
}
STATION_KEYS = ("code", "name", "name_en", "subdistrict", "subdistrict_en", "grids")
GRID_KEYS = ("name", "name_en", "buildings")
TOP_LEVEL_KEYS = frozenset({"station", *SECTIONS, "database", "timezone"})
DEFAULT_TIMEZONE = "Asia/Shanghai"


def user_data_dir() -> Path:
    """Where the kiosk keeps its data by default: the XDG data folder.

    The same folder ``platformdirs.user_data_dir(APP_NAME)`` names on Linux,
    without importing platformdirs (and tempfile and shutil with it) into
    every kiosk start.
    """
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return Path(base or os.path.expanduser("~/.local/share")) / APP_NAME


@record
class Settings(_Record):
    station: StationSettings
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    central: CentralSettings = field(default_factory=CentralSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    disk: DiskSettings = field(default_factory=DiskSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    follow_up: FollowUpSettings = field(default_factory=FollowUpSettings)
    database_path: Path = field(default_factory=lambda: user_data_dir() / "kiosk.db")
    timezone: str = DEFAULT_TIMEZONE
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


# -- reading ------------------------------------------------------------------


class _Reader:
    """Walks the raw TOML table and builds Settings, naming keys on error."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, key, message)

    def keys(self, table: dict[str, Any], prefix: str, allowed: Any) -> None:
        for name in table:
            if name not in allowed:
                where = f"{prefix}.{name}" if prefix else name
                raise self.fail(
                    where, f"unknown key; allowed: {', '.join(sorted(allowed))}"
                )

    def table(self, raw: dict[str, Any], key: str, allowed: Any) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table ([" + key + "])")
        self.keys(value, key, allowed)
        return value

    def text(self, table: dict[str, Any], key: str, name: str, default: str) -> str:
        value = table.get(name, default)
        if not isinstance(value, str):
            raise self.fail(key, "must be a string")
        return value.strip()

    def value(self, table: dict[str, Any], prefix: str, item: Any) -> Any:
        """One declared setting, checked against its Spec."""
        spec: Spec = item.metadata["spec"]
        key = f"{prefix}.{item.name}"
        if item.name not in table:
            return item.default
        value = table[item.name]
        kind = item.type
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.fail(key, "must be true or false")
            return value
        if kind == "str":
            if not isinstance(value, str):
                raise self.fail(key, "must be a string")
            value = value.strip()
            if spec.choices and value not in spec.choices:
                raise self.fail(
                    key, f"{value!r} is not allowed; allowed: {allowed_text(spec)}"
                )
            if value and spec.pattern is not None and not spec.pattern.match(value):
                raise self.fail(key, f"{value!r} is not {spec.pattern_hint}")
            return value
        # int and float
        if spec.choices:
            if isinstance(value, bool) or value not in spec.choices:
                raise self.fail(
                    key, f"{value!r} is not allowed; allowed: {allowed_text(spec)}"
                )
            return int(value) if kind == "int" else float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number from {allowed_text(spec)}")
        assert spec.low is not None and spec.high is not None
        if not spec.low <= value <= spec.high:
            raise self.fail(
                key, f"{value!r} is out of range; allowed: {allowed_text(spec)}"
            )
        if spec.whole and value != int(value):
            raise self.fail(key, "must be a whole number")
        return int(value) if kind == "int" else float(value)

    def section(self, raw: dict[str, Any], name: str) -> dict[str, Any]:
        kind = SECTIONS[name]
        declared = fields(kind)
        table = self.table(raw, name, {item.name for item in declared})
        return {item.name: self.value(table, name, item) for item in declared}

    def settings(self, raw: dict[str, Any]) -> Settings:
        self.keys(raw, "", TOP_LEVEL_KEYS)
        timezone = raw.get("timezone", DEFAULT_TIMEZONE)
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
            kiosk=KioskSettings(**self.section(raw, "kiosk")),
            central=central,
            printer=PrinterSettings(**self.section(raw, "printer")),
            staff=StaffSettings(**self.section(raw, "staff")),
            backup=BackupSettings(**self.section(raw, "backup")),
            privacy=PrivacySettings(**self.section(raw, "privacy")),
            disk=DiskSettings(**self.section(raw, "disk")),
            reports=ReportSettings(**self.section(raw, "reports")),
            follow_up=FollowUpSettings(**self.section(raw, "follow_up")),
            database_path=self.database(raw),
            timezone=timezone,
            source=self.source,
        )

    def station(self, raw: dict[str, Any]) -> StationSettings:
        table = self.table(raw, "station", STATION_KEYS)
        if not table:
            return DEMO_STATION
        code = self.text(table, "station.code", "code", "")
        if not STATION_CODE.match(code):
            raise self.fail(
                "station.code", f"{code!r} is not allowed; use {STATION_CODE_HINT}"
            )
        name = self.text(table, "station.name", "name", "")
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
            self.keys(grid_raw, prefix, GRID_KEYS)
            grid_name = self.text(grid_raw, f"{prefix}.name", "name", "")
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
                    self.text(grid_raw, f"{prefix}.name_en", "name_en", grid_name),
                    tuple(b.strip() for b in buildings),
                )
            )
        return StationSettings(
            code=code,
            name=name,
            name_en=self.text(table, "station.name_en", "name_en", name),
            subdistrict=self.text(table, "station.subdistrict", "subdistrict", ""),
            subdistrict_en=self.text(
                table, "station.subdistrict_en", "subdistrict_en", ""
            ),
            grids=tuple(grids),
            demo=False,
        )

    def central(self, raw: dict[str, Any]) -> CentralSettings:
        values = self.section(raw, "central")
        table = raw.get("central", {})
        url = values["url"].rstrip("/")
        public = str(table.get("public_base_url", "")).strip() or url
        values["url"] = url
        values["public_base_url"] = (
            public or CentralSettings().public_base_url
        ).rstrip("/")
        if values["ca_bundle"]:
            bundle_path = Path(values["ca_bundle"]).expanduser()
            if not bundle_path.is_absolute():
                bundle_path = (self.source.parent / bundle_path).resolve()
            if not bundle_path.is_file():
                raise self.fail(
                    "central.ca_bundle", f"{str(bundle_path)!r} is not a file"
                )
            values["ca_bundle"] = str(bundle_path)
        if values["backoff_cap"] < values["backoff_base"]:
            raise self.fail(
                "central.backoff_cap",
                f"{values['backoff_cap']:g} is less than backoff_base "
                f"({values['backoff_base']:g})",
            )
        return CentralSettings(**values)

    def database(self, raw: dict[str, Any]) -> Path:
        table = self.table(raw, "database", {"path"})
        default = Settings(station=DEMO_STATION).database_path
        value = self.text(table, "database.path", "path", str(default))
        if not value:
            raise self.fail("database.path", "must not be empty")
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = (self.source.parent / path).resolve()
        return path


# -- the commented file that ``kiosk init`` writes ------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str, width: int = 78) -> list[str]:
    lines: list[str] = []
    line = "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    lines.append(line)
    return lines


def _section_text(name: str, values: dict[str, Any]) -> list[str]:
    kind = SECTIONS[name]
    lines = [f"[{name}]"]
    for item in fields(kind):
        spec: Spec = item.metadata["spec"]
        allowed = allowed_text(spec)
        doc = spec.doc + (f" Allowed: {allowed}." if allowed else "")
        lines += _comment(doc)
        value = values.get(item.name, item.default)
        live = spec.in_template or item.name in values
        lines.append(("" if live else "# ") + f"{item.name} = {_toml(value)}")
    return lines + [""]


def render_config(path: Path, code: str, name: str, central: str, api_key: str) -> str:
    """The commented TOML that ``kiosk init`` writes: every setting with its
    description and what it allows, the optional ones commented out."""
    demo = DEMO_STATION
    is_demo = code == demo.code and not name
    lines = [
        "# Station kiosk configuration (TOML).",
        f"# Start the kiosk with:  kiosk --config {path}   (or set {CONFIG_ENV})",
        "",
        "# Time zone of the station: dates, daily ticket numbers and SLAs follow it.",
        f"timezone = {_toml(DEFAULT_TIMEZONE)}",
        "",
        "[station]",
        *_comment(
            f"{STATION_CODE_HINT}; ticket numbers begin with it (PHY3-261125-001)."
        ),
        f"code = {_toml(code)}",
        f"name = {_toml(name or demo.name)}",
        f"name_en = {_toml(demo.name_en if is_demo else (name or demo.name_en))}",
        f"subdistrict = {_toml(demo.subdistrict)}",
        f"subdistrict_en = {_toml(demo.subdistrict_en)}",
        "",
        "# The grids of the community and their buildings, as residents know them.",
        "# Residents pick one with the number keys; add as many as you need.",
    ]
    for grid in demo.grids:
        lines += [
            "[[station.grids]]",
            f"name = {_toml(grid.name)}",
            f"name_en = {_toml(grid.name_en)}",
            "buildings = [" + ", ".join(_toml(b) for b in grid.buildings) + "]",
            "",
        ]
    lines += _section_text("kiosk", {})
    lines += _section_text("central", {"url": central, "api_key": api_key})
    lines += _section_text("printer", {})
    lines += _section_text("staff", {})
    lines += _section_text("backup", {})
    lines += _section_text("privacy", {})
    lines += _section_text("disk", {})
    lines += _section_text("reports", {})
    lines += _section_text("follow_up", {})
    lines += [
        "[database]",
        "# The station's SQLite file (relative paths are relative to this file).",
        'path = "kiosk.db"',
        "",
    ]
    return "\n".join(lines)
