"""Generated, valid exchange-format files of any size (benchmarks and tests).

Deterministic for a given seed; every credit code, patent number and region code is valid, and
every contract refers to an achievement of its own unit.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
import zipfile
from decimal import Decimal

import openpyxl
from stdnum.cn import uscc

from core.validators import LIAONING_CITIES, patent_check_character

from . import format as fmt

OTHER_REGIONS = ("110105", "310115", "440305", "320102", "330106", "370202")


def credit_code(seq: int, region: str, kind: str) -> str:
    body = kind + region + f"{seq:09d}"[-9:]
    return body + uscc.calc_check_digit(body + "0")


def patent_no(seq: int, year: int) -> str:
    digits = f"{year:04d}1{seq % 10_000_000:07d}"
    return f"{digits}.{patent_check_character(digits)}"


def sample_rows(*, units: int, achievements: int, contracts: int, seed: int = 1):
    """(units rows, achievements rows, contracts rows) as generators of lists in column order."""
    rng = random.Random(seed)
    cities = sorted(LIAONING_CITIES)
    unit_codes = [credit_code(i + 1, cities[i % len(cities)], "12") for i in range(units)]
    transferees = max(contracts // 5, 1)

    def unit_rows():
        types = ("university", "institute")
        for i, code in enumerate(unit_codes):
            yield [code, f"样例大学{i + 1}", types[i % 2], cities[i % len(cities)]]

    def achievement_of(n: int) -> tuple[str, str]:
        return unit_codes[n % units], f"CG-{n:07d}"

    def achievement_rows():
        for n in range(achievements):
            unit_code, ref = achievement_of(n)
            year = 2010 + n % 15
            registered = datetime.date(year, 1 + n % 12, 1 + n % 28)
            withdrawn = n % 50 == 0
            yield [
                ref,
                unit_code,
                f"一种高效新材料的制备方法及其应用{n}",
                "invention_patent",
                patent_no(n + 1, year),
                1 + n % 9,
                f"A0{1 + n % 8}" if n % 3 else None,
                "是" if n % 2 else "否",
                registered,
                registered + datetime.timedelta(days=400) if n % 4 == 0 else None,
                "是" if n % 5 else "否",
                "已撤回" if withdrawn else "有效",
                registered + datetime.timedelta(days=30) if withdrawn else None,
            ]

    transferee_regions = [
        cities[t % len(cities)] if t % 2 else OTHER_REGIONS[t % len(OTHER_REGIONS)]
        for t in range(transferees)
    ]
    transferee_codes = [credit_code(500_000 + t, region, "91") for t, region in enumerate(transferee_regions)]

    def contract_rows():
        for n in range(contracts):
            a = rng.randrange(achievements)
            unit_code, ach_ref = achievement_of(a)
            t = rng.randrange(transferees)
            region = transferee_regions[t]  # one region and name per transferee code
            amount = Decimal(rng.randint(1, 50_000)) * 100
            yield [
                f"HT-{n:07d}",
                unit_code,
                ach_ref,
                ("transfer", "license", "equity", "cooperation", "self", "other")[n % 6],
                f"样例科技有限公司{t}",
                transferee_codes[t],
                region,
                datetime.date(2015 + n % 10, 1 + n % 12, 1 + n % 28),
                amount,
                (amount / 2).quantize(Decimal("0.01")) if n % 3 else None,
                "effective" if n % 20 else "cancelled",
            ]

    return unit_rows(), achievement_rows(), contract_rows()


def write_sample_workbook(
    path, *, units: int = 5, achievements: int = 20, contracts: int = 30, seed: int = 1
):
    """Write a valid exchange workbook (write-only mode, constant memory)."""
    workbook = openpyxl.Workbook(write_only=True)
    for sheet, rows in zip(
        fmt.SHEETS,
        sample_rows(units=units, achievements=achievements, contracts=contracts, seed=seed),
        strict=True,
    ):
        worksheet = workbook.create_sheet(sheet.name)
        worksheet.append(sheet.keys)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path


def write_sample_csv_zip(path, *, units: int = 5, achievements: int = 20, contracts: int = 30, seed: int = 1):
    """The same rows as ``write_sample_workbook`` as a ``.zip`` of three UTF-8 CSV files (with BOM,
    as Excel's "CSV UTF-8" writes them), written row by row (constant memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for sheet, rows in zip(
            fmt.SHEETS,
            sample_rows(units=units, achievements=achievements, contracts=contracts, seed=seed),
            strict=True,
        ):
            with archive.open(f"{sheet.name}.csv", "w", force_zip64=True) as member:
                text = io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow(sheet.keys)
                writer.writerows(["" if v is None else v for v in row] for row in rows)
                text.flush()
                text.detach()
    return path


def build_workbook(path, sheets: dict[str, list[list]]):
    """Write a small workbook from ``{sheet name: rows (header first)}`` (tests, examples)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        worksheet = workbook.create_sheet(name)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path
