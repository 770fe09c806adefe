"""A self-signed TLS certificate for serving the emulator over HTTPS on this machine.

Browsers keep ``Secure; SameSite=None`` cookies across sites only over HTTPS, so the direct
(cross-site cookie) flow needs it; clients then skip verification or trust this certificate.
"""

from __future__ import annotations

from pathlib import Path

from qlik_jwt import keys

__all__ = ["TLS_HOSTS", "write_tls_certificate"]

TLS_HOSTS = {"dns_names": ("localhost",), "ip_addresses": ("127.0.0.1", "::1")}


def write_tls_certificate(directory: str | Path, *, force: bool = True) -> keys.KeyPairFiles:
    """Write ``private.pem`` (0600) and ``certificate.pem`` for localhost/127.0.0.1/::1.

    A fresh 2048-bit key and a one-year certificate each call. Raises PrivateKeyError when
    the directory cannot be written (or holds a pair and ``force`` is false).
    """
    key = keys.generate_private_key(2048)
    certificate = keys.self_signed_certificate(
        key,
        common_name="qlik-jwt emulator",
        days=365,
        dns_names=TLS_HOSTS["dns_names"],
        ip_addresses=TLS_HOSTS["ip_addresses"],
    )
    return keys.write_key_pair(directory, key, certificate, force=force)
