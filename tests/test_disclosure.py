"""Machine-readable disclosure (README, "Disclosure"): every narration carries the
AI-voice disclosure in the tags' comment, the IPTC digital source type in XMP and, signed
with a key, C2PA Content Credentials; `narrate inspect` finds each layer and notices a
flipped byte. Real narrations (espeak-ng, ffmpeg), real signatures (the C2PA SDK), and
readers that are not ours (exiftool, the SDK's Reader, feedparser, ffprobe).

The narrations are made once per module and shared."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import c2pa
import feedparser
import pytest

from conftest import SHORT, assert_clean_failure, run_narrate
from narrate.export.tags import read_marks
from narrate.export.xmp import TRAINED_ALGORITHMIC_MEDIA, packet, source_type

FORMATS = ("mp3", "m4a", "wav", "flac", "ogg")
SIGNABLE = ("mp3", "m4a", "wav", "flac")
XMP_FORMATS = ("mp3", "m4a", "wav")
OFFLINE = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("disclosure")


@pytest.fixture(scope="module")
def keys(work: Path) -> Path:
    """A development chain made by the real command."""
    result = run_narrate("keys", "init", "--dir", str(work / "keys"))
    assert result.returncode == 0, result.stderr
    assert "UNTRUSTED" in result.stdout
    return work / "keys"


@pytest.fixture(scope="module")
def article(work: Path) -> Path:
    """A short page with a canonical URL (the C2PA ingredient names it)."""
    title, body = SHORT.strip().split("\n\n")
    src = work / "harbour.html"
    src.write_text(f'<!doctype html><html><head><title>{title}</title>'
                   f'<link rel="canonical" href="https://example.org/harbour"></head>'
                   f"<body><article><h1>{title}</h1><p>{body}</p></article></body></html>", encoding="utf-8")
    return src


def sign_flags(keys: Path) -> list[str]:
    return ["--sign-cert", str(keys / "signer-chain.pem"), "--sign-key", str(keys / "signer-key.pem")]


@pytest.fixture(scope="module")
def signed(work: Path, keys: Path, article: Path) -> dict[str, Path]:
    """The article narrated and signed in every format (WAV's keys come from a profile)."""
    out: dict[str, Path] = {}
    profile = work / "signing.toml"
    chain, key = keys / "signer-chain.pem", keys / "signer-key.pem"
    profile.write_text(f'[signing]\ncert = "{chain}"\nkey = "{key}"\n', encoding="utf-8")
    for fmt in FORMATS:
        dest = work / "signed" / fmt / f"harbour.{fmt}"
        how = ["--profile", str(profile)] if fmt == "wav" else sign_flags(keys)
        result = run_narrate(str(article), "-o", str(dest), "-q", "-j", "1", *how)
        assert result.returncode == 0, result.stderr
        out[fmt] = dest
    return out


def manifest_of(audio: Path) -> dict:
    return json.loads(audio.with_suffix(".json").read_text(encoding="utf-8"))


def inspect_json(*args: str) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    result = run_narrate("inspect", "--json", *args)
    return result, json.loads(result.stdout or "[]")


def sdk_read(path: Path, anchors: str | None = None) -> c2pa.Reader:
    settings: dict = dict(OFFLINE)
    if anchors:
        settings["trust"] = {"user_anchors": anchors}
    return c2pa.Reader(str(path), context=c2pa.Context.from_dict(settings))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_machine_readable_marks(signed: dict[str, Path], article: Path,
                                                         fmt: str) -> None:
    audio = signed[fmt]
    marks = read_marks(audio)
    assert marks is not None and "AI-generated voice" in (marks.comment or "")
    record = manifest_of(audio)
    layers = record["disclosure"]
    assert layers["spoken"] and layers["comment"]
    assert layers["xmp"] == (fmt in XMP_FORMATS)
    if fmt in XMP_FORMATS:
        assert marks.xmp is not None and source_type(marks.xmp) == TRAINED_ALGORITHMIC_MEDIA
    if fmt not in SIGNABLE:
        assert layers["c2pa"] == "unsupported" and "Ogg/Opus" in layers["note"]
        return
    assert layers["c2pa"] == "signed" and "UNTRUSTED" in layers["signer"]
    # The SDK's own reader: valid signature and hashes, an untrusted (development) signer.
    reader = sdk_read(audio)
    assert reader.get_validation_state() == "Valid"
    failures = [f["code"] for f in reader.get_validation_results()["activeManifest"].get("failure", [])]
    assert failures == ["signingCredential.untrusted"]
    manifest = reader.get_active_manifest()
    labels = [a["label"] for a in manifest["assertions"]]
    assert "narrate.disclosure" in labels and any(label.startswith("c2pa.actions") for label in labels)
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))["data"]
    created = actions["actions"][0]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert created["softwareAgent"]["name"] == "narrate"
    assert created["parameters"]["engine"].startswith("pyttsx3")
    ingredient = manifest["ingredients"][0]
    assert ingredient["metadata"]["sha256"] == record["source"]["sha256"]
    assert ingredient["metadata"]["url"] == "https://example.org/harbour"
    disclosure = next(a for a in manifest["assertions"] if a["label"] == "narrate.disclosure")["data"]
    assert disclosure["spoken_disclaimer"] is True and "AI-generated" in disclosure["disclaimer"]["text"]
    # Signed last: the manifest's hash is the file's, and ffmpeg still decodes the whole of it.
    import hashlib

    assert hashlib.sha256(audio.read_bytes()).hexdigest() == record["audio"]["sha256"]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                            str(audio)], capture_output=True, text=True, check=True)
    assert abs(float(probe.stdout) * 1000 - record["audio"]["duration_ms"]) < 100


@pytest.mark.parametrize("fmt", XMP_FORMATS)
def test_exiftool_reads_the_digital_source_type(signed: dict[str, Path], fmt: str) -> None:
    """A reader that is not ours finds the XMP where the XMP specification puts it."""
    result = subprocess.run(["exiftool", "-s3", "-XMP-iptcExt:DigitalSourceType", str(signed[fmt])],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == TRAINED_ALGORITHMIC_MEDIA


def test_flac_with_the_sdks_id3_prefix_keeps_its_tags_and_chapters(signed: dict[str, Path]) -> None:
    """For FLAC the SDK puts an ID3v2 tag before fLaC: mutagen and ffprobe still read it."""
    audio = signed["flac"]
    assert audio.read_bytes()[:3] == b"ID3"
    import mutagen

    flac = mutagen.File(str(audio))
    assert type(flac).__name__ == "FLAC" and flac["CHAPTER000NAME"] == ["Disclaimer"]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(audio)],
                           capture_output=True, text=True, check=True)
    assert len(json.loads(probe.stdout)["chapters"]) >= 2


def test_inspect_reports_every_layer_and_an_untrusted_signer_honestly(signed: dict[str, Path],
                                                                      keys: Path) -> None:
    result, [report] = inspect_json(str(signed["mp3"]))
    assert result.returncode == 0, result.stderr
    assert {k: v["status"] for k, v in report["layers"].items()} == {
        "spoken": "present", "comment": "present", "xmp": "present", "c2pa": "present"}
    assert "untrusted signer" in report["layers"]["c2pa"]["detail"]
    assert report["c2pa"]["valid"] and not report["c2pa"]["trusted"] and not report["c2pa"]["tampered"]
    assert report["duration_s"] > 2 and -17.5 < report["integrated_lufs"] < -14.5
    assert report["chapters"][0]["title"] == "Disclaimer"
    # With the development root as a trust anchor the same file reads as trusted.
    result, [report] = inspect_json(str(signed["mp3"]), "--trust", str(keys / "root.pem"),
                                    "--require-disclosure")
    assert result.returncode == 0, result.stderr
    assert report["c2pa"]["trusted"] and "trusted signer" in report["layers"]["c2pa"]["detail"]
    text = run_narrate("inspect", str(signed["mp3"]), str(signed["ogg"]))
    assert text.returncode == 0
    assert "c2pa     present     valid, untrusted signer" in text.stdout
    assert "unsupported" in text.stdout and "LUFS" in text.stdout


@pytest.mark.parametrize("fmt", SIGNABLE)
def test_one_flipped_audio_byte_reads_as_tampered(signed: dict[str, Path], work: Path, fmt: str) -> None:
    copy = work / "tampered" / f"copy.{fmt}"
    copy.parent.mkdir(exist_ok=True)
    data = bytearray(signed[fmt].read_bytes())
    data[len(data) * 3 // 4] ^= 0x01  # well inside the audio data
    copy.write_bytes(bytes(data))
    result, [report] = inspect_json(str(copy), "--require-disclosure")
    assert_clean_failure(result, "disclosure missing or invalid", code=3)
    layer = report["layers"]["c2pa"]
    assert layer["status"] == "invalid" and "TAMPERED" in layer["detail"]
    assert report["c2pa"]["tampered"]
    expected = "assertion.bmffHash.mismatch" if fmt == "m4a" else "assertion.dataHash.mismatch"
    assert expected in report["c2pa"]["failures"]


def test_no_disclaimer_still_carries_the_machine_readable_marks(work: Path, keys: Path,
                                                               article: Path) -> None:
    dest = work / "silent" / "harbour.mp3"
    result = run_narrate(str(article), "-o", str(dest), "-q", "-j", "1", "--no-disclaimer", *sign_flags(keys))
    assert result.returncode == 0, result.stderr
    result, [report] = inspect_json(str(dest), "--require-disclosure")
    assert_clean_failure(result, "spoken", code=3)
    states = {k: v["status"] for k, v in report["layers"].items()}
    assert states == {"spoken": "missing", "comment": "present", "xmp": "present", "c2pa": "present"}
    assert report["c2pa"]["spoken_disclaimer"] is False  # the credentials say so too
    assert manifest_of(dest)["disclosure"]["spoken"] is False


def test_a_rerun_after_signing_is_up_to_date_and_the_cache_still_hits(signed: dict[str, Path], keys: Path,
                                                                     article: Path) -> None:
    audio = signed["mp3"]
    before = audio.read_bytes()
    again = run_narrate(str(article), "-o", str(audio), *sign_flags(keys))
    assert again.returncode == 0 and "(up to date" in again.stdout, again.stdout + again.stderr
    assert audio.read_bytes() == before
    forced = run_narrate(str(article), "-o", str(audio), "-f", *sign_flags(keys))
    assert forced.returncode == 0 and " 0 synthesised" in forced.stdout, forced.stdout
    assert sdk_read(audio).get_validation_state() == "Valid"
    # FLAC, whose signed file starts with the SDK's ID3v2 tag, is up to date too.
    flac = signed["flac"]
    again = run_narrate(str(article), "-o", str(flac), *sign_flags(keys))
    assert again.returncode == 0 and "(up to date" in again.stdout, again.stdout + again.stderr


def test_without_a_key_the_output_is_marked_and_says_unsigned(work: Path, article: Path) -> None:
    dest = work / "unsigned" / "harbour.mp3"
    assert run_narrate(str(article), "-o", str(dest), "-q", "-j", "1").returncode == 0
    layers = manifest_of(dest)["disclosure"]
    assert layers["c2pa"] == "unsigned" and layers["xmp"] and "--sign-cert" in layers["note"]
    result, [report] = inspect_json(str(dest))
    assert report["layers"]["c2pa"]["status"] == "missing"


def test_narrate_works_without_the_disclosure_extra(work: Path, article: Path, keys: Path) -> None:
    """With c2pa-python and cryptography not importable, narrations are still marked
    (unsigned); asking to sign or for keys names the extra to install."""
    blocked = ("import sys; sys.modules['c2pa'] = None; sys.modules['cryptography'] = None; "
               "from narrate.cli import main; sys.argv[0] = 'narrate'; main()")
    dest = work / "no-extra" / "harbour.mp3"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", blocked, *args], capture_output=True, text=True,
                              check=False, timeout=120)

    assert run(str(article), "-o", str(dest), "-q", "-j", "1").returncode == 0
    assert manifest_of(dest)["disclosure"]["c2pa"] == "unsigned"
    inspected = run("inspect", str(dest))
    assert inspected.returncode == 0 and "narrate[disclosure]" in inspected.stdout
    assert_clean_failure(run(str(article), "-o", str(work / "no-extra" / "x.mp3"), *sign_flags(keys)),
                         "narrate[disclosure]", out=None)
    assert not (work / "no-extra" / "x.mp3").exists()
    assert_clean_failure(run("keys", "init", "--dir", str(work / "no-extra" / "k")), "narrate[disclosure]")


def test_a_key_that_cannot_sign_fails_before_the_work(work: Path, keys: Path, article: Path) -> None:
    out = work / "bad-key"
    wrong = work / "not-a-key.pem"
    wrong.write_text("not a key\n", encoding="utf-8")
    chain = str(keys / "signer-chain.pem")
    dest = str(out / "x.mp3")
    result = run_narrate(str(article), "-o", dest, "--sign-cert", chain, "--sign-key", str(wrong))
    assert_clean_failure(result, "signing certificate or key is not usable")
    assert not out.exists() or not any(out.iterdir())
    half = run_narrate(str(article), "-o", dest, "--sign-cert", chain)
    assert_clean_failure(half, "needs both a certificate chain and its private key")


def test_keys_init_makes_the_chain_the_sdk_wants(keys: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    leaf, middle = x509.load_pem_x509_certificates((keys / "signer-chain.pem").read_bytes())
    root = x509.load_pem_x509_certificate((keys / "root.pem").read_bytes())
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    public = leaf.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    assert leaf.issuer == middle.subject and middle.issuer == root.subject
    assert all("UNTRUSTED" in c.subject.rfc4514_string() for c in (leaf, middle, root))
    assert (keys / "signer-key.pem").stat().st_mode & 0o077 == 0
    again = run_narrate("keys", "init", "--dir", str(keys))
    assert_clean_failure(again, "use --force")


def test_the_feed_discloses_the_ai_voice_in_podcast_txt(signed: dict[str, Path], work: Path) -> None:
    folder = work / "feed"
    folder.mkdir()
    for path in signed["mp3"].parent.iterdir():
        shutil.copy(path, folder / path.name)
    result = run_narrate("feed", str(folder), "--base-url", "https://example.org/p/", "--title", "Harbour",
                         "--description", "News", "--image", "cover.jpg")
    assert result.returncode == 0, result.stderr
    xml = (folder / "feed.xml").read_bytes()
    parsed = feedparser.parse(xml)
    assert not parsed.bozo
    assert parsed.feed["podcast_txt"]["purpose"] == "ai-content"
    assert parsed.entries[0]["podcast_txt"]["purpose"] == "ai-content"
    ns = "{https://podcastindex.org/namespace/1.0}txt"
    channel = ET.fromstring(xml).find("channel")
    assert channel is not None
    assert "AI-generated voice" in (channel.find(ns).text or "")  # type: ignore[union-attr]
    item_txt = channel.find("item").find(ns)  # type: ignore[union-attr]
    assert item_txt is not None and item_txt.get("purpose") == "ai-content"
    assert "AI-generated voice" in (item_txt.text or "")
    assert "AI-generated voice" in parsed.entries[0]["description"]


def test_inspect_of_something_that_is_not_audio_is_one_line(work: Path) -> None:
    text = work / "notes.txt"
    text.write_text("hello\n", encoding="utf-8")
    assert_clean_failure(run_narrate("inspect", str(text)), "not an audio file")


def test_the_xmp_packet_round_trips_and_escapes() -> None:
    data = packet('Says "AI" & <more>', "narrate 1")
    assert source_type(data) == TRAINED_ALGORITHMIC_MEDIA
    assert source_type(b"<not xml") is None
    other = data.replace(b"trainedAlgorithmicMedia", b"digitalCapture")
    assert source_type(other) == "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


def test_a_profiles_signing_keys_are_checked(work: Path) -> None:
    bad = work / "bad-signing.toml"
    bad.write_text("[signing]\ncert = 5\n", encoding="utf-8")
    assert_clean_failure(run_narrate("script", "--profile", str(bad), "-", stdin=b"Hello there.\n"),
                         "[signing] cert = 5 is not allowed")
    half = work / "half-signing.toml"
    half.write_text('[signing]\ncert = "chain.pem"\n', encoding="utf-8")
    assert_clean_failure(run_narrate("script", "--profile", str(half), "-", stdin=b"Hello there.\n"),
                         "needs both a certificate chain and its private key")
