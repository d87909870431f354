"""The payment sandbox: a provider that behaves like WeChat Pay v3, inside the product.

It keeps its own trade tables (``SandboxPayment``, ``SandboxRefund``), shows a cashier page at
``/sandbox/pay/<out_trade_no>/``, signs its notifications with an RSA-2048 platform key exactly like
WeChat Pay v3, retries them on WeChat's schedule (compressed by PAYMENT_SANDBOX_RETRY_FACTOR), completes
refunds asynchronously, and misbehaves on demand (``control.fault_next``: drop, duplicate, delay or
corrupt the next notifications). The cashier answers 404 unless the sandbox is the configured provider.
"""
