import stat
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.readers.pseudonymise import (
    PseudonymKeyError,
    ensure_local_key,
    load_key,
    make_pseudonymiser,
    pseudonymise_array,
)

KEY = b"a" * 64
OTHER_KEY = b"b" * 64
ENV = "ICTBENCH_TEST_PSEUDONYM_KEY"


def test_same_key_gives_the_same_pseudonym():
    assert make_pseudonymiser(KEY)("100234") == make_pseudonymiser(KEY)("100234")


def test_other_key_gives_another_pseudonym():
    assert make_pseudonymiser(KEY)("100234") != make_pseudonymiser(OTHER_KEY)("100234")


def test_other_ids_give_other_pseudonyms():
    pseudonymise = make_pseudonymiser(KEY)
    assert pseudonymise("100234") != pseudonymise("100235")


def test_ids_are_normalised_before_hashing():
    pseudonymise = make_pseudonymiser(KEY)
    assert pseudonymise(" E00123 ") == pseudonymise("e00123") == pseudonymise("E00123")


def test_pseudonym_is_hex_and_does_not_contain_the_id():
    pseudonym = make_pseudonymiser(KEY)("100234")
    assert len(pseudonym) == 32
    assert int(pseudonym, 16) >= 0
    assert "100234" not in pseudonym


def test_array_variant_matches_the_scalar_one_and_keeps_nulls():
    pseudonymise = make_pseudonymiser(KEY)
    ids = pa.array(["100234", None, "100235", "100234"])
    result = pseudonymise_array(ids, pseudonymise).to_pylist()
    assert result == [pseudonymise("100234"), None, pseudonymise("100235"), pseudonymise("100234")]


def test_short_key_is_refused():
    with pytest.raises(PseudonymKeyError):
        make_pseudonymiser(b"short")


def test_environment_variable_wins_over_key_file(tmp_path: Path, monkeypatch):
    key_file = tmp_path / "key"
    key_file.write_text("f" * 64)
    monkeypatch.setenv(ENV, "e" * 64)
    assert load_key(ENV, key_file) == b"e" * 64


def test_key_file_is_used_without_environment_variable(tmp_path: Path, monkeypatch):
    key_file = tmp_path / "key"
    key_file.write_text("f" * 64 + "\n")
    monkeypatch.delenv(ENV, raising=False)
    assert load_key(ENV, key_file) == b"f" * 64


def test_missing_key_raises_a_specific_error(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(PseudonymKeyError, match=ENV):
        load_key(ENV, tmp_path / "absent")


def test_weak_key_from_environment_is_refused(monkeypatch):
    monkeypatch.setenv(ENV, "secret")
    with pytest.raises(PseudonymKeyError, match="at least"):
        load_key(ENV)


def test_ensure_local_key_creates_a_private_key_once(tmp_path: Path, monkeypatch):
    path = tmp_path / "secrets" / "pseudonym.key"
    key, created = ensure_local_key(path)
    assert created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, created_again = ensure_local_key(path)
    assert (again, created_again) == (key, False)
    monkeypatch.delenv(ENV, raising=False)
    assert load_key(ENV, path) == key
    assert make_pseudonymiser(key)("1") == make_pseudonymiser(load_key(ENV, path))("1")


def test_each_new_local_key_is_random(tmp_path: Path):
    first, _ = ensure_local_key(tmp_path / "one.key")
    second, _ = ensure_local_key(tmp_path / "two.key")
    assert first != second
