"""Which meta-model a user gets by default: their own retrained one, else the one shipped in the package."""

from __future__ import annotations

from pathlib import Path

#: The meta-model shipped in the package (trained on the shipped meta-dataset).
SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "assets" / "metamodel.pt"
USER_MODEL_NAME = "metamodel.pt"


def default_metamodel_path() -> Path | None:
    """``<data home>/metamodel.pt`` (written by ``automl-meta metamodel update``), else the shipped model, else
    None."""
    from automl_meta.metadataset import data_home

    for path in (data_home() / USER_MODEL_NAME, SHIPPED_MODEL):
        if path.is_file() and path.with_name(path.name + ".json").is_file():
            return path
    return None


def resolve_metamodel(metamodel=None):
    """A MetaModel from a MetaModel, a path, or None (the default one; None if there is none)."""
    from automl_meta.metamodel._model import MetaModel

    if isinstance(metamodel, MetaModel):
        return metamodel
    path = default_metamodel_path() if metamodel is None else Path(metamodel)
    return None if path is None else MetaModel.load(path)
