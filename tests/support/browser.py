"""Headless Chromium for the browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

No browser is ever downloaded (``playwright install`` needs a network the tests do not
have): Playwright drives the system Chromium, which the project's set-up installs from
Debian's packages (``scripts/ensure-debian-packages.sh``). The flags are the ones a closed
network needs, and each browser gets a fresh profile directory.

Generic helpers: :func:`chromium` (a browser context), :func:`shoot` (a screenshot under
``out/screenshots/``), and for the Airflow 3 UI :class:`AirflowUI` (login through the UI's
own form, navigation by URL, the REST API with the same user's token). Tests of other
screens (the story DAG's approval page, ComfyUI) build on these.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.airflow_deployment import (
    Deployment,
    deployment_env,
    running_deployment,
    wait_for,
)
from tests.support.net import free_port
from tests.support.paths import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
#: Where every browser test leaves its screenshots (``/out/`` is ignored by git).
SCREENSHOTS = REPO_ROOT / "out" / "screenshots"
#: The flags a closed network needs: no sandbox (root in CI), no GPU, no QUIC, and none
#: of Chromium's own background traffic (component updates, sync, first-run pages).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Milliseconds a single UI action or assertion may take (the first page load of a
#: cold api-server compiles nothing, but a busy 2-CPU machine is slow).
UI_TIMEOUT_MS = 30_000


def require_chromium() -> None:
    """Skip, naming the set-up step, when Playwright or Debian's Chromium is missing.

    ``make test`` installs both and sets ``SEEDANCE_REQUIRE_BROWSER=1``: there a missing
    browser is a failure, so CI can never pass with the screens untested.
    """
    required = os.environ.get("SEEDANCE_REQUIRE_BROWSER") == "1"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if required:
            pytest.fail("playwright is not installed (pip install -e '.[dev]')")
        pytest.skip("pip install -e '.[dev]' (playwright)")
    if not CHROMIUM.exists():
        if required:
            pytest.fail("no /usr/bin/chromium although make test installs it")
        pytest.skip("no /usr/bin/chromium: run scripts/ensure-debian-packages.sh (make test does)")


@contextlib.contextmanager
def chromium(viewport: tuple[int, int] = (1400, 900)) -> Iterator[Any]:
    """A headless Chromium browser context with a fresh profile, closed on the way out.

    Returns Playwright's ``BrowserContext`` (``launch_persistent_context``: the profile is
    the temporary ``--user-data-dir``, deleted afterwards).
    """
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                headless=True,
                args=list(CHROMIUM_ARGS),
                viewport={"width": viewport[0], "height": viewport[1]},
                accept_downloads=True,
            )
            context.set_default_timeout(UI_TIMEOUT_MS)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def shoot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of ``page`` as ``out/screenshots/<name>.png`` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


class AirflowUI:
    """The Airflow 3 UI of one api-server, for one user of the simple auth manager.

    ``login`` goes through the UI's own login form (as a person does); ``api`` calls the
    public REST API with a token for the same user, to set up or check what the screens
    show. Navigation is by URL (``goto("/dags/x/runs/y")``), which is stable across
    Airflow 3 releases where menus move.
    """

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self._token: str | None = None

    # -- the REST API, as the same user --
    def token(self) -> str:
        if self._token is None:
            body = {"username": self.username, "password": self.password}
            answer = self._http("POST", "/auth/token", body, auth=False)
            self._token = str(answer["access_token"])
        return self._token

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """``/api/v2`` + ``path`` with the user's token; the JSON answer."""
        return self._http(method, "/api/v2" + path, body)

    def _http(self, method: str, path: str, body: Any, *, auth: bool = True) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token()}")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    # -- the browser --
    def login(self, page: Any) -> None:
        """Sign in through the UI's login form and wait for the home page."""
        # The UI redirects to the login page in the browser; waiting for that navigation
        # can see it aborted by the next one (net::ERR_ABORTED, seen in CI on a cold
        # api-server), so wait for the form itself, reloading once if it never came.
        page.goto(self.base_url + "/", wait_until="commit")
        username = page.get_by_label("Username")
        try:
            username.wait_for()
        except Exception:
            page.goto(self.base_url + "/", wait_until="commit")
            username.wait_for()
        username.fill(self.username)
        page.get_by_label("Password").fill(self.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/auth/login" not in url)

    def goto(self, page: Any, path: str) -> None:
        """Open a UI page by its path (``/connections``, ``/dags/<id>/runs/<run>``...).

        Waits for the document only: the UI polls the API while a page is open, so the
        network is never idle; locators wait for the elements they need.
        """
        page.goto(self.base_url + path, wait_until="domcontentloaded")


def ready(ui: AirflowUI) -> bool:
    """True once the api-server answers a token request (it serves the UI too)."""
    try:
        ui.token()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    return True


@contextlib.contextmanager
def airflow_ui_deployment(
    home: Path,
    dag_files: Sequence[Path],
    extra_env: dict[str, str],
    *,
    username: str = "tester",
    password: str = "tester-password-not-secret",
) -> Iterator[tuple[Deployment, AirflowUI]]:
    """A real Airflow 3 deployment (``tests/support/airflow_deployment.py``) whose UI a
    browser test drives: ``dag_files`` copied into its DAGs folder, a simple-auth-manager
    user to log in as, the connection Test button enabled, this checkout on PYTHONPATH.
    Yields once the api-server answers and every DAG is parsed."""
    dags = home / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    for path in dag_files:
        shutil.copy(path, dags / path.name)
    port = free_port()
    env = deployment_env(
        home,
        port,
        {
            **simple_auth_env(home, username, password),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "PYTHONPATH": str(REPO_ROOT),
            **extra_env,
        },
        jwt_secret="browser-test-jwt-secret-not-for-production",
    )
    with running_deployment(home, env, port) as dep:
        ui = AirflowUI(f"http://127.0.0.1:{port}", username, password)
        wait_for(lambda: ready(ui), 180, "the api-server to answer", dep)

        def parsed() -> bool:
            dag_ids = {d["dag_id"] for d in ui.api("GET", "/dags")["dags"]}
            return len(dag_ids) >= len(dag_files)

        wait_for(parsed, 180, "the dag-processor to parse the DAGs", dep)
        yield dep, ui


def simple_auth_env(home: Path, username: str, password: str) -> dict[str, str]:
    """Settings for a simple-auth-manager user with a known password (an admin).

    The deployment template makes every visitor an admin without logging in; browser
    tests log in as a person does, so this turns that off and writes the password file.
    """
    passwords = home / "simple_auth_passwords.json"
    home.mkdir(parents=True, exist_ok=True)
    passwords.write_text(json.dumps({username: password}))
    return {
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{username}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }
