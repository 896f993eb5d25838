# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The printed form of the УПД (the form recommended by the ФНС letter ММВ-20-3/96@,
with the VAT rates and the format 5.03 data): the same upd_model.Document as the XML."""
from decimal import Decimal

from odoo import _, api, models
from odoo.exceptions import UserError

from ..lib import amounts as lib_amounts
from ..lib import upd as lib_upd


def fmt_money(value):
    """1234.5 → «1 234,50»."""
    if value is None:
        return ""
    text = "{:,.2f}".format(Decimal(value)).replace(",", "\u00a0").replace(".", ",")
    return text


def fmt_number(value):
    """Quantity / price without trailing zeros: «2», «2451,64», «0,333»."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral():
        text = "{:,}".format(int(value))
    else:
        text = "{:,f}".format(value.normalize())
    return text.replace(",", "\u00a0").replace(".", ",")


def fmt_date(value):
    return value.strftime("%d.%m.%Y") if value else ""


def short_name(last, first, middle):
    """«Иванов И. И.»"""
    initials = " ".join(f"{p[0]}." for p in (first, middle) if p)
    return " ".join(p for p in (last, initials) if p)


def party_texts(party):
    """(name, address, «ИНН/КПП») of an upd_model.Party."""
    if party is None:
        return "", "", ""
    name = party.display_name()
    address = ""
    if party.address is not None:
        if party.address.region_code:
            a = party.address
            address = ", ".join(p for p in (a.postal_code, a.region_name or lib_upd.REGIONS.get(a.region_code, ""),
                                            a.city, a.street, a.house, a.building, a.apartment) if p)
        else:
            address = party.address.text
    inn_kpp = "/".join(p for p in (party.inn, party.kpp) if p)
    return name, address, inn_kpp


def ref_text(ref):
    parts = [ref.name]
    if ref.number:
        parts.append(f"№ {ref.number}")
    if ref.date:
        parts.append(f"от {fmt_date(ref.date)}")
    return " ".join(parts)


def report_data(doc, chief_accountant=""):
    """The values of the printed form of ``doc`` (upd_model.Document), as plain dicts."""
    rows = []
    totals = lib_amounts.total(
        lib_amounts.Amounts(r.amount_without_vat, r.vat_amount, r.amount_with_vat) for r in doc.lines)
    for row in doc.lines:
        rows.append({
            "number": row.number,
            "code": row.article or row.code or "",
            "name": row.name,
            "kind_code": row.tnved_code or "—",
            "okei": row.okei_code or "",
            "unit": row.unit_name or "",
            "quantity": fmt_number(row.quantity),
            "price": fmt_number(row.price),
            "without": fmt_money(row.amount_without_vat),
            "excise": "без акциза" if row.excise_amount is None else fmt_money(row.excise_amount),
            "rate": row.vat_rate,
            "vat": "без НДС" if row.vat_rate == "без НДС" else fmt_money(row.vat_amount),
            "with": fmt_money(row.amount_with_vat),
            "country_code": row.country_code or "—",
            "country_name": row.country_name or lib_upd.COUNTRIES.get(row.country_code or "", "") or "—",
            "customs": row.customs_declaration or "—",
            "marking_codes": list(row.marking_codes or ()),
        })
    all_without_vat = bool(doc.lines) and all(r.vat_rate == "без НДС" for r in doc.lines)
    seller_name, seller_address, seller_inn_kpp = party_texts(doc.seller)
    buyer_name, buyer_address, buyer_inn_kpp = party_texts(doc.buyer)
    consignee = ""
    if doc.consignee is not None:
        name, address, _inn = party_texts(doc.consignee)
        consignee = ", ".join(p for p in (name, address) if p)
    consignor = "он же" if doc.consignor_same_as_seller else ""
    if doc.consignor is not None:
        name, address, _inn = party_texts(doc.consignor)
        consignor = ", ".join(p for p in (name, address) if p)
    shipping = ""
    if doc.shipping_documents:
        shipping = "; ".join(ref_text(r) for r in doc.shipping_documents)
    elif doc.function == "СЧФДОП" and doc.lines:
        shipping = f"№ п/п 1–{len(doc.lines)} № {doc.number} от {fmt_date(doc.date)}"
    signer = doc.signer
    seller = doc.seller
    words = ""
    if (doc.currency_code or "643") == "643":
        words = lib_amounts.amount_in_words(totals.amount_with_vat)
    entrepreneur = ""
    if seller is not None and seller.kind == "entrepreneur":
        entrepreneur = " ".join(p for p in (short_name(seller.last_name, seller.first_name, seller.middle_name),
                                             f"ОГРНИП {seller.ogrnip}" if seller.ogrnip else "") if p)
    return {
        "status": "2" if doc.function == "ДОП" else "1",
        "function": doc.function,
        "number": doc.number,
        "date": fmt_date(doc.date),
        "seller_name": seller_name,
        "seller_address": seller_address,
        "seller_inn_kpp": seller_inn_kpp,
        "consignor": consignor or "—",
        "consignee": consignee or "—",
        "payment_documents": "; ".join(
            f"№ {p.number} от {fmt_date(p.date)}" for p in doc.payment_documents) or "—",
        "shipping_documents": shipping or "—",
        "buyer_name": buyer_name,
        "buyer_address": buyer_address,
        "buyer_inn_kpp": buyer_inn_kpp,
        "currency": ", ".join(p for p in (doc.currency_name or lib_upd.CURRENCIES.get(doc.currency_code, ""),
                                          doc.currency_code) if p),
        "government_contract": doc.government_contract_id or "",
        "lines": rows,
        "total_without": fmt_money(totals.amount_without_vat),
        "total_vat": "без НДС" if all_without_vat else fmt_money(totals.vat_amount),
        "total_with": fmt_money(totals.amount_with_vat),
        "amount_in_words": words,
        "signer_position": signer.position if signer else "",
        "signer_name": short_name(signer.last_name, signer.first_name, signer.middle_name) if signer else "",
        "signer_authority": signer.authority_basis if signer else "",
        "entrepreneur": entrepreneur,
        "basis": "; ".join(ref_text(r) for r in doc.basis_documents) or "Без документа-основания",
        "transport": doc.transport_info or "",
        "operation": doc.shipment_description or lib_upd.DEFAULT_OPERATION,
        "shipment_date": fmt_date(doc.shipment_date or doc.date),
        "seller_composer": ", ".join(p for p in (seller_name, f"ИНН/КПП {seller_inn_kpp}" if seller_inn_kpp else "")
                                     if p),
        "buyer_composer": ", ".join(p for p in (buyer_name, f"ИНН/КПП {buyer_inn_kpp}" if buyer_inn_kpp else "")
                                    if p),
        "chief_accountant": chief_accountant or "",
    }


class ReportUpdInvoice(models.AbstractModel):
    _name = "report.marketplace_edo.report_upd_invoice"
    _description = "УПД printed form (invoice)"

    @api.model
    def _get_report_values(self, docids, data=None):
        moves = self.env["account.move"].browse(docids)
        values = {}
        for move in moves:
            move._edo_check_upd_possible()
            values[move.id] = report_data(move._edo_upd_document(), move.company_id.edo_chief_accountant)
        return {"doc_ids": docids, "doc_model": "account.move", "docs": moves, "upd": values}


class ReportUpdPicking(models.AbstractModel):
    _name = "report.marketplace_edo.report_upd_picking"
    _description = "УПД printed form (supply to a marketplace)"

    @api.model
    def _get_report_values(self, docids, data=None):
        pickings = self.env["stock.picking"].browse(docids)
        values = {}
        for picking in pickings:
            mapping = picking._edo_fbo_mapping()
            if not mapping:
                raise UserError(_("%s does not supply a marketplace (FBO): it has no УПД.", picking.display_name))
            buyer = mapping.account_id._edo_legal_entity()
            values[picking.id] = report_data(picking._edo_fbo_document(buyer, mapping),
                                            picking.company_id.edo_chief_accountant)
        return {"doc_ids": docids, "doc_model": "stock.picking", "docs": pickings, "upd": values}
