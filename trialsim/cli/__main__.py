"""``python -m trialsim.cli``: the command line."""

from trialsim.cli.main import main

main()
