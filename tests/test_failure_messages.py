"""What a failed build says, read as an AE reads it: each problem once, in file and line order,
nothing that is only a consequence of another problem, and no hint that repeats the mistake.

Found by the attack on serve's failed-build pages: the "... and 60 more bad rows" line came
before the 20 rows it follows, a note whose front matter did not parse also "has data but no
note", and an invalid id was answered "did you mean" itself.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from helpers import TODAY, make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.build import build_site
from reportgen.buildoptions import BuildOptions
from reportgen.canonicalcsv import MAX_PROBLEMS_PER_FILE
from reportgen.errors import InputError, did_you_mean
from reportgen.sources import parse_metric_bytes

HEADER = "date,campaign,channel,impressions,clicks,spend\n"


@settings(max_examples=25, deadline=None)
@given(
    good=st.lists(st.booleans(), min_size=0, max_size=80),
    bad=st.integers(MAX_PROBLEMS_PER_FILE + 1, MAX_PROBLEMS_PER_FILE + 40),
    seed=st.integers(0, 1000),
)
def test_the_count_of_bad_rows_not_listed_comes_after_the_rows_listed(good, bad, seed):
    kinds = [True] * len(good) + [False] * bad
    random.Random(seed).shuffle(kinds)
    day = dt.date(2026, 1, 1)
    rows = [f"{day + dt.timedelta(days=i)},b,s,{1 if ok else 'x'},1,1\n" for i, ok in enumerate(kinds)]
    _table, problems = parse_metric_bytes((HEADER + "".join(rows)).encode(), "data/m.csv")
    ordered = sorted(problems)  # as every message list is shown
    assert "more bad rows" in ordered[-1].message, [str(p) for p in ordered]
    listed = [p for p in ordered if "is not a number" in p.message]
    assert len(listed) == MAX_PROBLEMS_PER_FILE
    assert str(bad - MAX_PROBLEMS_PER_FILE) in ordered[-1].message
    assert ordered[-1].line is not None and ordered[-1].line > max(p.line for p in listed)


@given(
    word=st.text("abcdefgh -_", min_size=1, max_size=12),
    others=st.lists(st.text("abcdefgh-", min_size=1, max_size=12), max_size=6),
)
def test_a_hint_never_suggests_what_was_written(word, others):
    hint = did_you_mean(word, [*others, word])
    assert f"'{word}'?" not in hint


BROKEN_NOTES = {  # each applied to a note that starts `---\nsummary: ...`
    "front matter YAML": lambda text: text.replace("---\n", "---\nstatus: [final\n", 1),
    "unclosed front matter": lambda text: text.replace("\n---\n", "\n", 1),
    "bad status": lambda text: text.replace("---\n", "---\nstatus: bogus\n", 1),
    "not a mapping": lambda text: "---\n- a list\n---\nBody.\n",
    "bad due date": lambda text: text.replace("  done: false", "  due: 2026-13-45\n  done: false", 1),
}


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=st.sampled_from(sorted(BROKEN_NOTES)), preview=st.booleans())
def test_a_note_that_does_not_load_is_named_once_not_also_missing(tmp_path_factory, how, preview):
    root = tmp_path_factory.mktemp("broken-note")
    make_project(root)
    # A month after the first noted one, and over by TODAY: its note would be missed if absent.
    note = root / "content" / "acme-corp" / "2026-10.md"
    text = note.read_text(encoding="utf-8")
    broken = BROKEN_NOTES[how](text)
    assert broken != text
    note.write_text(broken, encoding="utf-8")
    relative = note.relative_to(root).as_posix()
    options = BuildOptions(
        project=root, out=root / "site", today=TODAY, jobs=1, drafts=preview, preview=preview
    )
    with pytest.raises(InputError) as failed:
        build_site(options)
    about_it = [p for p in failed.value.problems if p.path == relative]
    assert about_it and all(p.severity == "error" for p in about_it), [str(p) for p in failed.value.problems]
