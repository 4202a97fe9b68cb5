r"""Sniff a delimited text file: encoding, delimiter, line endings, compression.

Polars parses UTF-8 only and splits lines on ``\\n``. Files in another encoding,
or with old Mac ``\\r`` line endings, are transcoded once, streaming, into a
temporary UTF-8 file that is removed when the process exits. Everything else
is scanned in place, gzip included.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import csv
import gzip
import io
import itertools
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from segwise.exceptions import DataError

if TYPE_CHECKING:
    from collections.abc import Sequence

SAMPLE_BYTES = 256 * 1024
MAX_SAMPLE_BYTES = 64 * 1024 * 1024
_SAMPLE_MIN_LINES = 4
# Fields of several hundred KB (HTML descriptions, JSON blobs) are real: the csv
# module's 128 KiB default made the sniffer fail on them.
csv.field_size_limit(2**31 - 1)
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_GZIP_MAGIC = b"\x1f\x8b"
_SIGNATURES = {
    b"PAR1": ("a Parquet file", "give it the .parquet extension"),
    b"PK\x03\x04": ("a zip archive", "give an Excel workbook the .xlsx extension, or unzip it"),
    b"SQLite format 3\x00": ("an SQLite database", "pass it as sqlite:///PATH with --table"),
    b"\x89PNG": ("a PNG image", "pass a CSV, Parquet, Excel or JSON-lines file"),
    b"%PDF": ("a PDF document", "pass a CSV, Parquet, Excel or JSON-lines file"),
}


@dataclass(frozen=True)
class CsvDialect:
    r"""How a delimited text file is written.

    Attributes
    ----------
    encoding
        ``utf-8``, ``utf-8-sig`` (with a byte-order mark) or ``latin-1``.
    delimiter
        The field separator.
    line_ending
        ``\\n``, ``\\r\\n`` or ``\\r``.
    compressed
        Whether the file is gzip-compressed.
    decimal_comma
        Whether numbers are written ``12,50`` (detected from ``;``-separated samples).
    """

    encoding: str
    delimiter: str
    line_ending: str
    compressed: bool
    decimal_comma: bool = False
    sample_text: str = field(default="", repr=False, compare=False)
    #: Decode each line as UTF-8 and fall back to latin-1 for lines that are not:
    #: exports glued from two systems mix them, and one latin-1 byte must not turn
    #: every UTF-8 "Zoë" into "ZoÃ«".
    mixed_encoding: bool = False
    #: Lines above the header (a title, a date, blank lines) that the export wrote first.
    preamble: tuple[str, ...] = ()

    @property
    def skip_rows(self) -> int:
        """CSV rows to skip before the header, as Polars counts them.

        A quoted title may run over several lines and is one row; a blank line is one.
        """
        text = "".join(line + "\n" for line in self.preamble)
        return sum(1 for _ in csv.reader(io.StringIO(text), delimiter=self.delimiter))

    @property
    def needs_transcoding(self) -> bool:
        """Whether Polars cannot scan the file as it is."""
        return self.encoding == "latin-1" or self.line_ending == "\r"


def _open_binary(path: Path, compressed: bool) -> IO[bytes]:
    return cast("IO[bytes]", gzip.open(path, "rb")) if compressed else path.open("rb")


def _read_sample(path: Path) -> tuple[bytes, bool, bool]:
    """Return the first bytes (decompressed), whether gzip, and whether the sample is all of it.

    The sample grows past 256 KiB (up to 64 MiB) until it holds the header and a few
    whole rows, so one very long first row cannot leave the sniffer with no data.
    """
    with path.open("rb") as handle:
        head = handle.read(2)
    compressed = head == _GZIP_MAGIC
    try:
        with _open_binary(path, compressed) as handle:
            sample = handle.read(SAMPLE_BYTES + 1)
            while (
                len(sample) > SAMPLE_BYTES
                and sample.count(b"\n") < _SAMPLE_MIN_LINES
                and len(sample) < MAX_SAMPLE_BYTES
                and (more := handle.read(len(sample)))
            ):
                sample += more
            limit = max(SAMPLE_BYTES, len(sample) - 1)
            complete = len(sample) <= limit
            return sample[:limit], compressed, complete
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: BaseException) -> DataError:
    return DataError(
        f"cannot decompress the file ({exc})",
        hint="check the download is complete, or decompress it yourself",
        source=str(path),
    )


def _reject_binary(sample: bytes, source: str) -> None:
    for signature, (what, hint) in _SIGNATURES.items():
        if sample.startswith(signature):
            raise DataError(f"this is {what}, not a CSV file", hint=hint, source=source)
    if b"\x00" in sample[:8192]:
        raise DataError(
            "this looks like a binary file, not delimited text",
            hint="pass a CSV, Parquet, Excel (.xlsx) or JSON-lines file",
            source=source,
        )


def _detect_encoding(sample: bytes, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(sample):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a multi-byte character cut at the end of the sample is not an error.
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _looks_utf16(sample: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a zero byte beside every character."""
    head = sample[:4096]
    if len(head) < 8:
        return False
    even, odd = head[0::2], head[1::2]
    for text, zeros in ((even, odd), (odd, even)):
        if zeros.count(0) > 0.9 * len(zeros) and text.count(0) < 0.1 * len(text):
            return True
    return False


def _detect_line_ending(text: str) -> str:
    if "\r\n" in text:
        return "\r\n"
    if "\r" in text and "\n" not in text:
        return "\r"
    return "\n"


def _score_delimiter(lines: str, delimiter: str) -> tuple[float, int]:
    # Lines above the header (a title) would make every delimiter look one column wide.
    skip = len(find_preamble(lines, delimiter))
    if skip:
        lines = lines.split("\n", skip)[-1]
    rows = list(csv.reader(io.StringIO(lines), delimiter=delimiter))[:500]
    if not rows or len(rows[0]) < 2:
        return (0.0, 1)
    width = len(rows[0])
    consistent = sum(1 for row in rows if len(row) == width) / len(rows)
    return (consistent, width)


def sniff_delimiter(text: str) -> str:
    r"""Choose the delimiter that splits the sample into the most consistent rows.

    Quoted fields (with commas or newlines inside) are parsed as CSV does, so
    they do not mislead the count.

    Examples
    --------
    >>> sniff_delimiter('id;name;city\\n1;"Doe, J";Paris\\n2;Smith;Lyon\\n')
    ';'
    """
    scores = {d: _score_delimiter(text, d) for d in CANDIDATE_DELIMITERS}
    best = max(CANDIDATE_DELIMITERS, key=lambda d: scores[d])
    return best if scores[best][1] > 1 else ","


def _looks_decimal_comma(text: str, delimiter: str) -> bool:
    if delimiter == ",":
        return False
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[1:200]
    cells = [cell.strip() for row in rows for cell in row]
    comma_numbers = sum(
        1 for c in cells if _is_number(c.replace(".", "").replace(",", ".")) and "," in c
    )
    dot_numbers = sum(1 for c in cells if _is_number(c) and "." in c)
    return comma_numbers > dot_numbers


#: Lines searched for the header, and data rows that must follow it with its width.
_PREAMBLE_LINES, _ROWS_AFTER = 20, 3


def find_preamble(text: str, delimiter: str) -> tuple[str, ...]:
    r"""The lines above the header: what a report export writes before its table.

    The header is the first row followed by rows mostly as wide (two fields or more)
    where every row above it holds one value at most: a title, a "generated on" line,
    blanks. A header narrower than its rows (``a,b`` over ``1,2,``) is still the header.
    Rows are read as CSV reads them, so a quoted title over two lines is one value.

    Examples
    --------
    >>> find_preamble("Orders export\n\nid,amount\n1,2\n2,3\n3,4\n", ",")
    ('Orders export', '')
    >>> find_preamble("id,amount\n1,2\n", ",")
    ()
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    ends: list[int] = []  # the physical line each row ends on
    for row in itertools.islice(reader, _PREAMBLE_LINES + _ROWS_AFTER + 1):
        rows.append(row)
        ends.append(reader.line_num)
    widths = [len(row) for row in rows]
    values = [sum(1 for cell in row if cell.strip()) for row in rows]
    for at in range(1, min(_PREAMBLE_LINES, len(rows))):
        width = widths[at]
        following = [w for w in widths[at + 1 :] if w][:_ROWS_AFTER]
        if (
            width >= 2
            and following
            # Most, not all, and at least as wide: a ragged row or a trailing delimiter
            # among the first must not hide the header.
            and 2 * sum(w >= width for w in following) >= len(following)
            and all(n <= 1 for n in values[:at])
        ):
            return tuple(line.rstrip("\r") for line in text.split("\n")[: ends[at - 1]])
    return ()


def sample_column(dialect: CsvDialect, column: str, *, rows: int = 2_000) -> list[str] | None:
    """Return the first values of ``column`` from the sniffed text, or None if it is not there.

    Reading a sample this way costs nothing; asking the CSV engine for the
    first rows made it buffer about half a 300 MB file.
    """
    return sample_columns(dialect, [column], rows=rows).get(column)


def sample_columns(
    dialect: CsvDialect, columns: Sequence[str], *, rows: int = 2_000
) -> dict[str, list[str]]:
    """The first non-blank values of each of ``columns`` the sniffed text has, in one parse."""
    lines = dialect.sample_text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.DictReader(io.StringIO(lines), delimiter=dialect.delimiter)
    if reader.fieldnames is None:
        return {}
    present = [c for c in columns if c in reader.fieldnames]
    values: dict[str, list[str]] = {c: [] for c in present}
    for _, row in zip(range(rows), reader, strict=False):
        for column in present:
            value = row.get(column) or ""
            if value.strip():
                values[column].append(value)
    return values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sniff(path: Path, *, delimiter: str | None = None, encoding: str | None = None) -> CsvDialect:
    r"""Sniff how ``path`` is written, from its first 256 KiB.

    Parameters
    ----------
    path
        A delimited text file, optionally gzip-compressed.
    delimiter, encoding
        Use these instead of sniffing them.

    Raises
    ------
    DataError
        The file is empty, binary, or not text in a supported encoding.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes("id;amount\r\n1;2,50\r\n".encode("latin-1"))
    >>> d = sniff(p)
    >>> d.delimiter, d.line_ending, d.decimal_comma
    (';', '\r\n', True)
    """
    source = str(path)
    sample, compressed, complete = _read_sample(path)
    if not sample.strip():
        raise DataError(
            "the file is empty", hint="export the table again with its rows", source=source
        )
    detected = encoding or _detect_encoding(sample, complete)
    if detected != "utf-16":
        _reject_binary(sample, source)
    if detected == "utf-16":
        raise DataError(
            "the file is UTF-16 text",
            hint="save it as UTF-8 (or pass encoding='utf-16' after converting it)",
            source=source,
        )
    mixed = encoding is None and detected == "latin-1"
    text = _decode_lines(sample) if mixed else sample.decode(detected, errors="replace")
    if not complete:
        # Drop the last, probably partial, line.
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:cut] if cut > 0 else text
    line_ending = _detect_line_ending(text)
    try:
        chosen = delimiter or sniff_delimiter(text.replace("\r\n", "\n").replace("\r", "\n"))
        preamble = find_preamble(text.replace("\r\n", "\n").replace("\r", "\n"), chosen)
        if preamble:
            text = "".join(text.splitlines(keepends=True)[len(preamble) :])
        decimal_comma = _looks_decimal_comma(text.replace("\r", "\n"), chosen)
    except csv.Error as exc:
        raise DataError(
            f"cannot read the first rows as delimited text ({exc})",
            hint="check the file is CSV; pass --delimiter if it uses an unusual one",
            source=source,
        ) from None
    return CsvDialect(
        encoding=detected,
        delimiter=chosen,
        line_ending=line_ending,
        compressed=compressed,
        decimal_comma=decimal_comma,
        sample_text=text,
        mixed_encoding=mixed,
        preamble=preamble,
    )


def _decode_lines(data: bytes) -> str:
    """Each line as UTF-8 when it is valid UTF-8, else as latin-1 (see ``mixed_encoding``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    parts = []
    for line in data.splitlines(keepends=True):
        try:
            parts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            parts.append(line.decode("latin-1"))
    return "".join(parts)


def first_invalid_utf8(path: Path) -> tuple[int, int] | None:
    """The 1-based line and the byte of the first invalid UTF-8 sequence, or None.

    Used only after a read failed, to say where: a streaming pass in 1 MiB blocks.
    """
    with path.open("rb") as handle:
        head = handle.read(2)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with _open_binary(path, head == _GZIP_MAGIC) as raw:
        while block := raw.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return line + block[: exc.start].count(b"\n"), block[exc.start]
            line += block.count(b"\n")
    return None


_TEMP_FILES: list[str] = []


@atexit.register
def _remove_temp_files() -> None:
    for name in _TEMP_FILES:
        with contextlib.suppress(OSError):
            Path(name).unlink()


def transcode_to_utf8(path: Path, dialect: CsvDialect) -> Path:
    r"""Stream ``path`` into a temporary UTF-8 file with ``\\n`` line endings.

    Reads and writes 1 MiB at a time, so memory stays flat whatever the size.

    Raises
    ------
    DataError
        The file cannot be decompressed or decoded (naming the line).
    """
    try:
        return _transcode(path, dialect)
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, exc) from None
    except UnicodeDecodeError as exc:
        found = first_invalid_utf8(path) if dialect.encoding.startswith("utf-8") else None
        where = f"line {found[0]}: " if found else ""
        raise DataError(
            f"{where}text is not {dialect.encoding} ({exc.reason})",
            hint="save the file as UTF-8, or pass the encoding with --encoding",
            source=str(path),
        ) from None


def _transcode(path: Path, dialect: CsvDialect) -> Path:
    handle, name = tempfile.mkstemp(prefix="segwise-", suffix=".csv")
    _TEMP_FILES.append(name)
    if dialect.mixed_encoding:
        with (
            _open_binary(path, dialect.compressed) as raw,
            os.fdopen(handle, "w", encoding="utf-8", newline="") as out,
        ):
            rest = b""
            while block := raw.read(1 << 20):
                block = rest + block
                # Cut after a full line: after the last \n (so \r\n stays whole), else \r.
                cut = block.rfind(b"\n")
                cut = cut if cut >= 0 else block.rfind(b"\r")
                rest, block = (block[cut + 1 :], block[: cut + 1]) if cut >= 0 else (block, b"")
                out.write(_normalise_newlines(_decode_lines(block)))
            out.write(_normalise_newlines(_decode_lines(rest)))
        return Path(name)
    with (
        _open_binary(path, dialect.compressed) as raw,
        io.TextIOWrapper(raw, encoding=dialect.encoding, newline="") as text,
        os.fdopen(handle, "w", encoding="utf-8", newline="") as out,
    ):
        pending_cr = False
        while chunk := text.read(1 << 20):
            if pending_cr:
                chunk = "\r" + chunk
            pending_cr = chunk.endswith("\r")
            if pending_cr:
                chunk = chunk[:-1]
            out.write(chunk.replace("\r\n", "\n").replace("\r", "\n"))
        if pending_cr:
            out.write("\n")
    return Path(name)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
