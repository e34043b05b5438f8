"""Response headers that keep browsers and caches from misusing what we send.

- every response: ``X-Content-Type-Options: nosniff`` (a JSON error is never
  sniffed into HTML) and ``Referrer-Policy: no-referrer`` (public ids in URLs
  stay with us);
- every page (HTML: the staff console, receipts) a ``Content-Security-Policy``
  that loads nothing from elsewhere, runs only its own scripts (never inline), posts forms only to us
  and may not be framed (``frame-ancestors 'none'``, and ``X-Frame-Options:
  DENY`` for older browsers): the console's forms can't be clickjacked. Inline
  styles are allowed (the console has one stylesheet in its base template);
- the API docs (Swagger UI needs its inline script) only may not be framed;
- API answers and console pages carry personal data and tokens: ``Cache-Control:
  no-store`` unless the view chose its own caching.
"""

from __future__ import annotations

from flask import Response, request

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_POLICY = "frame-ancestors 'none'"


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    docs = request.path.startswith("/docs")
    if docs:
        headers.setdefault("Content-Security-Policy", DOCS_POLICY)
    elif response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    if docs or response.mimetype == "text/html":
        headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(("/v1/", "/console")) and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response
