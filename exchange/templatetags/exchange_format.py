"""``{% exchange_sheets as sheets %}``: the data sheets of the exchange format as the help page names
them (``sheets.names``, ``sheets.files``, ``sheets.count``), from the format's own list
(``exchange.format.data_sheet_names``: the registry's sheets and the added sheets other apps
declare), so the page cannot fall behind a sheet added later."""

from django import template

from exchange import format as fmt

register = template.Library()


@register.simple_tag
def exchange_sheets() -> dict:
    names = fmt.data_sheet_names()
    english = fmt.english_ui()
    if english:
        titles = ", ".join(fmt.sheet_label(name) for name in names)
    else:
        titles = "".join(f"“{fmt.sheet_label(name)}”" for name in names)
    files = (", " if english else "、").join(f"{name}.csv" for name in names)
    return {"names": titles, "files": files, "count": len(names)}
