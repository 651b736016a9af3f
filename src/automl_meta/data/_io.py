"""Reading tables from files, with errors that say what is wrong with the file and how to fix it."""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from automl_meta._internal._warnings import warn
from automl_meta.data._validate import DataWarning
from automl_meta.errors import DataError

_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".tsv", ".tsv.gz", ".txt", ".data")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def _checked_path(path) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"File {str(p)!r} does not exist. Check the path (relative paths start at {str(Path.cwd())!r}).")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a folder, not a file. Pass the path of a CSV or Parquet file inside it.")
    return p


def task_name_from_path(path) -> str:
    name = Path(path).name
    for suffix in sorted(_CSV_SUFFIXES + _PARQUET_SUFFIXES + _EXCEL_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


def _check_gzip(p: Path) -> None:
    """Read a .gz file through to its end-of-stream marker: pandas' parser stops quietly at the end of a
    truncated stream and returns the rows it got, losing the rest without a word."""
    import gzip
    import zlib

    try:
        with gzip.open(p, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{str(p)!r} is not a complete gzip file ({exc}). It may be truncated: copy or download it "
                        "again, or pass the uncompressed CSV.") from exc


#: The delimiters a CSV is sniffed for, in the order ties are broken.
DELIMITERS = (",", ";", "\t", "|")
_OPENERS = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}


_BOMS = ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig"))
#: How much of a file's start is read to find its encoding, delimiter and preamble.
SAMPLE_BYTES = 1 << 16
#: The legacy encoding tried for a file that is not UTF-8: Windows' Western European code page, what Excel
#: writes as "CSV" on most Western European and American systems (latin-1 with the euro sign and curly quotes).
LEGACY_ENCODING = "cp1252"


def _head(p: Path, n_bytes: int = SAMPLE_BYTES) -> bytes:
    import importlib

    opener = _OPENERS.get(p.suffix.lower())
    if p.suffix.lower() == ".zip":
        return b""  # pandas reads a zip's one member; the default delimiter serves it
    try:
        with (importlib.import_module(opener).open if opener else open)(p, "rb") as fh:
            return fh.read(n_bytes)
    except (OSError, EOFError, ValueError):
        return b""  # the reader says what is wrong with the file


def _bom_encoding(head: bytes) -> str:
    """UTF-16 where a file's first bytes ``head`` are its byte-order mark (Excel's "Unicode Text" export), else
    UTF-8 (a UTF-8 mark is skipped)."""
    return next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")


def _first_non_utf8(head: bytes, error: UnicodeDecodeError) -> str:
    """Where a file stops being UTF-8, for a message: the first such byte of its first bytes ``head`` and its
    line, or, past them, the byte pandas' decoder stopped at (its position is within pandas' chunk, not the
    file: a file's first line's byte was reported "at position 0")."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not a character cut at the sample's end
            line = head[:exc.start].count(b"\n") + 1
            return f"byte {head[exc.start:exc.start + 1]!r} on line {line}"
    return f"byte {error.object[error.start:error.start + 1]!r}, past the first {len(head) // 1024} KB"


def _read_legacy_encoding(p: Path, error: UnicodeDecodeError, kwargs, head: bytes) -> pd.DataFrame:
    """A file that is not UTF-8 (and has no NUL byte, so is no UTF-16 or binary file) read as Windows-1252,
    or as latin-1 where it uses the five bytes Windows-1252 leaves undefined, with a warning: such files are
    common (spreadsheets saved as CSV), every byte means something in latin-1, and an accented letter read
    wrongly changes a category's name, not the table."""
    try:
        frame, encoding = pd.read_csv(p, encoding=LEGACY_ENCODING, encoding_errors="strict", **kwargs), LEGACY_ENCODING
    except UnicodeDecodeError:
        frame, encoding = pd.read_csv(p, encoding="latin-1", **kwargs), "latin-1"
    warn(f"{str(p)!r} is not UTF-8 ({_first_non_utf8(head, error)}); read it as {encoding}. "
         "If accented letters look wrong, re-save the file as UTF-8.", DataWarning)
    return frame


#: At most this many lines before the header are recognized as a preamble (a title, a date, a blank line).
MAX_PREAMBLE_LINES = 10


def sniff_layout(head: bytes, delimiters: tuple = DELIMITERS) -> tuple[str, int]:
    """The delimiter of a delimited text file and the number of lines before its header, from its first bytes
    ``head`` (:func:`_head`).

    Of ``delimiters`` (:data:`DELIMITERS`; a ``.tsv`` file's name gives its one), the delimiter is the one that
    splits the first lines of the file into the same number of fields (more than one) on every line, the most
    fields winning (the first of ``delimiters``, ",", when none does): spreadsheets
    in much of Europe write ``;`` (the comma being their decimal mark), and ``.txt`` and ``.data`` files are
    often tab- or pipe-separated. Where no delimiter does from the first line, up to
    :data:`MAX_PREAMBLE_LINES` leading lines with at least two filled fields fewer than the rest (a report's
    title and date, blank lines: what spreadsheet exports put above a table) are taken for a preamble, to skip.
    One field fewer is not: that is R's ``write.table`` header, which has no field for the row names. The first
    of ``delimiters`` and no preamble when none fits."""
    import csv
    import io

    text = head.decode(_bom_encoding(head), errors="replace")
    if len(head) == SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n")]  # the last line may be cut short
    lines = text.splitlines()

    def fields(chunk: str, delimiter: str, filled: bool = False) -> list[int]:
        rows = csv.reader(io.StringIO(chunk), delimiter=delimiter)
        return [sum(1 for f in row if f.strip()) if filled else len(row) for row in rows if row]

    for skip in range(min(MAX_PREAMBLE_LINES, max(len(lines) - 2, 0)) + 1):
        best, best_fields = None, 1
        for delimiter in delimiters:
            try:
                counts = set(fields("\n".join(lines[skip:]), delimiter))
                preamble = fields("\n".join(lines[:skip]), delimiter, filled=True)  # "Title;;;" is one field
            except csv.Error:
                continue
            if len(counts) == 1 and (n := counts.pop()) > best_fields and all(k < n - 1 for k in preamble):
                best, best_fields = delimiter, n
        if best is not None:
            while skip and skip < len(lines) and not lines[skip].strip():
                skip += 1  # the blank lines between a preamble and the header are part of it
            return best, skip
    return delimiters[0], 0


def _warn_preamble(p: Path, head: bytes, n_lines: int) -> None:
    first = next((line.strip() for line in head.decode(_bom_encoding(head), errors="replace").splitlines()
                  if line.strip()), "")
    warn(f"{str(p)!r}: skipped {n_lines} line(s) above the table's header (starting {first[:60]!r}): they "
         "have fewer fields than the table's rows. Pass a file that starts with its header to avoid this.",
         DataWarning)


def read_csv(path, **kwargs) -> pd.DataFrame:
    """Read a delimited text file into a DataFrame: a CSV, or a TSV by its extension; compressed by the extension
    too; the delimiter and a preamble above the header sniffed (:func:`sniff_layout`) when neither ``sep`` nor a
    ``.tsv`` name gives it, with a decimal comma when it is ``;``. UTF-8, UTF-16 with its byte-order mark, or,
    with a warning, Windows-1252 (:func:`_read_legacy_encoding`)."""
    p = _checked_path(path)
    if p.name.lower().endswith(".gz"):
        _check_gzip(p)
    head = _head(p)
    if "sep" not in kwargs:
        # a .tsv name says the delimiter, not that the table starts on the first line (a report's title above it)
        kwargs["sep"], preamble = sniff_layout(head, ("\t",) if ".tsv" in p.name.lower() else DELIMITERS)
        if preamble and "skiprows" not in kwargs:
            _warn_preamble(p, head, preamble)
            kwargs["skiprows"] = preamble
        if kwargs["sep"] == ";":
            kwargs.setdefault("decimal", ",")  # a column written with points stays text here and is parsed later
    encoding = _bom_encoding(head)
    try:
        try:
            frame = pd.read_csv(p, encoding=encoding, encoding_errors="strict", **kwargs)
        except UnicodeDecodeError as exc:
            if encoding != "utf-8" or b"\x00" in head:
                raise  # UTF-16 without a BOM, a binary file, or text in mixed encodings: no guess is safe
            frame = _read_legacy_encoding(p, exc, kwargs, head)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{str(p)!r} is not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r} at position {exc.start}). "
            "Re-save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{str(p)!r} is empty: no header and no rows. Pass a CSV with a header line and data rows.") from exc
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{str(p)!r} could not be parsed as CSV ({first}). Check the delimiter and quoting: every row needs "
            "as many fields as the header."
        ) from exc
    except (OSError, EOFError, ValueError) as exc:  # a corrupt .gz, a binary file, ...
        raise DataError(f"{str(p)!r} could not be read as CSV ({exc}). Pass a plain or gzip-compressed UTF-8 CSV.") from exc
    if frame.shape[0] == 0:
        raise DataError(
            f"{str(p)!r} has a header ({frame.shape[1]} columns) but no data rows. Pass a file with data."
        )
    _check_fields_against_header(p, frame, kwargs, encoding)
    return frame


def _check_fields_against_header(p: Path, frame: pd.DataFrame, kwargs: dict, encoding: str) -> None:
    """Two misreads pandas makes without a word: rows with more fields than the header (when the first data row
    is one, pandas takes its extra leading fields for an index, and every column shifts by one), an error here;
    and a name twice in the header (renamed ``a.1``), a warning. Only the header and the first row are read
    again, unless there is an error to describe."""
    header, first = _header_and_rows(p, kwargs, encoding, rows=1)
    if kwargs.get("index_col") is None and (len(first[0][1]) > len(header) if first and header
                                            else not isinstance(frame.index, pd.RangeIndex)):
        header, rows = _header_and_rows(p, kwargs, encoding)
        longer = [line for line, fields in rows if len(fields) > len(header)]
        if rows and len(longer) == len(rows):
            return  # every row one field longer: row names without a header field (R's write.csv), kept as the index
        where = f" (first at lines {', '.join(map(str, longer[:5]))})" if longer else ""
        raise DataError(
            f"{str(p)!r}: {len(longer) or 'some'} of its {len(rows) or ''} data rows have more fields than the header's "
            f"{len(header) or ''}{where}; read as they are, the columns would shift. Quote the fields that contain the "
            f"delimiter {kwargs.get('sep', ',')!r}, or name every column in the header.")
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        renamed = [str(c) for c in frame.columns if str(c) not in header]
        warn(f"{str(p)!r}: the header names {', '.join(map(repr, twice))} more than once; the copies were "
             f"renamed {', '.join(map(repr, renamed))}. Rename the columns so that each name is unique.", DataWarning)


def _header_and_rows(p: Path, kwargs: dict, encoding: str, rows: int | None = None) -> tuple[list, list]:
    """The header's fields and (line number, fields) of the first ``rows`` data rows (all: None), read with
    Python's csv module; empty when the file cannot be read so (the callers then say less)."""
    import csv
    import itertools

    from pandas.io.common import get_handle

    sep, skip = kwargs.get("sep", ","), kwargs.get("skiprows", 0)
    if not isinstance(skip, int) or len(str(sep)) != 1:
        return [], []
    try:
        with get_handle(p, "r", encoding=encoding, errors="replace", compression="infer") as handle:
            reader = csv.reader(handle.handle, delimiter=sep)
            for _ in range(skip):
                next(reader)
            header = [h.strip() for h in next(reader)]
            return header, [(reader.line_num, row) for row in itertools.islice(reader, rows) if row]
    except (OSError, csv.Error, StopIteration, UnicodeError):
        return [], []


def read_parquet(path) -> pd.DataFrame:
    p = _checked_path(path)
    try:
        return pd.read_parquet(p)
    except ImportError as exc:
        raise DataError("Reading Parquet needs pyarrow: pip install 'automl-meta[parquet]'.") from exc
    except Exception as exc:
        raise DataError(f"{str(p)!r} could not be read as Parquet ({exc}). Pass a valid Parquet file or a CSV.") from exc


def read_excel(path, columns=()) -> pd.DataFrame:
    """Read a sheet of an Excel workbook (``.xlsx``; needs ``openpyxl``): the first one, or, where the first
    lacks one of ``columns`` (the target a fit needs, the features a model predicts from), the first sheet that
    has them all, with a :class:`DataWarning` naming it. A title above the table's header is skipped."""
    p = _checked_path(path)
    try:
        import openpyxl  # noqa: F401  (pandas' engine for .xlsx)
    except ImportError as exc:
        raise DataError(f"Reading Excel workbooks needs openpyxl: pip install 'automl-meta[excel]', or save "
                        f"{p.name!r} as CSV.") from exc
    try:
        with pd.ExcelFile(p, engine="openpyxl") as book:
            sheet, frame = _sheet_with(book, [str(c) for c in columns], p)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{str(p)!r} could not be read as an Excel workbook ({exc}). Pass a valid .xlsx file or "
                        "a CSV.") from exc
    if frame.shape[0] == 0:
        raise DataError(f"The sheet {sheet!r} of {str(p)!r} has no data rows. Put the table on the first sheet.")
    return frame


def _sheet_with(book, columns: list[str], p: Path) -> tuple[str, pd.DataFrame]:
    """(name, table) of the first sheet of ``book`` whose header holds every name of ``columns`` (compared
    stripped and in any case, as :func:`split_target` finds a target), or of the first sheet where none does:
    its table's error then names its columns. Sheets after the first are read only when the first lacks one."""
    wanted = {c.strip().casefold() for c in columns}
    first = None
    for i, name in enumerate(book.sheet_names):
        frame = _sheet_table(book, name, p)
        if first is None:
            first = (name, frame)
        if wanted <= {str(c).strip().casefold() for c in frame.columns}:
            if i:
                have = {str(c).strip().casefold() for c in first[1].columns}
                missing = [c for c in columns if c.strip().casefold() not in have]
                warn(f"{str(p)!r}: read the sheet {name!r}: the first sheet, {first[0]!r}, has no column "
                     f"{missing[0]!r}. Put the table on the first sheet to avoid this.", DataWarning)
            return name, frame
    return first


def _sheet_table(book, sheet: str, p: Path) -> pd.DataFrame:
    """One sheet's table, a title above its header skipped (with a :class:`DataWarning`)."""
    frame = pd.read_excel(book, sheet_name=sheet)
    header = _excel_header_row(frame)
    if header:
        warn(f"{str(p)!r}: skipped {header} row(s) above the table's header (starting "
             f"{str(frame.columns[0])[:60]!r}): they have fewer filled cells than the table. Put the "
             "header in the first row to avoid this.", DataWarning)
        frame = pd.read_excel(book, sheet_name=sheet, header=header)
    return frame


def _excel_header_row(frame: pd.DataFrame) -> int:
    """The sheet row of the table's header where rows above it hold a title (0 where the first row is the
    header): read with the first row as header, such a sheet has mostly unnamed columns; the header is then the
    first row, of the next :data:`MAX_PREAMBLE_LINES`, with every cell filled (0 where none is: the sheet is
    read as it is)."""
    n = frame.shape[1]
    unnamed = sum(str(c).startswith("Unnamed: ") for c in frame.columns)
    if n < 3 or unnamed < n - 2:
        return 0
    filled = frame.head(MAX_PREAMBLE_LINES).notna().sum(axis=1).to_numpy()
    for i, k in enumerate(filled):
        if k == n:
            return i + 1  # sheet rows: the pandas header row is row 0
    return 0


def read_table(path, columns=()) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel file, chosen by the extension (CSV when unknown). ``columns``: names the
    table must hold (a target, a model's features), which choose the sheet of a workbook (:func:`read_excel`)."""
    name = str(path).lower()
    if name.endswith(_PARQUET_SUFFIXES):
        return read_parquet(path)
    if name.endswith(_EXCEL_SUFFIXES):
        return read_excel(path, columns)
    if name.endswith(".xls"):
        raise DataError(f"{str(path)!r} is an old-style .xls workbook. Save it as .xlsx or CSV.")
    return read_csv(path)


def _is_number_text(name: str) -> bool:
    try:
        float(name.rsplit(".", 1)[0] if name.count(".") > 1 else name)  # pandas renames a repeated "1.5" to "1.5.1"
    except ValueError:
        return False
    return True


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Split a frame into features and the ``target`` column, with a helpful error when it is absent."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame; got {type(frame).__name__}. Use Task(X, y) for arrays.")
    if frame.shape[0] == 0:
        raise DataError(f"The data is empty (0 rows, {frame.shape[1]} columns). Pass a table with rows.")
    columns = [str(c) for c in frame.columns]
    padded = [c for c in columns if c.strip() == str(target).strip()] if target not in columns else []
    if len(padded) == 1:
        # "y " or " y": a header written with spaces after the delimiters; the name is plain to the user
        warn(f"Target column {target!r} is {padded[0]!r} in the file (spaces around the name); using it.",
             DataWarning)
        target = padded[0]
    key = str(target).strip().casefold()
    cased = [c for c in columns if c.strip().casefold() == key] if target not in columns else []
    if len(cased) == 1:  # "price" for "Price": one column only differs by case, so it is the one meant
        warn(f"Target column {target!r} is {cased[0]!r} in the file (another case); using it.", DataWarning)
        target = cased[0]
    if target not in columns:
        close = difflib.get_close_matches(str(target), columns, n=3, cutoff=0.4)
        if len(columns) > 1 and all(_is_number_text(c) for c in columns):  # a .data file of UCI's, say
            raise DataError(f"Target column {target!r} not found: every column name is a number "
                            f"({', '.join(map(repr, columns[:5]))}{' ...' if len(columns) > 5 else ''}), so the "
                            "first row looks like data, not a header. Add a header line naming the columns, the "
                            "target's among them, and pass --target / target= with its name.")
        if close:
            hint = f"Closest column names: {', '.join(map(repr, close))}."
        else:
            hint = f"Columns are: {', '.join(map(repr, columns[:10]))}{' ...' if len(columns) > 10 else ''}."
        raise DataError(f"Target column {target!r} not found. {hint} Pass --target / target= with one of them.")
    frame = frame.set_axis(columns, axis=1)
    if columns.count(target) > 1:
        raise DataError(f"Duplicate column names: {target!r}. Rename the columns so that each name is unique.")
    return frame.drop(columns=[target]), frame[target]
