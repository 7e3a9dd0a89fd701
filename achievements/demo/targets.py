"""The yearly shape of the demo data, chosen so the paper's figures come out exactly.

Figures (docs/domain.md, "Figures the demo data reproduces"; definitions in docs/metrics.md):

* 2024, all units: 4,016 convertible stock achievements, owned by all 104 units;
* 2023, universities: 40 transforming units, 7,638 transformed achievements, 4,026,000,000.00 yuan,
  +56 % transformed and +90 % amount over 2022, conversion rate 60 %;
* 2023, all units: amount +77 % over 2022, local share of the amount 40.10 %;
* 2024, all units: local share of the amount above 57 %.

Everything else (the other years, the institutes) follows a smooth, plausible trend.
"""

from decimal import Decimal

UNIVERSITY = "university"
INSTITUTE = "institute"
SCOPES = (UNIVERSITY, INSTITUTE)

FIRST_REGISTRATION_YEAR = 2015
FIRST_ACTIVITY_YEAR = 2018
LAST_YEAR = 2025
REGISTRATION_YEARS = range(FIRST_REGISTRATION_YEAR, LAST_YEAR + 1)
ACTIVITY_YEARS = range(FIRST_ACTIVITY_YEAR, LAST_YEAR + 1)

CONVERTIBLE_YEAR = 2024
CONVERTIBLE_TOTAL = 4016
CONVERSION_RATE_YEAR = 2023
CONVERSION_RATE = Decimal("0.6")

# Achievements registered per year.
REGISTRATIONS = {
    UNIVERSITY: dict(
        zip(
            REGISTRATION_YEARS,
            [1300, 1600, 1950, 2300, 2700, 3150, 3650, 4300, 5000, 5200, 5400],
            strict=True,
        )
    ),
    INSTITUTE: dict(
        zip(REGISTRATION_YEARS, [420, 480, 540, 600, 680, 760, 850, 950, 1050, 1100, 1150], strict=True)
    ),
}
# Share of registered achievements later withdrawn.
WITHDRAWN_SHARE = 0.025

# Distinct achievements with an effective contract signed in the year.
TRANSFORMED = {
    UNIVERSITY: dict(zip(ACTIVITY_YEARS, [1320, 1710, 2150, 2880, 4896, 7638, 8620, 9350], strict=True)),
    INSTITUTE: dict(zip(ACTIVITY_YEARS, [520, 610, 700, 820, 1050, 1420, 1600, 1750], strict=True)),
}
# Share of each year's transformed achievements that had already been transformed in an earlier
# year (repeat licences, follow-up contracts). ``None``: derived from the conversion-rate target.
REPEAT_SHARE = {
    UNIVERSITY: dict(zip(ACTIVITY_YEARS, [0.0, 0.15, 0.20, 0.25, 0.30, None, 0.45, 0.48], strict=True)),
    INSTITUTE: dict(zip(ACTIVITY_YEARS, [0.0, 0.15, 0.20, 0.25, 0.30, 0.32, 0.40, 0.45], strict=True)),
}
# Units with an effective contract signed in the year.
TRANSFORMING_UNITS = {
    UNIVERSITY: dict(zip(ACTIVITY_YEARS, [31, 33, 34, 36, 38, 40, 42, 44], strict=True)),
    INSTITUTE: dict(zip(ACTIVITY_YEARS, [30, 31, 33, 34, 36, 38, 39, 40], strict=True)),
}
# Sum of effective contract amounts signed in the year, in yuan.
AMOUNT = {
    UNIVERSITY: dict(
        zip(
            ACTIVITY_YEARS,
            [
                560_000_000,
                720_000_000,
                905_000_000,
                1_260_000_000,
                2_119_000_000,
                4_026_000_000,
                4_850_000_000,
                5_520_000_000,
            ],
            strict=True,
        )
    ),
    INSTITUTE: dict(
        zip(
            ACTIVITY_YEARS,
            [
                260_000_000,
                310_000_000,
                380_000_000,
                520_000_000,
                833_000_000,
                1_200_000_000,
                1_420_000_000,
                1_610_000_000,
            ],
            strict=True,
        )
    ),
}
# Share of the year's amount (all units) that went to transferees registered in Liaoning.
LOCAL_SHARE = dict(
    zip(
        ACTIVITY_YEARS,
        [Decimal(x) for x in ("0.318", "0.334", "0.347", "0.362", "0.381", "0.4010", "0.578", "0.602")],
        strict=True,
    )
)

# Contracts per transformed achievement in a year: 1, 2 or 3.
CONTRACTS_PER_ACHIEVEMENT = ((1, 90), (2, 8), (3, 2))
# Cancelled contracts added on top, as a share of effective contracts.
CANCELLED_SHARE = 0.03

# Modes of transformation: (mode, weight in %, median amount in yuan, lognormal sigma). The weights
# and mean amounts follow the national 2023 anchors (transfer 61 % of contracts, licence 38 %,
# equity 1.25 % but 18.5 % of the amount).
MODES = (
    ("transfer", 58.5, 150_000, 1.5),
    ("license", 36.0, 176_000, 1.6),
    ("equity", 1.25, 5_700_000, 1.0),
    ("cooperation", 3.0, 200_000, 1.3),
    ("self", 0.5, 500_000, 1.0),
    ("other", 0.75, 80_000, 1.2),
)
MAX_RAW_AMOUNT = 150_000_000
