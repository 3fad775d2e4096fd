"""C2PA labels: the manifest an AI-labelling obligation calls for, signed into audio files.

The AI Act's Art. 50(2) asks providers to mark synthetic audio "in a machine-readable
format and detectable as artificially generated"; in practice this is a C2PA manifest
(C2PA Technical Specification 2.x) whose `c2pa.actions` assertion records the action
`c2pa.created` with the IPTC digital source type `trainedAlgorithmicMedia`. The manifest
built here also names the generator (the AI system, as the action's `softwareAgent`; the
claim generator is Clausula) and, in an assertion of our own, the decision's id and the
version of the policy set that decided. `sign_audio` embeds and signs it into a WAV or
MP3 file with the Content Authenticity Initiative's library (`c2pa-python`, the `c2pa`
extra); `read_label` reads a file back and validates its manifest. docs/c2pa.md.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ClausulaError
from .models import Decision, Obligation

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
"""IPTC NewsCodes digital source type: media created by a model trained on sampled content."""
CREATED = "c2pa.created"
ACTIONS = "c2pa.actions"
DECISION_ASSERTION = "org.clausula.decision"
"""Our assertion (C2PA: entity-specific labels are reverse domain names): the decision."""
MEDIA_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}
"""The audio files a label is signed into, by suffix."""
ALGORITHMS = ("es256", "ed25519")
"""Signature algorithms offered (both are C2PA's and the library's)."""

# A duty to mark or label the output as AI-made: the AI Act's Art. 50(2) by its citation,
# or a contract's duty in its words ("Label the published output as AI-generated").
_ART_50_2 = re.compile(r"2024/1689.*Article 50\(2\)")
_LABEL_DUTY = re.compile(
    r"\b(?:label|mark)\b.*\b(?:AI[- ]generated|artificially generated)", re.IGNORECASE
)


class LabelError(ClausulaError):
    """A label cannot be made, signed or read; the message says why in one sentence."""


def is_labelling_obligation(obligation: Obligation) -> bool:
    """Whether an obligation is a duty to label the output as AI-generated: the AI Act's
    Art. 50(2) (by its citation), or a duty whose text asks to label or mark the output as
    AI-generated or artificially generated."""
    return bool(
        (obligation.citation and _ART_50_2.search(obligation.citation))
        or _LABEL_DUTY.search(obligation.text)
    )


def labelling_obligations(decision: Decision) -> list[Obligation]:
    """The obligations of a decision that call for an AI label, in the decision's order."""
    return [o for o in decision.obligations if is_labelling_obligation(o)]


def manifest_for(
    decision: Decision, *, generator: str, title: str, media_type: str, version: str
) -> dict[str, Any]:
    """The C2PA manifest definition for the output of a decided use.

    Raises `LabelError` when the decision denies the use (nothing may be generated) or
    carries no labelling obligation. `generator` is the AI system that made the audio,
    `version` Clausula's own (the claim generator). Deterministic: no time, no random id.
    """
    if decision.decision == "deny":
        raise LabelError(f"the use {decision.id or ''} is denied: there is no output to label")
    duties = labelling_obligations(decision)
    if not duties:
        raise LabelError(
            f"the decision on {decision.id or 'the use'} carries no obligation to label the "
            "output as AI-generated (AI Act Art. 50(2) or a contract's labelling duty)"
        )
    return {
        "claim_generator_info": [{"name": "Clausula", "version": version}],
        "title": title,
        "format": media_type,
        "assertions": [
            {
                "label": ACTIONS,
                "data": {
                    "actions": [
                        {
                            "action": CREATED,
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": {"name": generator},
                        }
                    ]
                },
            },
            {
                "label": DECISION_ASSERTION,
                "data": {
                    "decision_id": decision.id,
                    "decision": decision.decision,
                    "policy_version": decision.policy.version,
                    "contracts": decision.policy.contracts,
                    "jurisdictions": decision.policy.jurisdictions,
                    # What the label answers to; no `source` (a path in our files).
                    "obligations": [
                        {"rule": o.rule, "text": o.text, "citation": o.citation} for o in duties
                    ],
                },
            },
        ],
    }


def _library() -> Any:
    try:
        import c2pa
    except ImportError as error:
        raise LabelError(
            "the C2PA library is not installed, so no file can be signed or read "
            "(pip install 'clausula[c2pa]', which installs c2pa-python); "
            f"`clausula label manifest` still writes the manifest JSON ({error})"
        ) from None
    return c2pa


def media_type_of(path: Path) -> str:
    """The media type of an audio file by its suffix, or `LabelError`."""
    media_type = MEDIA_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise LabelError(
            f"{path.name}: a label is signed into a WAV (.wav) or MP3 (.mp3) file, not "
            f"`{path.suffix or 'a file without a suffix'}`"
        )
    return media_type


def sign_audio(
    manifest: dict[str, Any],
    source: Path,
    destination: Path,
    *,
    certificate_chain: bytes,
    private_key: bytes,
    algorithm: str = "es256",
) -> None:
    """Embed `manifest` into the audio file `source`, signed, and write `destination`.

    `certificate_chain` is PEM, the signer's certificate first; no time-stamp authority is
    asked (nothing goes over the network). Raises `LabelError` on any failure.
    """
    c2pa = _library()
    if algorithm not in ALGORITHMS:
        raise LabelError(f"the algorithm must be one of {', '.join(ALGORITHMS)}, not {algorithm}")
    media_type = media_type_of(source)
    try:
        audio = source.read_bytes()
    except OSError as error:
        raise LabelError(f"cannot read {source}: {error.strerror or error}") from None
    alg = {"es256": c2pa.C2paSigningAlg.ES256, "ed25519": c2pa.C2paSigningAlg.ED25519}[algorithm]
    out = io.BytesIO()
    try:
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(alg, certificate_chain, private_key, None)
        )
        with c2pa.Builder(json.dumps(manifest)) as builder:
            builder.sign(signer, media_type, io.BytesIO(audio), out)
    except c2pa.C2paError as error:
        raise LabelError(f"the C2PA library could not sign {source.name}: {error}") from None
    try:
        destination.write_bytes(out.getvalue())
    except OSError as error:
        raise LabelError(f"cannot write {destination}: {error.strerror or error}") from None


@dataclass(frozen=True)
class LabelReading:
    """A label read back: the library's validation state, the active manifest, and every
    problem (validation failures, or a manifest that does not say the audio is AI-made)."""

    state: str
    manifest: dict[str, Any]
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """The signature and hashes check, and the manifest labels the audio as AI-made."""
        return self.state in ("Valid", "Trusted") and not self.problems

    def decision(self) -> dict[str, Any] | None:
        """Our decision assertion's data, or None."""
        for assertion in self.manifest.get("assertions", []):
            if assertion.get("label") == DECISION_ASSERTION:
                data: dict[str, Any] = assertion.get("data", {})
                return data
        return None


def _created_by_ai(manifest: dict[str, Any]) -> bool:
    for assertion in manifest.get("assertions", []):
        label = str(assertion.get("label", ""))
        # The library writes `c2pa.actions` as its version 2, `c2pa.actions.v2`.
        if label == ACTIONS or label.startswith(ACTIONS + ".v"):
            for action in assertion.get("data", {}).get("actions", []):
                if (
                    action.get("action") == CREATED
                    and action.get("digitalSourceType") == TRAINED_ALGORITHMIC_MEDIA
                ):
                    return True
    return False


def read_label(path: Path, *, trust_anchors: bytes | None = None) -> LabelReading:
    """Read the C2PA manifest of an audio file and validate it.

    With `trust_anchors` (PEM certificates) the signer's chain must lead to one of them
    (state `Trusted`); without, a valid signature and hashes give `Valid`.
    """
    c2pa = _library()
    media_type = media_type_of(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LabelError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        if trust_anchors is not None:
            settings = {
                "verify": {"verify_trust": True},
                "trust": {"trust_anchors": trust_anchors.decode("ascii")},
            }
            context = c2pa.Context.from_dict(settings)
            reader = c2pa.Reader(media_type, io.BytesIO(data), context=context)
        else:
            reader = c2pa.Reader(media_type, io.BytesIO(data))
        with reader:
            state = str(reader.get_validation_state())
            manifest = reader.get_active_manifest() or {}
            results = reader.get_validation_results() or {}
    except c2pa.C2paError as error:
        raise LabelError(f"{path.name} carries no readable C2PA manifest: {error}") from None
    # Without trust anchors nobody's certificate is trusted: that is not a failure of the
    # label (its signature and hashes still check), only of a trust nobody was asked for.
    ignored = {"signingCredential.untrusted"} if trust_anchors is None else set()
    failures = [
        f"{item.get('code')}: {item.get('explanation', '')}".strip()
        for item in results.get("activeManifest", {}).get("failure", [])
        if item.get("code") not in ignored
    ]
    if not _created_by_ai(manifest):
        failures.append(
            f"the manifest has no `{CREATED}` action with the digital source type "
            "trainedAlgorithmicMedia: it does not label the audio as AI-generated"
        )
    return LabelReading(state, manifest, tuple(failures))


def throwaway_certificate(
    common_name: str = "Clausula test signer", algorithm: str = "es256"
) -> tuple[bytes, bytes, bytes]:
    """A throw-away certificate chain (the signer's key for `algorithm`, es256 or ed25519) for trying labels out: (the signer's chain in
    PEM, signer first; its private key in PEM; the test root in PEM, to trust when reading).

    Valid for 30 days from now; trusted by nobody but whoever is given the root.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Clausula test certificates"),
            ]
        )

    def usage(*, sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=not sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=sign,
            crl_sign=sign,
            encipher_only=False,
            decipher_only=False,
        )

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(name("Clausula test root"))
        .issuer_name(name("Clausula test root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    if algorithm not in ALGORITHMS:
        raise LabelError(f"the algorithm must be one of {', '.join(ALGORITHMS)}, not {algorithm}")
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if algorithm == "es256"
        else ed25519.Ed25519PrivateKey.generate()
    )
    # C2PA signers are end-entity certificates with digitalSignature and a protection EKU,
    # issued by a CA (the library refuses a self-signed signer).
    signer = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain = signer.public_bytes(pem) + root.public_bytes(pem)
    private = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return chain, private, root.public_bytes(pem)
