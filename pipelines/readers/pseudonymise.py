"""Keyed pseudonyms for employee ids: HMAC-SHA256 with a key that never lives in the repository.

The same id under the same key always gives the same pseudonym, so training rows of one employee
stay linked across files and years; without the key a pseudonym cannot be traced back (unlike a
plain hash, which anyone can recompute over the small space of employee numbers).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

KEY_ENV_VAR = "ICTBENCH_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32  # characters of key text; a generated key has 64 hex characters
PSEUDONYM_LENGTH = 32  # hex characters (128 bits): collision-free for any workforce
NEW_KEY_NOTICE = (
    "Created a new pseudonymisation key in {path} (readable by you only). "
    "Employee pseudonyms depend on it: keep it (and back it up) to keep them stable across runs; "
    "set {env_var} to use a shared key instead. Never commit it."
)


class PseudonymKeyError(RuntimeError):
    """No usable pseudonymisation key: nothing with employee ids may be loaded without one."""


def normalise_id(employee_id: str) -> str:
    """` E00123 ` and `e00123` are the same employee."""
    return unicodedata.normalize("NFKC", employee_id).strip().casefold()


class Pseudonymiser:
    """Employee id to its pseudonym under a key; a class, so worker processes can receive it."""

    def __init__(self, key: bytes) -> None:
        _check_key(key)
        self._key = key

    def __call__(self, employee_id: str) -> str:
        digest = hmac.new(self._key, normalise_id(employee_id).encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:PSEUDONYM_LENGTH]

    def __repr__(self) -> str:
        return "Pseudonymiser(<key hidden>)"


def make_pseudonymiser(key: bytes) -> Callable[[str], str]:
    """A function from employee id to its pseudonym under `key`."""
    return Pseudonymiser(key)


def pseudonymise_array(arr: pa.Array, pseudonymise: Callable[[str], str]) -> pa.Array:
    """Pseudonymise a string array, hashing each distinct id once; nulls stay null."""
    encoded = pc.dictionary_encode(pc.cast(arr, pa.string()))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    dictionary = [pseudonymise(value) for value in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(dictionary, pa.string()), encoded.indices)


def load_key(env_var: str = KEY_ENV_VAR, key_file: Path | None = None) -> bytes:
    """The key from the environment variable, else from `key_file`; else PseudonymKeyError."""
    value = os.environ.get(env_var, "").strip()
    if value:
        return _checked(value, f"environment variable {env_var}")
    if key_file is not None and Path(key_file).is_file():
        return _checked(Path(key_file).read_text(encoding="utf-8").strip(), str(key_file))
    where = f" or the key file {key_file}" if key_file is not None else ""
    raise PseudonymKeyError(
        f"no pseudonymisation key: set {env_var}{where} "
        f"(at least {MIN_KEY_LENGTH} characters, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`)"
    )


def ensure_local_key(path: Path) -> tuple[bytes, bool]:
    """Read the key file at `path`, or create it (mode 0600) with a random key; (key, created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _checked(path.read_text(encoding="utf-8").strip(), str(path)), False
    text = secrets.token_hex(32)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return text.encode("utf-8"), True


def _checked(text: str, source: str) -> bytes:
    if len(text) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(
            f"the pseudonymisation key in {source} is {len(text)} characters; "
            f"at least {MIN_KEY_LENGTH} are needed"
        )
    return text.encode("utf-8")


def _check_key(key: bytes) -> None:
    if len(key) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(f"a pseudonymisation key needs at least {MIN_KEY_LENGTH} bytes")
