"""The data cache of `clausula.load(…, cache=DIR)`: the same policy set from the cache as
from the data files; a corrupt cache is ignored and written again; any changed byte is a
new key; data files with problems are never cached."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cluster_uses import POLICIES, uses_table

import clausula
from clausula.data_cache import CACHE_ENV, ColumnarWorks, covers_every_field
from clausula.table import decide_table


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if not p.name.startswith("."))


def _same(a: clausula.PolicySet, b: clausula.PolicySet) -> None:
    assert a.version == b.version
    for section in ("parties", "works", "grants"):
        left, right = getattr(a.data, section), getattr(b.data, section)
        assert list(left) == list(right)
        assert [v.model_dump() for v in left.values()] == [v.model_dump() for v in right.values()]
    assert [r.model_dump() for r in a.data.revocations] == [
        r.model_dump() for r in b.data.revocations
    ]
    for work in a.data.works:
        assert a.data.performers_of(work) == b.data.performers_of(work)
    for party in a.data.parties:
        assert a.data.works_held_by(party) == b.data.works_held_by(party)
    table = uses_table(120, seed=5)
    assert decide_table(a, table).to_pylist() == decide_table(b, table).to_pylist()


def test_a_cached_load_decides_as_the_data_files(tmp_path: Path) -> None:
    plain = clausula.load(POLICIES, cache=False)
    cache = tmp_path / "cache"
    first = clausula.load(POLICIES, cache=cache)
    assert not isinstance(first.data.works, ColumnarWorks)  # read from the files
    assert len(_entries(cache)) == 1
    second = clausula.load(POLICIES, cache=cache)
    assert isinstance(second.data.works, ColumnarWorks)  # read from the cache
    _same(plain, second)


def test_the_cache_directory_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    clausula.load(POLICIES)
    assert isinstance(clausula.load(POLICIES).data.works, ColumnarWorks)
    assert not isinstance(clausula.load(POLICIES, cache=False).data.works, ColumnarWorks)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "remove", "format"])
def test_a_corrupt_cache_is_ignored_and_written_again(tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    clausula.load(POLICIES, cache=cache)
    (entry,) = _entries(cache)
    works = entry / "works.arrow"
    if damage == "truncate":
        works.write_bytes(works.read_bytes()[:100])
    elif damage == "garbage":
        works.write_bytes(b"\x00" * 4096)
    elif damage == "remove":
        works.unlink()
    else:
        (entry / "format").write_text("something else", encoding="utf-8")
    again = clausula.load(POLICIES, cache=cache)
    assert not isinstance(again.data.works, ColumnarWorks)
    _same(clausula.load(POLICIES, cache=False), again)
    assert isinstance(clausula.load(POLICIES, cache=cache).data.works, ColumnarWorks)


def test_a_changed_data_file_is_a_new_key(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    cache = tmp_path / "cache"
    clausula.load(policies, cache=cache)
    consents = policies / "data" / "consents.yaml"
    consents.write_text(consents.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    changed = clausula.load(policies, cache=cache)
    assert not isinstance(changed.data.works, ColumnarWorks)
    assert len(_entries(cache)) == 2


def test_data_with_problems_is_reported_and_not_cached(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    parties = policies / "data" / "parties.yaml"
    parties.write_text(
        parties.read_text(encoding="utf-8").replace("kind: label", "kind: lable", 1),
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    for _ in range(2):
        with pytest.raises(clausula.PolicyError, match="lable"):
            clausula.load(policies, cache=cache)
    assert not cache.exists() or _entries(cache) == []


def test_the_cache_holds_every_section_and_field_of_the_data_files() -> None:
    # A field added to a record must be added to the cache's columns too: until then
    # nothing is cached (a cache that dropped the field would decide differently).
    assert covers_every_field()
