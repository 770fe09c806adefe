"""Key generation, writing, loading and the PEM forms Qlik's identity provider takes."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from qlik_jwt import keys
from qlik_jwt.errors import PrivateKeyError


def pem(key: rsa.RSAPrivateKey) -> str:
    return keys.private_key_pem(key).decode()


def test_rfc7638_thumbprint_example() -> None:
    """The worked example of RFC 7638, section 3.1."""
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz"
        "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6We"
        "Zu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    modulus = int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)), "big")
    public_key = rsa.RSAPublicNumbers(65537, modulus).public_key()
    assert keys.key_id_for(public_key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("bits", [1024, 2047, 8192, 0])
def test_unsupported_sizes_are_refused(bits: int) -> None:
    with pytest.raises(
        PrivateKeyError, match=rf"bits: must be one of 2048, 3072, 4096 \(got {bits}\)"
    ):
        keys.generate_private_key(bits)


def test_certificate_carries_the_key(rsa_key: rsa.RSAPrivateKey) -> None:
    cert = keys.self_signed_certificate(rsa_key, common_name="myorg", days=10)
    assert cert.public_key().public_numbers() == rsa_key.public_key().public_numbers()
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 10


def test_single_line_pem_keeps_armour_spaces(rsa_key: rsa.RSAPrivateKey) -> None:
    text = keys.certificate_pem(keys.self_signed_certificate(rsa_key)).decode()
    line = keys.single_line_pem(text)
    assert line.startswith("-----BEGIN CERTIFICATE-----MII")
    assert line.endswith("-----END CERTIFICATE-----")
    assert "\n" not in line and "\r" not in line and line == line.strip()
    assert keys.load_public_key(line).public_numbers() == rsa_key.public_key().public_numbers()


def test_single_line_pem_from_crlf_text(rsa_key: rsa.RSAPrivateKey) -> None:
    text = keys.certificate_pem(keys.self_signed_certificate(rsa_key)).decode()
    assert keys.single_line_pem(text.replace("\n", "\r\n") + "  ") == keys.single_line_pem(text)


def test_single_line_pem_leaves_out_the_text_around_the_block(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    """As ``openssl pkcs12 -nokeys`` writes a certificate: attribute lines first, maybe not
    ASCII. They used to be sent to Qlik in the pem (or to fail with UnicodeDecodeError)."""
    pem = keys.certificate_pem(keys.self_signed_certificate(rsa_key))
    preamble = "Bag Attributes\n    friendlyName: Zertifikat für Qlik\nsubject=/CN=x\n"
    for form in (preamble.encode() + pem, preamble + pem.decode()):
        assert keys.single_line_pem(form) == keys.single_line_pem(pem)
    assert keys.single_line_pem(pem).startswith("-----BEGIN CERTIFICATE-----MII")


def test_write_key_pair_modes_and_no_overwrite(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    cert = keys.self_signed_certificate(rsa_key)
    files = keys.write_key_pair(tmp_path / "k", rsa_key, cert)
    assert stat.S_IMODE(files.private_key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o700
    before = files.private_key.read_bytes()
    with pytest.raises(PrivateKeyError, match=r"already holds a key pair.*--force"):
        keys.write_key_pair(tmp_path / "k", keys.generate_private_key(2048), cert)
    assert files.private_key.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["certificate.pem", "private.pem"]


def test_write_key_pair_force_replaces(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    cert = keys.self_signed_certificate(rsa_key)
    keys.write_key_pair(tmp_path, keys.generate_private_key(2048), cert)
    files = keys.write_key_pair(tmp_path, rsa_key, cert, force=True)
    assert keys.load_private_key(files.private_key).private_numbers() == rsa_key.private_numbers()


def test_a_failed_write_keeps_the_old_pair_whole(
    rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    """The new private key used to be renamed into place before the certificate was written:
    a certificate that failed left a new key beside the old certificate."""
    keys.write_key_pair(tmp_path, rsa_key, keys.self_signed_certificate(rsa_key))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    # The certificate's temporary name is taken, so writing it fails (as a full disk would).
    (tmp_path / f".{keys.CERTIFICATE_FILE}.{os.getpid()}.tmp").mkdir()
    new_certificate = keys.self_signed_certificate(other_rsa_key)
    with pytest.raises(PrivateKeyError, match="out: cannot be written"):
        keys.write_key_pair(tmp_path, other_rsa_key, new_certificate, force=True)
    (tmp_path / f".{keys.CERTIFICATE_FILE}.{os.getpid()}.tmp").rmdir()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_directory_in_place_of_a_key_file_is_refused_before_writing(
    rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    keys.write_key_pair(tmp_path, rsa_key, keys.self_signed_certificate(rsa_key))
    (tmp_path / "certificate.pem").unlink()
    (tmp_path / "certificate.pem").mkdir()
    before = (tmp_path / "private.pem").read_bytes()
    with pytest.raises(PrivateKeyError, match=r"holds certificate\.pem, which is not a file"):
        keys.write_key_pair(
            tmp_path, other_rsa_key, keys.self_signed_certificate(other_rsa_key), force=True
        )
    assert (tmp_path / "private.pem").read_bytes() == before


def test_unwritable_directory(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PrivateKeyError, match="out: cannot be written"):
        keys.write_key_pair(blocker / "sub", rsa_key, keys.self_signed_certificate(rsa_key))


def test_load_from_path_and_text_forms(rsa_key: rsa.RSAPrivateKey, key_dir: Path) -> None:
    text = pem(rsa_key)
    forms = [
        key_dir / "private.pem",
        str(key_dir / "private.pem"),
        text,
        text.encode(),
        "  " + text.replace("\n", "\\n") + "  ",  # one env-var line with \n escapes
        '"' + text.replace("\n", "\\n") + '"',
        keys.single_line_pem(text),
    ]
    for form in forms:
        assert keys.load_private_key(form).private_numbers() == rsa_key.private_numbers()


def test_missing_file_names_field_value_and_fix(tmp_path: Path) -> None:
    with pytest.raises(PrivateKeyError) as caught:
        keys.load_private_key(tmp_path / "nope.pem", field="QLIK_PRIVATE_KEY")
    message = str(caught.value)
    assert message.startswith("QLIK_PRIVATE_KEY: file not found")
    assert "nope.pem" in message and "qlik-jwt keygen" in message


@pytest.mark.parametrize("source", ["~no-such-user-here/private.pem", "keys/pri\x00vate.pem"])
def test_an_unusable_path_names_the_field(source: str) -> None:
    """An unknown user's home (RuntimeError) or a NUL byte (ValueError) was a traceback."""
    with pytest.raises(PrivateKeyError) as caught:
        keys.load_private_key(source)
    assert caught.value.field == "private_key"
    assert "is not a usable file path" in caught.value.problem


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(PrivateKeyError, match="is a directory"):
        keys.load_private_key(tmp_path)


def test_not_pem(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_text("hello")
    with pytest.raises(PrivateKeyError, match="is not PEM text"):
        keys.load_private_key(path)


def test_certificate_instead_of_private_key(key_dir: Path) -> None:
    with pytest.raises(PrivateKeyError, match="holds a certificate, not a private key"):
        keys.load_private_key(key_dir / "certificate.pem")


def test_encrypted_key(rsa_key: rsa.RSAPrivateKey) -> None:
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(PrivateKeyError, match="encrypted with a passphrase"):
        keys.load_private_key(encrypted)


def test_traditional_encrypted_key(rsa_key: rsa.RSAPrivateKey) -> None:
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(PrivateKeyError, match="encrypted with a passphrase"):
        keys.load_private_key(encrypted)


def test_ec_key_is_refused() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(PrivateKeyError, match="holds a key of type EC, not RSA"):
        keys.load_private_key(ec_pem)


def test_small_key_is_refused() -> None:
    small = rsa.generate_private_key(65537, 1024)  # noqa: S505 (the point of the test)
    with pytest.raises(PrivateKeyError, match="is 1024 bits, under the minimum of 2048"):
        keys.load_private_key(pem(small))
    with pytest.raises(PrivateKeyError, match="is 1024 bits"):
        keys.load_public_key(
            small.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def test_truncated_key(rsa_key: rsa.RSAPrivateKey) -> None:
    lines = pem(rsa_key).splitlines()
    broken = "\n".join(lines[:5] + lines[-1:])
    with pytest.raises(PrivateKeyError, match="could not be parsed"):
        keys.load_private_key(broken)


def test_errors_never_echo_inline_key_text(rsa_key: rsa.RSAPrivateKey) -> None:
    body = "".join(pem(rsa_key).splitlines()[1:-1])  # base64 body with the armour cut off
    with pytest.raises(PrivateKeyError) as caught:
        keys.load_private_key(body)
    assert body[:20] not in str(caught.value)
    assert "<PEM text>" in str(caught.value)


def test_group_readable_key_file_warns(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_text(pem(rsa_key))
    os.chmod(path, 0o644)
    with pytest.warns(keys.InsecureKeyFileWarning, match="chmod 600"):
        keys.load_private_key(path)


def test_public_key_forms(rsa_key: rsa.RSAPrivateKey, key_dir: Path) -> None:
    spki = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for form in (key_dir / "certificate.pem", spki, keys.single_line_pem(spki)):
        assert keys.load_public_key(form).public_numbers() == rsa_key.public_key().public_numbers()


def test_public_key_refuses_private_key_and_junk(key_dir: Path) -> None:
    with pytest.raises(PrivateKeyError, match="holds a private key where a certificate"):
        keys.load_public_key(key_dir / "private.pem")
    with pytest.raises(PrivateKeyError, match="not a PEM certificate or public key"):
        keys.load_public_key("-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----")
