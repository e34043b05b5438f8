"""Serve a receipt as HTML or PDF (the views of desk and top-ups share this)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response

from backend.i18n import normalize_language
from backend.receipts.render import render_html, render_pdf
from backend.web.language import negotiate_language


class ReceiptFormatArgs(ma.Schema):
    format = ma.fields.String(
        load_default="html",
        validate=ma.validate.OneOf(("html", "pdf")),
        metadata={"description": "`html` (printable page) or `pdf`"},
    )
    lang = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(("it", "en")),
        metadata={"description": "Language; default from Accept-Language"},
    )


def receipt_response(receipt, args: dict, *, html=render_html, pdf=render_pdf) -> Response:
    """``receipt`` as HTML or PDF; ``html``/``pdf`` render another kind of receipt (donations)."""
    language = normalize_language(args.get("lang") or negotiate_language())
    if args["format"] == "pdf":
        response = Response(pdf(receipt, language), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="{receipt.number}.pdf"'
    else:
        response = Response(html(receipt, language), mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-store"
    return response


RECEIPT_RESPONSES = {
    200: {
        "description": "The receipt",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    },
}
