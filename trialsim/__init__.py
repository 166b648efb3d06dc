"""trialsim: in-silico clinical trials in movement disorders, with virtual patients grounded in physics.

``import trialsim`` is light: OpenSim, torch and PyMC load only where used. The public
API lives in :mod:`trialsim.api`.
"""

__version__ = "0.1.0"
