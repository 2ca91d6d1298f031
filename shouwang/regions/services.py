"""Loading the area tree from CSV files.

`areas_load` reads the layouts of the national division lists (provinces, cities,
counties, townships — see ../shared/data/areas/README.md) and a village layout
(`code,name,townshipCode`). All files are validated before anything is written;
one bad row anywhere means nothing is loaded. Loading is an upsert, so running it
again with the same files changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.core.scoping import PREFIX_LENGTHS
from shouwang.regions.models import Area, Level

# Header of each layout -> (level, column holding the parent's code).
LAYOUTS: dict[tuple[str, ...], tuple[int, str | None]] = {
    ("code", "name"): (Level.PROVINCE, None),
    ("code", "name", "provinceCode"): (Level.CITY, "provinceCode"),
    ("code", "name", "cityCode", "provinceCode"): (Level.COUNTY, "cityCode"),
    ("code", "name", "areaCode", "provinceCode", "cityCode"): (Level.TOWNSHIP, "areaCode"),
    ("code", "name", "townshipCode"): (Level.VILLAGE, "townshipCode"),
}
# Extra ancestor columns that must agree with the code's own prefix.
ANCESTOR_COLUMNS = {"provinceCode": Level.PROVINCE, "cityCode": Level.CITY}


class AreaLoadError(Exception):
    """Raised when any file or row is invalid; `errors` lists every problem."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class RowError:
    file: str
    row: int  # line number in the file; the header is line 1
    reason: str

    def __str__(self) -> str:
        if self.row:
            return _("%(file)s 第 %(row)s 行：%(reason)s") % {
                "file": self.file,
                "row": self.row,
                "reason": self.reason,
            }
        return f"{self.file}：{self.reason}"


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    placeholders: int = 0  # rows naming the same area as their parent
    by_level: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AreaRow:
    code: str  # full 12-digit code
    name: str
    level: int
    parent: str | None  # full 12-digit code
    file: str
    line: int


def full_code(short: str) -> str:
    return short.ljust(12, "0")


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", raw, 0, 1, "neither UTF-8 nor GB18030")


def _parse_file(
    name: str, text: str, errors: list[RowError], placeholders: list[AreaRow]
) -> list[AreaRow]:
    reader = csv.reader(io.StringIO(text))
    header = tuple(h.strip() for h in next(reader, ()))
    layout = LAYOUTS.get(header)
    if layout is None:
        errors.append(
            RowError(name, 1, _("无法识别的表头 %(header)s") % {"header": ",".join(header)})
        )
        return []
    level, parent_column = layout
    length = PREFIX_LENGTHS[level]
    rows: list[AreaRow] = []
    next_line = reader.line_num + 1
    for values in reader:
        # The line a record starts on (a quoted name may span several lines).
        line, next_line = next_line, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(
                RowError(
                    name,
                    line,
                    _("应有 %(expected)s 列，实际 %(actual)s 列")
                    % {"expected": len(header), "actual": len(values)},
                )
            )
            continue
        record = {h: v.strip() for h, v in zip(header, values, strict=True)}
        code = record["code"]
        reason = _check_code(code, length, level)
        if reason is None and not record["name"]:
            reason = _("名称为空")
        parent = record.get(parent_column) if parent_column else None
        if reason is None and parent_column:
            parent_length = PREFIX_LENGTHS[level - 1]
            if len(parent) != parent_length or not parent.isdigit():
                reason = _("上级代码 %(parent)s 应为 %(length)s 位数字") % {
                    "parent": parent,
                    "length": parent_length,
                }
            elif not code.startswith(parent):
                reason = _("代码 %(code)s 与上级代码 %(parent)s 的前缀不一致") % {
                    "code": code,
                    "parent": parent,
                }
        if reason is None:
            for column, ancestor_level in ANCESTOR_COLUMNS.items():
                value = record.get(column)
                if value is not None and column != parent_column:
                    expected = code[: PREFIX_LENGTHS[ancestor_level]]
                    if value != expected:
                        reason = _("%(column)s=%(value)s 与代码前缀 %(expected)s 不一致") % {
                            "column": column,
                            "value": value,
                            "expected": expected,
                        }
                        break
        if reason is not None:
            errors.append(RowError(name, line, reason))
            continue
        if parent and full_code(code) == full_code(parent):
            # A city without counties (东莞市 4419 listed again as county 441900) or a
            # county without townships: the same area as its parent, whose children
            # then hang directly below the parent.
            placeholders.append(
                AreaRow(full_code(code), record["name"], level, full_code(parent), name, line)
            )
            continue
        rows.append(
            AreaRow(
                code=full_code(code),
                name=record["name"],
                level=level,
                parent=full_code(parent) if parent else None,
                file=name,
                line=line,
            )
        )
    return rows


def _check_code(code: str, length: int, level: int) -> str | None:
    if not code.isdigit():
        return _("代码 %(code)s 含有非数字字符") % {"code": code}
    if len(code) != length:
        return _("代码 %(code)s 应为 %(length)s 位（%(level)s级）") % {
            "code": code,
            "length": length,
            "level": Level(level).label,
        }
    if level == Level.VILLAGE and code.endswith("000"):
        return _("村级代码 %(code)s 的末三位不能为 000") % {"code": code}
    return None


def parse_area_files(
    files: Iterable[tuple[str, str]], placeholders: list[AreaRow] | None = None
) -> list[AreaRow]:
    """Parse and validate (name, text) pairs; raise AreaLoadError listing every bad row.

    Placeholder rows (same area as their parent) are appended to `placeholders`; their
    parent must exist and carry the same name.
    """
    errors: list[RowError] = []
    rows: list[AreaRow] = []
    placeholders = [] if placeholders is None else placeholders
    for name, text in files:
        rows.extend(_parse_file(name, text, errors, placeholders))

    seen: dict[str, AreaRow] = {}
    for row in rows:
        first = seen.get(row.code)
        if first is not None:
            errors.append(
                RowError(
                    row.file,
                    row.line,
                    _("代码 %(code)s 重复（已见于 %(file)s 第 %(line)s 行）")
                    % {
                        "code": row.code[: PREFIX_LENGTHS[row.level]],
                        "file": first.file,
                        "line": first.line,
                    },
                )
            )
        else:
            seen[row.code] = row

    # Placeholder rows are not loaded, but the parent they repeat must exist.
    checked = [*rows, *placeholders]
    parents_needed = {row.parent for row in checked if row.parent and row.parent not in seen}
    # Filter by level rather than `code__in`: a file of 41,352 townships would
    # exceed SQLite's limit on query parameters.
    parent_levels = {level for row in checked for level in range(1, row.level)}
    existing = {
        code: name
        for code, name in Area.objects.filter(level__in=parent_levels).values_list("code", "name")
        if code in parents_needed
    }
    for row in checked:
        if row.parent and row.parent not in seen and row.parent not in existing:
            errors.append(
                RowError(
                    row.file,
                    row.line,
                    _("上级区划 %(parent)s 不存在")
                    % {"parent": row.parent[: PREFIX_LENGTHS[row.level - 1]]},
                )
            )
    for row in placeholders:
        parent_name = seen[row.parent].name if row.parent in seen else existing.get(row.parent)
        if parent_name is not None and parent_name != row.name:
            errors.append(
                RowError(
                    row.file,
                    row.line,
                    _("代码与上级 %(parent)s（%(parent_name)s）相同，但名称是 %(name)s")
                    % {
                        "parent": row.parent[: PREFIX_LENGTHS[row.level - 1]],
                        "parent_name": parent_name,
                        "name": row.name,
                    },
                )
            )
    if errors:
        raise AreaLoadError(errors)
    return sorted(seen.values(), key=lambda r: (r.level, r.code))


@transaction.atomic
def areas_load(*, paths: Sequence[Path]) -> LoadReport:
    """Validate every file, then create or update the areas in one transaction."""
    files = []
    errors: list[RowError] = []
    for path in paths:
        try:
            files.append((path.name, _read_text(path)))
        except OSError as exc:
            errors.append(RowError(str(path), 0, _("无法读取文件：%(error)s") % {"error": exc}))
        except UnicodeDecodeError:
            errors.append(RowError(path.name, 0, _("文件编码不是 UTF-8 或 GB18030")))
    if errors:
        raise AreaLoadError(errors)
    placeholders: list[AreaRow] = []
    rows = parse_area_files(files, placeholders)
    report = areas_upsert(rows=rows, source="areas load")
    report.placeholders = len(placeholders)
    return report


def areas_upsert(*, rows: Sequence[AreaRow], source: str) -> LoadReport:
    """Write validated rows (parents before children); audit each created or changed area."""
    existing = {
        code: (name, level, parent)
        for code, name, level, parent in Area.objects.filter(
            level__in={r.level for r in rows}
        ).values_list("code", "name", "level", "parent_id")
    }
    report = LoadReport()
    to_write: list[Area] = []
    changes: list[Change] = []
    for row in rows:
        new = (row.name, row.level, row.parent)
        old = existing.get(row.code)
        if old == new:
            report.unchanged += 1
            continue
        to_write.append(Area(code=row.code, name=row.name, level=row.level, parent_id=row.parent))
        report.by_level[row.level] = report.by_level.get(row.level, 0) + 1
        if old is None:
            report.created += 1
            diff = {"code": [None, row.code], "name": [None, row.name], "level": [None, row.level]}
            if row.parent:
                diff["parent"] = [None, row.parent]
            changes.append(Change(row.code, row.name, Action.CREATE, diff))
        else:
            report.updated += 1
            diff = {
                key: [before, after]
                for key, before, after in zip(("name", "level", "parent"), old, new, strict=True)
                if before != after
            }
            changes.append(Change(row.code, row.name, Action.UPDATE, diff))
    Area.objects.bulk_create(
        to_write,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "parent"],
    )
    audit_bulk(model=Area, changes=changes, source=source)
    return report
