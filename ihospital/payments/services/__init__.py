"""Payment writes. Only these functions change payment orders, refunds and notifications.

payment_order_create   an order for a payable (inside the payable's transaction is fine)
payment_checkout       the provider's pay URL (calls the provider: after commit, outside transactions)
payment_close          give up on an unpaid order (closed here, then at the provider via the outbox)
payment_refund_request full or partial refund, idempotent on a key (the provider via the outbox)
payment_notification_receive   the notify endpoint's work: verify, cross-check, apply once
payment_query_pending  the periodic reconciliation with the provider
"""

from ihospital.payments.services.notifications import payment_notification_receive
from ihospital.payments.services.orders import payment_checkout, payment_close, payment_order_create
from ihospital.payments.services.reconcile import payment_query_pending
from ihospital.payments.services.refunds import payment_refund_request

__all__ = [
    "payment_checkout",
    "payment_close",
    "payment_notification_receive",
    "payment_order_create",
    "payment_query_pending",
    "payment_refund_request",
]
