"""Console pages of partner staff, made for a phone: scan a pass, a large result, today's uses, the statement.

The same services as the API (``backend.partners.redeem``, ``statements``), so the same
rules and scope: a partner's staff act for their partner (or their one venue), and
another partner's venues, offers and statements are not found. A refused pass renders
the result page with a 422 status, so the unit of work rolls back. The scan form
carries a one-time ``form_key`` used as the idempotency key (a double tap validates
once). The camera scan runs in the page (``static/scan.js``: the browser's
``BarcodeDetector``, else the vendored jsQR library); the cashier can also type the
code shown under the QR.

Offline, the same page keeps working (``static/till-offline.js``): at each load it
syncs the pass keys (JWKS), the revocation list and the offers (``/partners/offline/sync``),
verifies scanned passes in the browser, queues the uses with a scan id each and uploads
them when the connection returns (``/partners/offline/upload``, the service behind the
API's ``/v1/partners/redemptions/batch``: deduplicated by scan id, over-limit uses kept
and flagged for finance).
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Response, jsonify, redirect, request, send_from_directory, url_for
from marshmallow import ValidationError

from backend.console.access import bp, console_principal, console_public, language, register_link, render, staff_page
from backend.console.forms import claim_form, new_form_key, parse_amount
from backend.console.labels import label, register_labels
from backend.db import utcnow
from backend.errors import VALIDATION_ERROR, DomainError
from backend.i18n import ROME, Text
from backend.money import Money
from backend.partners import catalog, history, passes, passkeys, redeem, statements
from backend.partners import errors as e
from backend.partners.passes import holder_of
from backend.partners.schemas import MAX_BATCH, RedemptionBatchSchema
from backend.partners.scope import till_scope
from backend.web.database import db
from backend.web.settings import current_settings

STATIC = Path(__file__).resolve().parent / "static"
QR_READER_JS = "jsQR-1.4.0.js"
# Verifies Ed25519 offline where the browser's WebCrypto cannot (an ES module, loaded only then).
ED25519_FALLBACK_JS = "noble-ed25519-3.2.0.js"

register_link("console.partner_scan", Text(it="Convalida pass", en="Validate a pass"), "partner")
register_link("console.partner_today", Text(it="Utilizzi di oggi", en="Today's redemptions"), "partner")
register_link("console.partner_statement", Text(it="Estratto conto", en="Statement"), "partner")

AGE_BANDS = {
    "under_14": Text(it="meno di 14 anni", en="under 14"),
    "14_17": Text(it="14–17 anni", en="14–17"),
    "18_25": Text(it="18–25 anni", en="18–25"),
    "26_64": Text(it="26–64 anni", en="26–64"),
    "65_plus": Text(it="65 anni e oltre", en="65 and over"),
    "": Text(it="età non indicata", en="age not given"),
}
register_labels("age_band", AGE_BANDS)
# Why an offline use was kept for finance's review (the redemption's flag_reason).
register_labels(
    "flag_reason",
    {
        e.LIMIT_REACHED.code: Text(it="limite di utilizzi superato", en="use limit exceeded"),
        e.NOT_ELIGIBLE.code: Text(it="titolare senza diritto", en="holder not eligible"),
        e.OUTSIDE_HOURS.code: Text(it="fuori dai giorni o dagli orari", en="outside the days or hours"),
        e.OFFER_NOT_VALID.code: Text(it="convenzione non valida", en="offer not valid"),
        e.PASS_REVOKED.code: Text(it="pass revocato prima della scansione", en="pass revoked before the scan"),
        e.BUDGET_EXHAUSTED.code: Text(it="budget esaurito", en="budget used up"),
    },
)
register_labels(
    "redemption_state",
    {
        "accepted": Text(it="Accettato", en="Accepted"),
        "flagged": Text(it="In verifica", en="Under review"),
        "approved": Text(it="Approvato", en="Approved"),
        "rejected": Text(it="Respinto", en="Rejected"),
    },
)
register_labels(
    "benefit_kind",
    {
        "percent_off": Text(it="Sconto percentuale", en="Percent off"),
        "amount_off": Text(it="Sconto in euro", en="Amount off"),
        "fixed_price": Text(it="Prezzo fisso", en="Fixed price"),
        "free_entry": Text(it="Ingresso gratuito", en="Free entry"),
        "two_for_one": Text(it="2 al prezzo di 1", en="2 for 1"),
    },
)

T = {
    "replayed": Text(
        it="Questo modulo era già stato inviato: nulla è stato ripetuto.",
        en="This form was already sent: nothing was done twice.",
    ),
    "not_partner": Text(it="Il tuo utente non è collegato a un partner.", en="Your user is not linked to a partner."),
}

# What the till page says when it works on its own (static/till-offline.js reads them as JSON).
OFFLINE_T = {
    "accepted": Text(it="ACCETTATO", en="ACCEPTED"),
    "refused": Text(it="RIFIUTATO", en="REFUSED"),
    "ask": Text(it="Chiedi", en="Ask"),
    "offline_note": Text(
        it="Verificato su questo telefono, senza connessione: sarà inviato al ritorno della rete.",
        en="Checked on this phone, offline: it will be sent when the connection returns.",
    ),
    "ready": Text(it="Pronto anche senza connessione.", en="Ready to work offline too."),
    "offline": Text(
        it="Senza connessione: i pass sono verificati su questo telefono.",
        en="Offline: passes are checked on this phone.",
    ),
    "queued": Text(it="Utilizzi da inviare: {count}.", en="Uses waiting to be sent: {count}."),
    "not_synced": Text(
        it="Questo telefono non ha i dati per lavorare senza connessione: collegalo e ricarica la pagina.",
        en="This phone has not got what it needs to work offline: connect it and reload the page.",
    ),
    "no_offer": Text(
        it="Questa convenzione non era tra quelle scaricate: collegati per usarla.",
        en="This offer was not among those downloaded: connect to use it.",
    ),
    "bad_price": Text(it="Prezzo non valido.", en="Invalid price."),
    "uploaded": Text(it="Utilizzi registrati senza connessione, inviati:", en="Uses recorded offline, now sent:"),
    "upload_failed": Text(
        it="Invio non riuscito: gli utilizzi restano su questo telefono e saranno inviati più tardi.",
        en="Sending failed: the uses stay on this phone and will be sent later.",
    ),
    "outcome_accepted": Text(it="accettato", en="accepted"),
    "outcome_already_recorded": Text(it="già registrato (invio ripetuto)", en="already recorded (sent again)"),
    "outcome_flagged": Text(it="in verifica", en="under review"),
    "outcome_refused": Text(it="rifiutato", en="refused"),
    "next": Text(it="Prossimo pass", en="Next pass"),
    "revoked": Text(it="revocata", en="revoked"),
}


def _offline_texts(lang: str) -> dict:
    texts = {key: text.render(lang) for key, text in OFFLINE_T.items() if key != "queued"}
    texts["queued"] = OFFLINE_T["queued"].render(lang, count="{count}")
    refusals = {
        "malformed": e.PASS_INVALID,
        "tampered": e.PASS_INVALID,
        "stale": e.PASS_STALE,
        "expired": e.PASS_EXPIRED,
        "revoked": e.PASS_REVOKED,
        "wrong_venue": e.WRONG_VENUE,
    }
    texts["refusals"] = {reason: error.text.render(lang) for reason, error in refusals.items()}
    texts["refusals"]["quantity"] = e.QUANTITY_INVALID.text.render(lang, max_quantity="{max}")
    texts["refusals"]["offer_revoked"] = e.OFFER_NOT_VALID.text.render(lang, reason=OFFLINE_T["revoked"].render(lang))
    texts["age_bands"] = {band: text.render(lang) for band, text in AGE_BANDS.items()}
    return texts


@bp.route("/partners/static/<path:filename>")
@console_public
def partner_static(filename):
    """The scan page's scripts, served with the console (cached: the file names carry versions)."""
    return send_from_directory(
        STATIC, filename, max_age=86400 if filename in (QR_READER_JS, ED25519_FALLBACK_JS) else 300
    )


@bp.route("/partners/till-sw.js")
@console_public
def partner_till_worker():
    """The till's service worker, served here so that its scope covers the scan page."""
    return send_from_directory(STATIC, "till-sw.js", mimetype="text/javascript", max_age=0)


def _scope():
    return till_scope(db.session, console_principal())


def _money(cents: int) -> str:
    return Money(cents or 0).format(language())


def _scan_page(scope, *, form=None, status=200):
    venues = [scope.venue] if scope.venue is not None else list(scope.partner.venues)
    offers = catalog.till_offers(db.session, scope)
    return render(
        "console/partners/scan.html",
        venues=venues,
        offers=offers,
        form=form or {},
        form_key=new_form_key(),
        qr_reader=QR_READER_JS,
        offline_texts=_offline_texts(language()),
        max_batch=MAX_BATCH,
        ed25519_fallback=ED25519_FALLBACK_JS,
        money=_money,
    ), status


@bp.route("/partners/scan", methods=["GET"])
@staff_page("partner")
def partner_scan():
    try:
        scope = _scope()
    except DomainError:
        return render("console/message.html", message=T["not_partner"]), 404
    return _scan_page(scope, form=request.args)


@bp.route("/partners/scan", methods=["POST"])
@staff_page("partner")
def partner_scan_post():
    form = request.form
    try:
        scope = _scope()
        price = parse_amount(form.get("list_price", ""), param="list_price")
        quantity = int(form.get("quantity", "1")) if form.get("quantity", "1").isdigit() else 0
        if not claim_form():
            return redirect(url_for("console.partner_today", notice="replayed"))
        outcome = redeem.redeem(
            db.session,
            current_settings(),
            scope,
            code=form.get("code", "").strip(),
            venue_id=form.get("venue_id", ""),
            offer_id=form.get("offer_id", ""),
            list_price=price,
            quantity=quantity,
            language=language(),
        )
    except DomainError as refused:
        db.session.rollback()
        message = refused.body(language())["error"]["message"]
        return render(
            "console/partners/result.html", accepted=False, message=message, code=refused.error.code, again=_again(form)
        ), refused.error.status
    return render(
        "console/partners/result.html",
        accepted=True,
        outcome=outcome,
        redemption=outcome.redemption,
        holder=outcome.holder,
        money=_money,
        again=_again(form),
    ), 201


@bp.route("/partners/offline/sync")
@staff_page("partner")
def partner_offline_sync():
    """What the till page keeps for offline use: keys, revocations, today's offers (no patron data)."""
    try:
        scope = _scope()
    except DomainError as refused:
        return jsonify(refused.body(language())), refused.error.status
    revoked = passes.revocation_list(db.session, scope.partner.id)
    return jsonify(
        {
            "synced_at": revoked["generated_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "jwks": passkeys.jwks(current_settings()),
            "revoked": {key: revoked[key] for key in ("passes", "offers", "agreements")},
            "offers": [
                {
                    "id": offer.public_id,
                    "title": offer.title(language()),
                    "benefit_kind": offer.benefit_kind,
                    "benefit_value": offer.benefit_value,
                    "max_quantity": offer.max_quantity,
                    "venues": [venue.public_id for venue in offer.venues],
                }
                for offer in catalog.till_offers(db.session, scope)
            ],
        }
    )


@bp.route("/partners/offline/upload", methods=["POST"])
@staff_page("partner")
def partner_offline_upload():
    """The queued offline uses, as the batch API takes them; each judged alone, a re-upload changes nothing."""
    lang = language()
    try:
        scope = _scope()
        try:
            data = RedemptionBatchSchema().load({"scans": json.loads(request.form.get("scans", ""))})
        except (ValueError, ValidationError):
            raise DomainError(VALIDATION_ERROR, param="scans", field="scans") from None
        results = redeem.redeem_batch(db.session, current_settings(), scope, data["scans"], language=lang)
    except DomainError as refused:
        db.session.rollback()
        return jsonify(refused.body(lang)), refused.error.status
    return jsonify(
        {
            "results": [
                {
                    "scan_id": r.scan_id,
                    "outcome": r.outcome,
                    "message": _batch_message(r, lang),
                }
                for r in results
            ]
        }
    )


def _batch_message(result: redeem.BatchItemResult, lang: str) -> str | None:
    if result.error is not None:
        return result.error.body(lang)["error"]["message"]
    if result.redemption is not None and result.redemption.flag_reason:
        return label("flag_reason", result.redemption.flag_reason).render(lang)
    return None


def _again(form) -> str:
    return url_for(
        "console.partner_scan",
        venue_id=form.get("venue_id", ""),
        offer_id=form.get("offer_id", ""),
        list_price=form.get("list_price", ""),
    )


@bp.route("/partners/today")
@staff_page("partner")
def partner_today():
    try:
        scope = _scope()
    except DomainError:
        return render("console/message.html", message=T["not_partner"]), 404
    page = history.till_redemptions(db.session, scope, catalog.today_in_rome(), limit=200)
    rows = [(r, holder_of(r.patron, r.scanned_at.astimezone(ROME).date())) for r in page.data]
    notice = T["replayed"] if request.args.get("notice") == "replayed" else None
    return render(
        "console/partners/today.html",
        rows=rows,
        money=_money,
        notice=notice,
        total_discount=sum(r.discount for r in page.data),
        total_reimbursement=sum(r.reimbursement for r in page.data if r.state != "flagged"),
    )


def _statement_args():
    now = utcnow().astimezone(ROME)
    try:
        year, month = int(request.args.get("year", now.year)), int(request.args.get("month", now.month))
    except ValueError:
        year, month = 0, 0
    return year, month


@bp.route("/partners/statement")
@staff_page("partner")
def partner_statement():
    try:
        scope = _scope()
        year, month = _statement_args()
        statement = statements.monthly_statement(db.session, scope.partner, year, month, language())
    except DomainError as refused:
        return render("console/message.html", message=Text(it=refused.error.text.it, en=refused.error.text.en)), 404
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    return render("console/partners/statement.html", statement=statement, money=_money, previous=previous)


@bp.route("/partners/statement.<fmt>")
@staff_page("partner")
def partner_statement_file(fmt):
    if fmt not in ("csv", "pdf"):
        return render("console/message.html", message=Text(it="Formato sconosciuto.", en="Unknown format.")), 404
    try:
        scope = _scope()
        year, month = _statement_args()
        statement = statements.monthly_statement(db.session, scope.partner, year, month, language())
    except DomainError as refused:
        return render("console/message.html", message=Text(it=refused.error.text.it, en=refused.error.text.en)), 404
    name = f"estratto-{year}-{month:02d}.{fmt}"
    if fmt == "csv":
        return Response(
            statements.render_csv(statement, language()),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Response(
        statements.render_pdf(statement, language()),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
