"""Adam (Kingma & Ba, 2015): the optimiser of lesson 5's trainers."""
from __future__ import annotations

import numpy as np


class Adam:
    """Adam over a list of arrays, updated in place.

    Each step moves every number by lr × (running mean of its gradient) / (√(running mean of its
    squared gradient) + eps), with both means corrected for starting at zero.
    """

    def __init__(self, params: list[np.ndarray], lr: float = 1e-2, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.params, self.lr, self.beta1, self.beta2, self.eps = params, lr, beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        correction = np.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            p -= self.lr * correction * m / (np.sqrt(v) + self.eps)
