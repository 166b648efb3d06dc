"""The ``trialsim`` command line: a thin view over :class:`trialsim.Study` and :class:`trialsim.TrialResults`.

``main`` runs the typer app and turns user mistakes into one line on stderr and exit
code 2. Commands live beside what they drive: ``main`` (validate, schema, cohort, run,
report, dashboard), ``physics`` (physics, library), ``generator`` (generator, twin) and ``sensors`` (synth, fidelity).
"""

from trialsim.cli.main import app, main

__all__ = ["app", "main"]
