"""The staff terminal's command palette, built from the bindings.

``BINDINGS`` is the one source: every binding active on the screen the
palette was opened on, with its description (and its tooltip as help),
becomes a command; what ``check_action`` refuses there is left out, so the
palette, like the footer, offers only what will work.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from screens.staff.app import StaffApp

Command = Callable[[], Coroutine[Any, Any, None]]

# Bindings the palette leaves out: moving about the palette itself.
LEFT_OUT = frozenset({"command_palette", "quit", "help_quit"})


class StaffCommands(Provider):
    """Lists the enabled bindings of the screen the palette was opened on."""

    def _commands(self) -> list[tuple[str, str, Command]]:
        if cast("StaffApp", self.app).locked:
            return []
        commands: list[tuple[str, str, Command]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or not binding.description:
                continue
            if binding.action in LEFT_OUT or binding.action in seen:
                continue
            seen.add(binding.action)

            async def run(
                node: Any = active.node, action: str = binding.action
            ) -> None:
                await self.app.run_action(action, node)

            commands.append((binding.description, binding.tooltip, run))
        return commands

    async def discover(self) -> Hits:
        for title, help_text, run in self._commands():
            yield DiscoveryHit(title, run, help=help_text or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._commands():
            score = matcher.match(f"{title} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text or None)
