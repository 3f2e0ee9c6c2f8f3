import os
import sys

# `python -m reportgen` puts the current folder first on sys.path, so a project folder
# holding a `markdown/` or `yaml.py` would be imported in place of the library (found by
# the attack on issue 15's last part). This package is imported already; nothing else
# is taken from the current folder (as Python 3.11's -P would do).
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.realpath(os.curdir):
    del sys.path[0]

from .cli import main

main()
