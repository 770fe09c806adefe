"""RSA keys and certificates for Qlik's JWT identity provider.

Generates keys and self-signed certificates (as ``openssl genrsa`` / ``openssl req -x509``
would), writes them safely, loads them from files or environment text, and produces the
single-line PEM that the identity-provider API and Management Console expect.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from qlik_jwt.atomic_write import stage
from qlik_jwt.errors import PrivateKeyError, describe
from qlik_jwt.private_files import InsecureFileWarning, private_folder, warn_if_readable_by_others

__all__ = [
    "ALLOWED_BITS",
    "DEFAULT_BITS",
    "InsecureKeyFileWarning",
    "KeyPairFiles",
    "certificate_pem",
    "generate_private_key",
    "is_pem_text",
    "key_id_for",
    "key_pair_files",
    "load_private_key",
    "load_public_key",
    "normalize_pem",
    "private_key_pem",
    "self_signed_certificate",
    "single_line_pem",
    "write_key_pair",
]

DEFAULT_BITS = 4096
ALLOWED_BITS = (2048, 3072, 4096)
MIN_BITS = 2048
PRIVATE_KEY_FILE = "private.pem"
CERTIFICATE_FILE = "certificate.pem"

_ARMOUR = re.compile(r"-----(BEGIN|END) ([A-Z0-9 ]+)-----")


class InsecureKeyFileWarning(InsecureFileWarning):
    """A private key file can be read by users other than its owner."""


@dataclass(frozen=True)
class KeyPairFiles:
    private_key: Path
    certificate: Path


def generate_private_key(bits: int = DEFAULT_BITS) -> rsa.RSAPrivateKey:
    """Generate an RSA key of ``bits`` (2048, 3072 or 4096); raise PrivateKeyError otherwise."""
    if bits not in ALLOWED_BITS:
        raise PrivateKeyError(
            "bits",
            "must be one of " + ", ".join(map(str, ALLOWED_BITS)),
            bits,
            f"Use {DEFAULT_BITS} (Qlik's tutorial) or 2048.",
        )
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def self_signed_certificate(
    key: rsa.RSAPrivateKey,
    *,
    common_name: str = "qlik-jwt",
    days: int = 1825,
    now: dt.datetime | None = None,
    dns_names: tuple[str, ...] = (),
    ip_addresses: tuple[str, ...] = (),
) -> x509.Certificate:
    """A self-signed X.509 certificate for ``key``, valid ``days`` days from ``now``.

    Qlik only reads the public key from it; ``dns_names``/``ip_addresses`` add a SAN so the
    same helper can make the emulator's HTTPS certificate.
    """
    import ipaddress

    now = now or dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
    )
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(key, hashes.SHA256())


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def single_line_pem(pem: str | bytes) -> str:
    """The PEM with every line break and space removed, as Qlik's identity-provider API wants.

    ``-----BEGIN CERTIFICATE-----MIIF...-----END CERTIFICATE-----``: the first PEM block
    only, so text around it (the ``Bag Attributes`` lines ``openssl pkcs12`` writes, say)
    is not sent along.
    """
    text = normalize_pem(pem).decode("ascii")
    return "".join(line.strip() for line in text.splitlines())


def normalize_pem(text: str | bytes) -> bytes:
    """Re-wrap PEM that may be single-line, hold ``\\n`` escapes or stray whitespace."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    text = text.strip().strip("'\"").replace("\\r", "").replace("\\n", "\n")
    match = _ARMOUR.search(text)
    end = re.search(r"-----END ([A-Z0-9 ]+)-----", text)
    if not match or match.group(1) != "BEGIN" or not end:
        return text.encode("ascii", "replace")
    label = match.group(2)
    body = "".join(text[match.end() : end.start()].split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"
    ).encode("ascii")


def key_id_for(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): a stable key id derived from the key."""
    numbers = public_key.public_numbers()

    def b64(n: int) -> str:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    jwk = json.dumps(
        {"e": b64(numbers.e), "kty": "RSA", "n": b64(numbers.n)}, separators=(",", ":")
    )
    digest = hashlib.sha256(jwk.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def key_pair_files(directory: str | Path, *, force: bool = False) -> KeyPairFiles:
    """The key pair's paths in ``directory``; PrivateKeyError if they exist and not ``force``,
    or if either name is taken by something other than a file (which ``force`` cannot
    replace)."""
    directory = Path(directory)
    files = KeyPairFiles(directory / PRIVATE_KEY_FILE, directory / CERTIFICATE_FILE)
    existing = [p for p in (files.private_key, files.certificate) if p.exists()]
    for path in existing:
        if not path.is_file():
            raise PrivateKeyError(
                "out",
                f"holds {path.name}, which is not a file",
                str(path),
                "Remove it or choose another directory.",
            )
    if existing and not force:
        raise PrivateKeyError(
            "out",
            "already holds a key pair",
            str(existing[0]),
            "Choose another directory, or replace the pair with `qlik-jwt keygen --force` "
            "(logins signed with the old key stop working).",
        )
    return files


def write_key_pair(
    directory: str | Path,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    *,
    force: bool = False,
) -> KeyPairFiles:
    """Write ``private.pem`` (mode 0600) and ``certificate.pem`` into ``directory``.

    Both files are written in full under temporary names before either is renamed into
    place, so a failed write (a full disk, say) leaves the old pair as it was, never a new
    key beside an old certificate. Raises PrivateKeyError, before writing anything, when
    either file exists and ``force`` is false.
    """
    directory = Path(directory)
    files = key_pair_files(directory, force=force)
    staged: list[tuple[Path, Path]] = []
    try:
        private_folder(directory)
        staged.append((stage(files.private_key, private_key_pem(key), 0o600), files.private_key))
        staged.append(
            (stage(files.certificate, certificate_pem(certificate), 0o644), files.certificate)
        )
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise PrivateKeyError(
            "out",
            f"cannot be written ({exc.strerror})",
            str(directory),
            "Choose a directory you can write to.",
        ) from None
    return files


def is_pem_text(source: str) -> bool:
    """Whether a key setting holds the PEM text itself rather than the path of a file."""
    return "-----BEGIN" in source or "\n" in source or len(source) > 512


def _read_source(source: str | bytes | Path, field: str) -> tuple[bytes, Path | None]:
    """Return PEM bytes and the file they came from (None for inline PEM text)."""
    if isinstance(source, bytes):
        return normalize_pem(source), None
    if isinstance(source, str) and is_pem_text(source):
        return normalize_pem(source), None  # inline text: never echoed back in errors
    path = Path(source)
    try:
        path = path.expanduser()
        data = path.read_bytes()
    except (RuntimeError, ValueError) as exc:  # `~nobody/key.pem`, or a NUL byte in the path
        raise PrivateKeyError(
            field,
            f"is not a usable file path ({str(exc).rstrip('.')})",
            str(path),
            "Give the path of a PEM file, or the PEM text itself.",
        ) from None
    except FileNotFoundError:
        raise PrivateKeyError(
            field,
            "file not found",
            str(path),
            "Give the path of a PEM file, or run `qlik-jwt keygen --out DIR` to create one.",
        ) from None
    except IsADirectoryError:
        raise PrivateKeyError(
            field,
            "is a directory, not a file",
            str(path),
            "Give the path of the PEM file inside it (e.g. private.pem).",
        ) from None
    except OSError as exc:
        raise PrivateKeyError(
            field,
            f"cannot be read ({exc.strerror})",
            str(path),
            "Check the file's permissions.",
        ) from None
    return normalize_pem(data), path


def _refuse_small(key: rsa.RSAPrivateKey | rsa.RSAPublicKey, field: str, shown: str) -> None:
    if key.key_size < MIN_BITS:
        raise PrivateKeyError(
            field,
            f"is {key.key_size} bits, under the minimum of {MIN_BITS}",
            shown,
            "Generate a 4096-bit key with `qlik-jwt keygen`.",
        )


def load_private_key(
    source: str | bytes | Path, *, field: str = "private_key"
) -> rsa.RSAPrivateKey:
    """Load an RSA private key of at least 2048 bits from a file path or PEM text.

    PEM text may come from an environment variable: ``\\n`` escapes, quotes and surrounding
    whitespace are tolerated. Raises PrivateKeyError naming ``field`` for a missing file,
    text that is not a private key, an encrypted key, a non-RSA key or a key under 2048 bits.
    Warns (InsecureKeyFileWarning) when the file is readable by other users.
    """
    pem, path = _read_source(source, field)
    shown = str(path) if path else "<PEM text>"
    if b"-----BEGIN" not in pem:
        raise PrivateKeyError(
            field,
            "is not PEM text (no -----BEGIN line)",
            shown,
            "Give a PEM private key such as the private.pem written by `qlik-jwt keygen`.",
        )
    if b"ENCRYPTED" in pem:
        raise PrivateKeyError(
            field,
            "is encrypted with a passphrase",
            shown,
            "Store it unencrypted in a secret store, e.g. "
            "`openssl pkey -in key.pem -out plain.pem`.",
        )
    if b"PRIVATE KEY" not in pem:
        kind = "a certificate" if b"CERTIFICATE" in pem else "a public key"
        raise PrivateKeyError(
            field,
            f"holds {kind}, not a private key",
            shown,
            "Give the private key; the certificate is what you register in Qlik.",
        )
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise PrivateKeyError(
            field,
            "is encrypted with a passphrase",
            shown,
            "Store it unencrypted in a secret store.",
        ) from None
    except Exception as exc:  # cryptography raises several types here
        raise PrivateKeyError(
            field,
            f"could not be parsed ({type(exc).__name__})",
            shown,
            "Check that the PEM text is complete and unmodified.",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = type(key).__name__.removeprefix("_").replace("PrivateKey", "")
        raise PrivateKeyError(
            field,
            f"holds a key of type {kind}, not RSA; Qlik JWTs here are signed with RS256",
            shown,
            "Generate one with `qlik-jwt keygen`.",
        )
    _refuse_small(key, field, shown)
    if path is not None:
        warn_if_readable_by_others(path, "private key", InsecureKeyFileWarning)
    return key


def load_public_key(source: str | bytes | Path, *, field: str = "cert") -> rsa.RSAPublicKey:
    """Load an RSA public key from an X.509 certificate or SPKI public key (PEM, maybe one line).

    Raises PrivateKeyError (the key family) naming ``field`` when nothing usable is found.
    """
    pem, path = _read_source(source, field)
    shown = str(path) if path else describe(pem.decode("ascii", "replace"))
    key: object
    try:
        if b"CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        elif b"PUBLIC KEY" in pem:
            key = serialization.load_pem_public_key(pem)
        elif b"PRIVATE KEY" in pem:
            raise PrivateKeyError(
                field,
                "holds a private key where a certificate was expected",
                shown,
                "Give the certificate (certificate.pem); never share the private key.",
            )
        else:
            raise ValueError("no certificate or public key")
    except PrivateKeyError:
        raise
    except Exception as exc:
        raise PrivateKeyError(
            field,
            f"is not a PEM certificate or public key ({type(exc).__name__})",
            shown,
            "Give a -----BEGIN CERTIFICATE----- or -----BEGIN PUBLIC KEY----- PEM.",
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise PrivateKeyError(
            field, "is not an RSA key", shown, "Register the certificate of an RSA key."
        )
    _refuse_small(key, field, shown)
    return key
