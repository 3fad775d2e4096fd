"""The ledger's head, signed with Ed25519 and kept outside the database.

A hash chain shows an edited or removed event in the middle, but not the newest events
removed: what is left is still a valid chain. So each write through a `Ledger` with a
key also signs the new head — (number of events, hash of the last) — into a small file
beside the key, and opening the ledger checks the database against it. Someone who can
write to the database but cannot read the key can neither remove the newest events nor
append events of their own unnoticed. See docs/ledger.md, "The signed head".
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..errors import ClausulaError

KEY_ENV = "CLAUSULA_LEDGER_KEY"
"""The environment variable naming the key file when no `--ledger-key` is given."""
HEAD_SUFFIX = ".head"
"""The signed head is kept in the key's file name plus this, unless another path is given."""
_MAX_HEAD_BYTES = 4096
_CONTEXT = "clausula-ledger-head/1"


class AnchorError(ClausulaError):
    """A key or signed head that cannot be read, or a signed head that does not verify."""


@dataclass(frozen=True, slots=True)
class SignedHead:
    """The head of the chain as last signed: `seq` events, the last with hash `hash`."""

    seq: int
    hash: str


def _message(seq: int, digest: str) -> bytes:
    return f"{_CONTEXT}\n{seq}\n{digest}".encode()


def generate_key(path: str | Path) -> Path:
    """Write a new Ed25519 private key (PEM, readable by its owner only) to `path`; an
    existing file is never overwritten (`FileExistsError`)."""
    target = Path(path)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    return target


class HeadAnchor:
    """Signs and checks the ledger's head with the key in `key_path`; the signed head is
    kept in `head_path` (default: the key's path plus `.head`)."""

    def __init__(self, key_path: str | Path, head_path: str | Path | None = None) -> None:
        self.key_path = Path(key_path)
        self.head_path = (
            Path(head_path)
            if head_path is not None
            else self.key_path.with_name(self.key_path.name + HEAD_SUFFIX)
        )
        try:
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        except OSError as error:
            raise AnchorError(
                f"cannot read the ledger key {self.key_path}: {error.strerror}"
            ) from None
        except (ValueError, TypeError):
            raise AnchorError(
                f"{self.key_path} is not a ledger key (make one with `clausula consent keygen`)"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise AnchorError(f"{self.key_path} is not an Ed25519 key")
        self._key = key
        self._public = key.public_key()

    @classmethod
    def from_env(cls) -> HeadAnchor | None:
        """The anchor of the key named by `CLAUSULA_LEDGER_KEY`, or None when it is unset."""
        path = os.environ.get(KEY_ENV)
        return cls(path) if path else None

    def read(self) -> SignedHead | None:
        """The signed head, checked; None when no head has been signed yet."""
        try:
            raw = self.head_path.read_bytes()[: _MAX_HEAD_BYTES + 1]
        except FileNotFoundError:
            return None
        except OSError as error:
            raise AnchorError(
                f"cannot read the signed head {self.head_path}: {error.strerror}"
            ) from None
        try:
            if len(raw) > _MAX_HEAD_BYTES:
                raise ValueError("too long")
            item = json.loads(raw)
            seq, digest = item["seq"], item["hash"]
            signature = base64.b64decode(item["signature"], validate=True)
            if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(digest, str):
                raise ValueError("bad field")
        except (ValueError, KeyError, TypeError):
            raise AnchorError(f"the signed head {self.head_path} is not a signed head") from None
        try:
            self._public.verify(signature, _message(seq, digest))
        except InvalidSignature:
            raise AnchorError(
                f"the signed head {self.head_path} does not verify with the key "
                f"{self.key_path}: it was changed, or signed with another key"
            ) from None
        return SignedHead(seq, digest)

    def raw(self) -> bytes | None:
        """The head file as it is (to put back if a write is rolled back), or None."""
        try:
            return self.head_path.read_bytes()
        except FileNotFoundError:
            return None

    def write(self, seq: int, digest: str) -> None:
        """Sign (seq, hash) and replace the head file with it (atomically, synced)."""
        signature = base64.b64encode(self._key.sign(_message(seq, digest))).decode()
        text = json.dumps({"seq": seq, "hash": digest, "signature": signature}) + "\n"
        self._replace(text.encode())

    def put_back(self, raw: bytes | None) -> None:
        """Restore the head file as it was before a write that did not commit."""
        if raw is None:
            self.head_path.unlink(missing_ok=True)
        else:
            self._replace(raw)

    def _replace(self, content: bytes) -> None:
        temporary = self.head_path.with_name(self.head_path.name + ".tmp")
        with open(temporary, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.head_path)
