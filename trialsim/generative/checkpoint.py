"""The generator checkpoint: one small torch file, loaded safely (``weights_only=True``).

Contents: the flow's state dict, the PCA codec arrays and JSON-able metadata (curve
names, speed range seen in training, basal metabolic rate, the library's sha256, the
training config). ``sha256`` of the file bytes goes into every result's provenance.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trialsim.errors import InputFileError, OutputPathError
from trialsim.generative.dataset import FEATURE_PARAMETERS, SPEED_FEATURE, TARGETS
from trialsim.physiology.parameters import PARAMETERS

FORMAT_VERSION = 1


@dataclass
class GeneratorBundle:
    """A trained generator: codec + flow + what it was trained on."""

    codec: Any
    flow: Any
    curve_names: tuple[str, ...]
    gait_cycle_pct: np.ndarray
    basal_rate_w_kg: float
    log_relative_speed_range: tuple[float, float]
    library_sha256: str
    n_train: int
    config: dict[str, Any]
    #: the learned self-selected speed (:class:`~trialsim.generative.speed_model.SpeedHead`), or None
    speed_head: Any = None
    #: the physics parameters the flow is conditioned on (the library's; speed is the last input)
    feature_names: tuple[str, ...] = FEATURE_PARAMETERS
    sha256: str = field(default="")

    def to_bytes(self) -> bytes:
        import torch

        payload = {
            "format_version": FORMAT_VERSION,
            "state_dict": {k: v.detach().clone() for k, v in self.flow.state_dict().items()},
            "codec": {k: torch.as_tensor(np.asarray(v, dtype=np.float32)) for k, v in self.codec.arrays().items()},
            "meta": {
                "x_dim": int(self.flow.x_dim), "y_dim": int(self.flow.y_dim),
                "hidden": int(self.config["hidden"]), "n_coupling": int(self.config["n_coupling_used"]),
                "features": [*self.feature_names, SPEED_FEATURE], "targets": list(TARGETS),
                "curve_names": list(self.curve_names), "gait_cycle_pct": [float(p) for p in self.gait_cycle_pct],
                "basal_rate_w_kg": float(self.basal_rate_w_kg),
                "log_relative_speed_range": [float(v) for v in self.log_relative_speed_range],
                "library_sha256": self.library_sha256, "n_train": int(self.n_train),
                "config": {k: (float(v) if isinstance(v, float) else int(v)) for k, v in self.config.items()},
                **({"speed_head": self.speed_head.to_meta()} if self.speed_head is not None else {}),
            },
        }
        buf = io.BytesIO()
        torch.save(payload, buf)
        return buf.getvalue()

    def save(self, path: str | Path) -> str:
        """Write the checkpoint atomically; return its sha256."""
        out = Path(path)
        if out.exists() and out.is_dir():
            raise OutputPathError(f"--out {out}: is a directory; give a file name such as generator.pt")
        data = self.to_bytes()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(out)
        self.sha256 = hashlib.sha256(data).hexdigest()
        return self.sha256


def load_bundle(path: str | Path) -> GeneratorBundle:
    """Load a checkpoint written by :meth:`GeneratorBundle.save`.

    Examples
    --------
    >>> bundle = load_bundle("trialsim/data/generator/generator.pt")  # doctest: +SKIP
    """
    import torch

    from trialsim.generative.model import ConditionalFlow, GaitCodec
    from trialsim.generative.speed_model import SpeedHead

    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: generator checkpoint not found; train one with `trialsim generator train LIBRARY --out {p}`")
    data = p.read_bytes()
    try:
        payload = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
        meta = payload["meta"]
        if payload.get("format_version") != FORMAT_VERSION:
            raise InputFileError(f"{p}: checkpoint format {payload.get('format_version')} is not {FORMAT_VERSION}; retrain it")
        features = tuple(meta["features"])
        if (features[-1:] != (SPEED_FEATURE,) or any(f not in PARAMETERS for f in features[:-1])
                or list(meta["targets"]) != list(TARGETS)):
            raise InputFileError(f"{p}: checkpoint was trained on other parameters or targets; retrain it")
        flow = ConditionalFlow(meta["x_dim"], meta["y_dim"], hidden=meta["hidden"], n_coupling=meta["n_coupling"])
        flow.load_state_dict(payload["state_dict"])
        flow.eval()
        codec = GaitCodec(**{k: v.numpy().astype(float) for k, v in payload["codec"].items()})
        head = SpeedHead.from_meta(meta["speed_head"]) if "speed_head" in meta else None
    except InputFileError:
        raise
    except Exception as exc:
        raise InputFileError(f"{p}: not a trialsim generator checkpoint ({type(exc).__name__})") from exc
    return GeneratorBundle(
        codec=codec, flow=flow, curve_names=tuple(meta["curve_names"]),
        gait_cycle_pct=np.asarray(meta["gait_cycle_pct"], dtype=float),
        basal_rate_w_kg=float(meta["basal_rate_w_kg"]),
        log_relative_speed_range=(float(meta["log_relative_speed_range"][0]), float(meta["log_relative_speed_range"][1])),
        library_sha256=str(meta["library_sha256"]), n_train=int(meta["n_train"]), config=dict(meta["config"]),
        speed_head=head, feature_names=features[:-1], sha256=hashlib.sha256(data).hexdigest(),
    )
