"""Isolation (SPEC 5.1): a client's folder holds nothing of another client's."""

from __future__ import annotations

from helpers import default_clients, tree_bytes

SPECS = default_clients()


def leaks(content: bytes, forbidden: list[str]) -> list[str]:
    return [word for word in forbidden if word.encode() in content]


def test_client_folders_hold_only_their_own_client(built_site):
    for spec in SPECS:
        others = [o for o in SPECS if o.id != spec.id]
        forbidden = [o.marker for o in others] + [o.id for o in others]
        files = tree_bytes(built_site / spec.id)
        assert len(files) > 40
        own_seen = False
        for path, content in files.items():
            assert not leaks(content, forbidden), (spec.id, path, leaks(content, forbidden))
            own_seen = own_seen or spec.marker.encode() in content
        assert own_seen


def test_shared_files_hold_no_client_data(built_site):
    shared = {
        path: content
        for path, content in tree_bytes(built_site).items()
        if "/" not in path or path.startswith("assets/")
    }
    assert "index.html" in shared and "_headers" in shared
    assert any(path.startswith("assets/") for path in shared)
    forbidden = [s.marker for s in SPECS] + [s.id for s in SPECS]
    for path, content in shared.items():
        assert not leaks(content, forbidden), (path, leaks(content, forbidden))
