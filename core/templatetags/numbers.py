"""Template filters of the number conventions (``core.numbers``; docs/numbers.md).

``{% load numbers %}`` then::

    {{ n|count }}              45,130
    {{ x|number:2 }}           16,600.00             (any other quantity: grouped, that many decimals)
    {{ n|counted:"contract" }} 45,130 份 / 45,130 contracts (1 contract)
    {{ n|count_noun:"record" }} 条 / record(s), the noun alone
    {{ amount|yuan }}          1,234,567.80          (contracts listed one by one; header says 元)
    {{ amount|wan }}           123.46                (dashboard tables; header says 万元)
    {{ amount|money }}         62,313.80 万元 / 6.23 亿元 (tiles, totals: the unit chosen by size)
    {{ amount|money:"yuan" }}  1,234,567.80 元
    {{ ratio|percent }}        31.2%
    {{ ratio|growth }}         +12.3%
    {{ delta|points }}         +1.2 个百分点
    {% unit_caption "wan" %}   万元 / 10,000 yuan

A missing figure is ``—`` in every filter.
"""

from django import template

from core import numbers

register = template.Library()

register.filter("count", numbers.count)
register.filter("yuan", numbers.yuan)
register.filter("wan", numbers.wan)
register.filter("percent", numbers.percent)
register.filter("growth", numbers.growth)
register.filter("points", numbers.points)


@register.filter
def number(value, places=0):
    return numbers.number(value, int(places))


@register.filter
def counted(value, noun="item"):
    return numbers.counted(value, noun)


@register.filter
def count_noun(value, noun="item"):
    return numbers.count_noun(value, noun)


@register.filter
def money(value, unit=None):
    return numbers.money(value, unit or None)


@register.simple_tag
def unit_caption(unit):
    return numbers.unit_caption(unit)
