"""C2PA labels: the manifest the AI-labelling obligation calls for, signed into WAV and MP3
files with a certificate made at test time, and read back and validated.

The signing tests need the C2PA library (c2pa-python, in the `dev` extra). Without it they
fail with the reason rather than skip: CI must not pass without having signed a file.
"""

from __future__ import annotations

import io
import json
import math
import struct
import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausula import load
from clausula.c2pa_label import (
    CREATED,
    DECISION_ASSERTION,
    TRAINED_ALGORITHMIC_MEDIA,
    LabelError,
    is_labelling_obligation,
    labelling_obligations,
    manifest_for,
    read_label,
    sign_audio,
    throwaway_certificate,
)
from clausula.cli import app
from clausula.models import Obligation
from clausula.use_input import parse_use

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
LABELLED_USE = POLICIES / "uses" / "labelling" / "generation-fr.json"
runner = CliRunner()


def _decision(path: Path) -> object:
    policy_set = load(POLICIES)
    return policy_set.decide(parse_use(json.loads(path.read_text())))


def _wav(path: Path) -> Path:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(
            b"".join(struct.pack("<h", int(3000 * math.sin(i / 9))) for i in range(8000))
        )
    path.write_bytes(buffer.getvalue())
    return path


def _mp3(path: Path) -> Path:
    # MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each) of silence: a zero
    # side-info block decodes to nothing.
    frame = bytes([0xFF, 0xFB, 0x90, 0x64]) + bytes(413)
    path.write_bytes(frame * 40)
    return path


def _library_present() -> None:
    try:
        import c2pa  # noqa: F401
    except ImportError as error:  # pragma: no cover - the message is the point
        pytest.fail(
            "c2pa-python is not installed, so no label can be signed: install the dev extra "
            f"(pip install -e '.[dev]'); {error}"
        )


# ------------------------------------------------------------------ which obligations


def test_the_ai_act_and_the_contract_duty_are_labelling_obligations() -> None:
    decision = _decision(LABELLED_USE)
    assert decision.decision == "allow"  # type: ignore[attr-defined]
    rules = [o.rule for o in labelling_obligations(decision)]  # type: ignore[arg-type]
    assert rules == ["eu-ai-act art. 50(2)", "aria-optin-2026 §6.2"]


@pytest.mark.parametrize(
    ("text", "citation", "expected"),
    [
        (
            "Mark the audio output in a machine-readable format",
            "Regulation (EU) 2024/1689, Article 50(2)",
            True,
        ),
        ("Label the published output as AI-generated", None, True),
        (
            "Disclose that the audio has been artificially generated",
            "Regulation (EU) 2024/1689, Article 50(4), first subparagraph",
            False,
        ),
        ("Report to each performer, monthly", None, False),
    ],
)
def test_which_obligations_call_for_a_label(
    text: str, citation: str | None, expected: bool
) -> None:
    obligation = Obligation(rule="r", text=text, citation=citation, source="x:1:1")
    assert is_labelling_obligation(obligation) is expected


def test_no_label_for_a_denied_use_or_one_without_the_obligation() -> None:
    denied = _decision(POLICIES / "uses" / "04-optin-generation-de.json")
    with pytest.raises(LabelError, match="denied"):
        manifest_for(denied, generator="g", title="t.wav", media_type="audio/wav", version="1")  # type: ignore[arg-type]
    training = _decision(POLICIES / "uses" / "02-optin-training.json")
    with pytest.raises(LabelError, match="no obligation to label"):
        manifest_for(training, generator="g", title="t.wav", media_type="audio/wav", version="1")  # type: ignore[arg-type]


# ------------------------------------------------------------------ the manifest


def test_the_manifest_records_ai_creation_generator_decision_and_policy() -> None:
    decision = _decision(LABELLED_USE)
    manifest = manifest_for(
        decision,  # type: ignore[arg-type]
        generator="Aria Music 2",
        title="track.wav",
        media_type="audio/wav",
        version="0.1.0",
    )
    actions = manifest["assertions"][0]
    assert actions["label"] == "c2pa.actions"
    assert actions["data"]["actions"] == [
        {
            "action": CREATED,
            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
            "softwareAgent": {"name": "Aria Music 2"},
        }
    ]
    ours = manifest["assertions"][1]
    assert ours["label"] == DECISION_ASSERTION
    assert ours["data"]["decision_id"] == "generation-fr-labelled"
    assert ours["data"]["policy_version"] == decision.policy.version  # type: ignore[attr-defined]
    assert ours["data"]["policy_version"].startswith("sha256:")
    assert manifest["claim_generator_info"][0]["name"] == "Clausula"
    # Nothing of our file layout goes into a public label.
    assert "policies/" not in json.dumps(manifest)


def test_the_manifest_is_the_same_every_time() -> None:
    first = runner.invoke(app, ["label", "manifest", str(LABELLED_USE), "-p", str(POLICIES)])
    second = runner.invoke(app, ["label", "manifest", str(LABELLED_USE), "-p", str(POLICIES)])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["assertions"][0]["data"]["actions"][0]["softwareAgent"] == {
        "name": "party:aria-labs"
    }


def test_cli_refuses_to_label_a_denied_use() -> None:
    result = runner.invoke(
        app, ["label", "manifest", str(POLICIES / "uses" / "04-optin-generation-de.json")]
    )
    assert result.exit_code == 1
    assert "denied: there is no output to label" in result.stderr


# ------------------------------------------------------------------ signing and reading


@pytest.mark.parametrize(("suffix", "make"), [(".wav", _wav), (".mp3", _mp3)])
@pytest.mark.parametrize("trusted", [True, False])
def test_signed_audio_reads_back_with_a_valid_label(
    tmp_path: Path, suffix: str, make: object, trusted: bool
) -> None:
    _library_present()
    chain, key, root = throwaway_certificate()
    source = make(tmp_path / f"generated{suffix}")  # type: ignore[operator]
    labelled = tmp_path / f"labelled{suffix}"
    decision = _decision(LABELLED_USE)
    manifest = manifest_for(
        decision,  # type: ignore[arg-type]
        generator="Aria Music 2",
        title=labelled.name,
        media_type="audio/wav" if suffix == ".wav" else "audio/mpeg",
        version="0.1.0",
    )
    sign_audio(manifest, source, labelled, certificate_chain=chain, private_key=key)
    reading = read_label(labelled, trust_anchors=root if trusted else None)
    assert reading.problems == ()
    assert reading.state == ("Trusted" if trusted else "Valid")
    assert reading.valid
    assert reading.decision() == manifest["assertions"][1]["data"]
    assert reading.manifest["signature_info"]["common_name"] == "Clausula test signer"


def test_ed25519_signs_too(tmp_path: Path) -> None:
    _library_present()
    chain, key, root = throwaway_certificate(algorithm="ed25519")
    manifest = manifest_for(
        _decision(LABELLED_USE),  # type: ignore[arg-type]
        generator="g",
        title="b.wav",
        media_type="audio/wav",
        version="1",
    )
    labelled = tmp_path / "b.wav"
    sign_audio(
        manifest,
        _wav(tmp_path / "a.wav"),
        labelled,
        certificate_chain=chain,
        private_key=key,
        algorithm="ed25519",
    )
    reading = read_label(labelled, trust_anchors=root)
    assert (reading.state, reading.problems) == ("Trusted", ())
    assert reading.manifest["signature_info"]["alg"].lower() == "ed25519"


def test_a_key_not_matching_the_certificate_is_refused_with_the_reason(tmp_path: Path) -> None:
    _library_present()
    chain, _, _ = throwaway_certificate()
    _, other_key, _ = throwaway_certificate()
    manifest = manifest_for(
        _decision(LABELLED_USE),  # type: ignore[arg-type]
        generator="g",
        title="b.wav",
        media_type="audio/wav",
        version="1",
    )
    with pytest.raises(LabelError, match="could not sign"):
        sign_audio(
            manifest,
            _wav(tmp_path / "a.wav"),
            tmp_path / "b.wav",
            certificate_chain=chain,
            private_key=other_key,
        )


def test_tampered_audio_no_longer_validates(tmp_path: Path) -> None:
    _library_present()
    chain, key, root = throwaway_certificate()
    labelled = tmp_path / "labelled.wav"
    manifest = manifest_for(
        _decision(LABELLED_USE),  # type: ignore[arg-type]
        generator="g",
        title="labelled.wav",
        media_type="audio/wav",
        version="1",
    )
    sign_audio(
        manifest, _wav(tmp_path / "g.wav"), labelled, certificate_chain=chain, private_key=key
    )
    data = bytearray(labelled.read_bytes())
    data[500] ^= 0xFF  # one sample of the audio
    labelled.write_bytes(bytes(data))
    reading = read_label(labelled, trust_anchors=root)
    assert not reading.valid
    assert any("dataHash.mismatch" in p for p in reading.problems)


def test_a_file_without_a_label_is_an_error(tmp_path: Path) -> None:
    _library_present()
    with pytest.raises(LabelError, match="no readable C2PA manifest"):
        read_label(_wav(tmp_path / "plain.wav"))


def test_cli_sign_and_verify(tmp_path: Path) -> None:
    _library_present()
    certs = tmp_path / "certs"
    made = runner.invoke(app, ["label", "test-cert", str(certs)])
    assert made.exit_code == 0, made.output
    source = _wav(tmp_path / "generated.wav")
    labelled = tmp_path / "labelled.wav"
    signed = runner.invoke(
        app,
        [
            "label",
            "sign",
            str(LABELLED_USE),
            str(source),
            "-o",
            str(labelled),
            "--cert",
            str(certs / "signer.pem"),
            "--key",
            str(certs / "signer.key"),
            "-p",
            str(POLICIES),
            "--generator",
            "Aria Music 2",
        ],
    )
    assert signed.exit_code == 0, signed.output
    checked = runner.invoke(
        app, ["label", "verify", str(labelled), "--trust", str(certs / "root.pem")]
    )
    assert checked.exit_code == 0, checked.output
    assert "Trusted; decision generation-fr-labelled (allow)" in checked.stdout
    unsigned = runner.invoke(app, ["label", "verify", str(source)])
    assert unsigned.exit_code == 1
    assert "no readable C2PA manifest" in unsigned.stderr
    flac = runner.invoke(
        app,
        [
            "label",
            "sign",
            str(LABELLED_USE),
            str(tmp_path / "x.flac"),
            "-o",
            "y.flac",
            "--cert",
            str(certs / "signer.pem"),
            "--key",
            str(certs / "signer.key"),
        ],
    )
    assert flac.exit_code == 1
    assert "WAV (.wav) or MP3 (.mp3)" in flac.stderr
