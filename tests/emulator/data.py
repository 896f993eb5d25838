"""Realistic test data shared by the three marketplace emulations: one seller's catalogue
(the same articles and barcodes on every marketplace), Russian names and addresses."""
import random
from decimal import Decimal

GOODS = [
    "Футболка хлопковая", "Кружка керамическая", "Рюкзак городской", "Чехол для телефона",
    "Термос стальной", "Полотенце махровое", "Носки шерстяные", "Зонт складной",
    "Ежедневник в клетку", "Наушники беспроводные", "Кабель USB-C", "Настольная лампа",
    "Сковорода антипригарная", "Коврик для йоги", "Детский конструктор", "Шампунь травяной",
]
COLOURS = ["чёрный", "белый", "синий", "красный", "зелёный", "серый", "бежевый"]
SIZES = ["S", "M", "L", "XL", "42", "44", "46", "единый"]
FIRST = ["Анна", "Иван", "Мария", "Сергей", "Ольга", "Дмитрий", "Елена", "Алексей", "Наталья", "Пётр"]
LAST = ["Иванова", "Смирнов", "Кузнецова", "Попов", "Соколова", "Лебедев", "Козлова", "Новиков"]
CITIES = [
    ("Москва", "Москва"), ("Санкт-Петербург", "Санкт-Петербург"), ("Казань", "Республика Татарстан"),
    ("Екатеринбург", "Свердловская область"), ("Новосибирск", "Новосибирская область"),
    ("Нижний Новгород", "Нижегородская область"), ("Краснодар", "Краснодарский край"),
]
STREETS = ["ул. Ленина", "пр-т Мира", "ул. Садовая", "ул. Гагарина", "Невский пр-т", "ул. Пушкина"]


def ean13(number12):
    digits = [int(c) for c in f"{number12:012d}"]
    check = (10 - (sum(digits[0::2]) + 3 * sum(digits[1::2])) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def default_catalog(count=60, seed=7):
    """The seller's products: offer codes MP-00001…, valid EAN-13 barcodes, prices in roubles."""
    rng = random.Random(seed)
    items = []
    for i in range(1, count + 1):
        good = GOODS[(i - 1) % len(GOODS)]
        name = f"{good}, {rng.choice(COLOURS)}, {rng.choice(SIZES)}"
        price = Decimal(rng.randrange(19900, 1299900, 100)) / 100  # 199.00 … 12999.00
        items.append({
            "offer_code": f"MP-{i:05d}",
            "name": name,
            "barcode": ean13(460000000000 + i * 7919),
            "price": price,
            "index": i,
        })
    return items


def customer(rng):
    city, region = rng.choice(CITIES)
    return {
        "first_name": rng.choice(FIRST),
        "last_name": rng.choice(LAST),
        "phone": "+79" + "".join(str(rng.randrange(10)) for _ in range(9)),
        "city": city,
        "region": region,
        "street": rng.choice(STREETS),
        "house": str(rng.randrange(1, 150)),
        "flat": str(rng.randrange(1, 300)),
        "zip": f"{rng.randrange(101000, 692999)}",
    }


#: units of a currency for one rouble, for the emulated sellers and buyers outside Russia
RATES = {"RUB": Decimal("1"), "KZT": Decimal("5.80"), "BYN": Decimal("0.0365"), "UZS": Decimal("140.00"),
         "KGS": Decimal("1.08"), "AMD": Decimal("4.80")}


def in_currency(amount_rub, currency):
    """A rouble amount in ``currency`` (2 decimals)."""
    from decimal import ROUND_HALF_UP

    return (Decimal(amount_rub) * RATES[currency]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


#: the sized goods: (card article, name, price in roubles, sizes)
SIZED_CARDS = [
    ("SZ-TEE-001", "Футболка оверсайз хлопковая, чёрная", Decimal("1490.00"), ("S", "M", "L", "XL")),
    ("SZ-HOOD-002", "Худи с капюшоном, серое", Decimal("3290.00"), ("S", "M", "L")),
    ("SZ-SNKR-003", "Кроссовки беговые, белые", Decimal("5990.00"), ("40", "41", "42", "43")),
]


def sized_catalog():
    """Clothes and shoes in sizes: one card per model (one seller's article, ``offer_code``), each
    size with its own barcode and its own article (``offer_code`` of the size: Ozon's and Yandex
    Market's offers are one per size, variants of one model).  Indexes follow the 60 items of
    :func:`default_catalog`, so that the marketplaces' ids never collide with theirs."""
    cards = []
    index = 1000
    for number, (code, name, price, sizes) in enumerate(SIZED_CARDS, 1):
        card = {"offer_code": code, "name": name, "price": price, "model_index": number, "sizes": []}
        for size in sizes:
            index += 1
            card["sizes"].append({
                "size": size, "offer_code": f"{code}-{size}", "name": f"{name}, {size}",
                "barcode": ean13(461000000000 + index * 7919), "index": index,
            })
        cards.append(card)
    return cards
