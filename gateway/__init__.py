"""The WebService forwarding gateway (转发服务, seed 3.4): the only way from the internet-facing app to the
HIS. Its own process (``ihospital gateway``) in the hospital network; it holds the HIS credentials.

One WSDL (``GET /his?wsdl``) with only the whitelisted operations of ``ihospital.integrations.his.base``.
Each request passes, in order and before anything reaches the HIS: the client address allowlist, the
size cap, hardened XML parsing (no DTD, no entities, no network), the operation whitelist, WS-Security
UsernameToken with a password digest, a fresh timestamp and an unused nonce, the caller's rate limit,
and spyne's schema validation. Refusals are SOAP faults with stable codes (``Client.his.auth_failed`` …).
Every call is logged once with its correlation id and the patient's identifiers masked.
"""
