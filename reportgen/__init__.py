"""reportgen: per-client static reporting portals for advertising agencies."""

__version__ = "0.1.0"  # pyproject.toml reads it from here
# The distribution name on the package index ("reportgen" there is another project):
# `pip install reportgen-portals` installs the `reportgen` command and package.
DISTRIBUTION = "reportgen-portals"
