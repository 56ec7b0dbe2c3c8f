"""Optional live adapters (Yahoo chart API, FRED, Upbit, Bank of Korea ECOS, the
issuers' daily-NAV files).

They use only the standard library's HTTP client, with timeouts, bounded retries with
exponential backoff, and one-line messages when offline or rate-limited. Every value
they fetch goes through the same validation and transactional merge as a file import,
with ``source`` naming the adapter and ``retrieved_at`` the fetch time; a series that
could not be refreshed is reported with the age of what the store holds. Base URLs can
be pointed elsewhere (``GAEMI_YAHOO_URL``, ``GAEMI_FRED_URL``, ``GAEMI_UPBIT_URL``,
``GAEMI_ECOS_URL``, ``GAEMI_PROSHARES_URL``) — the tests serve recorded-format responses
on 127.0.0.1.
"""
