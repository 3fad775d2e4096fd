"""`clausula label …`: the C2PA label an AI-labelling obligation calls for.

`manifest` decides a use and prints the C2PA manifest its labelling obligation calls for;
`sign` embeds and signs it into a WAV or MP3 file; `verify` reads a file back and validates
its label; `test-cert` writes a throw-away certificate to try signing with. docs/c2pa.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .cli import _fail, _policy_set_and_uses, _reason

if TYPE_CHECKING:
    from .models import Decision, Use

label_app = typer.Typer(
    name="label",
    help="C2PA labels for AI-generated audio: manifest, sign, verify, test-cert.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

UseArgument = Annotated[
    str,
    typer.Argument(
        metavar="USE",
        help="The use whose output is labelled: a .json file "
        "holding one use, or - for standard input.",
        show_default=False,
    ),
]
PoliciesOption = Annotated[
    Path, typer.Option("--policies", "-p", help="Directory of .clause files.")
]
DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Directory of data files. Default: the policies' data/."),
]
GeneratorOption = Annotated[
    str | None,
    typer.Option(
        "--generator",
        metavar="NAME",
        help="The AI system that generated the audio. Default: the use's licensee.",
    ),
]


def _decide(source: str, policies: Path, data: Path | None) -> tuple[Use, Decision]:
    from .render import use_error_text
    from .use_input import UseError

    policy_set, uses = _policy_set_and_uses(source, policies, data)
    items = list(uses)
    if len(items) != 1:
        _fail(f"{source} must hold exactly one use, not {len(items)}")
    item = items[0]
    if isinstance(item, UseError):
        typer.echo(use_error_text(item, "the use"), err=True)
        raise typer.Exit(1)
    return item, policy_set.decide(item)


def _manifest(
    use: Use, decision: Decision, generator: str | None, title: str, media: str
) -> dict[str, Any]:
    from .c2pa_label import LabelError, manifest_for
    from .cli import _version

    try:
        return manifest_for(
            decision,
            generator=generator or use.licensee,
            title=title,
            media_type=media,
            version=_version(),
        )
    except LabelError as error:
        _fail(str(error))


@label_app.command("manifest")
def manifest(
    source: UseArgument,
    policies: PoliciesOption = Path("policies"),
    data: DataOption = None,
    generator: GeneratorOption = None,
    title: Annotated[
        str, typer.Option("--title", help="The title of the labelled file.")
    ] = "generated.wav",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write it here.")
    ] = None,
) -> None:
    """Decide a use and print the C2PA manifest (JSON) its AI-labelling obligation calls
    for: a `c2pa.created` action of trained algorithmic media, the generator, the decision's
    id and policy version. Exit 1 when the use is denied or carries no such obligation."""
    from .c2pa_label import MEDIA_TYPES

    use, decision = _decide(source, policies, data)
    media = MEDIA_TYPES.get(Path(title).suffix.lower(), "audio/wav")
    text = (
        json.dumps(_manifest(use, decision, generator, title, media), indent=2, ensure_ascii=False)
        + "\n"
    )
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {output}: {_reason(error)}")
    typer.echo(f"{output}: C2PA manifest for {decision.id or 'the use'}")


@label_app.command("sign")
def sign(
    source: UseArgument,
    audio: Annotated[Path, typer.Argument(metavar="AUDIO", help="The generated WAV or MP3.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="The labelled file to write.")
    ],
    cert: Annotated[
        Path, typer.Option("--cert", metavar="PEM", help="The signer's certificate chain.")
    ],
    key: Annotated[Path, typer.Option("--key", metavar="PEM", help="The signer's private key.")],
    alg: Annotated[str, typer.Option("--alg", help="es256 or ed25519.")] = "es256",
    policies: PoliciesOption = Path("policies"),
    data: DataOption = None,
    generator: GeneratorOption = None,
) -> None:
    """Decide a use, then embed and sign its C2PA label into the generated WAV or MP3."""
    from .c2pa_label import LabelError, media_type_of, sign_audio

    try:
        media = media_type_of(audio)
        chain, private = cert.read_bytes(), key.read_bytes()
    except LabelError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"cannot read {error.filename}: {_reason(error)}")
    use, decision = _decide(source, policies, data)
    definition = _manifest(use, decision, generator, output.name, media)
    try:
        sign_audio(
            definition, audio, output, certificate_chain=chain, private_key=private, algorithm=alg
        )
    except LabelError as error:
        _fail(str(error))
    typer.echo(
        f"{output}: labelled as AI-generated for {decision.id or 'the use'} "
        f"(policy {decision.policy.version})"
    )


@label_app.command("verify")
def verify(
    audio: Annotated[Path, typer.Argument(metavar="FILE", help="A labelled WAV or MP3.")],
    trust: Annotated[
        Path | None,
        typer.Option(
            "--trust",
            metavar="PEM",
            help="Trust anchors: the signer's chain must lead to one of these certificates.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The active manifest as JSON.")] = False,
) -> None:
    """Read a file's C2PA label back and validate it: signature, hashes, and an action
    saying the audio was created by a trained model. Exit 1 when it does not validate."""
    from .c2pa_label import LabelError, read_label

    try:
        anchors = trust.read_bytes() if trust is not None else None
        reading = read_label(audio, trust_anchors=anchors)
    except LabelError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"cannot read {error.filename}: {_reason(error)}")
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "state": reading.state,
                    "problems": list(reading.problems),
                    "manifest": reading.manifest,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        decision = reading.decision() or {}
        typer.echo(
            f"{audio}: {reading.state}; decision {decision.get('decision_id')} "
            f"({decision.get('decision')}), policy {decision.get('policy_version')}"
        )
        for problem in reading.problems:
            typer.echo(f"  problem: {problem}", err=True)
    if not reading.valid:
        raise typer.Exit(1)


@label_app.command("test-cert")
def test_cert(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write the files.")],
) -> None:
    """Write a throw-away ES256 certificate to try labels with: signer.pem (chain),
    signer.key and root.pem (to pass to `verify --trust`). Trusted by nobody else."""
    from .c2pa_label import throwaway_certificate

    chain, private, root = throwaway_certificate()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "signer.pem").write_bytes(chain)
        (directory / "signer.key").write_bytes(private)
        (directory / "signer.key").chmod(0o600)
        (directory / "root.pem").write_bytes(root)
    except OSError as error:
        _fail(f"cannot write the certificate in {directory}: {_reason(error)}")
    typer.echo(f"{directory}: signer.pem, signer.key, root.pem (a test certificate, 30 days)")
