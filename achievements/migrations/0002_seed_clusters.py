"""Seed the managed list of 22 key industrial clusters (docs/domain.md, "Industrial clusters").

Clusters are data that staff can edit afterwards; this only creates the missing ones.
"""

from django.db import migrations

CLUSTERS = [
    ("A01", "高档数控机床", "CNC machine tools", "equipment"),
    ("A02", "航空装备", "aviation equipment", "equipment"),
    ("A03", "船舶与海洋工程装备", "ships and offshore engineering", "equipment"),
    ("A04", "机器人与智能制造", "robots and smart manufacturing", "equipment"),
    ("A05", "集成电路装备", "IC manufacturing equipment", "equipment"),
    ("A06", "新能源汽车", "new-energy vehicles", "equipment"),
    ("A07", "轨道交通装备", "rail transit equipment", "equipment"),
    ("A08", "输变电与能源装备", "power and energy equipment", "equipment"),
    ("B01", "炼化一体化", "integrated refining", "petrochemicals"),
    ("B02", "精细化学品", "fine chemicals", "petrochemicals"),
    ("B03", "化工新材料", "advanced chemical materials", "petrochemicals"),
    ("C01", "先进钢铁材料", "advanced steel", "metallurgy"),
    ("C02", "有色金属新材料", "non-ferrous materials", "metallurgy"),
    ("C03", "菱镁新材料", "magnesite materials", "metallurgy"),
    ("D01", "农产品精深加工", "agricultural processing", "consumer_goods"),
    ("D02", "海洋食品与水产", "marine food and aquaculture", "consumer_goods"),
    ("D03", "纺织服装与轻工", "textiles and light industry", "consumer_goods"),
    ("E01", "集成电路", "integrated circuits", "emerging"),
    ("E02", "生物医药", "biomedicine", "emerging"),
    ("E03", "医疗装备", "medical equipment", "emerging"),
    ("E04", "新一代信息技术", "new-generation IT", "emerging"),
    ("E05", "新能源与储能", "new energy and storage", "emerging"),
]


def seed(apps, schema_editor):
    Cluster = apps.get_model("achievements", "Cluster")
    for code, name, name_en, base in CLUSTERS:
        Cluster.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "base": base})


class Migration(migrations.Migration):
    dependencies = [("achievements", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
