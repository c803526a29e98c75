"""Twice-differentiable losses for the sparse learner: value, gradient in the prediction ``f``,
and a constant bounding the second derivative (the coordinate steps minimise a quadratic upper
bound built from it, so every step decreases the objective without a line search)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Loss:
    name: str
    delta: float = 1.0  # Huber's transition point

    @property
    def curvature(self) -> float:
        """Upper bound of d^2 loss / df^2 (1 for squared and Huber, 1/4 for logistic)."""
        return 0.25 if self.name == "logistic" else 1.0

    def value(self, y: np.ndarray, f: np.ndarray) -> np.ndarray:
        if self.name == "squared":
            return 0.5 * (f - y) ** 2
        if self.name == "huber":
            a = np.abs(f - y)
            return np.where(a <= self.delta, 0.5 * a**2, self.delta * (a - 0.5 * self.delta))
        if self.name == "logistic":  # y in {0, 1}
            return np.logaddexp(0.0, -(2 * y - 1) * f)
        raise ValueError(f"unknown loss {self.name!r}")

    def grad(self, y: np.ndarray, f: np.ndarray) -> np.ndarray:
        if self.name == "squared":
            return f - y
        if self.name == "huber":
            return np.clip(f - y, -self.delta, self.delta)
        if self.name == "logistic":
            s = 2 * y - 1
            return -s / (1.0 + np.exp(s * f))
        raise ValueError(f"unknown loss {self.name!r}")


LOSSES = ("squared", "huber", "logistic")
