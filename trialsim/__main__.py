"""``python -m trialsim``: the command line."""

from trialsim.cli import main

main()
