"""One ResultsDB v2.0 server over HTTP: single attempts, each failure classified.

Retrying is the caller's job (``checkline.reporting.deliver``), because what to do before the next
attempt depends on the failure: after one that may have landed (the connection dropped
after the request was sent, a timeout, a 5xx) the caller first asks which results the group
already has. A refused connection never landed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from checkline.retry import TransientError
from checkline.secrets import Secret, reveal

__all__ = [
    "BulkUnsupported",
    "PermanentError",
    "ResultsDBClient",
    "ResultsDBError",
    "ResultsDBUnavailable",
    "api_url",
]

API_PATH = "/api/v2.0"


class ResultsDBError(Exception):
    """Base of every ResultsDB failure."""


class ResultsDBUnavailable(ResultsDBError, TransientError):
    """Worth retrying: the server is down, overloaded, or the connection broke.

    ``maybe_landed`` is True when the request may have been processed (its answer was lost).
    """

    def __init__(self, message: str, *, maybe_landed: bool) -> None:
        super().__init__(message)
        self.maybe_landed = maybe_landed


class PermanentError(ResultsDBError):
    """The server refused the request (4xx): sending it again cannot help."""


class BulkUnsupported(ResultsDBError):
    """The server has no ``POST /results/bulk`` (upstream ResultsDB): post one by one."""


def api_url(url: str) -> str:
    """The v2.0 API base of ``url``, given with or without ``/api/v2.0``."""
    url = url.rstrip("/")
    return url if url.endswith(API_PATH) else url + API_PATH


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason
    if isinstance(body, dict):
        if "message" in body:
            return str(body["message"])
        if "validation_error" in body:
            return f"validation error: {body['validation_error']}"
    return str(body)[:300]


class ResultsDBClient:
    """Requests to one server. ``token`` is sent as a bearer token when given."""

    def __init__(
        self,
        url: str,
        *,
        token: Secret | str | None = None,
        timeout: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        self.api = api_url(url)
        self.timeout = timeout
        self.session = session or requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {reveal(token)}"

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except (requests.ConnectTimeout, requests.exceptions.InvalidURL) as err:
            if isinstance(err, requests.exceptions.InvalidURL):
                raise PermanentError(f"{method} {url}: {err}") from err
            raise ResultsDBUnavailable(f"{method} {url}: {err}", maybe_landed=False) from err
        except requests.ConnectionError as err:
            # A refused or unresolvable connection sent nothing; any other broken connection
            # (reset, closed before the answer) may have been after the server committed.
            sent = "NewConnectionError" not in repr(err) and "NameResolution" not in repr(err)
            raise ResultsDBUnavailable(f"{method} {url}: {err}", maybe_landed=sent) from err
        except requests.Timeout as err:
            raise ResultsDBUnavailable(f"{method} {url}: {err}", maybe_landed=True) from err
        except requests.RequestException as err:
            raise ResultsDBUnavailable(f"{method} {url}: {err}", maybe_landed=True) from err
        status = response.status_code
        if status >= 500 or status == 429:
            raise ResultsDBUnavailable(
                f"{method} {url}: HTTP {status}: {_message(response)}", maybe_landed=status != 429
            )
        return response

    def _json(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError as err:
            raise ResultsDBUnavailable(
                f"{what}: the answer is not JSON", maybe_landed=True
            ) from err

    def _refused(self, response: requests.Response, what: str) -> PermanentError:
        hint = " (is the write token right? --token / CHECKLINE_RESULTSDB_TOKEN)"
        extra = hint if response.status_code in (401, 403) else ""
        return PermanentError(f"{what}: HTTP {response.status_code}: {_message(response)}{extra}")

    def accepted_outcomes(self) -> tuple[str, ...]:
        """The outcomes the server accepts, from its API landing page."""
        response = self._request("GET", self.api)
        # Upstream answers the landing page with 300 (Multiple Choices), ours too.
        if response.status_code not in (200, 300):
            raise self._refused(response, f"GET {self.api}")
        body = self._json(response, f"GET {self.api}")
        outcomes = body.get("outcomes") if isinstance(body, dict) else None
        if not isinstance(outcomes, list):
            raise PermanentError(f"GET {self.api}: no 'outcomes' list; is this a ResultsDB?")
        return tuple(str(o) for o in outcomes)

    def post_bulk(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store ``bodies`` in one transaction (all or none); Checkline's ResultsDB only."""
        url = f"{self.api}/results/bulk"
        response = self._request("POST", url, json={"results": bodies})
        if response.status_code in (404, 405):
            raise BulkUnsupported(url)
        if response.status_code != 201:
            raise self._refused(response, f"POST {url}")
        data = self._json(response, f"POST {url}").get("data")
        return list(data or [])

    def post_result(self, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.api}/results"
        response = self._request("POST", url, json=body)
        if response.status_code != 201:
            raise self._refused(response, f"POST {url}")
        return dict(self._json(response, f"POST {url}"))

    def group_results(self, group_uuid: str, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every result of a group, following the pagination links."""
        url: str | None = f"{self.api}/groups/{group_uuid}/results"
        params: dict[str, Any] | None = {"limit": page_size}
        while url:
            response = self._request("GET", url, params=params)
            if response.status_code == 404:
                return
            if response.status_code != 200:
                raise self._refused(response, f"GET {url}")
            page = self._json(response, f"GET {url}")
            yield from page.get("data") or []
            url, params = page.get("next"), None

    def reported_keys(self, group_uuid: str, key: str) -> set[str]:
        """The values of data ``key`` over the group's results."""
        found: set[str] = set()
        for result in self.group_results(group_uuid):
            found.update((result.get("data") or {}).get(key) or ())
        return found
