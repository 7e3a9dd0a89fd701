"""Reading an exchange file: a ``.xlsx`` workbook, a ``.zip`` of three CSV files, or a folder of them.

Every reader yields, per sheet, the raw rows (header first) as tuples. Problems with the file as a
whole (corrupt, encrypted, too large, wrong encoding, missing sheet) raise ``FileProblem`` with a
message for the user; nothing has been read into the registry at that point.

Archive safety: ``.xlsx`` files are zip archives too. Before opening one we check the member count,
the declared total uncompressed size, the compression method and the compression ratio of each
member (zip bombs), and openpyxl parses the XML through defusedxml (entity expansion attacks).
Python's zip reader never inflates a member past its declared size and checks its CRC, so an
archive whose headers lie about the sizes fails while it is read: every such error (bad zip, bad
CRC, truncated or corrupt deflate data, unsupported method) becomes a ``FileProblem`` too.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

import openpyxl
from charset_normalizer import from_bytes
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.datetime import from_excel

from . import format as fmt

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # encrypted .xlsx and legacy .xls are OLE/CFB files
ZIP_MAGIC = b"PK\x03\x04"
MAX_RATIO = 200  # a member expanding more than 200x (and past 1 MB) is treated as a zip bomb
CSV_CHUNK = 1 << 20
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what Excel and every zip tool write
# What reading a damaged or lying archive member raises (zipfile, zlib; RuntimeError: encrypted).
ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


class FileProblem(Exception):
    def __init__(self, message: str, sheet: str = ""):
        super().__init__(message)
        self.message = message
        self.sheet = sheet


def damaged_member(name: str, sheet: str = "") -> FileProblem:
    return FileProblem(
        _(
            "无法读取文件：压缩包中的“%(name)s”已损坏（数据与压缩包记录的大小或校验值不符，或文件不完整）。请重新导出或重新压缩后上传。"
        )
        % {"name": name},
        sheet,
    )


def _limits() -> tuple[int, int]:
    return (
        getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 1024 * 1024 * 1024),
        getattr(settings, "IMPORT_MAX_ARCHIVE_MEMBERS", 1000),
    )


def check_archive(archive: zipfile.ZipFile) -> None:
    max_total, max_members = _limits()
    members = archive.infolist()
    if len(members) > max_members:
        raise FileProblem(
            _("压缩包中的文件过多（%(n)d 个，上限 %(max)d 个）。") % {"n": len(members), "max": max_members}
        )
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > CSV_CHUNK and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise FileProblem(
                _("压缩包中的文件“%(name)s”压缩比异常，疑似压缩炸弹，已拒绝。") % {"name": info.filename}
            )
        if info.flag_bits & 0x1:
            raise FileProblem(_("压缩包已加密：请取消密码后重新导入。"))
        if info.compress_type not in METHODS:
            raise FileProblem(
                _("压缩包中的文件“%(name)s”使用了不支持的压缩方式：请用常规 zip 格式重新压缩。")
                % {"name": info.filename}
            )
    if total > max_total:
        raise FileProblem(
            _("文件解压后过大（%(size)d MB，上限 %(max)d MB）。")
            % {"size": total >> 20, "max": max_total >> 20}
        )


class Reader:
    """Base reader: ``sheets()`` lists the sheet names found, ``rows(name)`` yields raw tuples."""

    def estimate_rows(self) -> int:
        return 0

    def rows(self, sheet_name: str) -> Iterator[tuple]:
        raise NotImplementedError

    def has_sheet(self, sheet_name: str) -> bool:
        raise NotImplementedError

    owned_file = None

    def close(self) -> None:
        self._close()
        if self.owned_file is not None:
            self.owned_file.close()

    def _close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _by_sheet(found: dict[str, object]) -> dict[str, object]:
    """The format's sheets among the names found (a workbook's sheets, CSV files by stem), each
    under the format's name, whether it was named in English (``units``) or Chinese (``单位``). Two
    names for one sheet are a file problem (which one holds the data?); other names are ignored."""
    by_sheet: dict[str, object] = {}
    named: dict[str, str] = {}
    for name, value in found.items():
        sheet = fmt.canonical_sheet(name)
        if sheet is None:
            continue
        if sheet in by_sheet:
            raise FileProblem(
                _("文件中有两个“%(sheet)s”工作表（“%(first)s”和“%(second)s”）：请只保留一个。")
                % {"sheet": fmt.sheet_label(sheet), "first": named[sheet], "second": name},
                sheet,
            )
        by_sheet[sheet] = value
        named[sheet] = name
    return by_sheet


class _StructureReader(ExcelReader):
    """openpyxl's workbook reader without the worksheets: the sheet paths, shared strings, date
    styles and epoch. (openpyxl's read-only mode would scan every sheet that has no ``<dimension>``
    element, as files written in write-only mode have none, just to size it.)"""

    def read_worksheets(self):
        self.sheet_paths = {}
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                self.sheet_paths[sheet.name] = rel.target


def _forbid(*args):
    raise FileProblem(_("无法读取文件：工作簿包含不允许的 XML 内容（DTD 或实体声明）。"))


_C, _V, _T, _ROW, _RPH = 1, 2, 3, 4, 5
_TAGS = {"c": _C, "v": _V, "t": _T, "row": _ROW, "rPh": _RPH}


def _column_index(ref: str) -> int:
    """``"AB12"`` -> 27 (0-based column of a cell reference)."""
    index = 0
    for char in ref:
        if char >= "A":
            index = index * 26 + (ord(char) - 64)
        else:
            break
    return index - 1


def iter_sheet_xml(stream, shared_strings, date_styles, epoch) -> Iterator[tuple[int, tuple]]:
    """Stream the rows of one worksheet part: (row number, values) with typed values as openpyxl's
    ``values_only`` gives them (data_only: a formula's cached value).

    A direct expat parser, hardened like defusedxml (no DTD, no entities): about five times faster
    than building an element and a cell object per cell, which matters at 250,000 rows.
    """
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    done: list[tuple[int, tuple]] = []
    text: list[str] = []
    tags = dict(_TAGS)
    dates: dict[float, datetime.datetime] = {}
    row_no = 0
    cells: dict[int, object] = {}
    col = -1
    kind = "n"
    style = 0
    capture = False
    skip = 0

    def tag_of(name: str) -> int:
        tag = tags[name] = _TAGS.get(name.rpartition(":")[2], 0)
        return tag

    def start(name, attrs):
        nonlocal row_no, cells, col, kind, style, capture, skip
        tag = tags.get(name)
        if tag is None:
            tag = tag_of(name)
        if tag == _C:
            ref = attrs.get("r")
            col = _column_index(ref) if ref else col + 1
            kind = attrs.get("t", "n")
            s = attrs.get("s")
            style = int(s) if s else 0
            text.clear()
        elif tag == _V or (tag == _T and not skip):
            capture = True
        elif tag == _ROW:
            ref = attrs.get("r")
            row_no = int(ref) if ref else row_no + 1
            cells = {}
            col = -1
        elif tag == _RPH:
            skip += 1  # phonetic runs are not part of the text

    def end(name):
        nonlocal capture, skip
        tag = tags.get(name)
        if tag is None:
            tag = tag_of(name)
        if tag == _C:
            raw = "".join(text) if len(text) != 1 else text[0]
            if kind == "inlineStr":
                value = raw
            elif not raw:
                return
            elif kind == "s":
                value = shared_strings[int(raw)]
            elif kind == "n":
                value = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
                if style in date_styles:
                    date = dates.get(value)
                    if date is None:
                        try:
                            date = dates[value] = from_excel(value, epoch)
                        except (OverflowError, ValueError):
                            date = "#VALUE!"
                    value = date
            elif kind == "b":
                value = raw == "1"
            elif kind == "d":
                try:
                    value = datetime.datetime.fromisoformat(raw.rstrip("Z"))
                except ValueError:
                    value = raw
            else:
                value = raw  # "str" (a formula's text) and "e" (an error such as #N/A)
            cells[col] = value
        elif tag == _V or tag == _T:
            capture = False
        elif tag == _ROW:
            if cells:
                row = [None] * (max(cells) + 1)
                for index, value in cells.items():
                    row[index] = value
                done.append((row_no, tuple(row)))
        elif tag == _RPH:
            skip -= 1

    def chardata(data):
        if capture:
            text.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chardata
    try:
        while chunk := stream.read(1 << 16):
            parser.Parse(chunk, False)
            if done:
                yield from done
                done.clear()
        parser.Parse(b"", True)
    except (expat.ExpatError, ValueError, IndexError, KeyError, TypeError):
        # malformed XML, or values that cannot be (a number "abc", a shared string index past the end)
        raise FileProblem(_("无法读取文件：文件已损坏或不是有效的 .xlsx 文件。")) from None
    yield from done


class XlsxReader(Reader):
    def __init__(self, fileobj):
        try:
            archive = zipfile.ZipFile(fileobj)
        except (*ARCHIVE_ERRORS, ValueError):
            raise FileProblem(_("无法读取文件：文件已损坏或不是有效的 .xlsx 文件。")) from None
        check_archive(archive)
        archive.close()
        fileobj.seek(0)
        try:
            structure = _StructureReader(fileobj, read_only=True, data_only=True)
            structure.read()
        except FileProblem:
            raise
        except Exception:  # openpyxl raises many kinds for damaged files
            raise FileProblem(_("无法读取文件：文件已损坏或不是有效的 .xlsx 文件。")) from None
        self.structure = structure
        self.archive = structure.archive
        self.paths = _by_sheet(structure.sheet_paths)

    def has_sheet(self, sheet_name):
        return sheet_name in self.paths

    def estimate_rows(self):
        """Rows from the declared uncompressed size of the sheet parts (for the progress bar)."""
        size = sum(
            self.archive.getinfo(self.paths[s.name]).file_size for s in fmt.SHEETS if s.name in self.paths
        )
        return size // 400 + 1  # about 400 bytes of XML per row of shared-string cells; errs high

    def rows(self, sheet_name):
        wb = self.structure.wb
        try:
            with self.archive.open(self.paths[sheet_name]) as stream:
                yield from iter_sheet_xml(stream, self.structure.shared_strings, wb._date_formats, wb.epoch)
        except (*ARCHIVE_ERRORS, KeyError):
            raise damaged_member(self.paths[sheet_name], sheet_name) from None

    def _close(self):
        self.archive.close()


class OpenpyxlReader(Reader):
    """The same rows through openpyxl's own read-only worksheets: the reference that the fast
    parser is tested against (and a fallback should openpyxl's reader internals change)."""

    def __init__(self, fileobj):
        XlsxReader(fileobj).close()  # the same archive checks
        fileobj.seek(0)
        self.workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
        self.names = _by_sheet({n: n for n in self.workbook.sheetnames})

    def has_sheet(self, sheet_name):
        return sheet_name in self.names

    def rows(self, sheet_name):
        worksheet = self.workbook[self.names[sheet_name]]
        worksheet.reset_dimensions()
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if any(v is not None for v in row):
                while row and row[-1] is None:
                    row = row[:-1]
                yield number, tuple(row)

    def _close(self):
        self.workbook.close()


def _is_chinese_text(text: str) -> bool:
    """Mostly CJK ideographs and punctuation among the non-ASCII characters (not Latin-1 or
    Cyrillic bytes that happen to pair up into valid GB18030 sequences)."""
    others = [c for c in text if ord(c) > 0x7F]
    if not others:
        return False
    cjk = sum(
        1
        for c in others
        if "\u4e00" <= c <= "\u9fff"
        or "\u3400" <= c <= "\u4dbf"
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
    )
    return cjk >= 0.8 * len(others)


def detect_encoding(head: bytes) -> str:
    """The encoding of a non-UTF-8 CSV, for the message. Chinese Excel saves CSV in GBK (GB18030 is
    its superset): when the bytes decode as GB18030 into Chinese text, that is what it is —
    charset-normalizer's guess alone calls short GBK files "CP874" or "Big5"."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    try:
        text = decoder.decode(head)  # not final: the head may end inside a character
    except UnicodeDecodeError:
        text = ""
    if _is_chinese_text(text):
        return "GBK/GB18030"
    best = from_bytes(head).best()
    return (best.encoding if best else "").upper()


def _check_utf8(name: str, stream) -> None:
    """Refuse a CSV that is not UTF-8 (with or without BOM), naming the encoding detected."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    while chunk := stream.read(CSV_CHUNK):
        if len(head) < 256 * 1024:
            head += chunk[: 256 * 1024]
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            encoding = detect_encoding(head)
            raise FileProblem(
                _(
                    "文件“%(name)s”不是 UTF-8 编码（检测为 %(encoding)s）：请在 Excel 中选择“CSV UTF-8（逗号分隔）”另存为 UTF-8 后重新导入。"
                )
                % {"name": name, "encoding": encoding or _("未知编码")},
                fmt.canonical_sheet(Path(name).stem) or fmt.UNITS.name,
            ) from None
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileProblem(
            _("文件“%(name)s”不是完整的 UTF-8 编码文本：请另存为 UTF-8。") % {"name": name}
        ) from None


class CsvSetReader(Reader):
    """Three CSV files named after the sheets, in a zip archive or a folder."""

    def __init__(
        self, opener: dict[str, callable], sizes: dict[str, int], names: dict[str, str] | None = None
    ):
        self.opener = opener  # sheet name -> callable returning a binary stream
        self.sizes = sizes
        self.names = names or {}  # sheet name -> the file's own name (单位.csv), for messages

    @classmethod
    def from_zip(cls, fileobj):
        try:
            archive = zipfile.ZipFile(fileobj)
        except (*ARCHIVE_ERRORS, ValueError):
            raise FileProblem(_("无法读取文件：压缩包已损坏或不是有效的 .zip 文件。")) from None
        check_archive(archive)
        found = {}
        for info in archive.infolist():
            if info.is_dir():
                continue
            base = os.path.basename(info.filename)
            stem, ext = os.path.splitext(base)
            if ext.lower() != ".csv" or base.startswith("."):
                continue
            found[stem] = info
        members = _by_sheet(found)
        opener = {name: (lambda info=info: archive.open(info)) for name, info in members.items()}
        sizes = {name: info.file_size for name, info in members.items()}
        names = {name: os.path.basename(info.filename) for name, info in members.items()}
        reader = cls(opener, sizes, names)
        reader.archive = archive
        return reader

    @classmethod
    def from_folder(cls, folder: Path):
        found = {
            path.stem: path
            for path in sorted(Path(folder).iterdir())
            if path.is_file() and path.suffix.lower() == ".csv" and not path.name.startswith(".")
        }
        members = _by_sheet(found)
        opener = {name: (lambda path=path: open(path, "rb")) for name, path in members.items()}  # noqa: SIM115
        sizes = {name: path.stat().st_size for name, path in members.items()}
        return cls(opener, sizes, {name: path.name for name, path in members.items()})

    def has_sheet(self, sheet_name):
        return sheet_name in self.opener

    def estimate_rows(self):
        """Lines of the CSV files (read through: a member whose sizes or CRC lie fails here)."""
        total = 0
        for sheet_name, open_ in self.opener.items():
            try:
                with open_() as stream:
                    while chunk := stream.read(CSV_CHUNK):
                        total += chunk.count(b"\n")
            except ARCHIVE_ERRORS:
                raise damaged_member(f"{sheet_name}.csv", sheet_name) from None
        return total

    def rows(self, sheet_name):
        name = self.names.get(sheet_name, f"{sheet_name}.csv")
        try:
            with self.opener[sheet_name]() as stream:
                _check_utf8(name, stream)
            with self.opener[sheet_name]() as stream:
                text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
                try:
                    yield from enumerate((tuple(row) for row in csv.reader(text)), start=1)
                except csv.Error as exc:
                    raise FileProblem(
                        _("CSV 文件“%(name)s”格式错误：%(error)s") % {"name": name, "error": exc}, sheet_name
                    ) from None
        except ARCHIVE_ERRORS:
            raise damaged_member(name, sheet_name) from None

    def _close(self):
        archive = getattr(self, "archive", None)
        if archive is not None:
            archive.close()


def open_reader(source, filename: str | None = None) -> Reader:
    """A reader for a path (file or folder) or an open binary file with its original name."""
    owned = None
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return CsvSetReader.from_folder(path)
        filename = filename or path.name
        fileobj = owned = open(path, "rb")  # noqa: SIM115 - closed by Reader.close()
    else:
        fileobj = source
    try:
        reader = _open(fileobj, filename)
    except BaseException:
        if owned is not None:
            owned.close()
        raise
    reader.owned_file = owned
    return reader


def _open(fileobj, filename) -> Reader:
    head = fileobj.read(8)
    fileobj.seek(0)
    suffix = Path(filename or "").suffix.lower()
    if head.startswith(OLE_MAGIC):
        raise FileProblem(
            _("文件已加密（设置了打开密码）或为旧版 .xls 格式：请取消密码保护并另存为 .xlsx 后重新导入。")
        )
    if suffix not in (".xlsx", ".zip"):
        raise FileProblem(_("不支持的文件类型：请上传 .xlsx 工作簿，或包含三个 CSV 文件的 .zip 压缩包。"))
    if not head.startswith(ZIP_MAGIC):
        raise FileProblem(_("无法读取文件：文件已损坏或不是有效的 .xlsx 文件。"))
    if suffix == ".xlsx":
        return XlsxReader(fileobj)
    return CsvSetReader.from_zip(fileobj)
