"""The staff terminal's command palette: every action of the current screen."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

Command = Callable[[], Coroutine[Any, Any, None]]


class StaffCommands(Provider):
    """Lists the actions of the screen the palette was opened on."""

    def _commands(self) -> list[tuple[str, str, Command]]:
        screen = self.screen
        listing = getattr(screen, "palette_commands", None)
        if listing is None or getattr(self.app, "locked", True):
            return []
        commands: list[tuple[str, str, Command]] = []
        for title, help_text, action in listing():

            async def run(action: str = action) -> None:
                await screen.run_action(action)

            commands.append((title, help_text, run))

        async def lock() -> None:
            await self.app.run_action("lock")

        commands.append(("锁屏", "锁定工作台，换人登录", lock))
        return commands

    async def discover(self) -> Hits:
        for title, help_text, run in self._commands():
            yield DiscoveryHit(title, run, help=help_text or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text or None)
