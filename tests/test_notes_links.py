"""A client's notes are read from the project, or an error says why not (attack a15e).

`content/acme` as a broken link or a loop left the client without notes and
without a word; a note linked out of the project (another agency's drive) was
published. Property: over random links for the notes folder and its notes, every
note is either read from inside the project or named by an error, and a notes
folder that cannot be read is an error, never an empty portal.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.notes import load_client_notes

NOTE = "---\nstatus: final\n---\n\n## Summary\n\nFrom {where}.\n"
FOLDER_TARGETS = [None, "notes/acme", "../outside/acme", "missing", "content/acme", "content/loop"]
FOLDER_TARGETS += ["file.txt"]
NOTE_TARGETS = [None, "notes/acme/2026-09.md", "../outside/acme/2026-09.md", "missing.md"]
NOTE_TARGETS += ["content/acme/2026-11.md"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(folder_target=st.sampled_from(FOLDER_TARGETS), note_target=st.sampled_from(NOTE_TARGETS))
def test_every_note_is_read_inside_the_project_or_named(tmp_path_factory, folder_target, note_target):
    base = tmp_path_factory.mktemp("b")
    root = base / "project"
    for where, folder in (("inside", root / "notes" / "acme"), ("outside", base / "outside" / "acme")):
        folder.mkdir(parents=True)
        (folder / "2026-09.md").write_text(NOTE.format(where=where))
    (root / "file.txt").write_text("x")
    content = root / "content"
    content.mkdir()
    if folder_target == "content/loop":
        os.symlink("loop-b", content / "loop")
        os.symlink("loop", content / "loop-b")
    notes = content / "acme"
    if folder_target in (None, "content/acme"):
        notes.mkdir()
        (notes / "2026-10.md").write_text(NOTE.format(where="content"))
    else:
        os.symlink(os.path.relpath(root / folder_target, content), notes)
    link_note = None
    if note_target is not None and notes.is_dir() and os.path.realpath(notes).startswith(str(root.resolve())):
        link_note = Path(os.path.realpath(notes)) / "2026-08.md"
        if not os.path.lexists(link_note):
            os.symlink(os.path.relpath(root / note_target, link_note.parent), link_note)
    got, problems = load_client_notes(root, "acme")
    real_root = str(root.resolve())
    errors = [p for p in problems if p.severity == "error"]
    if not notes.is_dir() or not os.path.realpath(notes).startswith(real_root + "/"):
        assert got == [] and len(errors) == 1, problems  # one error for the folder, never silence
        assert errors[0].path == "content/acme"
        return
    names = sorted(p.name for p in Path(os.path.realpath(notes)).iterdir() if p.name.endswith(".md"))
    read = sorted(f"{note.month}.md" for note in got)
    named = sorted(Path(p.path).name for p in errors)
    assert sorted(read + named) == names, (read, named, names)
    if link_note is not None and not os.path.realpath(link_note).startswith(real_root + "/"):
        assert link_note.name in named
