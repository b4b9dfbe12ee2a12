"""The HTML pages (``resultsdb/web.py``) on a real server, on SQLite and on PostgreSQL.

Plain HTTP for content, filters, pagination, statuses and escaping; then a few tests in
headless Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright, see
``scripts/ensure-chromium.sh``): filter with the form, follow links, outcome colours, and
stored markup that renders as text and never runs.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import requests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCRIPT = "<script>window.pwned=1</script>"
IMG = "<img src=x onerror=window.pwned=1>"
JS_URL = "javascript:alert(1)"
GROUP = "3f2a0e9c-5b1d-4c47-9d2e-0a1b2c3d4e5f"
RE_RESULT_LINK = re.compile(r'<a class="result" href="/results/(\d+)">')


# ----------------------------------------------------------------------------- helpers


def at(minute: int) -> str:
    return f"2024-05-31T12:{minute:02d}:00.000000"


def make_result(**overrides: Any) -> dict[str, Any]:
    """A POST /results body: PASSED dist.rpmlint on a koji_build, with ``overrides``."""
    body: dict[str, Any] = {
        "outcome": "PASSED",
        "testcase": "dist.rpmlint",
        "data": {"item": "xchat-0.5-1.fc20", "type": "koji_build", "arch": "x86_64"},
    }
    body.update(overrides)
    return body


def post_result(rdb: Any, **overrides: Any) -> dict[str, Any]:
    resp = rdb.post("/results", json=make_result(**overrides))
    assert resp.status_code == 201, resp.text
    return resp.json()


def item_data(item: str, item_type: str = "koji_build", arch: str = "x86_64") -> dict[str, Any]:
    return {"item": item, "type": item_type, "arch": arch}


def page(rdb: Any, path: str, params: Any = None, status: int = 200) -> str:
    """GET a page (``path`` under the server's root); assert its status; return its HTML."""
    resp = requests.get(f"{rdb.root}{path}", params=params, timeout=30)
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("text/html")
    return resp.text


def result_ids(body: str) -> list[int]:
    """The ids of the results table's rows, in order."""
    return [int(found) for found in RE_RESULT_LINK.findall(body)]


def hrefs(body: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]*)"', body)]


@pytest.fixture
def five(rdb: Any) -> Any:
    """Results 1..5, a minute apart (newest is 5), on two koji builds and a Bodhi update."""
    post_result(rdb, submit_time=at(0), data=item_data("a-1.fc40"))
    post_result(rdb, submit_time=at(1), outcome="FAILED", data=item_data("a-1.fc40", arch="i686"))
    post_result(
        rdb,
        submit_time=at(2),
        outcome="NEEDS_INSPECTION",
        testcase="dist.abicheck",
        data=item_data("b-1.fc40"),
    )
    post_result(
        rdb,
        submit_time=at(3),
        outcome="INFO",
        testcase="fedora.lint",
        data=item_data("FEDORA-2024-1", "bodhi_update", "noarch"),
    )
    post_result(rdb, submit_time=at(4), outcome="CRASHED", data=item_data("b-1.fc40"))
    return rdb


# ----------------------------------------------------------------------------- over HTTP


class TestResultsList:
    def test_lists_results_newest_first_with_their_links(self, five: Any) -> None:
        """Assert / and /results list every result, newest first, linking each page."""
        for path in ("/", "/results"):
            body = page(five, path)
            assert result_ids(body) == [5, 4, 3, 2, 1]
        links = hrefs(body)
        assert "/results/5" in links
        assert "/testcases/dist.rpmlint" in links
        assert "/items/a-1.fc40?type=koji_build" in links
        assert "/items/FEDORA-2024-1?type=bodhi_update" in links
        assert '<span class="outcome outcome-failed">FAILED</span>' in body
        assert '<span class="outcome outcome-other">CRASHED</span>' in body

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, [5, 4, 3, 2, 1]),
            # What the form sends when nothing is filled in.
            (
                dict.fromkeys(("item", "type", "testcase", "prefix", "outcome", "arch")),
                [5, 4, 3, 2, 1],
            ),
            ({"item": "a-1.fc40"}, [2, 1]),
            ({"item": "a-1.fc40, b-1.fc40"}, [5, 3, 2, 1]),
            ({"type": "bodhi_update"}, [4]),
            ({"testcase": "dist.rpmlint"}, [5, 2, 1]),
            ({"prefix": "dist."}, [5, 3, 2, 1]),
            ({"testcase": "dist.rpmlint", "prefix": "dist.a"}, []),
            ({"testcase": "dist.rpmlint,dist.abicheck", "prefix": "dist.a"}, [3]),
            ({"outcome": "failed"}, [2]),
            ({"outcome": "PASSED,FAILED"}, [2, 1]),
            ({"arch": "x86_64"}, [5, 3, 1]),
            ({"since": at(2)}, [5, 4, 3]),
            ({"since": "2024-05-31T12:01,2024-05-31T12:03"}, [4, 3, 2]),
            ({"since": "2024-06-01"}, []),
            ({"item": "b-1.fc40", "outcome": "CRASHED", "arch": "x86_64"}, [5]),
        ],
    )
    def test_filters(self, five: Any, params: dict[str, Any], expected: list[int]) -> None:
        """Assert each filter, alone or with others, narrows the list."""
        params = {key: "" if value is None else value for key, value in params.items()}
        body = page(five, "/results", params)
        assert result_ids(body) == expected
        if not expected:
            assert "No results." in body

    def test_the_form_shows_the_filters_in_use(self, five: Any) -> None:
        body = page(five, "/results", {"item": "a-1.fc40", "outcome": "FAILED"})
        assert '<input name="item" value="a-1.fc40"' in body
        assert '<option value="FAILED" selected>' in body
        # Several outcomes (typed in the URL) stay selected, so the form keeps them.
        body = page(five, "/results", {"outcome": "failed,passed"})
        assert '<option value="failed,passed" selected>' in body

    def test_pages(self, five: Any) -> None:
        """Assert page/limit split the list and the prev/next links keep the filters."""
        body = page(five, "/results", {"limit": 2, "prefix": "", "item": "a-1.fc40,b-1.fc40"})
        assert result_ids(body) == [5, 3]
        assert 'rel="prev"' not in body
        following = html.unescape(re.findall(r'rel="next" href="([^"]*)"', body)[0])
        assert following == "/results?item=a-1.fc40,b-1.fc40&limit=2&page=1"
        body = page(five, following)
        assert result_ids(body) == [2, 1]
        assert 'rel="prev"' in body
        assert 'rel="next"' not in body
        assert result_ids(page(five, "/results", {"limit": 2, "page": 2})) == [1]
        assert result_ids(page(five, "/results", {"limit": 2, "page": 9})) == []

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"outcome": "bogus"}, "unknown outcome &#39;BOGUS&#39;; known: PASSED, INFO,"),
            ({"since": "yesterday"}, "since must be a time in ISO 8601"),
            ({"limit": "0"}, "limit must be between 1 and 10000, got 0"),
            ({"limit": "10001"}, "limit must be between 1 and 10000, got 10001"),
            ({"page": "two"}, "page must be an integer, got &#39;two&#39;"),
        ],
    )
    def test_bad_filters_are_a_400_naming_them(
        self, five: Any, params: dict[str, str], message: str
    ) -> None:
        body = page(five, "/results", params, status=400)
        assert f'<p class="error">{message}' in body
        assert result_ids(body) == []

    @pytest.mark.parametrize(
        ("path", "params", "message"),
        [
            ("/items/a-1.fc40", {"limit": "0"}, "limit must be between 1 and 10000, got 0"),
            (f"/groups/{GROUP}", {"page": "two"}, "page must be an integer, got &#39;two&#39;"),
            ("/testcases/dist.abicheck", {"limit": "x"}, "limit must be an integer"),
        ],
    )
    def test_a_bad_page_query_is_a_400_naming_it(
        self, five: Any, path: str, params: dict[str, str], message: str
    ) -> None:
        """Assert the item, group and testcase pages answer a bad limit or page with 400 and
        the error page saying what was wrong (the blueprint's handler of BadInput)."""
        body = page(five, path, params, status=400)
        assert "<h1>Bad request</h1>" in body
        assert f'<p class="error">{message}' in body


class TestNotFound:
    @pytest.mark.parametrize(
        ("path", "message"),
        [
            (f"/groups/{GROUP}", f"Group &#39;{GROUP}&#39; not found"),
            ("/results/6", "Result &#39;6&#39; not found"),
            ("/results/abc", "Result &#39;abc&#39; not found"),
            ("/results/99999999999999999999", "not found"),
            ("/results/%C2%B2", "Result &#39;²&#39; not found"),
            ("/testcases/dist.nope", "Testcase &#39;dist.nope&#39; not found"),
            ("/items/nope-1.fc40?type=koji_build", "Results of item &#39;nope-1.fc40&#39;"),
        ],
    )
    def test_unknown_things_are_a_404_page(self, five: Any, path: str, message: str) -> None:
        body = page(five, path, status=404)
        assert message in body
        assert "<h1>Not found</h1>" in body


class TestPages:
    def test_item_page_has_the_latest_per_testcase_and_arch_then_the_history(
        self, rdb: Any
    ) -> None:
        old = post_result(rdb, submit_time=at(0), outcome="FAILED")
        new = post_result(rdb, submit_time=at(1))
        other_arch = post_result(
            rdb, submit_time=at(2), data=item_data("xchat-0.5-1.fc20", arch="i686")
        )
        other_test = post_result(rdb, submit_time=at(3), testcase="dist.abicheck", outcome="INFO")
        post_result(rdb, submit_time=at(4), data=item_data("other-1.fc40"))
        body = page(rdb, "/items/xchat-0.5-1.fc20", {"type": "koji_build"})
        latest, history = body.split("<h2>History</h2>")
        # Sorted by testcase, then arch.
        assert result_ids(latest) == [other_test["id"], other_arch["id"], new["id"]]
        assert result_ids(history) == [other_test["id"], other_arch["id"], new["id"], old["id"]]
        paged = page(rdb, "/items/xchat-0.5-1.fc20", {"type": "koji_build", "limit": 3})
        assert result_ids(paged.split("<h2>History</h2>")[1]) == [4, 3, 2]
        assert "/items/xchat-0.5-1.fc20?type=koji_build&limit=3&page=1" in hrefs(paged)
        # Another type of the same name is another item.
        page(rdb, "/items/xchat-0.5-1.fc20", {"type": "bodhi_update"}, status=404)

    def test_group_page_links_the_build_and_the_logs(self, rdb: Any) -> None:
        group = {"uuid": GROUP, "description": "job 42", "ref_url": "https://ci.example/job/42"}
        first = post_result(rdb, groups=[group], ref_url="https://ci.example/job/42/log1")
        second = post_result(rdb, groups=[GROUP], outcome="FAILED", testcase="dist.abicheck")
        post_result(rdb)
        body = page(rdb, f"/groups/{GROUP}")
        assert result_ids(body) == [second["id"], first["id"]]
        assert "job 42" in body
        assert "<dt>Results</dt><dd>2</dd>" in body
        links = hrefs(body)
        assert "https://ci.example/job/42" in links
        assert "https://ci.example/job/42/log1" in links
        assert f"{rdb.api}/groups/{GROUP}" in links

    def test_testcase_page(self, rdb: Any) -> None:
        rdb.post("/testcases", json={"name": "dist.rpmlint", "ref_url": "https://docs/rpmlint"})
        ours = post_result(rdb)
        post_result(rdb, testcase="dist.abicheck")
        body = page(rdb, "/testcases/dist.rpmlint")
        assert "<h1>Testcase dist.rpmlint</h1>" in body
        assert result_ids(body) == [ours["id"]]
        assert "https://docs/rpmlint" in hrefs(body)
        assert "/results?testcase=dist.rpmlint" in hrefs(body)

    def test_result_page_shows_all_its_data(self, rdb: Any) -> None:
        group = {"uuid": GROUP, "description": "job 42", "ref_url": "https://ci.example/job/42"}
        posted = post_result(
            rdb,
            outcome="NEEDS_INSPECTION",
            note="2 warnings\nsee the log",
            ref_url="https://ci.example/job/42/log",
            groups=[group],
            data={**item_data("a-1.fc40"), "scenario": ["one", "two"]},
            submit_time=at(5),
        )
        body = page(rdb, f"/results/{posted['id']}")
        assert '<span class="outcome outcome-needs-inspection">NEEDS_INSPECTION</span>' in body
        assert "2 warnings\nsee the log" in body
        assert "2024-05-31T12:05:00" in body
        for key, value in [("scenario", "one"), ("scenario", "two"), ("item", "a-1.fc40")]:
            assert f'<tr><td>{key}</td><td class="note">{value}</td></tr>' in body
        links = hrefs(body)
        for link in [
            "https://ci.example/job/42/log",
            "https://ci.example/job/42",
            f"/groups/{GROUP}",
            "/testcases/dist.rpmlint",
            "/items/a-1.fc40?type=koji_build",
            f"{rdb.api}/results/{posted['id']}",
        ]:
            assert link in links

    def test_stored_markup_and_urls_are_text(self, rdb: Any) -> None:
        """Assert markup in any stored value is escaped and a non-http URL is no link."""
        posted = post_result(
            rdb,
            note=f"{SCRIPT} {IMG}",
            ref_url=JS_URL,
            testcase={"name": f"dist.{IMG}", "ref_url": " javascript:alert(2)"},
            groups=[{"uuid": GROUP, "description": SCRIPT, "ref_url": "JaVaScRiPt:alert(3)"}],
            data={"item": IMG, "type": "koji_build", "extra": SCRIPT},
        )
        paths = [
            "/results",
            f"/results/{posted['id']}",
            f"/groups/{GROUP}",
            "/items/" + requests.utils.quote(IMG, safe="") + "?type=koji_build",
            "/testcases/" + requests.utils.quote(f"dist.{IMG}", safe=""),
        ]
        for path in paths:
            body = page(rdb, path)
            assert "<script>window" not in body, path
            assert "<img src=x" not in body, path
            assert "&lt;img src=x onerror=window.pwned=1&gt;" in body, path
            assert not [h for h in hrefs(body) if "javascript" in h.lower()], path
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page(
            rdb, f"/results/{posted['id']}"
        )

    def test_pages_forbid_scripts(self, rdb: Any) -> None:
        resp = requests.get(f"{rdb.root}/results", timeout=30)
        assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"

    def test_the_api_is_unchanged(self, rdb: Any) -> None:
        """Assert the pages take nothing from the API: its JSON 404 and landing page stay."""
        assert rdb.get("/results/1").json() == {"message": "Result not found"}
        assert rdb.get("/").status_code == 300


# ----------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Chromium (Debian's), or a loud skip saying the browser tests did not run."""
    if not shutil.which(CHROMIUM):
        pytest.skip(
            f"!!! {CHROMIUM} is missing: the browser tests of the ResultsDB pages DID NOT RUN "
            "(make test installs it with scripts/ensure-chromium.sh) !!!"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "!!! playwright is not installed: the browser tests DID NOT RUN "
            "(pip install -e '.[test]') !!!"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    # bypass_csp: the pages' Content-Security-Policy would stop an injected script anyway;
    # without it these tests show that escaping alone keeps stored markup inert.
    context = chromium.new_context(bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_browse_filter_and_follow_links(five: Any, browser_page: Any) -> None:
    """Assert the form filters the list, outcomes are coloured, and links lead to each page."""
    web = browser_page
    web.goto(five.root)
    assert web.locator("table.results tbody tr").count() == 5
    passed = web.locator(".outcome-passed").first
    assert passed.inner_text() == "PASSED"
    assert passed.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(26, 127, 55)"
    failed = web.locator(".outcome-failed").first
    assert failed.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(207, 34, 46)"

    web.fill("input[name=item]", "a-1.fc40")
    web.select_option("select[name=outcome]", "FAILED")
    web.click("button[type=submit]")
    web.wait_for_url("**/results?*")
    assert "item=a-1.fc40" in web.url and "outcome=FAILED" in web.url
    rows = web.locator("table.results tbody tr")
    assert rows.count() == 1
    assert web.input_value("input[name=item]") == "a-1.fc40"

    rows.first.locator("a.result").click()
    web.wait_for_url("**/results/2")
    assert web.locator("h1").inner_text() == "Result #2 FAILED"
    web.locator("dd a.testcase").click()
    web.wait_for_url("**/testcases/dist.rpmlint")
    assert web.locator("table.results tbody tr").count() == 3

    web.locator("a.item", has_text="b-1.fc40").first.click()
    web.wait_for_url("**/items/b-1.fc40?type=koji_build")
    assert web.locator("table.latest tbody tr").count() == 2
    assert web.locator("table.latest .outcome-other").inner_text() == "CRASHED"


def test_group_page_in_the_browser(rdb: Any, browser_page: Any) -> None:
    group = {"uuid": GROUP, "description": "job 42", "ref_url": "https://ci.example/job/42"}
    post_result(rdb, groups=[group], ref_url="https://ci.example/job/42/log")
    web = browser_page
    web.goto(f"{rdb.root}/results/1")
    web.locator("a.group").click()
    web.wait_for_url(f"**/groups/{GROUP}")
    assert web.locator(".ref-url a").get_attribute("href") == "https://ci.example/job/42"
    assert web.locator("table.results a", has_text="log").get_attribute("href") == (
        "https://ci.example/job/42/log"
    )


def test_stored_markup_never_runs(rdb: Any, browser_page: Any) -> None:
    """Assert script and event-handler markup in a note, in data values and in ref_urls is
    shown literally and never executes, and a javascript: URL is not a link."""
    post_result(
        rdb,
        note=f"{SCRIPT} {IMG}",
        ref_url=JS_URL,
        groups=[{"uuid": GROUP, "description": IMG, "ref_url": JS_URL}],
        data={"item": IMG, "type": "koji_build", "extra": SCRIPT},
    )
    web = browser_page
    web.goto(f"{rdb.root}/results")
    assert web.evaluate("typeof window.pwned") == "undefined"
    assert f"{SCRIPT} {IMG}" in web.locator("table.results td.note").inner_text()
    assert web.locator("table.results img").count() == 0

    web.locator("a.result").click()
    web.wait_for_url("**/results/1")
    assert web.evaluate("typeof window.pwned") == "undefined"
    assert web.locator("dd.note").inner_text() == f"{SCRIPT} {IMG}"
    assert web.locator("table.data td.note", has_text="<script>").inner_text() == SCRIPT
    assert web.locator("dd.ref-url").inner_text() == JS_URL
    assert web.locator("a[href^='javascript' i]").count() == 0
    web.locator("dd.ref-url").click()  # text, not a link: nothing happens
    assert web.url.endswith("/results/1")

    web.locator("dd a.item").click()
    assert web.evaluate("typeof window.pwned") == "undefined"
    assert web.locator("h1").inner_text().startswith(IMG)
    web.goto(f"{rdb.root}/groups/{GROUP}")
    assert web.evaluate("typeof window.pwned") == "undefined"
    assert web.locator("dd.ref-url").inner_text() == JS_URL
    assert web.locator("a[href^='javascript' i]").count() == 0
