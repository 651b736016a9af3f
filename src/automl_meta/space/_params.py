"""Hyperparameter types: each knows its Optuna distribution and suggestion, its default, its encoding in [0, 1]
(the meta-model's view) and how to draw a value from uniform numbers (space-filling designs)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from automl_meta.errors import ConfigError


@dataclass(frozen=True)
class Float:
    """A real hyperparameter in ``[low, high]``, searched and encoded on a log scale when ``log``."""

    low: float
    high: float
    default: float
    log: bool = False
    help: str = ""

    def distribution(self):
        import optuna

        return optuna.distributions.FloatDistribution(self.low, self.high, log=self.log)

    def suggest(self, trial, name: str) -> float:
        """The value an Optuna trial suggests for this parameter, under ``name``."""
        return trial.suggest_float(name, self.low, self.high, log=self.log)

    def slot_names(self, prefix: str) -> list[str]:
        """Names of this parameter's encoding columns."""
        return [prefix]

    def from_uniform(self, u) -> float:
        """A value from ``width`` numbers uniform in [0, 1): uniform over the encoded (log when ``log``) range."""
        return self.decode(u[:1])

    def encode(self, value) -> list[float]:
        """Position of ``value`` in the range, 0 at ``low`` and 1 at ``high`` (log scale when ``log``)."""
        v = min(max(float(value), self.low), self.high)
        if self.log:
            return [(math.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))]
        return [(v - self.low) / (self.high - self.low)]

    def decode(self, code) -> float:
        t = min(max(float(code[0]), 0.0), 1.0)
        if self.log:
            return float(math.exp(math.log(self.low) + t * (math.log(self.high) - math.log(self.low))))
        return float(self.low + t * (self.high - self.low))

    def validate(self, name: str, value) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"Hyperparameter {name!r} must be a number in [{self.low}, {self.high}]; got {value!r}.") from None
        if not (self.low <= v <= self.high):
            raise ConfigError(f"Hyperparameter {name!r}={v!r} is outside [{self.low}, {self.high}]. Use a value in that range.")
        return v

    width = 1


@dataclass(frozen=True)
class Int(Float):
    """An integer hyperparameter; encoded like :class:`Float`, rounded when decoded."""

    low: int
    high: int
    default: int

    def distribution(self):
        import optuna

        return optuna.distributions.IntDistribution(self.low, self.high, log=self.log)

    def suggest(self, trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)

    def decode(self, code) -> int:
        return int(round(super().decode(code)))

    def validate(self, name: str, value) -> int:
        v = super().validate(name, value)
        if v != int(v):
            raise ConfigError(f"Hyperparameter {name!r} must be an integer; got {value!r}.")
        return int(v)


@dataclass(frozen=True)
class Categorical:
    """A choice among ``choices`` (numbers, strings, booleans or None); one-hot encoded."""

    choices: tuple
    default: Any
    help: str = ""
    log = False

    def distribution(self):
        import optuna

        return optuna.distributions.CategoricalDistribution(list(self.choices))

    def suggest(self, trial, name: str):
        return trial.suggest_categorical(name, list(self.choices))

    def slot_names(self, prefix: str) -> list[str]:
        return [f"{prefix}={c}" for c in self.choices]

    def from_uniform(self, u):
        """A choice, uniformly: the slot the first number falls in."""
        return self.choices[min(int(u[0] * self.width), self.width - 1)]

    @property
    def width(self) -> int:
        return len(self.choices)

    def encode(self, value) -> list[float]:
        return [1.0 if value == c else 0.0 for c in self.choices]

    def decode(self, code):
        best = max(range(len(self.choices)), key=lambda i: code[i])
        return self.choices[best]

    def validate(self, name: str, value):
        if value not in self.choices:
            raise ConfigError(f"Hyperparameter {name!r}={value!r} is not one of {list(self.choices)!r}.")
        return value
