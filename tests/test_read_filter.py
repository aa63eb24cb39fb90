"""One call reads a filter: `read_filter` parses the arguments and checks the codes, for every edge."""
from __future__ import annotations

from pathlib import Path

from surveyapp.establishments.filters import EstablishmentFilter, read_filter

PACKAGE = Path(__file__).parents[1] / "surveyapp"


def test_read_filter_returns_the_filter_and_every_error(app, session, round_2019):
    with app.test_request_context("/"):
        parsed = read_filter(session, {"district": "941", "round": "2019", "sector": "c10", "page": "3"}, "94")
        assert (parsed.filter, parsed.page, parsed.errors) == (
            EstablishmentFilter(district="941", round="2019", sector="C10"), 3, {})
        bad = read_filter(session, {"district": "999", "round": "1999", "status": "x", "page": "0"}, "94")
        assert set(bad.errors) == {"district", "round", "status", "page"}
        assert bad.filter == EstablishmentFilter() and bad.page == 1
        unpaged = read_filter(session, {"round": "2019", "page": "zero"}, "94", paged=False)
        assert (unpaged.filter, unpaged.page, unpaged.errors) == (EstablishmentFilter(round="2019"), 1, {})


def test_no_edge_parses_and_checks_a_filter_by_itself():
    for path in PACKAGE.rglob("*.py"):
        if path.name != "filters.py":
            source = path.read_text(encoding="utf-8")
            assert "parse_establishment_filter(" not in source and "validate_filter_codes(" not in source, \
                f"{path.relative_to(PACKAGE)}: read the filter with read_filter"
