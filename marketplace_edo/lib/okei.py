"""Units of measure of the ОКЕИ (Общероссийский классификатор единиц измерения, ОК 015-94).

A default table of the usual units of a marketplace seller, and a lookup from the unit
names found in Odoo (Russian and English, with or without dots) to the code.  Units that are
not in the table are looked up in ``extra`` (the company's own mapping) and otherwise give
``None``: the УПД checker then refuses the row ("Нет кода ОКЕИ для единицы «коробка»")
rather than guess.
"""
from __future__ import annotations

import re
from typing import Mapping, Optional

#: code → (national symbol written in НаимЕдИзм, full name)
UNITS = {
    "003": ("мм", "Миллиметр"),
    "004": ("см", "Сантиметр"),
    "006": ("м", "Метр"),
    "008": ("км", "Километр"),
    "018": ("пог. м", "Погонный метр"),
    "051": ("см2", "Квадратный сантиметр"),
    "055": ("м2", "Квадратный метр"),
    "111": ("мл", "Кубический сантиметр; миллилитр"),
    "112": ("л", "Литр"),
    "113": ("м3", "Кубический метр"),
    "161": ("мг", "Миллиграмм"),
    "163": ("г", "Грамм"),
    "166": ("кг", "Килограмм"),
    "168": ("т", "Тонна"),
    "245": ("кВт.ч", "Киловатт-час"),
    "355": ("мин", "Минута"),
    "356": ("ч", "Час"),
    "359": ("сут", "Сутки"),
    "362": ("мес", "Месяц"),
    "366": ("год", "Год"),
    "383": ("руб", "Рубль"),
    "539": ("чел.ч", "Человеко-час"),
    "625": ("лист", "Лист"),
    "642": ("ед", "Единица"),
    "657": ("изд", "Изделие"),
    "704": ("набор", "Набор"),
    "715": ("пар", "Пара (2 шт.)"),
    "728": ("пач", "Пачка"),
    "736": ("рул", "Рулон"),
    "778": ("упак", "Упаковка"),
    "796": ("шт", "Штука"),
    "797": ("100 шт", "Сто штук"),
    "798": ("тыс. шт", "Тысяча штук"),
    "812": ("ящ", "Ящик"),
    "839": ("компл", "Комплект"),
    "868": ("бут", "Бутылка"),
    "876": ("усл. ед", "Условная единица"),
}

#: other names of the units above (normalised: lower case, no dots, single spaces)
ALIASES = {
    # pieces
    "шт": "796", "штука": "796", "штук": "796", "штуки": "796", "units": "796", "unit": "796",
    "unit(s)": "796", "pcs": "796", "pc": "796", "piece": "796", "pieces": "796", "ea": "796",
    "each": "796",
    "ед": "642", "единица": "642", "единицы": "642",
    "изд": "657", "изделие": "657",
    # mass
    "г": "163", "гр": "163", "грамм": "163", "g": "163", "gram": "163", "grams": "163",
    "кг": "166", "килограмм": "166", "kg": "166", "kilogram": "166", "kilograms": "166",
    "мг": "161", "миллиграмм": "161", "mg": "161",
    "т": "168", "тонна": "168", "t": "168", "ton": "168", "tonne": "168",
    # volume
    "л": "112", "литр": "112", "l": "112", "liter": "112", "litre": "112", "liters": "112",
    "мл": "111", "миллилитр": "111", "см3": "111", "ml": "111", "milliliter": "111",
    "м3": "113", "м³": "113", "куб м": "113", "m3": "113", "m³": "113",
    # length, area
    "м": "006", "метр": "006", "m": "006", "meter": "006", "metre": "006",
    "мм": "003", "mm": "003", "см": "004", "cm": "004", "км": "008", "km": "008",
    "пог м": "018", "погонный метр": "018",
    "м2": "055", "м²": "055", "кв м": "055", "m2": "055", "m²": "055",
    "см2": "051", "см²": "051", "cm2": "051",
    # packaging
    "упак": "778", "упаковка": "778", "уп": "778", "pack": "778", "package": "778",
    "компл": "839", "комплект": "839", "к-т": "839", "кт": "839", "set": "839", "kit": "839",
    "пар": "715", "пара": "715", "pair": "715", "pairs": "715",
    "набор": "704", "пач": "728", "пачка": "728", "рул": "736", "рулон": "736", "roll": "736",
    "лист": "625", "sheet": "625", "ящ": "812", "ящик": "812", "бут": "868", "бутылка": "868",
    "bottle": "868",
    "100 шт": "797", "тыс шт": "798",
    # time, services
    "ч": "356", "час": "356", "hour": "356", "hours": "356", "h": "356",
    "мин": "355", "минута": "355", "min": "355", "minute": "355",
    "сут": "359", "сутки": "359", "день": "359", "дн": "359", "day": "359", "days": "359",
    "мес": "362", "месяц": "362", "month": "362", "months": "362",
    "год": "366", "year": "366", "years": "366",
    "чел ч": "539", "человеко-час": "539",
    "квт ч": "245", "kwh": "245",
    "руб": "383", "рубль": "383",
    "усл ед": "876", "условная единица": "876", "услуга": "876", "усл": "876",
    "service": "876",
}

_CODE = re.compile(r"^[0-9]{3,4}$")


def normalize(unit: str) -> str:
    """``" Шт. "`` → ``"шт"``, ``"кв.м"`` → ``"кв м"``, ``"Units"`` → ``"units"``."""
    text = (unit or "").strip().lower().replace("ё", "е")
    text = text.replace(".", " ")
    return " ".join(text.split())


def lookup(unit: str, extra: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The ОКЕИ code of a unit name, or None.

    ``unit`` may already be a code ("796").  ``extra`` maps the company's own unit names to
    codes (e.g. ``{"коробка": "8751"}``); it is consulted first, with the same normalisation.
    """
    if unit is None:
        return None
    raw = str(unit).strip()
    if _CODE.match(raw):
        return raw
    key = normalize(raw)
    if not key:
        return None
    if extra:
        for name, code in extra.items():
            if normalize(name) == key:
                return code
    if key in ALIASES:
        return ALIASES[key]
    for code, (symbol, full) in UNITS.items():
        if key in (normalize(symbol), normalize(full)):
            return code
    return None


def unit_name(code: str) -> Optional[str]:
    """The national symbol of a code ("796" → "шт"), or None for a code not in the table."""
    entry = UNITS.get((code or "").strip())
    return entry[0] if entry else None


def is_code(code: str) -> bool:
    """Whether ``code`` has the shape of an ОКЕИ code (3 or 4 digits)."""
    return bool(_CODE.match((code or "").strip()))
