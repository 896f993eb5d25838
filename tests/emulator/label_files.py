"""Real label files as the marketplaces send them: PDF pages, PNG and SVG stickers, ZPL.

Each file carries the order's id (as text and as a barcode-like pattern), so that a test can
tell which order a page or a sticker is of.  The files are made deterministically (same
input, same bytes) and open with pypdf / Pillow like the marketplaces' own.
"""
import io

from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

#: page sizes (width, height) in millimetres
PAGE_SIZES = {
    "A4": (210, 297),
    "A7": (75, 120),
    "A9": (40, 58),
    "A9_HORIZONTALLY": (58, 40),
    "OZON": (75, 120),
}


def _bars(value):
    """A deterministic pattern of bar widths (1..3) from the digits and letters of ``value``."""
    return [1 + (ord(ch) % 3) for ch in str(value)] * 2


def pdf(pages, size_mm=(75, 120), title="label"):
    """A PDF with one page per text of ``pages`` (each the ids printed on that page)."""
    width, height = size_mm[0] * mm, size_mm[1] * mm
    out = io.BytesIO()
    doc = canvas.Canvas(out, pagesize=(width, height), invariant=1)
    doc.setTitle(title)
    for text in pages:
        font = max(4, min(10, int(width / 14)))
        doc.setFont("Helvetica-Bold", font)
        doc.drawString(2 * mm, height - 6 * mm, str(text)[:60])
        x = 2 * mm
        for bar in _bars(text):
            if x > width - 4 * mm:
                break
            doc.rect(x, height / 3, bar * 0.5 * mm, height / 3, stroke=0, fill=1)
            x += (bar + 1) * 0.5 * mm
        doc.showPage()
    doc.save()
    return out.getvalue()


def png(text, size_px=(580, 400)):
    """A black-and-white PNG sticker of ``size_px`` with ``text`` and bars."""
    from PIL import Image, ImageDraw

    image = Image.new("L", size_px, 255)
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), str(text), fill=0)
    x = 10
    for bar in _bars(text):
        if x > size_px[0] - 20:
            break
        draw.rectangle([x, size_px[1] // 3, x + bar * 3, size_px[1] * 2 // 3], fill=0)
        x += (bar + 1) * 3
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def svg(text, size_px=(580, 400)):
    width, height = size_px
    bars, x = [], 10
    for bar in _bars(text):
        if x > width - 20:
            break
        bars.append(f'<rect x="{x}" y="{height // 3}" width="{bar * 3}" height="{height // 3}"/>')
        x += (bar + 1) * 3
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="white"/>'
            f'<text x="10" y="30" font-size="24">{text}</text>{"".join(bars)}</svg>').encode()


def zpl(order_id, text, vertical=False, size_mm=(58, 40)):
    """A ZPL II label program: the order id as a Code 128 barcode and the sticker's text."""
    dots = 8  # 203 dpi: 8 dots a millimetre
    width, height = size_mm[0] * dots, size_mm[1] * dots
    rotation = "R" if vertical else "N"
    return (f"^XA^CI28^PW{width}^LL{height}"
            f"^FO20,20^A0{rotation},30,30^FD{text}^FS"
            f"^FO20,80^BY2^BC{rotation},120,Y,N,N^FD{order_id}^FS^XZ").encode()
