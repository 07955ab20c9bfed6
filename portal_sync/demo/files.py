"""Tiny but valid file contents (PDF, PNG, JPEG, plain text) for demo documents and media.

The images are drawn once per process (cached); PDFs come from a template whose only
variable part has a fixed width, so the cross-reference offsets never change and a million
documents cost one bytes concatenation each.
"""

from __future__ import annotations

import io
from functools import cache

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"

_LABEL_WIDTH = 24


@cache
def _pdf_parts() -> tuple[bytes, bytes]:
    """A one-page PDF around a fixed-width label: (bytes before the label, bytes after)."""
    marker = b"\x00" * _LABEL_WIDTH
    stream = b"BT /F1 12 Tf 72 760 Td (Demo " + marker + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    before, after = bytes(out).split(marker)
    return before, after


def pdf(label: str) -> bytes:
    """A valid one-page PDF showing `label` (ASCII; cut or padded to a fixed width)."""
    before, after = _pdf_parts()
    text = label.encode("ascii", "replace")[:_LABEL_WIDTH].ljust(_LABEL_WIDTH)
    text = text.replace(b"(", b"[").replace(b")", b"]").replace(b"\\", b"/")
    return before + text + after


@cache
def _image(kind: str, variant: int) -> bytes:
    from PIL import Image

    colours = ((200, 60, 40), (40, 120, 200), (90, 170, 80), (230, 200, 60))
    image = Image.new("RGB", (8, 8), colours[variant % len(colours)])
    image.putpixel((variant % 8, 0), (255, 255, 255))
    buffer = io.BytesIO()
    if kind == "PNG":
        image.save(buffer, format="PNG", optimize=False)
    else:
        image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def png(variant: int = 0) -> bytes:
    """A tiny valid PNG (8×8 pixels); a few variants differ in colour."""
    return _image("PNG", variant % 4)


def jpeg(variant: int = 0) -> bytes:
    """A tiny valid JPEG (8×8 pixels); a few variants differ in colour."""
    return _image("JPEG", variant % 4)


def text(body: str) -> bytes:
    """A plain-text file (UTF-8)."""
    return body.encode("utf-8")


def content_for(mime_type: str, label: str, variant: int = 0) -> bytes:
    """File bytes of the given type; `label` is shown in PDFs and text files."""
    if mime_type == PDF:
        return pdf(label)
    if mime_type == PNG:
        return png(variant)
    if mime_type == JPEG:
        return jpeg(variant)
    return text(f"{label}\nDieses Dokument wurde für die Demo erzeugt. Grüße aus der Verwaltung.\n")
