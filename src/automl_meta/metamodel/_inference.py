"""The meta-model's networks evaluated with NumPy: recommending imports neither torch nor optuna.

:class:`~automl_meta.metamodel._network.ScoreNet` (torch) is what is trained; once trained, its weights are
all that is needed, and every layer is a matrix product and a ReLU (dropout is off in evaluation). This module
holds the ensemble's weights stacked over the members and evaluates them in float32, as torch does.

Why it is fast, beyond not importing torch: a query scores one task against many candidates, and only the head
depends on both. The strategy tower's output for a fixed candidate pool is the same for every query, so it is
computed once (:meth:`NetworkEnsemble.strategy_side`) and kept; a query then costs its task tower (one row) and
the head, whose first layer on ``[t, s, t * s]`` folds into one product of the strategy embeddings with a
matrix that depends on the task: ``s @ (Ws + t[:, None] * Wts)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The state-dict names of ScoreNet's layers: two Linear layers per tower and in the head (index 0 and 3 of
#: each ``nn.Sequential``; 1, 2 and 4 are ReLU and Dropout, which have no weights).
_LAYERS = ("task.0", "task.3", "strategy.0", "strategy.3", "head.0", "head.3")


@dataclass
class StrategySide:
    """What the network computes from the candidates alone, per member: the strategy tower's embeddings
    (members, candidates, embedding) and the prior's contribution to the score logit (members, candidates)."""

    embeddings: np.ndarray
    prior_logit: np.ndarray

    def take(self, index: np.ndarray) -> "StrategySide":
        return StrategySide(self.embeddings[:, index], self.prior_logit[:, index])


class NetworkEnsemble:
    """The ensemble members' weights, stacked: ``weights[name]`` is (members, out, in) for a Linear layer's
    weight and (members, out) for its bias, float32; ``prior_weight`` is (members, n_priors)."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.weights = weights

    # -- construction ---------------------------------------------------------------------------------------
    @classmethod
    def from_state_dicts(cls, state_dicts: list[dict]) -> "NetworkEnsemble":
        """From the members' state dicts (torch tensors or arrays, ScoreNet's names)."""
        if not state_dicts:
            raise ValueError("a network ensemble needs at least one member")

        def stacked(name):
            return np.stack([_array(sd[name]) for sd in state_dicts]).astype(np.float32)

        weights = {f"{layer}.{part}": stacked(f"{layer}.{part}") for layer in _LAYERS for part in ("weight", "bias")}
        weights["prior_weight"] = stacked("prior_weight").reshape(len(state_dicts), -1)
        return cls(weights)

    @classmethod
    def from_torch(cls, members) -> "NetworkEnsemble":
        return cls.from_state_dicts([net.state_dict() for net in members])

    def arrays(self, prefix: str = "network.") -> dict[str, np.ndarray]:
        """The weights to save (``from_arrays`` reads them back)."""
        return {prefix + k: v for k, v in self.weights.items()}

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "network.") -> "NetworkEnsemble":
        return cls({k[len(prefix):]: np.asarray(arrays[k], dtype=np.float32) for k in arrays if k.startswith(prefix)})

    @property
    def n_members(self) -> int:
        return self.weights["head.3.bias"].shape[0]

    @property
    def n_priors(self) -> int:
        return self.weights["prior_weight"].shape[1]

    # -- evaluation -----------------------------------------------------------------------------------------
    def _linear(self, layer: str, x: np.ndarray) -> np.ndarray:
        """``x`` (members, rows, in) or (rows, in) shared by the members -> (members, rows, out)."""
        w, b = self.weights[f"{layer}.weight"], self.weights[f"{layer}.bias"]
        # 2-D products per member: NumPy's stacked matmul does not reach BLAS
        return np.stack([(x[m] if x.ndim == 3 else x) @ w[m].T + b[m] for m in range(len(w))])

    def _tower(self, name: str, x: np.ndarray) -> np.ndarray:
        h = np.maximum(self._linear(f"{name}.0", x), 0.0)
        return np.maximum(self._linear(f"{name}.3", h), 0.0)

    def strategy_side(self, encodings: np.ndarray, prior: np.ndarray, cache=None) -> StrategySide:
        """The strategy tower and the prior logit for (candidates, encoding) and their priors (candidates,
        n_priors): computed once for a candidate pool, reused by every query. ``cache(key, compute)``, when
        given, may keep the embeddings between processes (``_persist.cached_array``)."""
        encodings = np.asarray(encodings, dtype=np.float32)
        prior = np.asarray(prior, dtype=np.float32).reshape(len(encodings), -1)
        inputs = np.concatenate([encodings, prior], axis=1)

        def embed():
            return self._tower("strategy", inputs).astype(np.float32)

        if cache is None:
            embeddings = embed()
        else:  # the key: what the embeddings are a function of
            key = b"strategy-side-1" + inputs.tobytes() + b"".join(
                self.weights[f"strategy.{i}.{part}"].tobytes() for i in (0, 3) for part in ("weight", "bias"))
            embeddings = cache(key, embed)
        p = np.clip(prior, 0.02, 0.98)
        prior_logit = np.log(p / (1 - p)) @ self.weights["prior_weight"].T  # (candidates, members)
        return StrategySide(embeddings, prior_logit.T.astype(np.float32))

    def predict(self, task_x: np.ndarray, side: StrategySide) -> tuple[np.ndarray, np.ndarray]:
        """The score logits and log1p-seconds, (members, candidates) each, for one task's scaled meta-features
        ``task_x`` (1 x features) against the candidates of ``side``."""
        t = self._tower("task", np.asarray(task_x, dtype=np.float32).reshape(1, -1))[:, 0, :]  # (members, emb)
        w1, b1 = self.weights["head.0.weight"], self.weights["head.0.bias"]  # (members, hidden, 3 emb)
        emb = t.shape[1]
        w_task, w_strategy, w_both = w1[:, :, :emb], w1[:, :, emb : 2 * emb], w1[:, :, 2 * emb :]
        # head.0 on [t, s, t*s] = b1 + W_t t + s W_s^T + (s * t) W_ts^T = (b1 + W_t t) + s (W_s + W_ts diag(t))^T
        folded = (w_strategy + w_both * t[:, None, :]).transpose(0, 2, 1)  # (members, emb, hidden)
        offset = b1 + np.einsum("mhe,me->mh", w_task, t)
        w2, b2 = self.weights["head.3.weight"], self.weights["head.3.bias"]  # (members, 2, hidden)
        n_members, n_candidates = side.prior_logit.shape
        logit = np.empty((n_members, n_candidates), dtype=np.float32)
        log_time = np.empty((n_members, n_candidates), dtype=np.float32)
        for m in range(n_members):  # 2-D products: NumPy's stacked matmul does not reach BLAS (5x slower)
            hidden = side.embeddings[m] @ folded[m]
            hidden += offset[m]
            np.maximum(hidden, 0.0, out=hidden)
            out = hidden @ w2[m].T + b2[m]
            logit[m], log_time[m] = out[:, 0] + side.prior_logit[m], out[:, 1]
        return logit, log_time


def _array(value) -> np.ndarray:
    """A torch tensor (detached, on the CPU) or an array as a NumPy array, without importing torch."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
