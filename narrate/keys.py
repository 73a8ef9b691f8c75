"""``narrate keys init``: a development certificate chain for trying C2PA signing — the
one home of the ``cryptography`` package (``pip install 'narrate[disclosure]'``).

The C2PA SDK refuses a plain self-signed certificate: it wants a chain whose leaf is
not a CA, may sign and commit (keyUsage digitalSignature + nonRepudiation), is meant for
e-mail protection (the extended key usage C2PA accepts for individual signers) and has a
P-256 key. So this makes three: a root (the trust anchor, never used to sign files), an
intermediate, and the leaf that signs. Every name says UNTRUSTED: a file signed with it
validates, and reads as signed by an untrusted signer everywhere but where you add the
root as a trust anchor (``narrate inspect --trust root.pem``). Publish with a
certificate from a C2PA-recognised authority instead (README, "Disclosure").
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narrate.errors import DependencyError, OutputError

ORGANISATION = "narrate development (UNTRUSTED)"
VALID_DAYS = 365


@dataclass(frozen=True)
class KeyFiles:
    root: Path  # the trust anchor (root certificate)
    chain: Path  # leaf + intermediate certificates: --sign-cert
    key: Path  # the leaf's private key: --sign-key

    def all(self) -> tuple[Path, ...]:
        return self.root, self.chain, self.key


def key_files(folder: Path) -> KeyFiles:
    return KeyFiles(folder / "root.pem", folder / "signer-chain.pem", folder / "signer-key.pem")


def _crypto() -> Any:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise DependencyError("narrate keys needs the cryptography package; "
                              "install it with: pip install 'narrate[disclosure]'") from None


def init_keys(folder: Path, *, force: bool = False) -> KeyFiles:
    """Write a root, an intermediate and a signing leaf (P-256) into ``folder``; refuse to
    replace existing files unless ``force``. The private key is readable by its owner only."""
    _crypto()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    files = key_files(folder)
    existing = [p for p in files.all() if p.exists()]
    if existing and not force:
        raise OutputError(f"{existing[0]} exists; use --force to replace the development keys")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {folder}: {exc.strerror}") from None
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    root = _certificate("narrate development root", keys[0], None, keys[0], role="root")
    middle = _certificate("narrate development intermediate", keys[1], root, keys[0], role="ca")
    leaf = _certificate("narrate development signer", keys[2], middle, keys[1], role="leaf")

    def pem(cert: Any) -> bytes:
        return bytes(cert.public_bytes(serialization.Encoding.PEM))

    secret = keys[2].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    try:
        files.root.write_bytes(pem(root))
        files.chain.write_bytes(pem(leaf) + pem(middle))
        files.key.unlink(missing_ok=True)
        fd = os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secret)
    except OSError as exc:
        raise OutputError(f"cannot write the keys in {folder}: {exc.strerror}") from None
    return files


def _certificate(name: str, key: Any, issuer: Any, issuer_key: Any, *, role: str) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer is not None else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    leaf = role == "leaf"
    builder = builder.add_extension(
        x509.BasicConstraints(ca=not leaf, path_length={"root": 1, "ca": 0}.get(role)), critical=True)
    builder = builder.add_extension(x509.KeyUsage(
        digital_signature=leaf, content_commitment=leaf, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=not leaf, crl_sign=not leaf, encipher_only=False,
        decipher_only=False), critical=True)
    if leaf:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def signing_algorithm(key: Path) -> str:
    """The C2PA algorithm a PEM private key signs with: es256/es384/es512 (P-256/384/521),
    ps256 (RSA) or ed25519. ValueError when it is not a private key narrate can use."""
    _crypto()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an unencrypted PEM private key ({exc})") from None
    if isinstance(private, ec.EllipticCurvePrivateKey):
        curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if private.curve.name in curves:
            return curves[private.curve.name]
    if isinstance(private, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise ValueError("C2PA signs with P-256/384/521, RSA (PS256) or Ed25519 keys only")
