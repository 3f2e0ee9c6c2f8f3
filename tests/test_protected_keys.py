"""Protected portals: one key per person, revocation, and a cache with no side door.

Issue 10 (items 6 and "one key per person"). The browser side of the same
design is in test_protected_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from helpers import DEFAULT_MARKERS, make_project
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.cache import CACHE_DIR, load_manifest
from reportgen.config import CLIENTS_YAML
from reportgen.protect import SealedError, make_sealer, new_salt, open_sealed, open_with_keks

PROTECTED = "saigon-foods"
MARKER = DEFAULT_MARKERS[PROTECTED]
PEOPLE = {"SAIGON_SAM": "sam's long passphrase", "SAIGON_KIM": "kim's other passphrase"}


def set_access(root: Path, access: dict | None, client_id: str = PROTECTED, **changes) -> None:
    config = root / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] == client_id:
            client.pop("access", None)
            if access is not None:
                client["access"] = access
            client.update(changes)
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def people(*variables: str) -> dict:
    names = {"SAIGON_SAM": "Sam Lee", "SAIGON_KIM": "Kim Tran", "SAIGON_ANA": "Ana Ruiz"}
    return {"people": [{"name": names[v], "password_env": v} for v in variables]}


def build(root: Path, *args: str, env: dict | None = None):
    return run_cli("build", "--project", root, *args, env=PEOPLE if env is None else env)


def sealed_envelopes(portal: Path) -> dict[str, dict]:
    """Every sealed thing of a portal: the envelope in each login page, and each download."""
    out = {}
    for path in sorted(portal.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            block = re.search(r'<script type="application/json" id="sealed">(.*?)</script>', text, re.S)
            assert block, f"{path}: not a login page"
            out[str(path.relative_to(portal))] = json.loads(block.group(1))
        else:
            out[str(path.relative_to(portal))] = json.loads(text)
    return out


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "proj"
    make_project(root)
    set_access(root, people("SAIGON_SAM", "SAIGON_KIM"))
    return root


# --- the config ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("access", "message"),
    [
        ({"password_env": "A", "people": [{"name": "Sam", "password_env": "B"}]}, "not both"),
        ({}, "not both and not neither"),
        ({"people": []}, "list at least one person"),
        (
            {"people": [{"name": "Sam", "password_env": "A"}, {"name": "sam", "password_env": "B"}]},
            "people[2].name: 'sam' is already used by people[1]",
        ),
        (
            {"people": [{"name": "Sam", "password_env": "A"}, {"name": "Kim", "password_env": "A"}]},
            "people[2].password_env: 'A' is already used by people[1]",
        ),
        ({"people": [{"name": "Sam"}]}, "missing required field"),
        ({"people": [{"name": "Sam", "password_env": "not a name"}]}, "environment variable name"),
        ({"people": [{"name": "Sam", "password_env": "A", "pasword": "x"}]}, "did you mean"),
    ],
)
def test_access_config_errors_name_the_line(tmp_path, access, message):
    root = tmp_path / "proj"
    make_project(root)
    set_access(root, access)
    result = run_cli("check", "--project", root)
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr
    assert re.search(r"clients\.yaml:\d+: ", result.stderr)
    assert "Traceback" not in result.output + result.stderr


def test_editor_schema_knows_people():
    import jsonschema

    access = CLIENTS_YAML.schema()["properties"]["clients"]["items"]["properties"]["access"]
    person = access["properties"]["people"]["items"]
    assert set(person["required"]) == {"name", "password_env"}
    valid = [{"password_env": "A"}, {"people": [{"name": "Sam", "password_env": "B"}]}]
    invalid = [
        {},
        {"password_env": "A", "people": [{"name": "Sam", "password_env": "B"}]},
        {"people": []},
        {"people": [{"name": "Sam"}]},
    ]
    for value in valid:
        jsonschema.validate(value, access)
    for value in invalid:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(value, access)


# --- the crypto ------------------------------------------------------------------------------

passwords = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4, unique=True)


@settings(max_examples=30, deadline=None)
@given(passwords, st.binary(max_size=200), st.data())
def test_each_person_opens_and_a_removed_person_does_not(secrets, plaintext, data):
    salt = new_salt()
    sealer = make_sealer(secrets, salt, iterations=1000)
    envelope = sealer.seal(plaintext)
    assert len(envelope["keys"]) == len(secrets)
    for secret in secrets:
        assert open_with_keks(envelope, [make_sealer([secret], salt, 1000).keks[0]]) == plaintext
    removed = data.draw(st.sampled_from(secrets))
    remaining = [s for s in secrets if s != removed]
    if remaining:
        after = make_sealer(remaining, salt, iterations=1000)
        resealed = after.seal(plaintext)
        assert len(resealed["keys"]) == len(remaining)
        with pytest.raises(SealedError):
            open_with_keks(resealed, make_sealer([removed], salt, 1000).keks)
        assert after.identity != sealer.identity  # every page re-renders without them
        # A remaining person's KEK (a remembered device) is the same across rebuilds.
        assert set(after.keks) <= set(sealer.keks)
    # The identity names the set of people, not their order or the build.
    assert make_sealer(list(reversed(secrets)), salt, 1000).identity == sealer.identity
    assert make_sealer(secrets, new_salt(), 1000).identity != sealer.identity


def test_a_fresh_content_key_and_nonce_per_file():
    sealer = make_sealer(["qzpasswordqz"], new_salt(), iterations=1000)
    one, two = sealer.seal(b"same"), sealer.seal(b"same")
    assert one["iv"] != two["iv"] and one["keys"] != two["keys"] and one["data"] != two["data"]
    assert "qzpasswordqz" not in repr(sealer)
    assert base64.b64encode(sealer.keks[0]).decode() not in repr(sealer)


def test_envelopes_of_the_single_key_format_still_open():
    """reportgen-sealed/1 (before per-person keys) sealed with the KEK itself."""
    salt = new_salt()
    kek = make_sealer(["old password"], salt, iterations=1000).keks[0]
    nonce = b"\x01" * 12
    envelope = {
        "format": "reportgen-sealed/1",
        "iterations": 1000,
        "salt": base64.b64encode(salt).decode(),
        "iv": base64.b64encode(nonce).decode(),
        "data": base64.b64encode(AESGCM(kek).encrypt(nonce, b"old", None)).decode(),
    }
    assert open_sealed(envelope, "old password") == b"old"
    with pytest.raises(SealedError):
        open_sealed(envelope, "wrong")


def test_wrong_password_raises(project):
    assert build(project).exit_code == 0
    envelope = json.loads((project / "site" / PROTECTED / "2026-10" / "report.json").read_text())
    with pytest.raises(SealedError):
        open_sealed(envelope, "not a password of this portal")


# --- build: people, revocation ---------------------------------------------------------------


def test_each_person_opens_every_file_of_the_portal(project):
    result = build(project)
    assert result.exit_code == 0, result.output + result.stderr
    envelopes = sealed_envelopes(project / "site" / PROTECTED)
    assert len(envelopes) > 20
    for name, envelope in envelopes.items():
        assert envelope["iterations"] >= 600_000 and len(envelope["keys"]) == 2, name
    report = envelopes["2026-10/report.json"]
    for password in PEOPLE.values():
        assert json.loads(open_sealed(report, password))["client"] == PROTECTED


@pytest.mark.parametrize("args", [(), ("--client", "acme-corp")])
def test_removing_a_person_revokes_them_everywhere_and_keeps_the_salt(project, args):
    assert build(project).exit_code == 0
    before = sealed_envelopes(project / "site" / PROTECTED)
    set_access(project, people("SAIGON_KIM"))
    # Sam's variable may go too; even a build of other clients reseals the portal.
    result = build(project, *args, env={"SAIGON_KIM": PEOPLE["SAIGON_KIM"]})
    assert result.exit_code == 0, result.output + result.stderr
    after = sealed_envelopes(project / "site" / PROTECTED)
    assert set(after) == set(before)
    salts = {e["salt"] for e in after.values()}
    assert salts == {e["salt"] for e in before.values()} and len(salts) == 1
    sam = make_sealer([PEOPLE["SAIGON_SAM"]], base64.b64decode(salts.pop()))
    kim = make_sealer([PEOPLE["SAIGON_KIM"]], sam.salt)
    for name, envelope in after.items():
        assert len(envelope["keys"]) == 1, name
        with pytest.raises(SealedError):
            open_with_keks(envelope, sam.keks)
        assert open_with_keks(envelope, kim.keks)


def test_adding_a_person_reseals_every_file_and_keeps_everyone_elses_key(project):
    assert build(project).exit_code == 0
    before = sealed_envelopes(project / "site" / PROTECTED)
    set_access(project, people("SAIGON_SAM", "SAIGON_KIM", "SAIGON_ANA"))
    result = build(project, env={**PEOPLE, "SAIGON_ANA": "ana's passphrase"})
    assert result.exit_code == 0, result.stderr
    after = sealed_envelopes(project / "site" / PROTECTED)
    assert {e["salt"] for e in after.values()} == {e["salt"] for e in before.values()}
    for name, envelope in after.items():
        assert len(envelope["keys"]) == 3 and envelope["iv"] != before[name]["iv"], name
    for password in [*PEOPLE.values(), "ana's passphrase"]:
        assert json.loads(open_sealed(after["2026-10/report.json"], password))["month"] == "2026-10"


def test_a_missing_password_names_the_person_and_its_line(project):
    result = build(project, env={"SAIGON_SAM": PEOPLE["SAIGON_SAM"]})
    assert result.exit_code == 1
    assert "access.people[2].password_env (Kim Tran)" in result.stderr
    assert "SAIGON_KIM is not set" in result.stderr
    line = next(
        i
        for i, text in enumerate((project / "clients.yaml").read_text().splitlines(), 1)
        if "Kim Tran" in text
    )
    assert f"clients.yaml:{line}:" in result.stderr
    assert not (project / "site").exists()


def test_two_people_with_one_password_is_an_error(project):
    result = build(project, env={"SAIGON_SAM": "same", "SAIGON_KIM": "same"})
    assert result.exit_code == 1
    assert "holds the same password as access.people[1]" in result.stderr
    assert "same" not in result.stderr.replace("the same password", "")  # never echoes a password
    assert not (project / "site").exists()


def test_a_single_password_portal_still_works(tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    set_access(root, {"password_env": "SAIGON_ONE"})
    result = build(root, env={"SAIGON_ONE": "one password"})
    assert result.exit_code == 0, result.stderr
    envelope = json.loads((root / "site" / PROTECTED / "2026-10" / "metrics.csv").read_text())
    assert len(envelope["keys"]) == 1
    assert open_sealed(envelope, "one password").decode().startswith("date,")


# --- the cache is no side door ------------------------------------------------------------------


def secrets_of(result_stderr: str) -> list[str]:
    """What must never be readable in the cache or the site: the protected client's
    marker (in its name, notes, campaigns), every warning the build printed about it
    (next-step texts, spend figures), the passwords and their cheap hashes."""
    warnings = [
        line.split("warning: ", 1)[1]
        for line in result_stderr.splitlines()
        if "warning: " in line and (PROTECTED in line or MARKER in line)
    ]
    figures = [f for w in warnings for f in re.findall(r"\d[\d,.]{4,}\d", w)]
    hashes = [hashlib.sha256(p.encode()).hexdigest() for p in PEOPLE.values()]
    return [MARKER, *warnings, *figures, *PEOPLE.values(), *hashes]


def scan(root: Path, needles: list[str]) -> list[tuple[str, str]]:
    """Each needle as written, JSON-escaped (the cache is JSON) and HTML-escaped."""
    forms = {
        (needle, form)
        for needle in needles
        for form in (needle, json.dumps(needle)[1:-1], html.escape(needle))
        if form
    }
    leaks = []
    for folder in (root / CACHE_DIR, root / "site" / PROTECTED):
        for path in folder.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                leaks.extend(
                    (str(path.relative_to(root)), needle)
                    for needle, form in forms
                    if form.encode() in content
                )
    return sorted(set(leaks))


def test_no_plaintext_of_a_protected_client_in_the_cache(project):
    # Give the protected client warnings that quote its figures and next steps.
    set_access(project, people("SAIGON_SAM", "SAIGON_KIM"), budget={"monthly": 1000})
    note = project / "content" / PROTECTED / "2026-10.md"
    note.write_text(note.read_text(encoding="utf-8").replace("2026-12-15", "2026-11-01"), encoding="utf-8")
    first = build(project)
    assert first.exit_code == 0, first.stderr
    needles = secrets_of(first.stderr)
    assert any("was due" in n for n in needles) and any("over the budget" in n for n in needles)
    assert scan(project, needles) == []
    manifest = load_manifest(project, project / "site")
    assert manifest.clients[PROTECTED].warnings == []
    assert manifest.clients[PROTECTED].sealed_warnings["keys"]  # type: ignore[index]

    # A no-op rebuild reports the same warnings, read back from the sealed cache.
    again = build(project)
    assert again.exit_code == 0
    assert (
        "0 pages rendered" in again.output or "nothing" in again.output.lower() or "unchanged" in again.output
    )
    assert sorted(secrets_of(again.stderr)) == sorted(needles)

    # Incremental builds: a note edit, one client only, a clean build.
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    for args in ((), ("--client", PROTECTED), ("--client", "acme-corp"), ("--clean",)):
        result = build(project, *args)
        assert result.exit_code == 0, result.stderr
        assert scan(project, needles) == [], args


MARKERS = st.text(alphabet="abcxyzéữßø中 0123456789", min_size=3, max_size=12).map(
    lambda text: f"qz{text.strip() or 'x'}qz"
)


@pytest.mark.slow
@settings(max_examples=6, deadline=None)
@given(
    marker=MARKERS,
    budget=st.sampled_from([None, 1000, 10**9]),
    due=st.sampled_from(["2026-11-01", "2026-12-15"]),
    edit=st.booleans(),
)
def test_no_plaintext_in_the_cache_whatever_the_client_says(tmp_path_factory, marker, budget, due, edit):
    root = tmp_path_factory.mktemp("gen") / "proj"
    make_project(root, markers={PROTECTED: marker})
    changes = {"budget": {"monthly": budget}} if budget else {}
    set_access(root, people("SAIGON_SAM", "SAIGON_KIM"), **changes)
    note = root / "content" / PROTECTED / "2026-10.md"
    note.write_text(note.read_text(encoding="utf-8").replace("2026-12-15", due), encoding="utf-8")
    result = build(root)
    assert result.exit_code == 0, result.stderr
    if edit:  # an incremental build after a note edit, then a no-op one
        note.write_text(note.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        assert build(root).exit_code == 0
    again = build(root)
    assert again.exit_code == 0
    warnings = [
        line.split("warning: ", 1)[1]
        for line in result.stderr.splitlines()
        if "warning: " in line and (PROTECTED in line or marker in line)
    ]
    needles = [marker, *warnings, *PEOPLE.values()]
    assert scan(root, needles) == []


def test_the_fingerprint_holds_no_cheap_password_check(project, monkeypatch):
    """A guess can be checked against the cache only through the portal's own PBKDF2."""
    from reportgen import build as build_module
    from reportgen.cache import InputDigests
    from reportgen.config import load_project_config

    config = load_project_config(project)
    client = next(c for c in config.clients if c.id == PROTECTED)
    options = build_module.BuildOptions(project=project, out=project / "site")
    sealer = make_sealer(PEOPLE.values(), new_salt(), iterations=1000)
    for variable, password in PEOPLE.items():
        monkeypatch.setenv(variable, password)

    def fingerprint(with_sealer):
        return build_module.client_fingerprint(
            project, client, "key", options, InputDigests(), sealer=with_sealer
        )

    one = fingerprint(sealer)
    for variable in PEOPLE:
        monkeypatch.setenv(variable, "something else")
    assert fingerprint(sealer) == one  # the passwords themselves are no input
    assert fingerprint(make_sealer(["something else", "x"], sealer.salt, iterations=1000)) != one
