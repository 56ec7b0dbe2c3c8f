"""HTTP GET with a timeout, bounded retries and backoff, and one-line failure messages."""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping

from gaemi.errors import GaemiInputError

USER_AGENT = "gaemi (https://example.invalid/gaemi)"
#: Longest wait honoured from a Retry-After header, seconds.
MAX_RETRY_AFTER = 30.0


class LiveSourceError(GaemiInputError):
    """A live source could not be used (offline, rate-limited, bad answer); one line."""


def get(
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """GET ``url`` and return the body.

    Retries (at most ``retries`` more times, waiting ``backoff * 2**k`` seconds, or the
    server's Retry-After up to :data:`MAX_RETRY_AFTER`) on timeouts, connection errors,
    HTTP 429 and 5xx. Other HTTP errors fail at once.

    Raises
    ------
    LiveSourceError
        One line: ``offline: cannot reach HOST (…)``, ``rate-limited by HOST …``,
        ``HOST answered HTTP 404 …`` or ``timed out …``.
    """
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
    host = urllib.parse.urlsplit(url).netloc or url
    last = ""
    for attempt in range(retries + 1):
        wait = backoff * 2**attempt
        try:
            req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body: bytes = resp.read()
                return body
        except urllib.error.HTTPError as exc:
            code = exc.code
            exc.close()
            if code == 429:
                last = f"rate-limited by {host} (HTTP 429) after {attempt + 1} tries; try later"
                ra = exc.headers.get("Retry-After") if exc.headers else None
                if ra:
                    with contextlib.suppress(ValueError):
                        wait = min(MAX_RETRY_AFTER, max(wait, float(ra)))
            elif code >= 500:
                last = f"{host} answered HTTP {code} after {attempt + 1} tries"
            else:
                raise LiveSourceError(f"{host} answered HTTP {code} for {url}") from None
        except TimeoutError:
            last = f"timed out after {timeout:g} s waiting for {host} ({attempt + 1} tries)"
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                last = f"timed out after {timeout:g} s waiting for {host} ({attempt + 1} tries)"
            else:
                last = f"offline: cannot reach {host} ({reason})"
        except OSError as exc:
            last = f"offline: cannot reach {host} ({exc})"
        if attempt < retries:
            sleep(wait)
    raise LiveSourceError(last)
