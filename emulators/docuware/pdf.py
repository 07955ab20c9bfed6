"""Conversion of stored originals to PDF for `FileDownload?targetFileType=PDF`."""

from __future__ import annotations

import io

PDF_MAGIC = b"%PDF-"


def to_pdf(content: bytes, content_type: str, file_name: str) -> bytes:
    """PDFs pass through; PNG/JPEG/GIF/TIFF/BMP become a one-page PDF; text is typeset.

    Anything else becomes a one-page PDF naming the file (the real service renders more
    formats than the emulator knows).
    """
    kind = content_type.split(";")[0].strip().lower()
    if content.startswith(PDF_MAGIC) or kind == "application/pdf":
        return content
    if kind.startswith("image/"):
        from PIL import Image

        with Image.open(io.BytesIO(content)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PDF", resolution=150.0)
            return out.getvalue()
    if kind.startswith("text/"):
        charset = "utf-8"
        if "charset=" in content_type:
            charset = content_type.split("charset=", 1)[1].split(";")[0].strip() or "utf-8"
        try:
            text = content.decode(charset, errors="replace")
        except LookupError:
            text = content.decode("utf-8", errors="replace")
        return text_pdf(text.splitlines() or [""])
    return text_pdf([file_name, f"({kind or 'unknown type'}: no preview in the emulator)"])


def _pdf_string(line: str) -> bytes:
    raw = line.replace("\t", "    ").encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def text_pdf(lines: list[str]) -> bytes:
    """A minimal valid PDF (A4, Helvetica 10 pt, WinAnsi) with `lines`, 64 lines a page."""
    per_page = 64
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    objects: list[bytes] = []  # object n is objects[n - 1]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # pages tree, filled in below
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    kids = []
    for page_lines in pages:
        body = b"BT /F1 10 Tf 12 TL 50 800 Td\n"
        body += b"".join(_pdf_string(line[:110]) + b" Tj T*\n" for line in page_lines)
        body += b"ET"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body))
        content_ref = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_ref
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
