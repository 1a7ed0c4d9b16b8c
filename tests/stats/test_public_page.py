"""The public statistics page (/thong-ke/): figures, charts with their tables, bad input."""

import datetime as dt
import re

import pytest
from django.core.cache import cache

from stats import aggregates
from tests.stats.test_indicators import data  # noqa: F401 - the hand-made data set

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["dvc_language"] = "en"
    cache.clear()


def test_the_page_shows_the_figures_and_draws_the_charts_beside_their_tables(client, data):  # noqa: F811
    response = client.get("/thong-ke/?period=custom&start=01/03/2026&end=31/03/2026")
    assert response.status_code == 200
    html = response.content.decode()
    # The portal's totals in March: 9 received, 7 resolved.
    assert re.search(r"<dt>Received</dt><dd>9</dd>", html)
    assert re.search(r"<dt>Resolved</dt><dd>7</dd>", html)
    # Two charts, each an image with a title and a description, and a table of the same figures.
    assert html.count('role="img"') == 2
    assert '<title id="monthly-title">' in html and '<desc id="agencies-desc">' in html
    assert "<caption>Dossiers per month</caption>" in html
    assert "<caption>Figures by agency</caption>" in html
    # The monthly table covers the twelve months up to March 2026 and gives March's figures.
    assert re.search(r'<th scope="row">03/2026</th><td>9</td><td>7</td><td>5</td>', html)
    assert '<th scope="row">04/2025</th>' in html
    assert "Not measured:" in html
    assert "<script" not in html.split("</footer>")[0].split("<main")[1]


def test_one_agency_with_its_children(client, data):  # noqa: F811
    response = client.get(
        "/thong-ke/?agency=000.00.01.H99&period=custom&start=01/03/2026&end=31/03/2026"
    )
    html = response.content.decode()
    assert re.search(r"<dt>Received</dt><dd>8</dd>", html)  # A and its child B
    assert "Figures by agency" not in html


def test_an_unknown_agency_is_not_found(client, data):  # noqa: F811
    assert client.get("/thong-ke/?agency=nope").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=31/03/2026&end=01/03/2026", "The period ends before it starts"),
        ("start=31/02/2026&end=01/03/2026", "Enter a date as dd/mm/yyyy"),
        ("start=01/03/2026", "Enter both dates of the period"),
        ("start=01/01/2015&end=01/03/2026", "at most five years"),
    ],
)
def test_a_bad_period_is_explained_in_place(client, query, message):
    response = client.get(f"/thong-ke/?period=custom&{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="field-errors"' in html
    assert "Dossiers per month" in html  # the page still shows this month's figures


def test_anonymous_visitors_get_the_cached_page_until_the_counts_change(client, data):  # noqa: F811
    url = "/thong-ke/?period=custom&start=01/03/2026&end=31/03/2026"
    client.cookies.clear()
    assert client.get(url).headers.get("X-Page-Cache") is None
    assert client.get(url).headers["X-Page-Cache"] == "hit"
    aggregates.rebuild(first=dt.date(2026, 3, 1), last=dt.date(2026, 3, 1))
    assert client.get(url).headers.get("X-Page-Cache") is None
