"""systemd's service notifications (sd_notify), without a dependency.

The resident kiosk runs as ``Type=notify`` with ``WatchdogSec=``: it says
READY=1 once its welcome screen is up, then WATCHDOG=1 at half the watchdog
interval from its event loop, only while its screens are sane. A loop that
stops answering, or a screen stack that has gone wrong, stops the pings, and
systemd restarts the kiosk. Outside systemd (no NOTIFY_SOCKET) nothing is
sent.

The protocol: one datagram per message to the AF_UNIX socket named in
NOTIFY_SOCKET (a leading ``@`` names an abstract socket); the interval is
WATCHDOG_USEC microseconds, meant for us when WATCHDOG_PID is unset or ours.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``message`` (``READY=1``, ``WATCHDOG=1``, ``STATUS=...``) to
    systemd; False when there is no one to send it to or it failed."""
    environ = os.environ if environ is None else environ
    address = environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.connect(address)
            sender.sendall(message.encode("utf-8"))
    except OSError:
        return False
    return True


def watchdog_seconds(environ: Mapping[str, str] | None = None) -> float | None:
    """The watchdog interval systemd expects pings within, or None."""
    environ = os.environ if environ is None else environ
    pid = environ.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    try:
        microseconds = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return microseconds / 1_000_000 if microseconds > 0 else None
