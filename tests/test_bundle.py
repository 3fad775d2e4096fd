"""`PolicyBundle`: the bytes of a policy set, loaded on a worker as `clausula.load` loads
the originals (the same version hash), loaded once per process, and never naming a file
outside the set."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_uses import POLICIES

import clausula
from clausula.bundle import PolicyBundle, policy_of


def test_a_bundle_loads_as_the_directory_does() -> None:
    bundle = PolicyBundle.from_path(POLICIES)
    assert any(name.endswith(".yaml") for name, _ in bundle.data)
    loaded = bundle.load()
    assert loaded.version == clausula.load(POLICIES).version
    assert policy_of(bundle) is policy_of(PolicyBundle.from_path(POLICIES))


def test_the_digest_names_every_byte() -> None:
    bundle = PolicyBundle.from_path(POLICIES)
    name, raw = bundle.clauses[0]
    changed = PolicyBundle(((name, raw + b"\n"), *bundle.clauses[1:]), bundle.data)
    assert changed.digest != bundle.digest
    assert PolicyBundle(bundle.clauses, bundle.data, ("us-nofakes-2026",)).digest != bundle.digest


@pytest.mark.parametrize("name", ["../escape.clause", "/etc/passwd", "a/../../b.clause", ""])
def test_a_bundled_file_stays_inside_the_set(name: str) -> None:
    with pytest.raises(ValueError, match="inside the set"):
        PolicyBundle(((name, b"x"),))


def test_a_policy_error_in_a_bundle_is_reported_with_its_place() -> None:
    bundle = PolicyBundle((("broken.clause", b'contract "x" "y"\n  licensee\n'),))
    with pytest.raises(clausula.PolicyError, match=r"broken\.clause"):
        bundle.load()


def test_a_checked_bundle_reports_an_error_at_the_authors_path(tmp_path: Path) -> None:
    from clausula.bundle import checked_bundle

    (tmp_path / "broken.clause").write_text('contract "x" "y"\n  licensee\n', encoding="utf-8")
    with pytest.raises(clausula.PolicyError) as caught:
        checked_bundle(tmp_path)
    assert "clausula-bundle-" not in str(caught.value)
    assert checked_bundle(POLICIES).digest == PolicyBundle.from_path(POLICIES).digest
