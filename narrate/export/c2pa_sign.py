"""C2PA Content Credentials: the one home of c2pa-python (``pip install 'narrate[disclosure]'``).

``sign`` embeds a signed manifest in a finished audio file — a ``c2pa.actions``
assertion (``c2pa.created``, digital source type trainedAlgorithmicMedia, narrate as
the software agent with its engine and voice), the source article as an ingredient
(title, URL, SHA-256 of its bytes) and a ``narrate.disclosure`` assertion (is there a
spoken disclaimer, its words and time). It must run last: the signature covers every
byte of the file. ``read`` validates any file's credentials with the SDK's reader and
says what it found. The SDK never touches the network here (no remote manifests, no
OCSP) and is imported only when a file is signed or read.

Formats: MP3, M4A, WAV and FLAC (for FLAC the SDK puts an ID3v2 tag before ``fLaC``;
mutagen, ffmpeg and the SDK read such files). c2pa-python 0.38.1 cannot sign Ogg or Opus.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narrate.errors import DependencyError, SigningError
from narrate.export.xmp import TRAINED_ALGORITHMIC_MEDIA

MIME = {"mp3": "audio/mpeg", "m4a": "audio/mp4", "wav": "audio/wav", "flac": "audio/flac"}
INSTALL_HINT = "install it with: pip install 'narrate[disclosure]'"
DISCLOSURE_LABEL = "narrate.disclosure"
OFFLINE = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


@dataclass(frozen=True)
class Claim:
    """What the credentials say about one narration."""

    title: str
    version: str
    engine: str
    voice: str
    source_title: str | None
    source_url: str | None
    source_sha256: str
    source_name: str
    disclaimer: dict[str, Any] | None  # text, start_ms, end_ms; None: no spoken disclaimer

    def definition(self) -> dict[str, Any]:
        agent = {"name": "narrate", "version": self.version}
        ingredient: dict[str, Any] = {
            "title": self.source_title or self.source_name,
            "format": "text/plain",
            "relationship": "inputTo",
            "metadata": {"sha256": self.source_sha256, "source": self.source_name},
        }
        if self.source_url:
            ingredient["metadata"]["url"] = self.source_url
        return {
            "claim_generator_info": [agent],
            "title": self.title,
            "assertions": [
                {"label": "c2pa.actions", "data": {"actions": [{
                    "action": "c2pa.created",
                    "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                    "softwareAgent": agent,
                    "parameters": {"engine": self.engine, "voice": self.voice},
                }]}},
                {"label": DISCLOSURE_LABEL, "data": {
                    "ai_generated_voice": True,
                    "spoken_disclaimer": self.disclaimer is not None,
                    **({"disclaimer": self.disclaimer} if self.disclaimer else {}),
                }},
            ],
            "ingredients": [ingredient],
        }


@dataclass(frozen=True)
class Signed:
    signer: str  # the leaf certificate's common name and organisation
    milliseconds: float


def _sdk() -> Any:
    try:
        import c2pa
    except ImportError:
        raise DependencyError(f"signing needs the C2PA SDK (c2pa-python); {INSTALL_HINT}") from None
    return c2pa


def available() -> bool:
    try:
        _sdk()
    except DependencyError:
        return False
    return True


def _signer(c2pa: Any, cert: Path, key: Path) -> Any:
    from narrate.keys import signing_algorithm

    try:
        algorithm = getattr(c2pa.C2paSigningAlg, signing_algorithm(key).upper())
        info = c2pa.C2paSignerInfo(algorithm, cert.read_bytes(), key.read_bytes(), None)
        return c2pa.Signer.from_info(info)
    except OSError as exc:
        raise SigningError(f"cannot read {exc.filename}: {exc.strerror}") from None
    except (ValueError, c2pa.C2paError) as exc:
        raise SigningError(f"the signing certificate or key is not usable ({_short(exc)}); "
                           "give the private key and its certificate chain, leaf first") from None


def check(cert: Path, key: Path) -> None:
    """Fail now, before any work, if the SDK is missing or the key pair cannot sign."""
    c2pa = _sdk()
    _signer(c2pa, cert, key).close()


def sign(path: Path, fmt: str, claim: Claim, cert: Path, key: Path) -> Signed:
    """Embed signed credentials in ``path`` (replaced in place, through a sibling temp file)."""
    c2pa = _sdk()
    started = time.perf_counter()
    signer = _signer(c2pa, cert, key)
    signed = path.with_suffix(".signed.part")
    try:
        with c2pa.Context.from_dict({**OFFLINE, "builder": {"thumbnail": {"enabled": False}}}) as context, \
                c2pa.Builder(claim.definition(), context=context) as builder, \
                path.open("rb") as source, signed.open("w+b") as dest:
            builder.sign(signer, MIME[fmt], source, dest)
        signed.replace(path)
    except c2pa.C2paError as exc:
        raise SigningError(f"cannot sign {fmt.upper()} with C2PA: {_short(exc)}") from None
    except OSError as exc:
        raise SigningError(f"cannot sign: {exc.strerror}") from None
    finally:
        signed.unlink(missing_ok=True)
        signer.close()
    elapsed = (time.perf_counter() - started) * 1000
    found = read(path)  # the signer's name, and proof that what was written reads back
    if not found.valid:
        raise SigningError(f"the signed {fmt.upper()} does not validate: "
                           f"{found.error or ', '.join(found.failures)}")
    return Signed(found.signer or "unknown signer", elapsed)


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


@dataclass(frozen=True)
class Credentials:
    """What ``read`` found in a file."""

    present: bool
    state: str = ""  # the SDK's validation state: Invalid, Valid, Trusted
    signer: str | None = None  # "common name [organisation]" of the signing certificate
    trusted: bool = False
    tampered: bool = False  # a content hash does not match: the file changed after signing
    failures: tuple[str, ...] = ()  # validation codes, e.g. assertion.dataHash.mismatch
    assertions: tuple[str, ...] = ()  # labels in the active manifest
    source_type: str | None = None  # digitalSourceType of its c2pa.created action
    spoken_disclaimer: bool | None = None  # from narrate's own assertion
    error: str | None = None  # why the credentials could not be read at all
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """Signature and hashes check out (trusted or not)."""
        return self.present and self.state in ("Valid", "Trusted") and not self.tampered


def read(path: Path, trust_anchors: str | None = None) -> Credentials:
    """Validate the C2PA credentials in any file (``trust_anchors``: PEM root
    certificates to trust besides none). Never raises for a bad file: says so."""
    c2pa = _sdk()
    settings: dict[str, Any] = dict(OFFLINE)
    if trust_anchors:
        settings["trust"] = {"user_anchors": trust_anchors}
    try:
        with c2pa.Context.from_dict(settings) as context:
            reader = c2pa.Reader.try_create(str(path), context=context)
            if reader is None:
                return Credentials(present=False)
            with reader:
                state = reader.get_validation_state() or ""
                results = reader.get_validation_results() or {}
                manifest = reader.get_active_manifest() or {}
    except c2pa.C2paError as exc:
        text = _short(exc)
        if "ManifestNotFound" in text or "no JUMBF" in text:
            return Credentials(present=False)
        return Credentials(present=True, state="Invalid", error=text)
    return _credentials(state, results, manifest)


def _credentials(state: str, results: dict[str, Any], manifest: dict[str, Any]) -> Credentials:
    active = results.get("activeManifest") or {}
    failures = tuple(str(item.get("code", "")) for item in active.get("failure", []))
    successes = {str(item.get("code", "")) for item in active.get("success", [])}
    info = manifest.get("signature_info") or {}
    signer = info.get("common_name")
    if signer and info.get("issuer"):
        signer = f"{signer} [{info['issuer']}]"
    assertions = tuple(str(a.get("label", "")) for a in manifest.get("assertions", []))
    source_type, spoken = None, None
    for assertion in manifest.get("assertions", []):
        data = assertion.get("data") or {}
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in data.get("actions", []):
                if action.get("action") == "c2pa.created":
                    source_type = action.get("digitalSourceType")
        elif assertion.get("label") == DISCLOSURE_LABEL:
            spoken = bool(data.get("spoken_disclaimer"))
    return Credentials(
        present=True, state=state, signer=signer,
        trusted=state == "Trusted" or "signingCredential.trusted" in successes,
        tampered=any(code.endswith(".mismatch") for code in failures),
        failures=failures, assertions=assertions, source_type=source_type, spoken_disclaimer=spoken,
    )
