"""Pharmacies (5101) and 处方发药 (Dispense, 5102) through both clients — the in-process sandbox and the soap
client via the gateway: the pickup pharmacies with address and hours; a paid prescription reserves its
stock once per transaction id, a second transfer of the same prescription is a conflict, and a shortage
refuses the whole request and leaves every stock as it was."""

from __future__ import annotations

import pytest

from ihospital.integrations.his import base
from ihospital.integrations.his.base import HisError
from ihospital.integrations.his.simulated import pharmacy as sim_pharmacy
from ihospital.integrations.his.tests.test_contract import alice_query

pytestmark = pytest.mark.django_db


def in_stock(his_client, pharmacy_code: str, count: int = 2) -> list[base.Drug]:
    drugs = his_client.drug_catalogue(base.DrugQuery(limit=200)).drugs
    found = [
        d
        for d in drugs
        if not d.controlled_class and any(s.pharmacy_code == pharmacy_code and s.quantity >= 10 for s in d.stock)
    ]
    return found[:count]


def request(patient_id: str, drugs: list[base.Drug], **changes) -> base.DispenseRequest:
    values = {
        "transaction_id": "FY-TXN-1",
        "patient_id": patient_id,
        "prescription_no": "rx-1",
        "pharmacy_code": "YF03",
        "doctor_code": "dr_bob",
        "pharmacist_code": "carol",
        "method": "delivery",
        "amount_fen": 4250,
        "trade_no": "4200000000000001",
        "items": tuple(base.DispenseItem(drug_code=d.code, quantity=2) for d in drugs),
    }
    return base.DispenseRequest(**{**values, **changes})


def test_pickup_pharmacies_come_with_address_and_hours(his_client):
    sites = his_client.pharmacies(base.PharmacyQuery()).pharmacies
    assert [s.code for s in sites] == ["YF01", "YF03"] and all(s.pickup and s.address and s.hours for s in sites)
    everyone = his_client.pharmacies(base.PharmacyQuery(pickup_only=False)).pharmacies
    assert {s.code for s in everyone} == {"YF01", "YF02", "YF03"}


def test_a_prescription_is_dispensed_once_and_its_stock_reserved(his_client, his_sim):
    patient = his_client.find_or_register_patient(alice_query())
    drugs = in_stock(his_client, "YF03")
    before = [sim_pharmacy.stock(his_sim.connect(), d.code, "YF03") for d in drugs]
    ticket = his_client.dispense(request(patient.patient_id, drugs))
    assert ticket.dispense_no.startswith("FY") and ticket.prescription_no == "rx-1"
    assert his_client.dispense(request(patient.patient_id, drugs)) == ticket  # redelivered: the first answer
    after = [sim_pharmacy.stock(his_sim.connect(), d.code, "YF03") for d in drugs]
    assert after == [quantity - 2 for quantity in before]
    assert his_sim.count("dispense") == 1 and his_sim.deliveries("FY-TXN-1") == 2


def test_the_same_prescription_under_another_transaction_is_a_conflict(his_client):
    patient = his_client.find_or_register_patient(alice_query())
    drugs = in_stock(his_client, "YF03")
    his_client.dispense(request(patient.patient_id, drugs))
    with pytest.raises(HisError) as refused:
        his_client.dispense(request(patient.patient_id, drugs, transaction_id="FY-TXN-2"))
    assert refused.value.code == HisError.CONFLICT and refused.value.permanent


def test_a_shortage_refuses_the_whole_prescription_and_reserves_nothing(his_client, his_sim):
    patient = his_client.find_or_register_patient(alice_query())
    first, second = in_stock(his_client, "YF03")
    on_hand = sim_pharmacy.stock(his_sim.connect(), second.code, "YF03")
    items = (base.DispenseItem(first.code, 1), base.DispenseItem(second.code, on_hand + 1))
    with pytest.raises(HisError) as refused:
        his_client.dispense(request(patient.patient_id, [], items=items))
    assert refused.value.code == HisError.CONFLICT
    assert sim_pharmacy.stock(his_sim.connect(), second.code, "YF03") == on_hand
    assert his_sim.count("dispense") == 0


def test_an_unknown_pharmacy_is_not_found(his_client):
    patient = his_client.find_or_register_patient(alice_query())
    drugs = in_stock(his_client, "YF03")
    with pytest.raises(HisError) as refused:
        his_client.dispense(request(patient.patient_id, drugs, pharmacy_code="YF99"))
    assert refused.value.code == HisError.NOT_FOUND


def test_a_cancelled_dispensing_returns_the_stock_once(his_client, his_sim):
    patient = his_client.find_or_register_patient(alice_query())
    drugs = in_stock(his_client, "YF03")
    before = [sim_pharmacy.stock(his_sim.connect(), d.code, "YF03") for d in drugs]
    ticket = his_client.dispense(request(patient.patient_id, drugs))
    cancel = base.CancelDispenseRequest(transaction_id="FYC-1", prescription_no="rx-1", reason="处方作废")
    assert his_client.cancel_dispense(cancel).dispense_no == ticket.dispense_no
    assert his_client.cancel_dispense(cancel).dispense_no == ticket.dispense_no  # redelivered: the first answer
    assert [sim_pharmacy.stock(his_sim.connect(), d.code, "YF03") for d in drugs] == before
    with pytest.raises(HisError) as again:
        his_client.cancel_dispense(
            base.CancelDispenseRequest(transaction_id="FYC-2", prescription_no="rx-1", reason="x")
        )
    assert again.value.code == HisError.CONFLICT
    with pytest.raises(HisError) as unknown:
        his_client.cancel_dispense(
            base.CancelDispenseRequest(transaction_id="FYC-3", prescription_no="rx-9", reason="x")
        )
    assert unknown.value.code == HisError.NOT_FOUND
