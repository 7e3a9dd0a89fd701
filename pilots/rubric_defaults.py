"""The rubric the site ships (data, copied into the database for a year that has none): the shape
used for technology-transfer institutions in Chinese provinces — basic conditions 10, service
performance 30, service capability 30 (the same figures per staff member), management 20,
reputation 10 — with grade lines 90 / 70 / 60 and 优秀 limited to the top 30 %. The province's own
weights (辽科发〔2023〕53号) are not public: staff edit the year's rubric on its page."""

from .choices import IndicatorGroup as G
from .choices import Source as S

TITLE = "中试基地年度绩效评价方案（默认）"
REFERENCE = "辽科发〔2023〕53号（权重未公开，按技术转移机构通行结构配置）"
TOP_SHARE = "0.300"
LINES = {"excellent_min": 90, "good_min": 70, "pass_min": 60}

# (code, name, group, source, weight, ((lower, points), ...))
INDICATORS = (
    ("site_area", "场地面积", G.BASIC, S.SITE_AREA, 4, ((0, 0), (5000, 2), (20000, 3), (50000, 4))),
    ("equipment", "仪器设备", G.BASIC, S.EQUIPMENT, 3, ((0, 0), (100, 1.5), (300, 3))),
    ("staff", "专职服务人员", G.BASIC, S.STAFF, 3, ((0, 0), (20, 1.5), (50, 3))),
    ("pilot_tests", "完成中试", G.PERFORMANCE, S.PILOT_TESTS, 12, ((0, 0), (5, 4), (10, 8), (20, 12))),
    ("enterprises", "服务企业", G.PERFORMANCE, S.ENTERPRISES, 10, ((0, 0), (10, 4), (30, 7), (60, 10))),
    ("revenue", "服务收入", G.PERFORMANCE, S.REVENUE, 8, ((0, 0), (100, 3), (500, 6), (1000, 8))),
    (
        "tests_per_staff",
        "人均完成中试",
        G.CAPABILITY,
        S.TESTS_PER_STAFF,
        10,
        ((0, 0), (0.1, 4), (0.2, 7), (0.4, 10)),
    ),
    (
        "enterprises_per_staff",
        "人均服务企业",
        G.CAPABILITY,
        S.ENTERPRISES_PER_STAFF,
        10,
        ((0, 0), (0.3, 4), (0.6, 7), (1, 10)),
    ),
    (
        "revenue_per_staff",
        "人均服务收入",
        G.CAPABILITY,
        S.REVENUE_PER_STAFF,
        10,
        ((0, 0), (5, 4), (10, 7), (20, 10)),
    ),
    ("management", "运行管理", G.MANAGEMENT, S.MANAGEMENT, 20, ((0, 0), (60, 12), (75, 16), (90, 20))),
    ("reputation", "社会声誉", G.REPUTATION, S.REPUTATION, 10, ((0, 0), (60, 6), (75, 8), (90, 10))),
)
