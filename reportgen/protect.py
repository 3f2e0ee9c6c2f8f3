"""Protected portals: every file of a client's portal sealed, one key per person.

Each portal has a stable, non-secret random salt (kept in the project cache).
Each person who may open the portal has a *key-encryption key*

    KEK = PBKDF2-SHA256(their password, the portal's salt, 600,000 iterations)

and every sealed file gets a fresh random 256-bit content key: the file is
encrypted with AES-256-GCM under that content key (a fresh 96-bit nonce), and
the content key is wrapped (AES Key Wrap, RFC 3394) under every current
person's KEK. The browser derives the KEK once from the typed password and
tries each wrap, so nobody is asked for their name. Removing a person and
rebuilding drops their wrap from every file; the salt stays the same, so the
other people's remembered devices (which keep the KEK, never the password)
stay unlocked.

What this protects and what it does not is in the README ("Protected
portals"): a static host serves the sealed files to anyone, so each password's
strength is the whole protection against an offline guessing attack.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from .inputfiles import read_cache_file, write_whole

ITERATIONS = 600_000  # OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256
SALT_BYTES = 16
SALTS_FILE = "salts.json"
FORMAT = "reportgen-sealed/2"
# A sealed envelope as JSON holds it: format, cipher, salt, wrapped keys, iv, data (base64).
Envelope = dict[str, Any]


class SealedError(ValueError):
    """No key given opens this envelope (a wrong password, or a revoked person)."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def derive_kek(password: str, salt: bytes, iterations: int = ITERATIONS) -> bytes:
    """A person's key-encryption key: the one expensive step of every password check."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(password.encode("utf-8"))


@dataclass(frozen=True, repr=False)
class Sealer:
    """Seals bytes for one client's portal, openable by each person's KEK."""

    salt: bytes
    keks: tuple[bytes, ...]  # one per person; never written anywhere
    iterations: int = ITERATIONS

    def __repr__(self) -> str:  # a traceback or a digest must never show a key
        return f"Sealer(people={len(self.keks)}, identity={self.identity[:12]})"

    @property
    def identity(self) -> str:
        """Which salt and which set of KEKs: a digest input, so every page
        re-renders when a person is added, removed or changes password.

        Checking a password guess against it costs the same PBKDF2 as against
        the sealed pages themselves (there is no cheaper check in the cache)."""
        ids = sorted(hashlib.sha256(b"reportgen-kek-id\0" + kek).hexdigest() for kek in self.keks)
        return hashlib.sha256(
            "\0".join([FORMAT, b64(self.salt), str(self.iterations), *ids]).encode()
        ).hexdigest()

    def seal(self, plaintext: bytes) -> Envelope:
        content_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        ciphertext = AESGCM(content_key).encrypt(nonce, plaintext, None)
        # Sorted: the wraps are random bytes, so their order says nothing about who is who.
        keys = sorted(b64(aes_key_wrap(kek, content_key)) for kek in self.keks)
        return {
            "format": FORMAT,
            "cipher": "AES-256-GCM",
            "wrap": "AES-KW",
            "kdf": "PBKDF2-SHA256",
            "iterations": self.iterations,
            "salt": b64(self.salt),
            "keys": keys,
            "iv": b64(nonce),
            "data": b64(ciphertext),
        }

    def seal_file(self, plaintext: bytes) -> bytes:
        """A download (report.json, metrics.csv) as a sealed JSON envelope."""
        return (json.dumps(self.seal(plaintext), indent=1) + "\n").encode()

    def open(self, envelope: Envelope) -> bytes:
        """Open an envelope with any of this portal's KEKs (the build's own cache)."""
        return open_with_keks(envelope, self.keks)


def make_sealer(passwords: Iterable[str], salt: bytes, iterations: int = ITERATIONS) -> Sealer:
    """One PBKDF2 per person (about a third of a second each)."""
    return Sealer(
        salt=salt, keks=tuple(derive_kek(p, salt, iterations) for p in passwords), iterations=iterations
    )


def open_with_keks(envelope: Envelope, keks: Iterable[bytes]) -> bytes:
    iv = base64.b64decode(envelope["iv"])
    data = base64.b64decode(envelope["data"])
    for kek in keks:
        for wrapped in envelope["keys"]:
            try:
                content_key = aes_key_unwrap(kek, base64.b64decode(wrapped))
            except InvalidUnwrap:
                continue
            try:
                return AESGCM(content_key).decrypt(iv, data, None)
            except InvalidTag:
                break
    raise SealedError("no key opens this envelope (wrong password, or not a person of this portal)")


def open_sealed(envelope: Envelope, password: str) -> bytes:
    """Decrypt an envelope with a person's password (for scripts that read a
    protected portal's report.json or metrics.csv). Raises SealedError."""
    salt = base64.b64decode(envelope["salt"])
    kek = derive_kek(password, salt, int(envelope["iterations"]))
    if envelope.get("format") == "reportgen-sealed/1":  # before per-person keys: the KEK sealed it
        try:
            return AESGCM(kek).decrypt(
                base64.b64decode(envelope["iv"]), base64.b64decode(envelope["data"]), None
            )
        except InvalidTag:
            raise SealedError("wrong password") from None
    if envelope.get("format") != FORMAT:
        raise SealedError(f"not a {FORMAT} envelope")
    return open_with_keks(envelope, [kek])


def load_salts(cache_dir: Path) -> dict[str, bytes]:
    try:
        raw = json.loads(read_cache_file(cache_dir / SALTS_FILE).decode("utf-8"))
        return {
            str(k): base64.b64decode(v)
            for k, v in raw.items()
            if isinstance(v, str) and len(base64.b64decode(v)) == SALT_BYTES
        }
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save_salts(cache_dir: Path, salts: dict[str, bytes]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    data = json.dumps({k: b64(v) for k, v in sorted(salts.items())}).encode("utf-8")
    write_whole(cache_dir / SALTS_FILE, data)


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)
