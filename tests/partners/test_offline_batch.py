"""Offline tills upload their scans: deduplicated by scan_id; rule-breaking uses kept, flagged, not reimbursed."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from backend.db import utcnow
from backend.partners.models import Pass, Redemption
from tests.partners.helpers import Phone, assert_audit_clean, make_offer, make_world, redeem_body, redemption_count
from tests.support.factories import bearer


def _upload(client, world, scans, staff=None):
    return client.post(
        "/v1/partners/redemptions/batch",
        json={"scans": scans},
        headers={**bearer(staff or world.till), "Idempotency-Key": str(uuid.uuid4())},
    )


def _scan(world, offer, phone, at, **extra):
    body = redeem_body(world, offer, phone.code(at), price=1200, **extra)
    return {
        **body,
        "scan_id": extra.get("scan_id") or str(uuid.uuid4()),
        "scanned_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_batch_dedupes_flags_over_limit_and_refuses_forgeries(client, db):
    world = make_world(db)
    museum = make_offer(
        db,
        world,
        benefit_kind="free_entry",
        per_patron_day=1,
        bearer="network",
        reimbursement_rule="percent",
        reimbursement_value=50,
    )
    phone = Phone()
    phone.sync(client, world.patrons[0])
    now = utcnow()
    first = _scan(world, museum, phone, now - timedelta(minutes=30))
    over = _scan(world, museum, phone, now - timedelta(minutes=10))
    forged = {**_scan(world, museum, phone, now - timedelta(minutes=5)), "code": "forged~1~2"}
    response = _upload(client, world, [first, over, forged])
    assert response.status_code == 200, response.get_json()
    results = {r["scan_id"]: r for r in response.get_json()["results"]}
    assert results[first["scan_id"]]["outcome"] == "accepted"
    assert results[first["scan_id"]]["redemption"]["reimbursement"]["amount"] == 600
    assert results[over["scan_id"]]["outcome"] == "flagged"
    assert results[over["scan_id"]]["redemption"]["flag_reason"] == "limit_reached"
    assert results[forged["scan_id"]]["outcome"] == "refused"
    assert results[forged["scan_id"]]["error"]["code"] == "pass_invalid"
    assert redemption_count(db) == 2

    # re-upload of the same scans: nothing new
    again = _upload(client, world, [first, over]).get_json()["results"]
    assert [r["outcome"] for r in again] == ["already_recorded", "already_recorded"]
    assert redemption_count(db) == 2

    flagged = db.scalar(select(Redemption).where(Redemption.scan_id == over["scan_id"]))
    assert flagged.state == "flagged" and flagged.reimbursement_entry_id is None
    month = now.astimezone(__import__("backend.i18n", fromlist=["ROME"]).ROME)
    statement = client.get(f"/v1/partners/statements/{month.year}/{month.month}", headers=bearer(world.till)).get_json()
    assert statement["flagged"] == 1 and statement["reimbursements"]["amount"] == 600

    # finance approves: reimbursed now; approving twice is refused and changes nothing
    approved = client.post(f"/v1/partners/redemptions/{flagged.public_id}/approve", headers=bearer(world.finance))
    assert approved.status_code == 200 and approved.get_json()["state"] == "approved"
    assert (
        client.post(f"/v1/partners/redemptions/{flagged.public_id}/approve", headers=bearer(world.finance)).status_code
        == 422
    )
    db.expire_all()
    assert db.get(Redemption, flagged.id).reimbursement_entry_id is not None
    statement = client.get(f"/v1/partners/statements/{month.year}/{month.month}", headers=bearer(world.till)).get_json()
    assert statement["flagged"] == 0 and statement["reimbursements"]["amount"] == 1200
    assert_audit_clean(db)


def test_a_use_before_a_revocation_stays_good_after_it_is_flagged(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    before = _scan(world, offer, phone, utcnow() - timedelta(minutes=20))
    # the patron reports the phone lost; the till was offline and scanned again afterwards
    assert client.post("/v1/partners/pass/revoke", headers=bearer(world.patrons[0])).status_code == 204
    db.rollback()
    revoked = db.scalar(select(Pass).where(Pass.public_id == phone.pass_json["id"]))
    revoked.revoked_at = utcnow() - timedelta(minutes=10)  # between the two scans
    db.commit()
    after = _scan(world, offer, phone, utcnow())
    results = _upload(client, world, [before, after]).get_json()["results"]
    assert [r["outcome"] for r in results] == ["accepted", "flagged"]
    assert results[1]["redemption"]["flag_reason"] == "pass_revoked"


def test_rejected_flag_is_never_reimbursed(client, db):
    world = make_world(db)
    offer = make_offer(
        db, world, per_patron_total=1, bearer="network", reimbursement_rule="fixed", reimbursement_value=100
    )
    phone = Phone()
    phone.sync(client, world.patrons[0])
    now = utcnow()
    results = _upload(
        client, world, [_scan(world, offer, phone, now - timedelta(minutes=3)), _scan(world, offer, phone, now)]
    ).get_json()["results"]
    flagged_id = results[1]["redemption"]["id"]
    response = client.post(f"/v1/partners/redemptions/{flagged_id}/reject", headers=bearer(world.finance))
    assert response.status_code == 200 and response.get_json()["state"] == "rejected"
    assert (
        client.post(f"/v1/partners/redemptions/{flagged_id}/approve", headers=bearer(world.finance)).status_code == 422
    )
    db.expire_all()
    assert db.scalar(select(Redemption).where(Redemption.public_id == flagged_id)).reimbursement_entry_id is None
    assert_audit_clean(db)


def test_bad_batch_is_a_400_and_changes_nothing(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    scan = _scan(world, offer, phone, utcnow())
    for bad in (
        {**scan, "list_price": {"amount": -1, "currency": "EUR"}},
        {**scan, "scanned_at": "yesterday"},
        {k: v for k, v in scan.items() if k != "scan_id"},
    ):
        assert _upload(client, world, [bad]).status_code == 400
    assert _upload(client, world, []).status_code == 400
    assert redemption_count(db) == 0
