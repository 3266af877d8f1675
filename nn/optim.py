"""Optimizers that move parameters against their gradients: SGD (with momentum) and Adam."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from autograd import Value

from .words import count

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer(Protocol):
    """What fit() needs from an optimizer: zero_grad() before backward, step() after."""

    def zero_grad(self) -> None:
        """Reset every parameter's .grad to 0."""

    def step(self) -> None:
        """Update every parameter from its .grad."""


def _name(p: Value, i: int) -> str:
    return f"parameter {i} ('{p.label}')" if p.label else f"parameter {i} (unlabelled)"


def _real(owner: str, what: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{owner}: {what} must be a number, got {type(x).__name__} {x!r}")
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(
            f"{owner}: {what} is {_size(x)}, too large for a float (at most about ±1.8e308); "
            "pass an ordinary number"
        ) from None


def _size(x: object) -> str:
    return f"a number with {len(str(abs(x)))} digits" if isinstance(x, int) else repr(x)


def _learning_rate(owner: str, lr: object) -> float:
    rate = _real(owner, "lr", lr)
    if not (math.isfinite(rate) and rate > 0.0):
        raise ValueError(f"{owner}: the learning rate lr must be a finite number > 0, got {rate!r}")
    return rate


class _Base:
    """The parameter list, zero_grad, and reading gradients safely; subclasses define update()."""

    def __init__(self, params: Iterable[Value], owner: str, lr: float) -> None:
        if isinstance(params, Value):
            raise TypeError(f"{owner}: params must be an iterable of Values; wrap it as [p]")
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError(
                f"{owner}: got an empty list of parameters; pass model.parameters() (was the "
                "model built with no layers, or was a generator used up already?)"
            )
        seen: dict[int, int] = {}  # id of a parameter -> its first index
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{owner}: params[{i}] must be a Value, got {type(p).__name__}; pass "
                    "model.parameters()"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{owner}: {_name(p, i)} is the output of '{p.op}', not a leaf; a parameter "
                    "must be a leaf Value, or the next forward pass would overwrite the update"
                )
            if id(p) in seen:
                raise ValueError(
                    f"{owner}: {_name(p, i)} is the same Value as parameter {seen[id(p)]}; it "
                    "would be updated twice per step, so pass each parameter once"
                )
            seen[id(p)] = i
        self._owner = owner
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate, a finite number > 0 (checked again whenever it is set)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _learning_rate(self._owner, value)

    def zero_grad(self) -> None:
        """Reset every parameter's .grad to 0.0 (gradients accumulate across backward passes)."""
        for p in self.params:
            p.grad = 0.0

    def _grads(self, owner: str) -> list[float]:
        # Read every gradient before touching any parameter: a NaN or inf leaves all unchanged.
        try:
            grads = [float(p.grad) for p in self.params]
        except (TypeError, ValueError, OverflowError):  # find the one that is not a number
            grads = [_gradient(owner, p, i) for i, p in enumerate(self.params)]
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if not math.isfinite(g):
                raise ValueError(
                    f"{owner}.step: {_name(p, i)} has gradient {g!r}; no parameter was updated. "
                    "Lower the learning rate, or run the forward and backward pass inside "
                    "autograd.detect_anomaly() to find the op that made it"
                )
        return grads


def _gradient(owner: str, p: Value, i: int) -> float:
    g = p.grad
    if isinstance(g, bool) or not isinstance(g, numbers.Real | Value):
        raise TypeError(
            f"{owner}.step: {_name(p, i)} has .grad = {g!r:.40} ({type(g).__name__}), not a "
            "number; backward() fills .grad with numbers, so set it only to a number (or 0.0)"
        )
    try:
        return float(g)
    except OverflowError:
        return _real(f"{owner}.step", f"the .grad of {_name(p, i)}", g)


class SGD(_Base):
    """Stochastic gradient descent with optional momentum μ and weight decay λ (PyTorch's form).

    Each step, for every parameter w with gradient g:

        v ← μ v + (g + λ w)
        w ← w − lr v

    With μ = 0 and λ = 0 this is plain gradient descent, w ← w − lr ∂C/∂w. The velocity v starts
    at 0, so the first step is w ← w − lr (g + λ w) for any μ. As in PyTorch (and unlike the
    v ← μ v − lr g form of Sutskever et al.), lr multiplies the velocity, not the gradient.
    This is torch.optim.SGD(params, lr, momentum, weight_decay=λ) with its defaults
    dampening=0 and nesterov=False, step for step (the tests check it against PyTorch).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, "SGD", lr)
        momentum = _real("SGD", "momentum", momentum)
        weight_decay = _real("SGD", "weight_decay", weight_decay)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must lie in [0, 1), got {momentum!r}")
        if not (math.isfinite(weight_decay) and weight_decay >= 0.0):
            raise ValueError(
                f"SGD: weight_decay must be a finite number >= 0, got {weight_decay!r}"
            )
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity = [0.0] * len(self.params)

    def update(self, w: Any, g: Any, v: Any) -> tuple[Any, Any]:
        """One step's rule for a weight w with gradient g and velocity v: the new (w, v).

        Arithmetic only, so w, g and v may be floats (step()) or arrays of every parameter
        (fit's numpy backend): one formula for both.
        """
        # weight decay: the gradient of the penalty (λ/2) w² added to C is λ w
        v = self.momentum * v + (g + self.weight_decay * w)
        return w - self.lr * v, v

    def state(self) -> list[list[float]]:
        """The per-parameter state update() reads after w and g: the velocities."""
        return [self.velocity]

    def begin_step(self) -> None:
        """Nothing: SGD's rule has no per-step constants."""

    def step(self) -> None:
        """Move every parameter by −lr v, where v ← μ v + (∂C/∂w + λ w)."""
        grads = self._grads("SGD")
        update, velocity = self.update, self.velocity
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            p.data, velocity[i] = update(p.data, g, velocity[i])


class Adam(_Base):
    """Adam (Kingma & Ba, 2015): per-parameter steps from running moments of the gradient.

    Each step t = 1, 2, ..., for every parameter w with gradient g:

        m ← β1 m + (1 − β1) g           first moment (mean of g)
        v ← β2 v + (1 − β2) g²          second moment (mean of g²)
        m̂ = m / (1 − β1^t)              bias correction: m and v start at 0
        v̂ = v / (1 − β2^t)
        w ← w − lr m̂ / (√v̂ + ε)

    On the first step m̂ = g and v̂ = g², so every parameter moves by about lr · sign(g).
    weight_decay λ adds λ w to g first (L2 regularisation, as torch.optim.Adam does; AdamW's
    decoupled decay is a different method). This is torch.optim.Adam(params, lr, betas, eps,
    weight_decay) with amsgrad=False, step for step (the tests check it against PyTorch).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, "Adam", lr)
        if isinstance(betas, str | bytes) or not isinstance(betas, Iterable):
            raise TypeError(f"Adam: betas must be a pair (β1, β2), got {type(betas).__name__}")
        pair = list(betas)
        if len(pair) != 2:
            raise ValueError(
                f"Adam: betas must be a pair (β1, β2), got {count(len(pair), 'number')}"
            )
        beta1, beta2 = (_real("Adam", "betas", b) for b in pair)
        for which, b in (("β1", beta1), ("β2", beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Adam: {which} must lie in [0, 1), got {b!r}")
        eps = _real("Adam", "eps", eps)
        if not (math.isfinite(eps) and eps > 0.0):
            raise ValueError(f"Adam: eps must be a finite number > 0, got {eps!r}")
        weight_decay = _real("Adam", "weight_decay", weight_decay)
        if not (math.isfinite(weight_decay) and weight_decay >= 0.0):
            raise ValueError(
                f"Adam: weight_decay must be a finite number >= 0, got {weight_decay!r}"
            )
        self.betas = (beta1, beta2)
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0  # steps taken so far
        self._corrections = (1.0, 1.0)  # 1 − β1^t and 1 − β2^t, set by begin_step()
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Move every parameter by −lr m̂ / (√v̂ + ε) (see the class docstring)."""
        grads = self._grads("Adam")
        self.begin_step()
        update, m, v = self.update, self.m, self.v
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            p.data, m[i], v[i] = update(p.data, g, m[i], v[i])

    def begin_step(self) -> None:
        """Count the step (t ← t + 1) and set its bias corrections 1 − β1^t and 1 − β2^t."""
        beta1, beta2 = self.betas
        self.t += 1
        self._corrections = (1.0 - beta1**self.t, 1.0 - beta2**self.t)

    def state(self) -> list[list[float]]:
        """The per-parameter state update() reads after w and g: the moments m and v."""
        return [self.m, self.v]

    def update(
        self, w: Any, g: Any, m: Any, v: Any, sqrt: Callable[[Any], Any] = math.sqrt
    ) -> tuple[Any, Any, Any]:
        """One step's rule (after begin_step) for w with gradient g and moments m, v.

        Arithmetic and sqrt only, so w, g, m and v may be floats (step()) or arrays of every
        parameter (fit's numpy backend, with numpy's sqrt): one formula for both.
        """
        beta1, beta2 = self.betas
        correction1, correction2 = self._corrections
        g = g + self.weight_decay * w  # the gradient of the penalty (λ/2) w² added to C is λ w
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        m_hat = m / correction1
        v_hat = v / correction2
        return w - self.lr * m_hat / (sqrt(v_hat) + self.eps), m, v
