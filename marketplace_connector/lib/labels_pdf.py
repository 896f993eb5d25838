"""Label files into one print: PNG stickers into PDF pages, PDFs merged or split, ZPL joined.

Pure functions on bytes (no Odoo): Pillow and pypdf (or its predecessor PyPDF2) are
dependencies of Odoo itself.
"""
import io

try:  # pragma: no cover - whichever the system has
    import pypdf
except ImportError:  # pragma: no cover
    import PyPDF2 as pypdf

MM_PER_INCH = 25.4
POINTS_PER_INCH = 72.0


class LabelFileError(ValueError):
    """A file that is not what it claims (a broken PDF, not a PNG)."""


def _reader(data):
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        len(reader.pages)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a broken file
        raise LabelFileError(f"not a readable PDF ({type(exc).__name__})") from None
    return reader


def page_count(data):
    """The number of pages of a PDF."""
    return len(_reader(data).pages)


def page_sizes_mm(data):
    """[(width, height)] of every page, in millimetres (rounded to 0.1)."""
    result = []
    for page in _reader(data).pages:
        box = page.mediabox
        width = float(box.width) if hasattr(box, "width") else float(box.getWidth())
        height = float(box.height) if hasattr(box, "height") else float(box.getHeight())
        result.append((round(width / POINTS_PER_INCH * MM_PER_INCH, 1),
                       round(height / POINTS_PER_INCH * MM_PER_INCH, 1)))
    return result


def _write(writer):
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def merge_pdfs(files):
    """One PDF of every page of ``files`` (PDF bytes), in order."""
    writer = pypdf.PdfWriter()
    for data in files:
        for page in _reader(data).pages:
            writer.add_page(page)
    return _write(writer)


def split_pdf(data):
    """One single-page PDF per page of ``data``."""
    result = []
    for page in _reader(data).pages:
        writer = pypdf.PdfWriter()
        writer.add_page(page)
        result.append(_write(writer))
    return result


def image_to_pdf(data, width_mm, height_mm):
    """A one-page PDF of an image (a PNG sticker) at ``width_mm`` x ``height_mm``: the page is
    the sticker's size, whatever the image's resolution (580x400 px on a 58x40 mm page)."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:  # noqa: BLE001
        raise LabelFileError(f"not a readable image ({type(exc).__name__})") from None
    if image.mode not in ("RGB", "L", "1"):
        background = Image.new("RGB", image.size, "white")
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.split()[-1])
        else:
            background.paste(image.convert("RGB"))
        image = background
    # Pillow sizes the page as pixels / resolution inches
    resolution = image.size[0] / (width_mm / MM_PER_INCH)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=resolution)
    pdf = out.getvalue()
    # the height follows the image's proportions; a page of exactly the sticker's size
    reader = _reader(pdf)
    writer = pypdf.PdfWriter()
    page = reader.pages[0]
    width_pt = width_mm / MM_PER_INCH * POINTS_PER_INCH
    height_pt = height_mm / MM_PER_INCH * POINTS_PER_INCH
    box = page.mediabox
    current_h = float(box.height) if hasattr(box, "height") else float(box.getHeight())
    if abs(current_h - height_pt) > 0.5:
        # scale the content to the page (a sticker of other proportions is squeezed to fit)
        factor = height_pt / current_h
        _scale(page, 1.0, factor)
    _set_box(page, width_pt, height_pt)
    writer.add_page(page)
    return _write(writer)


def _scale(page, sx, sy):
    if hasattr(page, "scale"):
        page.scale(sx, sy)
    else:  # pragma: no cover - PyPDF2 1.x
        page.scaleBy(sx)


def _set_box(page, width_pt, height_pt):
    box = pypdf.generic.RectangleObject([0, 0, width_pt, height_pt])
    page.mediabox = box
    page.cropbox = box


def join_zpl(files):
    """ZPL label programs one after the other, as one file for a thermal printer."""
    parts = []
    for data in files:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        parts.append(text.strip())
    return ("\n".join(parts) + "\n").encode()
