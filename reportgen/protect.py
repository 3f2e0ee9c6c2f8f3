"""Protected portals: every file of a client's portal sealed with its password.

AES-256-GCM with a key from PBKDF2-SHA256 (600,000 iterations) over the
password and a random per-client salt. The salt is kept in the project cache
so it stays the same across rebuilds: a device that chose "remember me" keeps
the derived key and stays unlocked after the monthly update. Every sealed
file gets a fresh random 96-bit nonce, so no nonce is ever reused under a key.

What this protects and what it does not is in the README ("Protected
portals"): a static host serves the sealed files to anyone, so the password's
strength is the whole protection against an offline guessing attack.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

ITERATIONS = 600_000  # OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256
SALT_BYTES = 16
SALTS_FILE = "salts.json"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Sealer:
    """Seals bytes for one client's portal."""

    salt: bytes
    key: bytes
    iterations: int = ITERATIONS

    def seal(self, plaintext: bytes) -> dict:
        nonce = os.urandom(12)
        ciphertext = AESGCM(self.key).encrypt(nonce, plaintext, None)
        return {"format": "reportgen-sealed/1", "cipher": "AES-256-GCM",
                "kdf": "PBKDF2-SHA256", "iterations": self.iterations,
                "salt": b64(self.salt), "iv": b64(nonce), "data": b64(ciphertext)}

    def seal_file(self, plaintext: bytes) -> bytes:
        """A download (report.json, metrics.csv) as a sealed JSON envelope."""
        return (json.dumps(self.seal(plaintext), indent=1) + "\n").encode()


def derive_key(password: str, salt: bytes, iterations: int = ITERATIONS) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(password.encode("utf-8"))


def make_sealer(password: str, salt: bytes) -> Sealer:
    return Sealer(salt=salt, key=derive_key(password, salt))


def open_sealed(envelope: dict, password: str) -> bytes:
    """Decrypt an envelope (for scripts that read report.json of a protected portal)."""
    salt = base64.b64decode(envelope["salt"])
    key = derive_key(password, salt, int(envelope["iterations"]))
    return AESGCM(key).decrypt(base64.b64decode(envelope["iv"]), base64.b64decode(envelope["data"]), None)


def load_salts(cache_dir: Path) -> dict[str, bytes]:
    try:
        raw = json.loads((cache_dir / SALTS_FILE).read_text(encoding="utf-8"))
        return {str(k): base64.b64decode(v) for k, v in raw.items()
                if isinstance(v, str) and len(base64.b64decode(v)) == SALT_BYTES}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save_salts(cache_dir: Path, salts: dict[str, bytes]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = cache_dir / f"{SALTS_FILE}.tmp-{os.getpid()}"
    temporary.write_text(json.dumps({k: b64(v) for k, v in sorted(salts.items())}), encoding="utf-8")
    os.replace(temporary, cache_dir / SALTS_FILE)


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)
