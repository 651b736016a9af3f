"""Security: nothing a user may receive from others is unpickled unchecked; SQL goes through
parameters; hostile CSV content does not break the CLI's output.

(Signed model files: tests/test_reliability_inputs.py::test_a_model_from_another_user_needs_trust; meta-model
files loaded with ``weights_only``: tests/test_metamodel.py::test_load_never_unpickles_objects; imports of
files that are not Parquet or CSV refused: tests/test_metadataset.py::test_import_of_something_else.)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from automl_meta.cli._main import main
from automl_meta.data import Task
from automl_meta.metadataset import MetaDataset
from helpers import stored

SRC = Path(__file__).resolve().parents[1] / "src" / "automl_meta"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # every control character but the newline


def _sources():
    return {p.relative_to(SRC).as_posix(): p.read_text() for p in SRC.rglob("*.py")}


def test_the_only_unpickling_is_of_signed_model_files():
    hits = {name for name, text in _sources().items()
            if re.search(r"\b(pickle|joblib|dill|cloudpickle)\.loads?\(|torch\.load\(", text)}
    # _internal/_byvalue.py unpickles a payload nested in an object that is being unpickled already (a verified
    # model file, or a task from the fit's own pipe to its worker): no new source of bytes
    assert hits == {"estimator/_persist.py", "metamodel/_persist.py", "_internal/_byvalue.py"}
    model = _sources()["metamodel/_persist.py"]
    # format 2 files (torch) are read with weights_only, format 3 (NumPy) without pickle
    assert re.findall(r"torch\.load\([^)]*\)", model) == ['torch.load(path, map_location="cpu", weights_only=True)']
    loads = re.findall(r"np\.load\([^)]*\)", model)
    assert len(loads) == 2 and all("allow_pickle=False" in call for call in loads), loads  # the model, the cache
    assert not any(re.search(r"allow_pickle\s*=\s*True", text) for text in _sources().values())


# SQLite's PRAGMA takes no bound parameters; this one formats a module constant (an int), never data.
_ALLOWED_FORMATTED_SQL = ['cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")']


def test_sql_is_never_built_from_strings():
    for name, text in _sources().items():
        for allowed in _ALLOWED_FORMATTED_SQL:
            text = text.replace(allowed, "")
        assert not re.search(r"(execute|exec_driver_sql|text)\(\s*f[\"']", text), name
        assert not re.search(r"(execute|exec_driver_sql|text)\([^)]*%\s*\(", text), name
        assert not re.search(r"(execute|exec_driver_sql|text)\([^)]*\.format\(", text), name


def test_hostile_names_are_stored_verbatim(tmp_path, tasks_by_kind):
    store = MetaDataset(tmp_path / "md.sqlite")
    t = tasks_by_kind["binary"]
    name = "x'); DROP TABLE evaluations; --"
    stored(store, Task(t.X, t.y, name=name, group="g' OR '1'='1"))
    tasks = store.tasks()
    assert tasks["name"].tolist() == [name] and tasks["group_name"].tolist() == ["g' OR '1'='1"]
    assert store.evaluations().empty  # the table is still there


def _hostile_frame(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "\x1b[31mred\x1b[0m": x,
        "=cmd|' /C calc'!A0": rng.normal(size=n),
        "note": rng.choice(["=HYPERLINK(\"http://x\")", "+1+2", "@SUM(A1)", "bell\x07\r\nnext line", "plain"], size=n),
        "blob": ["A" * 1_000_000 if i == 0 else "b" for i in range(n)],  # a 1 MB field
        "label": np.where(x > 0, "=1+2", "@evil"),
    })


def test_hostile_csv_does_not_break_the_cli_output(tmp_path, capsys):
    data = tmp_path / "hostile.csv"
    _hostile_frame().to_csv(data, index=False)
    model, pred = tmp_path / "m.amm", tmp_path / "pred.csv"
    assert main(["metafeatures", str(data), "--target", "label"]) == 0
    assert main(["fit", str(data), "--target", "label", "--trials", "2", "--cv", "3", "--no-warm-start", "--no-progress",
                 "--out", str(model), "--metadataset", str(tmp_path / "md.sqlite")]) == 0
    assert main(["predict", str(model), str(data), "--out", str(pred), "--proba"]) == 0
    out = capsys.readouterr()
    for stream in (out.out, out.err):
        assert not CONTROL.search(stream), repr(CONTROL.search(stream))
    written = pd.read_csv(pred)
    assert len(written) == 80
    # labels that a spreadsheet would run as formulas are written as text
    assert set(written["prediction"]) <= {"'=1+2", "'@evil"}
    assert all(c == "prediction" or c.startswith("proba_") for c in written.columns)
