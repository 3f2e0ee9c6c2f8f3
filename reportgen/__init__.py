"""reportgen: per-client static reporting portals for advertising agencies."""

__version__ = "0.1.0"
