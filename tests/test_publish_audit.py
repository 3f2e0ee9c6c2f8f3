"""The publish audit and opaque addresses (issue 10, items 2 and 10).

A protected portal's folder holds sealed pages and sealed envelopes and
nothing else, whatever mix of --client, --shard, cache state and config
changes led to the build; a client's `slug:` is its portal's address.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import DEFAULT_MARKERS, make_project, tree_bytes
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reportgen.audit import (
    audit_site,
    is_sealed_envelope,
    is_sealed_page,
    portals_to_rebuild,
)
from reportgen.cache import Manifest
from reportgen.config import load_project_config
from reportgen.protect import open_sealed

IDS = ("acme-corp", "saigon-foods", "berlin-bikes")
PASSWORDS = {
    "acme-corp": "acme pass phrase one",
    "saigon-foods": "saigon pass phrase two",
    "berlin-bikes": "berlin pass phrase three",
}
SHARED = {".reportgen-site", "_headers", "assets", "index.html", "robots.txt"}


def variable(client_id: str) -> str:
    return client_id.split("-")[0].upper() + "_PORTAL_PASSWORD"


def small_project(root: Path) -> Path:
    """The generated project cut to its last three months: quick to build."""
    make_project(root)
    for client_id in IDS:
        for csv_path in (root / "data" / client_id).glob("*.csv"):
            lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
            csv_path.write_text(
                "".join([lines[0], *[x for x in lines[1:] if x >= "2026-09"]]), encoding="utf-8"
            )
        for note in (root / "content" / client_id).glob("*.md"):
            if note.stem < "2026-09":
                note.unlink()
    return root


def edit_config(root: Path, client_id: str, **changes) -> None:
    """Set (or with None, remove) fields of one client in clients.yaml."""
    path = root / "clients.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] == client_id:
            for key, value in changes.items():
                if value is None:
                    client.pop(key, None)
                else:
                    client[key] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def protect(root: Path, client_id: str, on: bool = True) -> None:
    edit_config(root, client_id, access={"password_env": variable(client_id)} if on else None)


def build(root: Path, *args: str, passwords: dict[str, str] | None = None):
    passwords = {**PASSWORDS, **(passwords or {})}
    return run_cli(
        "build", "--project", root, "--jobs", "1", *args, env={variable(c): p for c, p in passwords.items()}
    )


def current(root: Path) -> dict[str, tuple[str, bool]]:
    """client id → (folder, protected), as clients.yaml says now."""
    document = yaml.safe_load((root / "clients.yaml").read_text(encoding="utf-8"))
    return {c["id"]: (c.get("slug") or c["id"], "access" in c) for c in document["clients"]}


def assert_publishable(root: Path) -> None:
    """No plaintext under any protected portal; nothing but shared files and
    the current clients' folders at the top."""
    site = root / "site"
    clients = current(root)
    tops = {p.name for p in site.iterdir()}
    assert tops <= SHARED | {folder for folder, _ in clients.values()}, tops
    files = tree_bytes(site)
    for client_id, (folder, protected) in clients.items():
        if not protected:
            continue
        mine = {p: c for p, c in files.items() if p.startswith(f"{folder}/")}
        for path, content in mine.items():
            assert DEFAULT_MARKERS[client_id].encode() not in content, path
            assert b"Brightline" not in content or path.endswith(".html"), path
            if path.endswith(".html"):
                assert is_sealed_page(content), path
            else:
                assert is_sealed_envelope(content), path
    # The other way round: a marker of a protected client appears nowhere at all.
    for client_id, (_folder, protected) in clients.items():
        if protected:
            marker = DEFAULT_MARKERS[client_id].encode()
            assert not [p for p, c in files.items() if marker in c]


@pytest.fixture
def project(tmp_path) -> Path:
    return small_project(tmp_path / "proj")


# --- the known hole and its relatives --------------------------------------------------------


def test_protecting_a_built_client_then_building_another_seals_it(project):
    assert build(project).exit_code == 0
    protect(project, "saigon-foods")
    result = build(project, "--client", "acme-corp")
    assert result.exit_code == 0, result.output
    assert "saigon-foods" in result.stderr and "rendered again" in result.stderr
    assert_publishable(project)
    envelope = json.loads((project / "site/saigon-foods/2026-10/report.json").read_text())
    assert json.loads(open_sealed(envelope, PASSWORDS["saigon-foods"]))["client"] == "saigon-foods"
    assert not list((project / "site/saigon-foods").glob("logo*"))


def test_removing_protection_then_building_another_opens_it(project):
    protect(project, "saigon-foods")
    assert build(project).exit_code == 0
    protect(project, "saigon-foods", on=False)
    result = build(project, "--client", "acme-corp")
    assert result.exit_code == 0, result.output
    home = (project / "site/saigon-foods/index.html").read_bytes()
    assert not is_sealed_page(home) and DEFAULT_MARKERS["saigon-foods"].encode() in home


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_a_stale_cache_cannot_keep_plaintext(project, damage):
    assert build(project).exit_code == 0
    cache = project / ".reportgen-cache"
    if damage == "delete":
        shutil.rmtree(cache)
    else:
        for path in cache.glob("build-*.json"):
            path.write_text("{not json", encoding="utf-8")
    protect(project, "berlin-bikes")
    result = build(project, "--client", "acme-corp")
    assert result.exit_code == 0, result.output
    assert_publishable(project)


def test_a_planted_plaintext_file_does_not_survive(project):
    protect(project, "saigon-foods")
    assert build(project).exit_code == 0
    marker = DEFAULT_MARKERS["saigon-foods"]
    (project / "site/saigon-foods/notes.txt").write_text(f"figures {marker}", encoding="utf-8")
    (project / "site/saigon-foods/2026-10/index.html").write_text(f"<p>{marker}</p>", encoding="utf-8")
    assert build(project).exit_code == 0  # nothing changed in the inputs: still audited
    assert_publishable(project)
    (project / "site/saigon-foods/2026-09/metrics.csv").write_text(f"date,x\n{marker}\n", encoding="utf-8")
    assert build(project, "--client", "acme-corp").exit_code == 0
    assert_publishable(project)


def test_a_planted_folder_at_the_top_does_not_survive(project):
    assert build(project).exit_code == 0
    (project / "site/old-client").mkdir()
    (project / "site/old-client/index.html").write_text("plaintext", encoding="utf-8")
    assert build(project).exit_code == 0
    assert not (project / "site/old-client").exists()


def test_changing_the_password_reseals_with_the_new_one_only(project):
    protect(project, "saigon-foods")
    assert build(project).exit_code == 0
    assert build(project, passwords={"saigon-foods": "a brand new phrase"}).exit_code == 0
    assert_publishable(project)
    envelope = json.loads((project / "site/saigon-foods/2026-10/metrics.csv").read_text())
    assert open_sealed(envelope, "a brand new phrase").startswith(b"date,")
    with pytest.raises(ValueError):
        open_sealed(envelope, PASSWORDS["saigon-foods"])


def test_a_removed_client_does_not_survive_a_partial_build(project):
    assert build(project).exit_code == 0
    document = yaml.safe_load((project / "clients.yaml").read_text(encoding="utf-8"))
    document["clients"] = [c for c in document["clients"] if c["id"] != "berlin-bikes"]
    (project / "clients.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    shutil.rmtree(project / "content/berlin-bikes")
    assert build(project, "--client", "acme-corp").exit_code == 0
    assert not (project / "site/berlin-bikes").exists()
    assert (project / "site/saigon-foods/index.html").is_file()


# --- the safety net: a build that would publish plaintext fails ------------------------------


def test_an_unsealed_page_fails_the_build_and_keeps_the_previous_site(project, monkeypatch):
    protect(project, "saigon-foods")
    assert build(project).exit_code == 0
    before = tree_bytes(project / "site")
    from reportgen import site as site_module

    monkeypatch.setattr(
        site_module.SiteRenderer, "seal_files", lambda self, plan, files, sealer: files
    )  # a sealing bug
    result = build(project, "--clean")
    assert result.exit_code == 1
    assert "not sealed" in result.stderr and "saigon-foods" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert tree_bytes(project / "site") == before


def test_audit_names_every_kind_of_unpublishable_file(project, tmp_path):
    protect(project, "saigon-foods")
    assert build(project).exit_code == 0
    staged = tmp_path / "staged"
    shutil.copytree(project / "site", staged)
    config = load_project_config(project)
    shared = ["index.html", "_headers", "robots.txt"]
    assert audit_site(staged, config, shared) == []
    (staged / "saigon-foods/logo.svg").write_text("<svg/>", encoding="utf-8")
    (staged / "saigon-foods/2026-10/report.json").write_text('{"client": "x"}', encoding="utf-8")
    (staged / "gone-client").mkdir()
    problems = {p.path: p.message for p in audit_site(staged, config, shared)}
    assert set(problems) == {
        "site/saigon-foods/logo.svg",
        "site/saigon-foods/2026-10/report.json",
        "site/gone-client",
    }
    assert all("refusing to publish" in m for m in problems.values())


# --- recognising sealed files -----------------------------------------------------------------


def test_sealed_files_are_recognised_by_structure(project):
    protect(project, "saigon-foods")
    assert build(project).exit_code == 0
    site = project / "site"
    page = (site / "saigon-foods/2026-10/index.html").read_bytes()
    envelope = (site / "saigon-foods/2026-10/report.json").read_bytes()
    assert is_sealed_page(page) and is_sealed_envelope(envelope)
    assert is_sealed_envelope((site / "saigon-foods/2026-10/metrics.csv").read_bytes())
    # plaintext of the other clients is neither
    for path in ("acme-corp/index.html", "acme-corp/2026-10/index.html"):
        assert not is_sealed_page((site / path).read_bytes())
    for path in ("acme-corp/2026-10/report.json", "acme-corp/2026-10/metrics.csv"):
        assert not is_sealed_envelope((site / path).read_bytes())
    # a sealed block is not enough: no second one, no chart data, no inline script beside it
    block = page[page.index(b'<script type="application/json" id="sealed">') :]
    block = block[: block.index(b"</script>") + 9]
    assert not is_sealed_page(page.replace(block, block + block))
    assert not is_sealed_page(page.replace(block, block + b'<script type="application/json">[1]</script>'))
    assert not is_sealed_page(page.replace(block, block + b"<script>alert(1)</script>"))
    assert not is_sealed_page(page.replace(block, b""))
    # an envelope smuggling readable text is not an envelope
    data = json.loads(envelope)
    assert not is_sealed_envelope(json.dumps({**data, "note": "Leads up 18% qzsaigonqz"}).encode())
    assert not is_sealed_envelope(json.dumps({**data, "hint": "qzsaigonqz"}).encode())
    assert not is_sealed_envelope(json.dumps({**data, "cipher": "qzsaigonqz"}).encode())
    assert not is_sealed_envelope(json.dumps({**data, "keys": ["qzsaigonqz Sam Lee"]}).encode())
    assert not is_sealed_envelope(json.dumps({k: v for k, v in data.items() if k != "iv"}).encode())
    assert not is_sealed_envelope(json.dumps({**data, "data": "not base64!"}).encode())
    assert not is_sealed_envelope(json.dumps({**data, "format": "something-else"}).encode())
    assert not is_sealed_envelope(b"\xff\xfe")


# --- opaque addresses: slug -------------------------------------------------------------------


def test_slug_is_the_portal_address(project):
    edit_config(project, "saigon-foods", slug="k3v9x2m7q4w8z1p5")
    protect(project, "saigon-foods")
    assert build(project).exit_code == 0
    site = project / "site"
    assert not (site / "saigon-foods").exists()
    assert is_sealed_page((site / "k3v9x2m7q4w8z1p5/index.html").read_bytes())
    assert (site / "k3v9x2m7q4w8z1p5/2026-10/report.json").is_file()
    assert (site / "acme-corp/index.html").is_file()  # no slug: the id
    assert_publishable(project)


@pytest.mark.parametrize("partial", [False, True])
def test_changing_a_slug_removes_the_old_folder(project, partial):
    edit_config(project, "saigon-foods", slug="old-address-1234")
    assert build(project).exit_code == 0
    edit_config(project, "saigon-foods", slug="new-address-5678")
    result = build(project, *(["--client", "acme-corp"] if partial else []))
    assert result.exit_code == 0, result.output
    site = project / "site"
    assert not (site / "old-address-1234").exists()
    assert (site / "new-address-5678/2026-10/index.html").is_file()
    # and again with the client itself selected
    edit_config(project, "saigon-foods", slug="third-address-9")
    assert build(project, "--client", "saigon-foods").exit_code == 0
    assert sorted(p.name for p in site.iterdir() if p.name not in SHARED) == [
        "acme-corp",
        "berlin-bikes",
        "third-address-9",
    ]


def test_swapping_slugs_between_clients(project):
    edit_config(project, "saigon-foods", slug="portal-one")
    edit_config(project, "berlin-bikes", slug="portal-two")
    protect(project, "saigon-foods")
    assert build(project).exit_code == 0
    edit_config(project, "saigon-foods", slug="portal-two")
    edit_config(project, "berlin-bikes", slug="portal-one")
    assert build(project, "--client", "acme-corp").exit_code == 0
    assert_publishable(project)
    assert DEFAULT_MARKERS["berlin-bikes"].encode() in (project / "site/portal-one/index.html").read_bytes()


def config_problem(project: Path, expected: str) -> str:
    result = run_cli("check", "--project", project)
    assert result.exit_code == 1, result.output
    assert expected in result.stderr, result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("client_id", "slug", "expected"),
    [
        ("saigon-foods", "acme-corp", "is the id of another client"),
        ("saigon-foods", "assets", "reserved for the site's shared files"),
        ("saigon-foods", "Upper-Case", "lower-case letters"),
        ("saigon-foods", "../escape", "lower-case letters"),
        ("saigon-foods", "a" * 64, "lower-case letters"),
    ],
)
def test_bad_slugs_are_errors_with_their_line(project, client_id, slug, expected):
    edit_config(project, client_id, slug=slug)
    text = (project / "clients.yaml").read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip().startswith("slug:"))
    assert f"clients.yaml:{line}:" in config_problem(project, expected)


def test_two_clients_with_one_slug_is_an_error(project):
    edit_config(project, "saigon-foods", slug="same-portal")
    edit_config(project, "berlin-bikes", slug="same-portal")
    text = (project / "clients.yaml").read_text(encoding="utf-8")
    lines = [i for i, row in enumerate(text.splitlines(), 1) if row.strip().startswith("slug:")]
    stderr = config_problem(project, "already the address of client 'saigon-foods'")
    assert f"clients.yaml:{lines[1]}:" in stderr and f"(line {lines[0]})" in stderr


def test_an_id_named_like_the_shared_folder_is_an_error(project):
    text = (project / "clients.yaml").read_text(encoding="utf-8")
    (project / "clients.yaml").write_text(text.replace("id: berlin-bikes", "id: assets"), encoding="utf-8")
    (project / "content/berlin-bikes").rename(project / "content/assets")
    config_problem(project, "'assets' is reserved for the site's shared files (give the client a slug)")


def test_a_slug_equal_to_its_own_id_is_fine(project):
    edit_config(project, "acme-corp", slug="acme-corp")
    result = run_cli("check", "--project", project)
    assert result.exit_code == 0, result.stderr


def test_check_warns_when_a_protected_portal_is_at_its_id(project):
    protect(project, "saigon-foods")
    env = {variable("saigon-foods"): PASSWORDS["saigon-foods"]}
    result = run_cli("check", "--project", project, env=env)
    assert result.exit_code == 0
    assert "saigon-foods" in result.stderr and "add `slug:`" in result.stderr
    assert "acme-corp" not in result.stderr.split("add `slug:`")[0].split("\n")[-1]
    assert run_cli("check", "--project", project, "--strict", env=env).exit_code == 1
    edit_config(project, "saigon-foods", slug="q8w2e7r4t9y3u6i1")
    result = run_cli("check", "--project", project, "--strict", env=env)
    assert result.exit_code == 0, result.stderr
    assert "slug" not in result.stderr


def test_init_suggests_an_unguessable_slug(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    assert run_cli("init", first).exit_code == 0 and run_cli("init", second).exit_code == 0
    slugs = [
        next(
            line.split("slug:")[1].strip()
            for line in (p / "clients.yaml").read_text().splitlines()
            if "# slug:" in line
        )
        for p in (first, second)
    ]
    assert slugs[0] != slugs[1] and all(len(s) >= 16 and s.isalnum() for s in slugs)
    # uncommenting both lines gives a protected portal at that address
    text = (first / "clients.yaml").read_text(encoding="utf-8")
    text = text.replace("    # slug:", "    slug:").replace("    # access:", "    access:")
    (first / "clients.yaml").write_text(text, encoding="utf-8")
    result = run_cli("build", "--project", first, env={"EXAMPLE_PORTAL_PASSWORD": "a phrase"})
    assert result.exit_code == 0, result.output
    assert is_sealed_page((first / "site" / slugs[0] / "index.html").read_bytes())


def test_portals_to_rebuild_without_a_site_is_empty(project):
    config = load_project_config(project)
    assert portals_to_rebuild(project / "site", config, list(config.clients), Manifest(), True) == {}


# --- trying to trick it: random sequences of operations ----------------------------------------

BUILDS = st.sampled_from(["full", "acme-corp", "saigon-foods", "berlin-bikes", "1/2", "2/2", "clean"])
CHANGES = st.one_of(
    st.tuples(st.just("protect"), st.sampled_from(IDS), st.booleans()),
    st.tuples(st.just("protect"), st.sampled_from(IDS), st.just(True)),
    st.tuples(st.just("slug"), st.sampled_from(IDS), st.sampled_from([None, "alpha-portal", "beta-portal"])),
    st.tuples(st.just("password"), st.sampled_from(IDS), st.sampled_from(["one", "two"])),
    st.tuples(st.just("cache"), st.sampled_from(["delete", "corrupt"])),
    st.tuples(st.just("plant"), st.sampled_from(IDS)),
    st.tuples(st.just("nothing")),
)
KNOWN_HOLE = [(("protect", "acme-corp", True), "saigon-foods")]


def change(root: Path, step: tuple, passwords: dict[str, str]) -> None:
    kind = step[0]
    if kind == "protect":
        protect(root, step[1], step[2])
    elif kind == "slug":
        taken = {folder for cid, (folder, _) in current(root).items() if cid != step[1]}
        if step[2] not in taken:
            edit_config(root, step[1], slug=step[2])
    elif kind == "password":
        passwords[step[1]] = f"{PASSWORDS[step[1]]} {step[2]}"
    elif kind == "cache":
        for path in (root / ".reportgen-cache").glob("build-*.json"):
            if step[1] == "delete":
                path.unlink()
            else:
                path.write_text('{"format": 1}', encoding="utf-8")
    elif kind == "plant":
        folder, _ = current(root)[step[1]]
        if (root / "site" / folder).is_dir():
            (root / "site" / folder / "stray.txt").write_text(DEFAULT_MARKERS[step[1]])


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(CHANGES, BUILDS), min_size=1, max_size=4))
@example(steps=KNOWN_HOLE)
def test_no_sequence_of_builds_publishes_plaintext(tmp_path_factory, steps):
    """Each step changes something (config, a password, the cache, the site) and
    builds some way; after every build no plaintext of a protected client is
    published, and a failed build would have left the previous site."""
    root = small_project(tmp_path_factory.mktemp("seq") / "proj")
    protect(root, "saigon-foods")
    passwords = dict(PASSWORDS)
    assert build(root).exit_code == 0
    for step, target in steps:
        change(root, step, passwords)
        args = {"full": [], "clean": ["--clean"], "1/2": ["--shard", "1/2"], "2/2": ["--shard", "2/2"]}.get(
            target, ["--client", target]
        )
        before = tree_bytes(root / "site")
        result = build(root, *args, passwords=passwords)
        if result.exit_code != 0:
            assert tree_bytes(root / "site") == before
            pytest.fail(f"{steps}: {result.stderr}")
        assert_publishable(root)


@pytest.mark.parametrize("options", [("--drafts",), ("--month", "2026-04")])
@pytest.mark.parametrize("cause", ["stray", "cache"])
def test_a_client_build_never_renders_another_portal_with_its_own_month_or_drafts(project, options, cause):
    """Found by a second attack: a portal that had to be rendered again during a
    `--client` build took that run's --drafts (publishing another client's draft)
    or --month (taking months off its portal). Now the build stops and says how."""
    from helpers import tree_bytes

    assert build(project).exit_code == 0
    draft = project / "content" / "saigon-foods" / "2026-11.md"
    draft.write_text("---\nstatus: draft\nsummary: s\n---\nDRAFT-TEXT-XYZ\n", encoding="utf-8")
    if cause == "stray":
        (project / "site" / "saigon-foods" / "stray.txt").write_text("x", encoding="utf-8")
    else:
        shutil.rmtree(project / ".reportgen-cache")
    before = tree_bytes(project / "site")
    result = build(project, "--client", "acme-corp", *options)
    assert result.exit_code == 1, result.output
    assert "client 'saigon-foods'" in result.stderr and "--client saigon-foods" in result.stderr
    assert tree_bytes(project / "site") == before
    assert not any(b"DRAFT-TEXT-XYZ" in content for content in before.values())
    # without those options the portal is rendered as a plain build would render it
    assert build(project, "--client", "acme-corp").exit_code == 0
    assert not (project / "site" / "saigon-foods" / "stray.txt").exists()
