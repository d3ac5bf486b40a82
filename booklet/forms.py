"""Make the reading copy's fillable fields use a standard PDF font instead of an embedded one."""

import re
from io import BytesIO

FIELD_FONT = re.compile(rb"/([^\s/]+)\s+([\d.]+)\s+Tf")
FILL_COLOUR = re.compile(rb"([\d.]+(?:\s+[\d.]+){0,3})\s+(g|rg|k)\b")


def use_standard_field_font(pdf_bytes):
    """Point every field at Helvetica and drop the whole font WeasyPrint embedded for them."""
    import pikepdf

    pdf = pikepdf.open(BytesIO(pdf_bytes))
    acroform = pdf.Root.get("/AcroForm")
    if acroform is None:
        return pdf_bytes
    helvetica = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    acroform.DR = pikepdf.Dictionary(Font=pikepdf.Dictionary(Helv=helvetica))
    acroform.DA = pikepdf.String("/Helv 0 Tf 0 g")
    field_fonts = set()
    for field in acroform.Fields:
        appearance = bytes(field.get("/DA", b""))
        font = FIELD_FONT.search(appearance)
        if font:
            field_fonts.add("/" + font[1].decode())
        # A field's DA may hold only a font and a colour: WeasyPrint's graphics
        # state ("/a1.0 gs") names a resource the form's DR does not have.
        size = font[2].decode() if font else "0"
        colour = FILL_COLOUR.search(appearance)
        colour = colour[0].decode() if colour else "0 g"
        field.DA = pikepdf.String(f"/Helv {size} Tf {colour}")
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font")
        if fonts is None:
            continue
        content = page.obj.Contents.read_bytes() if "/Contents" in page.obj else b""
        for name in field_fonts & set(fonts.keys()):
            if name.encode() + b" " not in content:
                del fonts[name]
    out = BytesIO()
    pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
