"""Benchmark: УПД 5.03 generation and XSD validation.

    python3 bench/upd.py [--docs 1000] [--lines 10]

Builds ``--docs`` documents of ``--lines`` rows each (VAT payers with mixed rates, included
VAT, УСН sellers without VAT, legal-entity and ИП buyers, marked goods), each checked by
``check_document``, written windows-1251 by ``build_upd`` and validated against the official
5.03 XSD (``../shared/edo/xsd`` or ``$EDO_XSD_DIR``).  Prints ``name: value`` lines:

- ``seconds``: the whole run (making the input, checking, building, validating);
- ``build_seconds`` / ``validate_seconds``: the two parts measured separately;
- ``valid``: documents that passed the XSD (must equal ``docs``);
- ``docs_per_s``: documents a second over the whole run (target: 1,000 in <= 20 s);
- ``avg_bytes``: mean size of a file.
"""
import argparse
import datetime
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.addon_libs import register  # noqa: E402

register()

from marketplace_edo.lib import amounts, upd, xsd  # noqa: E402
from marketplace_edo.lib.upd_model import (  # noqa: E402
    Address, Document, DocumentRef, Line, Party, Signer,
)

SELLER_VAT = Party(kind="legal", name='ООО "Автоматика"', inn="7804431521", kpp="780401001",
                   address=Address(region_code="78", postal_code="194064", street="Политехническая", house="29"))
SELLER_USN = Party(kind="entrepreneur", inn="500100732259", last_name="Петрова", first_name="Анна",
                   ogrnip="304770100000016", address=Address(region_code="50", city="Химки", house="1"))
BUYERS = [
    Party(kind="legal", name='ООО "Вайлдберриз"', inn="7721546864", kpp="507401001",
          address=Address(region_code="50", city="Подольск", locality="д. Коледино", street="Троицкая", house="20")),
    Party(kind="legal", name='ООО "Интернет Решения"', inn="7704217370", kpp="997750001",
          address=Address(text="123112, г. Москва, Пресненская наб., д. 10, помещ. 1, эт. 41")),
    Party(kind="entrepreneur", inn="500100732259", last_name="Иванов", first_name="Пётр",
          address=Address(text="г. Москва, ул. Тверская, д. 1")),
]
SIGNER = Signer(last_name="Бондаренко", first_name="Владислав", middle_name="Владимирович",
                position="Генеральный директор", authority_basis="Устав")
UNITS = [("796", "шт"), ("166", "кг"), ("778", "упак"), ("006", "м"), ("839", "компл")]
VAT_RATES = ["22%", "22%", "22%", "10%", "0%", "22/122", "10/110"]


def make_document(i: int, n_lines: int, rng: random.Random) -> Document:
    usn = i % 4 == 3
    lines = []
    for n in range(1, n_lines + 1):
        rate = "без НДС" if usn else rng.choice(VAT_RATES)
        price = Decimal(rng.randint(1, 5_000_000)) / Decimal(10) ** rng.randint(2, 6)
        code, unit = rng.choice(UNITS)
        quantity = Decimal(rng.randint(1, 5000)) / (Decimal(1000) if code in ("166", "006") else Decimal(1))
        a = amounts.line_amounts(price, quantity, rate)
        marked = code == "796" and quantity <= 5 and rng.random() < 0.5
        kiz = [f"0104609664786013215{i:06d}{n:02d}{k}ABCDEFG" for k in range(int(quantity))] if marked else []
        lines.append(Line(
            number=n, name=f"Товар {i}-{n} «Реле времени ARK5» (артикул {rng.randint(10000, 99999)})",
            okei_code=code, unit_name=unit, quantity=quantity, price=price, vat_rate=rate,
            amount_without_vat=a.amount_without_vat, vat_amount=a.vat_amount,
            amount_with_vat=a.amount_with_vat, article=f"ART-{i}-{n}", code=str(100000 + n),
            marking_codes=kiz,
        ))
    return Document(
        function="ДОП" if usn else "СЧФДОП", number=f"УПД-{i}", date=datetime.date(2026, 8, 14),
        seller=SELLER_USN if usn else SELLER_VAT, buyer=BUYERS[i % len(BUYERS)],
        basis_documents=[DocumentRef("Договор оферты", f"ОФ-{i % 7}", datetime.date(2026, 1, 10))],
        shipment_date=datetime.date(2026, 8, 14), signer=SIGNER,
        sender_id="2BM-7804431521-780401001", receiver_id="2BE-7721546864-507401001",
        lines=lines,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=10)
    args = parser.parse_args(argv)

    xsd.schema("5.03")  # load the schema before the clock starts (once per process)
    rng = random.Random(970)
    now = datetime.datetime(2026, 8, 14, 12, 0, 0)
    build_seconds = validate_seconds = 0.0
    valid = total_bytes = 0
    failures = []
    started = time.perf_counter()
    for i in range(args.docs):
        doc = make_document(i, args.lines, rng)
        t0 = time.perf_counter()
        name, data = upd.build_upd(doc, now=now)
        t1 = time.perf_counter()
        problems = xsd.validate(data)
        t2 = time.perf_counter()
        build_seconds += t1 - t0
        validate_seconds += t2 - t1
        total_bytes += len(data)
        if problems:
            failures.append((name, problems[:3]))
        else:
            valid += 1
    seconds = time.perf_counter() - started

    print(f"docs: {args.docs}")
    print(f"lines_per_doc: {args.lines}")
    print(f"seconds: {seconds:.3f}")
    print(f"build_seconds: {build_seconds:.3f}")
    print(f"validate_seconds: {validate_seconds:.3f}")
    print(f"valid: {valid}")
    print(f"docs_per_s: {args.docs / seconds:.1f}")
    print(f"avg_bytes: {total_bytes // max(args.docs, 1)}")
    for name, problems in failures[:5]:
        print(f"invalid: {name}: {problems}", file=sys.stderr)
    return 0 if valid == args.docs else 1


if __name__ == "__main__":
    sys.exit(main())
