"""Every GET page a role may open, with real codes: shared by the phone-width and the wording tests."""
from __future__ import annotations

from sqlmodel import select

from surveyapp.demo.generator import generate_demo_census
from surveyapp.demo.promotion import generate_promotion_demo
from surveyapp.models import PromotionProject

from .conftest import PROVINCE, login
from .test_access import build_url, sample_values

#: Synthetic establishments added beside the access tests' world, so tables and maps hold real rows.
DEMO_SIZE = 300


def add_demo_data(session) -> None:
    """The demo census and promotion projects beside the `world` of tests/test_access.py."""
    generate_demo_census(session, PROVINCE, DEMO_SIZE, seed=1, beside_real=True)
    generate_promotion_demo(session, seed=1)
    session.commit()


def html_pages(app, session, world, username: str) -> list[str]:
    """The URLs of every GET route that answers `username` with an HTML page (200, not a download), in url_map order."""
    values = sample_values(session, world)
    project_code = session.exec(select(PromotionProject.code).order_by(PromotionProject.code)).first()
    client = login(app.test_client(), username)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("accounts.switch_language", "accounts.login"):
            continue
        url = build_url(app, rule, {**values, "code": project_code} if rule.endpoint == "promotion.project" else values)
        response = client.get(url, query_string={"round": "2019"})
        if response.status_code == 200 and response.mimetype == "text/html" and "Content-Disposition" not in response.headers:
            urls.append(url + "?round=2019")
    return urls
