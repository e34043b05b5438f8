"""IUV and notice-number check digits, the QR payload, and GPD spoken at its HTTP seam."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payments.base import Creditor, Debtor, PaymentError, PaymentRefused
from payments.pagopa import (
    GpdProvider,
    check_digits,
    is_valid_notice_number,
    iuv_of_notice,
    make_iuv,
    new_iuv,
    notice_number,
    qr_payload,
)
from payments.pagopa_sandbox import SandboxNoticeProvider
from tests.pagopa.fake_gpd import BASE_URL, RECEIPTS_URL, SUBSCRIPTION_KEY, FakeGpd

CREDITOR = Creditor("80012345678", "01", "IT60X0542811101000000123456", "CSBNO")


def test_check_digits_are_the_reference_modulo_93():
    # "3" + "01" + "0000000000001" = 3010000000000001; 3010000000000001 mod 93 = 48
    assert int("3010000000000001") % 93 == int(check_digits("01", "0000000000001"))
    iuv = make_iuv("01", "0000000000001")
    assert iuv == "01" + "0000000000001" + check_digits("01", "0000000000001")
    assert len(iuv) == 17
    assert notice_number(iuv) == "3" + iuv and len(notice_number(iuv)) == 18


def test_a_known_notice_number_checks_out_and_a_wrong_digit_does_not():
    number = notice_number(make_iuv("12", "3456789012345"))
    assert number.startswith("312")
    assert is_valid_notice_number(number)
    assert iuv_of_notice(number) == number[1:]
    for position in range(1, 18):
        changed = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]
        assert not is_valid_notice_number(changed), changed
    assert not is_valid_notice_number("0" + number[1:])  # another auxiliary digit
    assert not is_valid_notice_number(number[:-1])
    with pytest.raises(ValueError):
        iuv_of_notice(number[:-1] + "x")


def test_new_iuvs_are_in_the_series_and_valid():
    seen = {new_iuv("07") for _ in range(200)}
    assert len(seen) == 200
    assert all(iuv.startswith("07") and is_valid_notice_number("3" + iuv) for iuv in seen)


def test_qr_payload_is_pagopa_version_002():
    number = notice_number(make_iuv("01", "0000000000001"))
    assert qr_payload(number, "80012345678", 2500) == f"PAGOPA|002|{number}|80012345678|2500"
    with pytest.raises(ValueError):
        qr_payload(number, "8001234567", 2500)
    with pytest.raises(ValueError):
        qr_payload(number, "80012345678", 0)


@pytest.fixture
def gpd():
    return FakeGpd()


@pytest.fixture
def provider(gpd):
    return GpdProvider(
        base_url=BASE_URL, receipts_url=RECEIPTS_URL, subscription_key=SUBSCRIPTION_KEY, transport=gpd.transport
    )


def _create(provider, iuv, iupd="BRS-top_1", amount=2500):
    return provider.create_position(
        CREDITOR,
        iupd=iupd,
        iuv=iuv,
        amount=amount,
        description="Ricarica borsellino",
        debtor=Debtor("Giulia Bianchi"),
        due_at=datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC),
    )


def test_a_position_is_created_with_one_option_and_one_transfer_to_the_networks_iban(provider, gpd):
    iuv = make_iuv("01", "0000000000042")
    position = _create(provider, iuv)
    assert position.status == "draft" and position.iuv == iuv and position.notice_number == "3" + iuv
    [sent] = gpd.calls_to("POST", r".*/organizations/80012345678/debtpositions")
    assert sent["iupd"] == "BRS-top_1" and sent["fiscalCode"] == "ANONIMO" and sent["switchToExpired"] is True
    [option] = sent["paymentOption"]
    assert option["amount"] == 2500 and option["isPartialPayment"] is False
    assert option["dueDate"] == "2026-12-31T23:59:59"  # Italian time, as GPD reads it
    [transfer] = option["transfer"]
    assert transfer == {
        "idTransfer": "1",
        "amount": 2500,
        "organizationFiscalCode": "80012345678",
        "remittanceInformation": "Ricarica borsellino",
        "category": "9/0101108TS/",
        "iban": "IT60X0542811101000000123456",
    }
    published = provider.publish(CREDITOR, "BRS-top_1")
    assert published.status == "valid"
    assert provider.publish(CREDITOR, "BRS-top_1").status == "valid"  # again: as it is


def test_creating_the_same_position_twice_answers_the_one_there(provider, gpd):
    iuv = make_iuv("01", "0000000000043")
    first, second = _create(provider, iuv), _create(provider, iuv)
    assert first == second
    assert len(gpd.positions) == 1
    with pytest.raises(PaymentRefused):
        _create(provider, iuv, amount=3000)  # same iupd, another amount: not ours to paper over


def test_receipt_is_none_until_paid_then_read_in_cents(provider, gpd):
    iuv = make_iuv("01", "0000000000044")
    _create(provider, iuv)
    provider.publish(CREDITOR, "BRS-top_1")
    assert provider.retrieve_receipt(CREDITOR, iuv) is None
    gpd.pay("80012345678", iuv)
    receipt = provider.retrieve_receipt(CREDITOR, iuv)
    assert receipt is not None
    assert (receipt.iuv, receipt.amount, receipt.outcome, receipt.psp) == (iuv, 2500, "OK", "Intesa Sanpaolo")
    assert receipt.paid_at == datetime(2026, 12, 2, 9, 15, tzinfo=UTC)
    position = provider.retrieve_position(CREDITOR, "BRS-top_1")
    assert (position.status, position.option_status) == ("paid", "paid")


def test_invalidate_stops_payment_and_is_answered_as_is_afterwards(provider, gpd):
    iuv = make_iuv("01", "0000000000045")
    _create(provider, iuv)
    provider.publish(CREDITOR, "BRS-top_1")
    assert provider.invalidate(CREDITOR, "BRS-top_1").status == "invalid"
    assert provider.invalidate(CREDITOR, "BRS-top_1").status == "invalid"


def test_errors_are_payment_errors_and_a_refusal_is_told_apart(provider, gpd):
    gpd.fail_next = 503
    with pytest.raises(PaymentError) as unavailable:
        _create(provider, make_iuv("01", "0000000000046"))
    assert not isinstance(unavailable.value, PaymentRefused)
    with pytest.raises(PaymentRefused):
        provider.retrieve_position(CREDITOR, "no-such")
    wrong_key = GpdProvider(base_url=BASE_URL, receipts_url=RECEIPTS_URL, subscription_key="x", transport=gpd.transport)
    with pytest.raises(PaymentError):
        wrong_key.retrieve_position(CREDITOR, "BRS-top_1")


def test_sandbox_answers_like_gpd_and_pays_offline():
    sandbox = SandboxNoticeProvider()
    iuv = make_iuv("01", "0000000000047")
    due = datetime.now(UTC) + timedelta(days=30)
    created = sandbox.create_position(
        CREDITOR, iupd="x", iuv=iuv, amount=1000, description="d", debtor=Debtor("A"), due_at=due
    )
    assert created.status == "draft" and sandbox.publish(CREDITOR, "x").status == "valid"
    assert sandbox.retrieve_receipt(CREDITOR, iuv) is None
    receipt = sandbox.pay(CREDITOR, iuv=iuv, amount=1000)
    assert sandbox.retrieve_receipt(CREDITOR, iuv) == receipt
    assert sandbox.retrieve_position(CREDITOR, "x").status == "paid"
    assert sandbox.invalidate(CREDITOR, "x").status == "paid"  # paid: nothing to invalidate
