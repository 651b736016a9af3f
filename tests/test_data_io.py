"""Reading files: CSV (plain, gzip, TSV), Parquet, and every way a file can be wrong."""

import gzip

import numpy as np

import pandas as pd
import pytest

from automl_meta.data import DataWarning, Task, read_table
from automl_meta.data._io import read_csv
from automl_meta.errors import DataError


@pytest.fixture
def csv_path(tmp_path, mixed_frame):
    path = tmp_path / "data.csv"
    mixed_frame.to_csv(path, index=False)
    return path


def test_from_csv_keeps_text_and_missing(csv_path):
    task = Task.from_csv(csv_path, target="y_reg")
    assert task.name == "data"
    assert {"color", "y_binary", "y_multi"} <= set(task.categorical_columns)
    assert task.X["color"].isna().sum() > 0


def test_gzip_and_tsv(tmp_path, mixed_frame):
    gz = tmp_path / "data.csv.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        mixed_frame.to_csv(fh, index=False)
    tsv = tmp_path / "data.tsv"
    mixed_frame.to_csv(tsv, index=False, sep="\t")
    assert Task.from_file(gz, target="y_binary").name == "data"
    assert Task.from_file(tsv, target="y_binary").n_features == 8


def test_parquet(tmp_path, mixed_frame):
    pytest.importorskip("pyarrow")
    path = tmp_path / "data.parquet"
    mixed_frame.to_parquet(path)
    task = Task.from_parquet(path, target="y_multi")
    assert isinstance(task.X["size"].dtype, pd.CategoricalDtype)
    assert Task.from_file(path, target="y_multi").kind == "multiclass"


def test_path_does_not_exist(tmp_path):
    with pytest.raises(DataError, match=r"File '.*nope\.csv' does not exist\. Check the path"):
        Task.from_csv(tmp_path / "nope.csv", target="y")


def test_path_is_a_folder(tmp_path):
    with pytest.raises(DataError, match=r"is a folder, not a file\. Pass the path of a CSV or Parquet file"):
        Task.from_csv(tmp_path, target="y")


def test_a_windows_1252_file_is_read_with_a_warning(tmp_path):
    """Spreadsheets saved as CSV on Windows are not UTF-8: read as Windows-1252 (the euro sign included)."""
    path = tmp_path / "latin1.csv"
    path.write_bytes("name;price;y\ncaf\xe9;3,5 \u20ac;1\nth\xe9;4,0 \u20ac;0\n".encode("cp1252") * 1)
    with pytest.warns(DataWarning, match=r"is not UTF-8 \(byte b'\\xe9' on line 2\); read it as cp1252"):
        frame = read_csv(path)
    assert frame["name"].tolist() == ["caf\xe9", "th\xe9"] and frame["price"].tolist() == ["3,5 \u20ac", "4,0 \u20ac"]



def test_a_windows_1252_byte_far_down_the_file_is_reported_as_past_the_sampled_start(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"name,y\n" + b"plain,1\n" * 10_000 + "caf\xe9,0\n".encode("cp1252"))
    with pytest.warns(DataWarning, match=r"is not UTF-8 \(byte b'\\xe9', past the first 64 KB\); read it as cp1252"):
        frame = read_csv(path)
    assert frame["name"].iloc[-1] == "caf\xe9" and len(frame) == 10_001

def test_a_utf16_file_with_its_byte_order_mark_is_read(tmp_path):
    """Excel's "Unicode Text" export: UTF-16, tab-separated."""
    path = tmp_path / "export.txt"
    path.write_bytes("name\ty\nZ\xfcrich\t1\nK\xf6ln\t0\n".encode("utf-16"))
    assert read_csv(path).to_dict("list") == {"name": ["Z\xfcrich", "K\xf6ln"], "y": [1, 0]}


def test_mixed_encodings_are_not_guessed(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("a,y\n".encode() + "\xe9,1\n".encode("utf-16-le") * 5 + "\xe9,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"is not UTF-8 text \(byte b'.*' at position \d+\)\. Re-save it as UTF-8"):
        Task.from_csv(path, target="y")


def test_csv_that_does_not_parse(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,3\n1,2,3,4,5\n")
    with pytest.raises(DataError, match=r"could not be parsed as CSV \(.*\)\. Check the delimiter"):
        Task.from_csv(path, target="y")


def test_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match=r"is empty: no header and no rows"):
        Task.from_csv(path, target="y")


def test_header_only_csv(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("a,b,y\n")
    with pytest.raises(DataError, match=r"has a header \(3 columns\) but no data rows"):
        Task.from_csv(path, target="y")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(DataError, match=r"broken\.csv\.gz"):
        read_table(path)


def test_parquet_that_is_not(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "fake.parquet"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match=r"could not be read as Parquet"):
        read_table(path)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path, sep):
    path = tmp_path / "data.txt"
    path.write_text(sep.join(["a", "b", "note", "y"]) + "\n"
                    + "".join(sep.join([str(i), f"{i},5", "x, y" if i % 2 else "z", str(i % 2)]) + "\n" for i in range(30)))
    frame = read_table(path)
    assert list(frame.columns) == ["a", "b", "note", "y"] and len(frame) == 30
    if sep == ";":  # a semicolon file is a European one: its decimal mark is the comma
        assert frame["b"].iloc[3] == 3.5


def test_a_comma_inside_quoted_text_does_not_fool_the_sniffer(tmp_path):
    path = tmp_path / "data.csv"
    pd.DataFrame({"a": range(20), "note": ["one; two"] * 20, "y": [0, 1] * 10}).to_csv(path, index=False)
    assert list(read_table(path).columns) == ["a", "note", "y"]


def test_excel_workbooks(tmp_path, mixed_frame):
    pytest.importorskip("openpyxl")
    path = tmp_path / "data.xlsx"
    mixed_frame.to_excel(path, index=False)
    task = Task.from_file(path, target="y_reg")
    assert task.name == "data" and task.n_rows == len(mixed_frame) and "color" in task.categorical_columns
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError, match="old-style .xls"):
        read_table(tmp_path / "old.xls")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="could not be read as an Excel workbook"):
        read_table(tmp_path / "bad.xlsx")


def test_a_title_above_the_header_is_skipped_with_a_warning(tmp_path):
    """Spreadsheet exports put a report's title, its date and a blank line above the table."""
    rows = "".join(f"{i},5;{'ab'[i % 2]};{i % 2}\n" for i in range(20))
    path = tmp_path / "report.csv"
    path.write_text("Sales report 2024;;\nGenerated: 2024-01-01\n\nx;c;y\n" + rows)
    with pytest.warns(DataWarning, match=r"skipped 3 line\(s\) above the table's header \(starting 'Sales report 2024;;'\)"):
        frame = read_csv(path)
    assert list(frame.columns) == ["x", "c", "y"] and len(frame) == 20 and frame["x"].iloc[1] == 1.5



def test_a_title_above_a_tsv_file_s_header_is_skipped_too(tmp_path):
    """A .tsv name gives the delimiter; a CRM's export title above the table is still a preamble (it failed as
    a parse error: "Expected 1 fields in line 4, saw 3")."""
    rows = "".join(f"{i}\t{'ab'[i % 2]}\t{i % 2}\n" for i in range(20))
    path = tmp_path / "export.tsv"
    path.write_text("Export from CRM 2026-12-01\nGenerated by system X\n\nx\tc\ty\n" + rows)
    with pytest.warns(DataWarning, match=r"skipped 3 line\(s\) above the table's header"):
        frame = read_csv(path)
    assert list(frame.columns) == ["x", "c", "y"] and len(frame) == 20
    (tmp_path / "plain.tsv").write_text("x\tc,d\ty\n" + rows)  # a comma inside a field: still tab-separated
    assert list(read_csv(tmp_path / "plain.tsv").columns) == ["x", "c,d", "y"]

def test_an_r_header_one_field_short_is_not_a_title(tmp_path):
    """R's write.table writes no header field for the row names: pandas reads them as the index."""
    path = tmp_path / "r.csv"
    path.write_text('"x","c","y"\n' + "".join(f'"{i}",{i * 0.5},"{"ab"[i % 2]}",{i % 2}\n' for i in range(20)))
    frame = read_csv(path)
    assert list(frame.columns) == ["x", "c", "y"] and len(frame) == 20


def test_a_title_above_an_excel_table_is_skipped_with_a_warning(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Sales report 2024"], ["Generated", "2024-01-01"], [], ["x", "c", "y"]):
        sheet.append(row)
    for i in range(20):
        sheet.append([i * 0.5, "ab"[i % 2] if i % 3 else None, i % 2])
    book.save(tmp_path / "report.xlsx")
    with pytest.warns(DataWarning, match=r"skipped 3 row\(s\) above the table's header \(starting 'Sales report 2024'\)"):
        frame = read_table(tmp_path / "report.xlsx")
    assert list(frame.columns) == ["x", "c", "y"] and len(frame) == 20 and frame["x"].dtype == float


def test_a_target_name_padded_with_spaces_in_the_file_is_found(tmp_path):
    path = tmp_path / "spaced.csv"
    path.write_text("x, c, y \n" + "".join(f"{i}.5, a, {i % 2}\n" for i in range(30)))
    with pytest.warns(DataWarning, match=r"Target column 'y' is ' y ' in the file"):
        task = Task.from_csv(path, target="y")
    assert task.kind == "binary" and task.n_rows == 30 and "x" in task.X.columns


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_rows_with_more_fields_than_the_header_are_a_clear_error(tmp_path, suffix):
    """10% of 200 rows with one field too many: pandas took the first field for an index and shifted every
    column (180 targets became missing, the rest one class, 'extra'); now an error naming the first lines."""
    lines = ["id,x,y"] + [f"{i},{i / 7:.3f},{'p' if i % 2 else 'q'}" + (",extra" if i % 10 == 0 else "") for i in range(200)]
    path = tmp_path / f"shifted{suffix}"
    text = "\n".join(lines) + "\n"
    path.write_bytes(gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode())
    with pytest.raises(DataError, match=r"20 of its 200 data rows have more fields than the header's 3 \(first at "
                                        r"lines 2, 12, 22, 32, 42\).*Quote the fields"):
        read_table(path)
    (tmp_path / "later.csv").write_text("id,x,y\n1,2,p\n3,4,q,extra\n")  # pandas' own error, when not the first row
    with pytest.raises(DataError, match="every row needs as many fields as the header"):
        read_table(tmp_path / "later.csv")


def test_a_name_twice_in_the_header_is_a_warning_naming_it(tmp_path):
    (tmp_path / "twice.csv").write_text("a,a,b,y\n1,2,3,4\n5,6,7,8\n")
    with pytest.warns(DataWarning, match=r"the header names 'a' more than once; the copies were renamed 'a.1'"):
        frame = read_table(tmp_path / "twice.csv")
    assert list(frame.columns) == ["a", "a.1", "b", "y"]


def test_a_workbook_s_sheet_is_the_first_that_has_the_columns_asked_for(tmp_path, mixed_frame):
    pytest.importorskip("openpyxl")
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"Read me": ["Exported 2024-03-01", "The data is on the next sheet"]}).to_excel(
            book, sheet_name="Notes", index=False)
        mixed_frame.to_excel(book, sheet_name="data", index=False)
    with pytest.warns(DataWarning, match=r"read the sheet 'data': the first sheet, 'Notes', has no column 'y_reg'"):
        task = Task.from_file(path, target="y_reg")
    assert task.n_rows == len(mixed_frame)
    assert list(read_table(path).columns) == ["Read me"]  # nothing asked for: the first sheet, as before
    with pytest.raises(DataError, match=r"Target column 'nope' not found. Columns are: 'Read me'"):
        Task.from_file(path, target="nope")  # no sheet has it: the first sheet's columns named


def test_predict_reads_the_sheet_with_the_model_s_columns(tmp_path, capsys):
    pytest.importorskip("openpyxl")
    from automl_meta.cli import main

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80), "when": pd.date_range("2024-01-01", periods=80, freq="D")})
    frame["y"] = frame["x"] * 2 + rng.normal(scale=0.1, size=80)
    frame.to_csv(tmp_path / "train.csv", index=False)
    with pd.ExcelWriter(tmp_path / "new.xlsx") as book:
        pd.DataFrame({"note": ["rows to score"]}).to_excel(book, sheet_name="Cover", index=False)
        frame.drop(columns="y").to_excel(book, sheet_name="rows", index=False)
    assert main(["fit", str(tmp_path / "train.csv"), "--target", "y", "--out", str(tmp_path / "m"), "--time-budget",
                 "3", "--no-importance"]) == 0
    assert main(["predict", str(tmp_path / "m"), str(tmp_path / "new.xlsx"), "--out", str(tmp_path / "p.csv")]) == 0
    assert "read the sheet 'rows': the first sheet, 'Cover', has no column 'x'" in capsys.readouterr().err
    from automl_meta.data import columns_before_expansion
    from automl_meta.estimator import load_model

    # the date column by its name, not the parts the model made of it ("when__year", ...), which no sheet has
    assert columns_before_expansion(load_model(tmp_path / "m").feature_names_in_) == ["x", "when"]
    assert len(pd.read_csv(tmp_path / "p.csv")) == 80


def test_a_file_without_a_header_is_named_as_such(tmp_path):
    path = tmp_path / "plain.data"
    path.write_text("".join(f"{i * 0.5},{i % 3},{i % 2}\n" for i in range(30)))
    with pytest.raises(DataError, match=r"every column name is a number \('0.0', '0', '0.1'\), so the first row "
                                        r"looks like data, not a header"):
        Task.from_file(path, target="y")


def test_a_target_name_in_another_case_is_found(tmp_path):
    path = tmp_path / "cased.csv"
    path.write_text("Size,Price\n" + "".join(f"{i},{i * 3.5 + (i % 4)}\n" for i in range(30)))
    with pytest.warns(DataWarning, match=r"Target column 'price' is 'Price' in the file \(another case\)"):
        task = Task.from_file(path, target="price")
    assert task.n_rows == 30 and list(task.X.columns) == ["Size"]
    path.write_text("Aa,aA,b\n" + "".join(f"{i % 2},{i % 2},{i}\n" for i in range(30)))
    with pytest.raises(DataError, match="Target column 'AA' not found"):  # two columns match but for case: no guess
        Task.from_file(path, target="AA")
