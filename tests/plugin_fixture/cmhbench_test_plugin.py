"""A third-party method used by the tests, installed through a hand-made entry point.

``projection``: random-projection hashing (sign of a seeded Gaussian projection of
centred features, one projection per modality, shared through a least-squares fit
of the text features onto the image projection). It trains in milliseconds, can
be told to sleep (``delay``), to fail at one code length (``fail_bits``), to kill
its own process at one (``exit_bits``, a crashing worker), to append "bits seed pid"
to a file at every fit (``trace``), to fail when that file shows the cell was
trained before (``refit_fails``: a cell dask recomputed), and to give every item of
one modality the same code (``collapse``: a collapsed run).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from cmhbench import CmhbenchError, Method, MethodInfo, as_sign_codes, hyperparameter


@dataclass(frozen=True)
class ProjectionParams:
    delay: float = hyperparameter(0.0, "test fixture")
    fail_bits: int = hyperparameter(0, "test fixture: raise when bits equals this")
    trace: str = hyperparameter("", "test fixture: file that logs every fit")
    exit_bits: int = hyperparameter(0, "test fixture: end the process when bits equals this")
    refit_fails: bool = hyperparameter(False, "test fixture: raise when the trace has this cell")
    collapse: str = hyperparameter("", "test fixture: 'image' or 'text' encodes to one code")


class ProjectionHash(Method):
    info = MethodInfo(
        title="Random projection test fixture", authors="cmhbench tests", venue="tests"
    )
    Params = ProjectionParams

    def fit(self, data, *, device="cpu", seed=0, progress=False):
        if self.bits == self.params.fail_bits:
            raise RuntimeError(f"fixture failure at {self.bits} bits")
        if self.params.trace:
            if self.params.refit_fails and os.path.exists(self.params.trace):
                with open(self.params.trace) as handle:
                    if any(line.split()[:2] == [str(self.bits), str(seed)] for line in handle):
                        raise RuntimeError(f"{self.bits} bits seed {seed} was trained twice")
            with open(self.params.trace, "a") as handle:
                handle.write(f"{self.bits} {seed} {os.getpid()}\n")
        if self.bits == self.params.exit_bits:
            os._exit(3)
        time.sleep(self.params.delay)
        rng = np.random.default_rng(seed)
        self.mean = {"image": data.image.mean(0), "text": data.text.mean(0)}
        x = data.image - self.mean["image"]
        y = data.text - self.mean["text"]
        self.proj = {"image": rng.standard_normal((x.shape[1], self.bits))}
        target = x @ self.proj["image"]
        self.proj["text"] = np.linalg.lstsq(y, target, rcond=None)[0]

    def encode(self, features, modality):
        if not hasattr(self, "proj"):
            raise CmhbenchError("projection: encode() called before fit()")
        projected = (features - self.mean[modality]) @ self.proj[modality]
        if modality == self.params.collapse:
            projected = np.ones_like(projected)
        return as_sign_codes(projected)
