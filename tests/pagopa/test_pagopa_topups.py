"""Top-ups by pagoPA through the HTTP API, GPD intercepted at its HTTP seam."""

from __future__ import annotations

import io
from datetime import timedelta

import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from backend.ledger.models import FundingLot, JournalEntry
from backend.notify.models import Notification
from backend.receipts.models import Receipt
from backend.topups.models import PagopaNotice, ProviderEvent, Topup
from payments.pagopa import is_valid_notice_number
from tests.pagopa.conftest import FISCAL_CODE, IBAN, PAST, count
from tests.support.factories import bearer, make_library, make_network, make_patron

CREATE = r".*/organizations/80012345676/debtpositions"


def _kinds(db):
    db.rollback()
    kinds = db.scalars(select(Notification.kind)).all()
    db.rollback()
    return kinds


def test_our_record_first_then_one_published_position_and_the_answer_has_the_notice(api, patron):
    response = api.start(patron, 2500)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["payment_sheet"] is None
    topup = body["topup"]
    assert (topup["status"], topup["method"], topup["amount"]) == (
        "pending",
        "pagopa",
        {"amount": 2500, "currency": "EUR"},
    )
    notice = topup["pagopa"]
    assert is_valid_notice_number(notice["notice_number"]) and notice["notice_number"] == "3" + notice["iuv"]
    assert notice["iuv"].startswith("01")  # the network's segregation code
    assert notice["creditor_fiscal_code"] == FISCAL_CODE
    assert notice["amount"] == {"amount": 2500, "currency": "EUR"}
    assert notice["due_at"].endswith("Z") and notice["paid_at"] is None and notice["late_receipt"] is False
    assert notice["qr_payload"] == f"PAGOPA|002|{notice['notice_number']}|{FISCAL_CODE}|2500"
    assert notice["notice_pdf_url"] == f"/v1/wallet/topups/{topup['id']}/notice"
    [sent] = api.gpd.calls_to("POST", CREATE)
    assert sent["iupd"] == f"BRS-{topup['id']}"
    [option] = sent["paymentOption"]
    assert option["iuv"] == notice["iuv"] and option["amount"] == 2500
    assert option["transfer"][0]["iban"] == IBAN and option["transfer"][0]["amount"] == 2500
    assert len(api.gpd.calls_to("POST", CREATE + r"/BRS-.*/publish")) == 1
    assert api.gpd.positions[(FISCAL_CODE, sent["iupd"])]["status"] == "VALID"
    assert api.balance(patron) == 0  # only a receipt credits


def test_two_identical_requests_make_one_debt_position(api, patron):
    first, second = api.start(patron, 2000, key="same-key"), api.start(patron, 2000, key="same-key")
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true" and second.json == first.json
    assert len(api.gpd.calls_to("POST", CREATE)) == 1
    assert count(api.db, Topup) == count(api.db, PagopaNotice) == 1


def test_bad_input_and_methods_the_network_does_not_offer_change_nothing(api, db, patron):
    cards_only = make_patron(db, make_network(db, code="CARDS"))
    pagopa_only = make_patron(db, make_network(db, code="ONLYPA"))
    db.commit()
    refused = api.start(cards_only, 2000)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "topup_method_not_offered"
    assert refused.json["error"]["param"] == "method"
    card_refused = api.start(pagopa_only, 2000, method="stripe")
    assert card_refused.status_code == 422 and card_refused.json["error"]["code"] == "topup_method_not_offered"
    unknown = api.start(patron, 2000, method="paypal")
    assert unknown.status_code == 400 and unknown.json["error"]["param"] == "method"
    too_small = api.start(patron, 499)
    assert too_small.status_code == 422 and too_small.json["error"]["code"] == "topup_amount_out_of_range"
    extra = api.start(patron, 2000, iuv="01234567890123456")
    assert extra.status_code == 400
    assert count(db, Topup) == count(db, PagopaNotice) == 0
    assert api.gpd.calls == []


def test_pagopa_unavailable_is_503_and_leaves_no_top_up(api, patron):
    api.gpd.fail_next = 503
    response = api.start(patron, 2000)
    assert response.status_code == 503 and response.json["error"]["code"] == "payment_provider_unavailable"
    assert count(api.db, Topup) == 0


def test_the_methods_of_my_network(api, db, patron):
    assert api.client.get("/v1/wallet/topup-methods", headers=bearer(patron)).json == {"methods": ["stripe", "pagopa"]}
    other = make_patron(db, make_network(db, code="CARDS"))
    db.commit()
    assert api.client.get("/v1/wallet/topup-methods", headers=bearer(other)).json == {"methods": ["stripe"]}


def test_a_verified_receipt_credits_once_with_funding_pagopa(api, patron):
    topup = api.started(patron, 2000)
    iuv = topup["pagopa"]["iuv"]
    api.gpd.pay(FISCAL_CODE, iuv)
    first = api.notify(iuv)
    assert first.status_code == 200 and first.json == {"received": True, "outcome": "credited"}
    again = api.notify(iuv)
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    assert api.balance(patron) == 2000
    status = api.status(patron, topup["id"])
    assert status["status"] == "succeeded" and status["receipt_id"] and status["pagopa"]["paid_at"]
    [lot] = api.db.scalars(select(FundingLot)).all()
    assert (lot.source, lot.amount, lot.provider_ref) == ("pagopa", 2000, iuv)
    assert count(api.db, JournalEntry, JournalEntry.kind == "topup_pagopa") == 1
    assert count(api.db, Receipt, Receipt.method == "pagopa") == 1
    assert _kinds(api.db).count("topup_succeeded") == 1
    # Not refundable to a card: it goes back by bank transfer.
    refundable = api.client.get("/v1/wallet/refunds/refundable", headers=bearer(patron)).json
    assert refundable["refundable_to_card"]["amount"] == 0
    api.audit_clean()


def test_notifications_out_of_order_wrong_key_or_not_yet_confirmed_change_nothing(api, patron):
    topup = api.started(patron, 2000)
    iuv = topup["pagopa"]["iuv"]
    wrong_key = api.notify(iuv, key="guess")
    assert wrong_key.status_code == 401 and wrong_key.json["error"]["code"] == "pagopa_notification_refused"
    assert api.notify(iuv, key=None).status_code == 401
    # Announced before pagoPA has the receipt: 409, retried later.
    early = api.notify(iuv)
    assert early.status_code == 409 and early.json["error"]["code"] == "receipt_not_available"
    unknown = api.notify("01" + "9" * 15)
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "unknown_notice"
    malformed = api.notify("12")
    assert malformed.status_code == 400 and malformed.json["error"]["param"] == "creditorReferenceId"
    assert api.balance(patron) == 0 and api.status(patron, topup["id"])["status"] == "pending"
    assert count(api.db, ProviderEvent) == 0
    # Whatever the body claims, only pagoPA's own receipt is booked.
    api.gpd.pay(FISCAL_CODE, iuv)
    late = api.notify(iuv, paymentAmount="999.00", receiptId="forged")
    assert late.status_code == 200 and late.json["outcome"] == "credited"
    assert api.balance(patron) == 2000
    api.audit_clean()


def test_a_receipt_of_another_amount_credits_nothing(api, patron):
    topup = api.started(patron, 2000)
    iuv = topup["pagopa"]["iuv"]
    api.gpd.pay(FISCAL_CODE, iuv, amount_euros="2.00")
    assert api.notify(iuv).json["outcome"] == "amount_mismatch"
    assert api.status(patron, topup["id"])["status"] == "amount_mismatch"
    assert api.balance(patron) == 0
    api.audit_clean()


def test_the_settle_job_credits_a_receipt_that_was_never_notified(api, app, patron):
    topup = api.started(patron, 2000)
    api.gpd.pay(FISCAL_CODE, topup["pagopa"]["iuv"])
    assert api.settle(app) == {}  # too young to ask about
    api.age(topup["id"], created=PAST)
    assert api.settle(app) == {"pagopa_credited": 1}
    assert api.settle(app) == {}
    assert api.notify(topup["pagopa"]["iuv"]).json["outcome"] == "duplicate"
    assert api.balance(patron) == 2000
    api.audit_clean()


def test_an_unpaid_notice_past_its_due_date_expires_and_a_late_receipt_is_credited_and_flagged(api, app, db, patron):
    from tests.support.factories import make_staff

    make_staff(db, "finance", patron.home_network)
    db.commit()
    topup = api.started(patron, 2000)
    iuv = topup["pagopa"]["iuv"]
    api.age(topup["id"], created=timedelta(days=31), due=-timedelta(minutes=1))
    assert api.settle(app) == {"pagopa_expired": 1}
    iupd = f"BRS-{topup['id']}"
    assert api.gpd.positions[(FISCAL_CODE, iupd)]["status"] == "INVALID"
    assert api.status(patron, topup["id"])["status"] == "expired"
    assert api.balance(patron) == 0 and "topup_failed" in _kinds(db)
    assert api.settle(app) == {"pagopa_no_late_receipt": 1}
    api.audit_clean()

    # A PSP took the payment anyway (a printed notice paid at a counter): the money arrived.
    api.gpd.pay(FISCAL_CODE, iuv)
    assert api.notify(iuv).json["outcome"] == "credited_late"
    status = api.status(patron, topup["id"])
    assert status["status"] == "succeeded" and status["pagopa"]["late_receipt"] is True
    assert api.balance(patron) == 2000
    assert "pagopa_late_receipt" in _kinds(db)
    assert api.settle(app) == {}
    api.audit_clean()


def test_a_withdrawn_notice_credits_nothing_until_a_late_receipt_which_the_job_finds(api, app, patron):
    topup = api.started(patron, 2000)
    key = {"Idempotency-Key": "cancel-1"}
    canceled = api.client.post(f"/v1/wallet/topups/{topup['id']}/cancel", headers={**bearer(patron), **key})
    assert canceled.status_code == 200 and canceled.json["status"] == "invalidated"
    again = api.client.post(
        f"/v1/wallet/topups/{topup['id']}/cancel", headers={**bearer(patron), "Idempotency-Key": "c2"}
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "topup_not_cancelable"
    assert api.balance(patron) == 0
    api.gpd.pay(FISCAL_CODE, topup["pagopa"]["iuv"])
    assert api.settle(app) == {"pagopa_credited_late": 1}
    assert api.status(patron, topup["id"])["pagopa"]["late_receipt"] is True
    assert api.balance(patron) == 2000
    api.audit_clean()


def test_a_paid_notice_cannot_be_withdrawn(api, patron):
    topup = api.started(patron, 2000)
    api.gpd.pay(FISCAL_CODE, topup["pagopa"]["iuv"])
    response = api.client.post(
        f"/v1/wallet/topups/{topup['id']}/cancel", headers={**bearer(patron), "Idempotency-Key": "c3"}
    )
    # The receipt is there: it is booked instead, and the top-up is no longer cancelable.
    assert response.status_code == 200 and response.json["status"] == "succeeded"
    assert api.balance(patron) == 2000
    api.audit_clean()


def test_the_notice_pdf_is_mine_only_and_its_qr_decodes_to_the_payload(api, db, patron):
    topup = api.started(patron, 2550)
    response = api.client.get(f"/v1/wallet/topups/{topup['id']}/notice?lang=en", headers=bearer(patron))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    assert "PAYMENT NOTICE" in page.extract_text()
    codes = [
        c.text for image in page.images for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)).convert("L"))
    ]
    assert codes == [topup["pagopa"]["qr_payload"]]
    italian = api.client.get(topup["pagopa"]["notice_pdf_url"], headers={**bearer(patron), "Accept-Language": "it"})
    assert "AVVISO DI PAGAMENTO" in PdfReader(io.BytesIO(italian.data)).pages[0].extract_text()
    stranger = make_patron(db, patron.home_network, make_library(db, patron.home_network))
    db.commit()
    assert api.client.get(topup["pagopa"]["notice_pdf_url"], headers=bearer(stranger)).status_code == 404
    assert api.client.get(f"/v1/wallet/topups/{topup['id']}/notice?lang=de", headers=bearer(patron)).status_code == 400


def test_pagopa_money_is_art_bonus_eligible_and_cash_is_not(api, db, patron):
    from backend.accounts.models import Library
    from tests.campaigns.helpers import World, donate, make_campaign
    from tests.support.ledger import fund_wallet

    topup = api.started(patron, 2000)
    api.gpd.pay(FISCAL_CODE, topup["pagopa"]["iuv"])
    assert api.notify(topup["pagopa"]["iuv"]).json["outcome"] == "credited"
    fund_wallet(db, patron, 1000, source="cash")
    db.commit()
    library = db.scalar(select(Library).where(Library.network_id == patron.home_network_id))
    world = World(patron.home_network, library, library, None, None, None, [patron])
    campaign = make_campaign(db, world, art_bonus=True)
    db.commit()
    made = donate(api.client, patron, campaign, 3000, art_bonus=True, tax_code="RSSMRA85T10A562S")
    assert made.status_code == 201, made.json
    assert made.json["donation"]["art_bonus_eligible"] == {"amount": 2000, "currency": "EUR"}
    api.audit_clean()
