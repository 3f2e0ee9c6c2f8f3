"""The CI workflow `reportgen init` writes, and the reportgen it installs.

The workflow builds the portals on every push and on the 4th of each month,
publishes them, and (opt-in) e-mails the reports. It installs this very
reportgen: `install_source` works out how CI can get it, from facts about the
installed package and its git checkout (installsource.py), never the network.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from .installsource import NOT_ON_INDEX, InstallSource, git_checkout, git_url, subdirectory_fragment

WORKFLOW = ".github/workflows/reportgen.yml"

WORKFLOW_TEXT = """\
# Builds the portals on every push and on the 4th of each month (when the ad
# platforms' late conversions have settled), for the month just finished.
# --strict: warnings (a month without a note, overdue next steps...) fail the run.
name: reportgen
on:
  push:
    branches: [main]
  schedule:
    - cron: "0 6 4 * *"
  workflow_dispatch: {}
permissions:
  contents: read
  pages: write
  id-token: write
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      # The exact reportgen this project was created with ({distribution} on the
      # package index; "reportgen" there is an unrelated project). Raise it on purpose.
      - run: pip install "{requirement}"
      - name: Build the portals
        run: reportgen build --strict ${{ github.event_name == 'schedule' && '--month previous' || '' }}
        # env:   # one secret per protected portal (clients.yaml access.password_env)
        #   ACME_PORTAL_PASSWORD: ${{ secrets.ACME_PORTAL_PASSWORD }}
      - uses: actions/upload-artifact@v4
        with:
          name: site
          path: site
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
  publish:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
  # Opt-in: after a successful scheduled publish, e-mail each client's contacts
  # their report for the month just finished, once (README: "Sending reports by
  # e-mail"). To turn it on, set the repository variable REPORTGEN_SEND to true
  # and the secret REPORTGEN_SMTP_URL (smtps://USER:PASSWORD@HOST:465). What was
  # sent is recorded in .reportgen/sent.jsonl, committed back below, so a report
  # goes to each person once; a run that fails halfway resumes next time.
  send:
    needs: publish
    if: github.event_name == 'schedule' && vars.REPORTGEN_SEND == 'true'
    runs-on: ubuntu-latest
    permissions:
      contents: write
    concurrency:
      group: reportgen-send
      cancel-in-progress: false
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install "{requirement}"
      - uses: actions/download-artifact@v4   # the built site: report.pdf for agency.email.attach_pdf
        with:
          name: site
          path: site
      - name: E-mail the reports
        run: reportgen send --month previous
        env:
          REPORTGEN_SMTP_URL: ${{ secrets.REPORTGEN_SMTP_URL }}
      - name: Commit the ledger
        if: ${{ !cancelled() }}   # also after a failure halfway: what was sent stays recorded
        run: |
          if [ -f .reportgen/sent.jsonl ]; then
            git config user.name "github-actions[bot]"
            git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
            git add .reportgen/sent.jsonl
            if ! git diff --cached --quiet; then
              git commit -m "reportgen: record the reports e-mailed [skip ci]"
              git pull --rebase && git push
            fi
          fi
"""


def install_requirement() -> str:
    """What the generated workflow installs: this very reportgen (see install_source)."""
    return install_source().requirement


def install_source() -> InstallSource:
    """This very reportgen, as CI can install it (no network is used to find out):

    - installed from a git repository (pip's direct_url.json `vcs_info`): that
      repository at that commit;
    - installed from a local folder (editable or not) that is a git checkout
      with a remote (`origin`, else its only remote; https or ssh): that remote
      at the checkout's commit (`#subdirectory=` when the package is not at the
      top of the repository);
    - installed from the package index: `reportgen-portals==X.Y.Z`;
    - a local folder without a usable remote: the same version pin, with a
      comment that this version must be on the index or the line replaced.
    """
    from importlib import metadata

    from . import DISTRIBUTION, __version__

    pinned = f"{DISTRIBUTION}=={__version__}"
    try:
        direct = json.loads(metadata.distribution(DISTRIBUTION).read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError, OSError):
        direct = {}
    direct = direct if isinstance(direct, dict) else {}
    raw_url = direct.get("url")
    url = raw_url if isinstance(raw_url, str) else ""
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict):
        remote = git_url(url) if vcs.get("vcs") == "git" else None
        commit = str(vcs.get("commit_id", ""))
        if remote and re.fullmatch(r"[0-9a-f]{40}", commit):
            where = subdirectory_fragment(direct.get("subdirectory"))
            return InstallSource(f"{DISTRIBUTION} @ git+{remote}@{commit}{where}")
        return InstallSource(
            pinned,
            NOT_ON_INDEX.format(source=f"a {vcs.get('vcs', 'version control')} repository CI cannot reach"),
        )
    if url.startswith("file:") and isinstance(direct.get("dir_info"), dict):
        folder = Path(url2pathname(urlsplit(url).path))
    elif direct:
        return InstallSource(pinned, NOT_ON_INDEX.format(source="an archive"))
    else:  # no direct_url.json: the index, unless this code sits in a source checkout
        source_tree = _source_checkout()
        if source_tree is None:
            return InstallSource(pinned)
        folder = source_tree
    checkout = git_checkout(folder)
    if checkout is None:
        return InstallSource(pinned, NOT_ON_INDEX.format(source="a local folder without a git remote"))
    remote, commit, subdirectory, published = checkout
    note = (
        ""
        if published
        else (f"Commit {commit[:12]} is on no branch of the remote yet: push it, or CI cannot install it.")
    )
    return InstallSource(f"{DISTRIBUTION} @ git+{remote}@{commit}{subdirectory_fragment(subdirectory)}", note)


def _source_checkout() -> Path | None:
    """The folder this reportgen's code is in, when it is a source tree (its
    pyproject.toml beside the package), not an installed copy."""
    folder = Path(__file__).resolve().parent.parent
    return folder if (folder / "pyproject.toml").is_file() else None


def workflow_text() -> str:
    from . import DISTRIBUTION

    source = install_source()
    note = "".join(f"      # {line}\n" for line in textwrap.wrap(source.note, 90))
    step = "      - run: pip install"
    return (
        WORKFLOW_TEXT.replace("{requirement}", source.requirement)
        .replace("{distribution}", DISTRIBUTION)
        .replace(step, note + step, 1)
    )
