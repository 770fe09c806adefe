"""``qlik-jwt keygen``: a key pair for the JWT identity provider."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qlik_jwt.cli.app import app, out

MAX_DAYS = 36500  # a century; far later dates do not fit a certificate or Python's datetime


@app.command()
def keygen(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory for private.pem and certificate.pem.")
    ] = Path(".qlik-jwt/keys"),
    bits: Annotated[
        int | None,
        typer.Option(help="RSA key size: 4096 (the default, as in Qlik's tutorial) or 2048."),
    ] = None,
    key_id: Annotated[
        str | None, typer.Option("--key-id", help="Key id; default: the key's thumbprint.")
    ] = None,
    issuer: Annotated[
        str | None, typer.Option(help="Issuer to register, e.g. your app's domain.")
    ] = None,
    days: Annotated[
        int, typer.Option(min=1, max=MAX_DAYS, help="Certificate validity in days.")
    ] = 1825,
    force: Annotated[bool, typer.Option(help="Replace an existing key pair.")] = False,
) -> None:
    """Generate an RSA key and a self-signed certificate for Qlik's JWT identity provider.

    Writes DIR/private.pem (mode 0600) and DIR/certificate.pem, then prints the key id, the
    issuer and the single-line certificate PEM to paste into the identity provider.
    """
    from qlik_jwt import keys

    keys.key_pair_files(out_dir, force=force)  # fail before spending seconds on a 4096-bit key
    key = keys.generate_private_key(keys.DEFAULT_BITS if bits is None else bits)
    certificate = keys.self_signed_certificate(key, common_name=issuer or "qlik-jwt", days=days)
    files = keys.write_key_pair(out_dir, key, certificate, force=force)
    kid = key_id or keys.key_id_for(key.public_key())
    out.print(f"private key : {files.private_key} (mode 600; keep it secret)")
    out.print(f"certificate : {files.certificate}")
    out.print(f"key id      : {kid}")
    out.print(f"issuer      : {issuer or '(not set: pass --issuer, e.g. your app domain)'}")
    out.print("single-line PEM for the identity provider:")
    out.print(keys.single_line_pem(keys.certificate_pem(certificate)), highlight=False)
