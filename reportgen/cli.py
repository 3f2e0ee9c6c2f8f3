"""The command line, `reportgen` (the console entry point `reportgen.cli:main`).

The group and its commands, each in the cli module of its job:
cli_build.py (build, check, pdf), cli_agency.py (status, overview, send),
cli_authoring.py (init, new client, new report, import, serve); cli_common.py
holds the options and error mapping they share. Only these modules import
click, print or exit: the library raises its own errors (errors.py).
"""

from __future__ import annotations

import click

from . import __version__
from .cli_agency import overview, send, status
from .cli_authoring import import_, init, new, serve
from .cli_build import build, check, pdf
from .cli_common import SafeGroup


@click.group(cls=SafeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """reportgen: per-client static reporting portals for agencies."""


# --help lists the commands in alphabetical order, whatever the order here.
for command in (build, check, serve, pdf, send, new, import_, init, status, overview):
    main.add_command(command)


if __name__ == "__main__":  # python -m reportgen.cli
    main()
