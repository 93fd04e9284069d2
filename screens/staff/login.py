"""The login screen, also the lock screen: name and PIN."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from kiosk.accounts import StaffSession, login
from screens.staff.messages import LoggedIn, LoginRefused
from screens.workers import database_worker

if TYPE_CHECKING:
    from screens.staff.app import StaffApp


class LoginScreen(Screen[StaffSession]):
    """Name and PIN; dismissed with the session once the PIN is right."""

    BINDINGS = [
        Binding("ctrl+q", "app.quit", "退出", id="quit"),
    ]
    AUTO_FOCUS = "#login-name"

    def __init__(self, *, name: str = "", notice: str = "") -> None:
        super().__init__()
        self.preset_name = name
        self.notice = notice
        self.busy = False

    @property
    def staff_app(self) -> StaffApp:
        return cast("StaffApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Static(Content("前台工作台 登录"), id="login-title")
            yield Static(
                Content(self.staff_app.settings.station.name), id="login-station"
            )
            yield Static(Content(self.notice), id="login-notice")
            yield Input(
                value=self.preset_name,
                placeholder="用户名",
                id="login-name",
                max_length=32,
            )
            yield Input(
                placeholder="PIN（6 位以上数字）",
                password=True,
                id="login-pin",
                max_length=12,
                restrict=r"\d*",
            )
            yield Static(id="login-error")
        yield Footer()

    @on(Input.Submitted, "#login-name")
    def name_entered(self) -> None:
        self.query_one("#login-pin", Input).focus()

    @on(Input.Submitted, "#login-pin")
    def pin_entered(self) -> None:
        name = self.query_one("#login-name", Input).value.strip()
        pin_input = self.query_one("#login-pin", Input)
        pin = pin_input.value
        pin_input.value = ""
        if not name:
            self.show_error("请输入用户名")
            self.query_one("#login-name", Input).focus()
            return
        if self.busy:
            return
        self.busy = True
        self.show_error("正在核对…")
        self.check(name, pin)

    @database_worker(
        group="login",
        description="check a PIN",
        failed=LoginRefused,
        language="zh-CN",
    )
    def check(self, name: str, pin: str) -> None:
        app = self.staff_app
        self.post_message(LoggedIn(login(app.settings, name, pin, now=app.now())))

    @on(LoginRefused)
    def refused(self, message: LoginRefused) -> None:
        self.busy = False
        self.show_error(message.reason)
        self.query_one("#login-pin", Input).focus()

    @on(LoggedIn)
    def logged_in(self, message: LoggedIn) -> None:
        self.busy = False
        self.dismiss(message.session)

    def show_error(self, text: str) -> None:
        self.query_one("#login-error", Static).update(Content(text))


class UnlockScreen(LoginScreen):
    """The lock screen: the name is filled in, the PIN field has the focus."""

    AUTO_FOCUS = "#login-pin"
