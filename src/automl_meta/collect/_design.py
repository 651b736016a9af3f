"""The common set of strategies evaluated on every task of a shipped meta-dataset.

Identical on every task, so that static portfolios can be built and methods compared on equal terms. It
holds every available family's defaults, then a scrambled Sobol design within each family (round robin over
the families), which spreads the hyperparameters evenly.
"""

from __future__ import annotations

from automl_meta.space import FAMILIES, Strategy, available_families, sample


def common_strategies(n: int, random_state: int = 0, families=None) -> list[Strategy]:
    """``n`` strategies: each family's defaults first, then Sobol points per family; no duplicates."""
    families = list(families) if families is not None else available_families()
    out = [Strategy.default(f) for f in families][:n]
    if len(out) < n:
        for s in sample(2 * n, families=families, random_state=random_state, method="sobol"):
            if s not in out:
                out.append(s)
        # sample() fills families in blocks; interleave so that any prefix covers every family
        defaults, rest = out[: len(families)], out[len(families):]
        by_family = {f: [s for s in rest if s.family == f] for f in families}
        interleaved = []
        while any(by_family.values()):
            for f in families:
                if by_family[f]:
                    interleaved.append(by_family[f].pop(0))
        out = defaults + interleaved
    assert set(s.family for s in out[: len(families)]) <= set(FAMILIES)
    return out[:n]
