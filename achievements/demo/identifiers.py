"""Valid identifiers for synthetic records: credit codes and patent application numbers."""

import random

from stdnum.cn import uscc

from core.validators import patent_check_character

# Characters a unified social credit code may use (GB 32100-2015; no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_character(body: str) -> str:
    """Check character of an organisation code (GB 11714): weights 3,7,9,10,5,8,4,2, modulo 11.

    Letters count 10 for A up to 35 for Z; the check is 11 − (sum mod 11), with 10 written ``X``
    and 11 written ``0``.
    """
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(kind: str, region: str, org_body: str) -> str:
    """A unified social credit code: registering authority and type (``12`` public institution,
    ``91`` enterprise), region, organisation code with its check character, final check character."""
    first17 = kind + region + org_body + org_code_check_character(org_body)
    return first17 + uscc.calc_check_digit(first17)


def random_org_body(rng: random.Random, modern: bool) -> str:
    """Eight characters of an organisation code: digits for older codes, ``MA`` + six characters for
    entities registered since the 2015 reform."""
    if modern:
        return "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))


def patent_no(year: int, type_digit: str, serial: int) -> str:
    """A Chinese patent application number with its check character, e.g. ``202110123456.7``."""
    digits = f"{year:04d}{type_digit}{serial:07d}"
    return f"{digits}.{patent_check_character(digits)}"
