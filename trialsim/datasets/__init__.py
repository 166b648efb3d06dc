"""Labelled synthetic sensor datasets (``trialsim synth``) and their fidelity against real recordings (``trialsim fidelity``)."""
