"""What every browser test needs: the server's address, a headless
Chromium (Debian's, driven by Debian's chromedriver), and small helpers
that act the way a person does: through the page's forms, found by their
`action` and their inputs' `name`, as the contract names them.

Run by tests/browser.rs, which starts the server and sets STATEFUL_URL.
"""

import http.cookiejar
import itertools
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ.get("STATEFUL_URL", "http://127.0.0.1:8080").rstrip("/")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = os.environ.get("STATEFUL_SCREENSHOTS", "target/browser-screenshots")
PASSWORD = "correct horse battery"

_names = itertools.count(1)


def unique(prefix):
    """A username no other test uses (the server lives for the whole run)."""
    return f"{prefix}{os.getpid()}_{next(_names)}"


def browser(js=True, width=1280, height=900, dark=False):
    """A fresh headless Chromium with its own profile (so its own cookies)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        "--lang=en-US",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    if not js:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    # The window's outer size includes no chrome in headless mode, but
    # make the viewport exactly what was asked.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    if dark:
        set_dark(driver, True)
    return driver


def set_dark(driver, dark):
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
    )


def set_width(driver, width, height=900):
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
    )


def status(driver):
    """The HTTP status of the document now shown (after redirects)."""
    return driver.execute_script(
        "return performance.getEntriesByType('navigation')[0].responseStatus"
    )


def form(driver, action, extra=None):
    """The form posting to `action` (with a hidden input `extra`=(name, value))."""
    forms = driver.find_elements(By.CSS_SELECTOR, f'form[action="{action}"]')
    for f in forms:
        if extra is None and not f.find_elements(By.CSS_SELECTOR, 'input[name="all"]'):
            return f
        if extra is not None and f.find_elements(
            By.CSS_SELECTOR, f'input[name="{extra[0]}"][value="{extra[1]}"]'
        ):
            return f
    raise AssertionError(f"no form with action {action} {extra or ''} on {driver.current_url}")


def fill(f, **fields):
    for name, value in fields.items():
        box = f.find_element(By.NAME, name)
        box.clear()
        box.send_keys(value)


def submit(driver, f):
    """Submits `f` with its button and waits for the next page to load."""
    old = driver.find_element(By.TAG_NAME, "html")
    f.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: _stale(old))
    wait_loaded(driver)


def after_navigation(driver, act):
    """Does `act` (which leaves the page) and waits for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    act()
    WebDriverWait(driver, 10).until(lambda d: _stale(old))
    wait_loaded(driver)


def _stale(element):
    try:
        element.tag_name
        return False
    except Exception:
        return True


def wait_loaded(driver):
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def open_board(driver, path="/"):
    driver.get(BASE + path)
    wait_loaded(driver)


def sign_up(driver, username, password=PASSWORD):
    open_board(driver)
    f = form(driver, "/signup")
    fill(f, username=username, password=password)
    submit(driver, f)


def log_in(driver, username, password=PASSWORD):
    f = form(driver, "/login")
    fill(f, username=username, password=password)
    submit(driver, f)


def signed_up_and_in(driver, prefix="user"):
    name = unique(prefix)
    sign_up(driver, name)
    log_in(driver, name)
    return name


def text(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def comment_texts(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#comments .comment .text")]


def mark_page(driver):
    """Sets a variable that a reload would wipe (JavaScript on only)."""
    driver.execute_script("window.__noReload = 'still here'")


def page_not_reloaded(driver):
    return driver.execute_script("return window.__noReload") == "still here"


def screenshot(driver, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, name)
    driver.save_screenshot(path)
    return path


def console_errors(driver):
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "favicon" not in e["message"]
    ]


class Client:
    """A script's view of the API (JSON, no browser), with its own cookies."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method, path, fields=None, headers=None):
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def sign_up_and_log_in(self, username, password=PASSWORD):
        s, _, body = self.call("POST", "/signup", {"username": username, "password": password})
        assert s == 201, (s, body)
        s, _, body = self.call("POST", "/login", {"username": username, "password": password})
        assert s == 200, (s, body)

    def post(self, text):
        s, _, body = self.call("POST", "/comments", {"text": text})
        assert s == 201, (s, body)
        return json.loads(body)


def eventually(predicate, timeout=5.0, every=0.1):
    """Polls `predicate` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return True
        except Exception:
            pass  # a page in the middle of loading
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
