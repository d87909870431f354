"""The courier sandbox: a courier inside the product, behaving like a real one.

It accepts a shipment (answering with a waybill number, idempotent on our order number), then moves the
parcel on by itself — picked up, in transit, delivered (or a failed delivery, armed on demand) — one
step every COURIER_SANDBOX_STEP_SECONDS, and pushes each step to our callback URL as a JSON body signed
with HMAC-SHA256 (``courier/signing.py``), retrying a push that isn't answered 2xx. Faults on demand
(``control.fault_next``): fail the next delivery, post the next callback twice, corrupt it after
signing. The developer page ``/sandbox/courier/`` shows parcels and their pushes and arms the faults.
"""
