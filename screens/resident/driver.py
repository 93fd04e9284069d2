"""The resident kiosk's terminal driver: any byte on stdin is survivable.

Textual 8.2.8's LinuxDriver decodes stdin with a strict UTF-8 decoder, so a
byte that is not UTF-8 (a scanner in the wrong mode, line noise, a paste from
a GBK terminal) raises ``UnicodeDecodeError`` in its input thread and the
app dies (Textual issue #6456). This driver decodes with ``errors="replace"``
and drops the U+FFFD that a bad byte becomes. Drop this module when
Textual's own decoder is tolerant.
"""

from __future__ import annotations

import codecs
import os
import selectors
from collections.abc import Callable

from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

Decode = Callable[..., str]


def tolerant_decoder() -> Decode:
    """An incremental UTF-8 decoder that drops bytes it cannot decode (a
    character split across two reads still decodes whole): line noise never
    reaches a screen, not even as U+FFFD typed into a field."""
    decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode

    def tolerant(data: bytes, final: bool = False) -> str:
        return decode(data, final=final).replace("\ufffd", "")

    return tolerant


class KioskDriver(LinuxDriver):
    """LinuxDriver with a decoder that never raises."""

    def run_input_thread(self) -> None:
        """LinuxDriver.run_input_thread of Textual 8.2.8, with the decoder
        replaced (private API: see the module docstring)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = tolerant_decoder()

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]],
            final: bool = False,
        ) -> None:
            for last, (_selector_key, mask) in loop_last(selector_events):
                if mask & selectors.EVENT_READ:
                    text = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not text:
                        break  # stdin piped and closed
                    for event in parser.feed(text):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(0.1))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
