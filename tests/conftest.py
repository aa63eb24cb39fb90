"""One place that builds the app over a throwaway database, for SQLite and PostgreSQL alike.

The backend is SQLite unless SURVEYAPP_TEST_BACKEND=postgresql (then SURVEYAPP_TEST_POSTGRES_URL
names a server where the tests may create and drop databases). Building a database is done once
per session as a *template* (migrated, Sóc Trăng's admin units loaded); each test gets a copy:
a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL. The demo census (3,209
establishments, seed 1) is built once into its own read-only database for the read-only tests.
"""
from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
import shutil
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from surveyapp import create_app
from surveyapp.accounts.services import create_user
from surveyapp.adminunits.services import load_admin_units
from surveyapp.db import migrate, session_scope
from surveyapp.demo.generator import generate_demo_census

IN_CI = os.environ.get("CI") == "true"
BACKEND = os.environ.get("SURVEYAPP_TEST_BACKEND", "sqlite")
POSTGRES_URL = os.environ.get("SURVEYAPP_TEST_POSTGRES_URL")
SHARED = Path(__file__).resolve().parents[2] / "shared"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
PROVINCE = "94"
DEMO_SIZE = 3209
#: Accounts in every test database: username → role. Passwords are "<username>-password".
ACCOUNTS = {"admin": "admin", "supervisor": "supervisor", "enumerator": "enumerator", "enumerator2": "enumerator",
            "analyst": "analyst"}
SCREENSHOTS = Path(__file__).parent / "screenshots"


def missing(reason: str) -> None:
    """Skip locally; fail under CI=true, where every part must be present."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


def shared_file(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        missing(f"../shared/{relative} is not present")
    return path


class SqliteDatabases:
    def __init__(self, folder: Path):
        self.folder = folder
        self.counter = itertools.count()

    def new_url(self) -> str:
        return f"sqlite:///{self.folder / f'db{next(self.counter)}.sqlite'}"

    def copy(self, template_url: str) -> str:
        url = self.new_url()
        shutil.copyfile(make_url(template_url).database, make_url(url).database)
        return url

    def drop(self, url: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(make_url(url).database + suffix).unlink(missing_ok=True)


class PostgresDatabases:
    def __init__(self, server_url: str):
        self.server = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.server_url = make_url(server_url)
        self.prefix = f"surveyapp_test_{uuid.uuid4().hex[:8]}"
        self.counter = itertools.count()
        self.created: list[str] = []

    def _create(self, template: str | None) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self.created.append(name)
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def new_url(self) -> str:
        return self._create(None)

    def copy(self, template_url: str) -> str:
        return self._create(make_url(template_url).database)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_all(self) -> None:
        for name in self.created:
            with self.server.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.server.dispose()


def build_app(database_url: str, **config):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test",
                       "WTF_CSRF_ENABLED": False, **config})


def dispose(app) -> None:
    app.extensions["surveyapp.engine"].dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    if BACKEND == "postgresql":
        if not POSTGRES_URL:
            pytest.exit("SURVEYAPP_TEST_BACKEND=postgresql needs SURVEYAPP_TEST_POSTGRES_URL", returncode=2)
        factory = PostgresDatabases(POSTGRES_URL)
        yield factory
        factory.drop_all()
    else:
        yield SqliteDatabases(tmp_path_factory.mktemp("databases"))


@pytest.fixture(scope="session")
def template_url(databases):
    """A migrated database with Sóc Trăng's administrative units, copied for every test."""
    url = databases.new_url()
    app = build_app(url)
    with app.app_context():
        migrate()
        with session_scope() as session:
            load_admin_units(session, PROVINCE)
            for username, role in ACCOUNTS.items():
                create_user(session, username, role, f"{username}-password")
    dispose(app)
    return url


@pytest.fixture
def app(databases, template_url):
    """The app over a fresh database of its own: migrated, admin units loaded, no establishments."""
    url = databases.copy(template_url)
    app = build_app(url)
    yield app
    dispose(app)
    databases.drop(url)


def login(client, username: str):
    """Sign a test client in as one of ACCOUNTS (straight into the session; the form is tested apart)."""
    from surveyapp.accounts.queries import user_by_username
    from surveyapp.db import get_session

    with client.application.app_context():
        user = user_by_username(get_session(), username)
    with client.session_transaction() as cookie:
        cookie["_user_id"] = f"{user.id}:{user.session_generation}"  # as Flask-Login writes SignedInUser.get_id()
        cookie["_fresh"] = True
    return client


@pytest.fixture
def client(app):
    """Signed in as the administrator, who may open everything."""
    return login(app.test_client(), "admin")


@pytest.fixture
def anon_client(app):
    return app.test_client()


@pytest.fixture
def client_as(app):
    """Factory: a new client signed in as `username` (one of ACCOUNTS)."""
    return lambda username: login(app.test_client(), username)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A session on the test's database, for arranging data and checking results.

    No app context stays pushed: requests made meanwhile must get their own (and their own `g`)."""
    with session_scope(app) as db_session:
        yield db_session


@pytest.fixture(scope="session")
def demo_app(databases, template_url):
    """The synthetic census of Sóc Trăng (3,209 establishments, seed 1). Read-only: do not write."""
    url = databases.copy(template_url)
    app = build_app(url)
    with app.app_context(), session_scope(app) as db_session:
        generate_demo_census(db_session, PROVINCE, DEMO_SIZE, seed=1)
    yield app
    dispose(app)


@pytest.fixture
def demo_client(demo_app):
    return login(demo_app.test_client(), "admin")


@pytest.fixture
def demo_session(demo_app):
    with session_scope(demo_app) as db_session:
        yield db_session
        db_session.rollback()


@contextmanager
def serving(app):
    """The app served over HTTP on 127.0.0.1 in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def live_server(demo_app):
    """The demo app served for the browser (read-only tests)."""
    with serving(demo_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server for tests that need one whatever the backend of this run."""
    if not POSTGRES_URL:
        missing("no PostgreSQL server: set SURVEYAPP_TEST_POSTGRES_URL (.ci/run starts one)")
    return POSTGRES_URL


@pytest.fixture
def add_establishment(session):
    """Factory: register an establishment with sensible defaults, overridable by keyword."""
    from surveyapp.establishments.services import register_establishment

    def add(**values):
        defaults = {"name": "Cơ sở Thử nghiệm", "commune_code": "31498", "vsic_code": "1071",
                    "legal_form": "household_business"}
        establishment = register_establishment(session, **{**defaults, **values})
        session.commit()
        return establishment

    return add


@pytest.fixture
def live_app(app):
    """This test's own app (fresh database) served for browser tests that write."""
    with serving(app) as url:
        yield url


@pytest.fixture
def phone(browser):
    """A 390×844 phone-sized page in Vietnamese, allowed to read a GPS position near Sóc Trăng city."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                  is_mobile=True, has_touch=True, permissions=["geolocation"],
                                  geolocation={"latitude": 9.6031, "longitude": 105.9745, "accuracy": 12})
    page = context.new_page()
    yield page
    context.close()


def page_errors(page) -> list[str]:
    """The script errors the page will raise from now on (a test asserts the list stays empty)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def sign_in(page, base_url: str, username: str) -> None:
    """Sign a browser page in through the real form."""
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", f"{username}-password")
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {username} failed"


@pytest.fixture
def round_2019(session):
    """The open 2019 supplement (questionnaire cnnt-2019); enumerator and supervisor assigned to Phường 5
    (31498), enumerator2 to Phường 7 (31501)."""
    from surveyapp.accounts.services import assign_communes, user_by_username
    from surveyapp.models import SurveyRound

    survey_round = SurveyRound(code="2019", title="Khảo sát bổ sung 2019", questionnaire_id="cnnt-2019",
                               questionnaire_version="2", is_open=True)
    session.add(survey_round)
    session.flush()
    for username, commune in (("enumerator", "31498"), ("supervisor", "31498"), ("enumerator2", "31501")):
        assign_communes(session, user_by_username(session, username), survey_round, [commune], None)
    session.commit()
    return survey_round
