"""Impose reading-order pages onto sheets for a folded, stapled (saddle-stitched) booklet."""

from io import BytesIO


def booklet_order(page_count):
    """Reading order padded to a multiple of 4, blanks (None) before the back cover."""
    if page_count < 1:
        raise ValueError("a booklet needs at least one page")
    total = -(-page_count // 4) * 4
    if page_count == 1:
        return [1] + [None] * (total - 1)
    return list(range(1, page_count)) + [None] * (total - page_count) + [page_count]


def sheet_sides(page_count):
    """(left, right) page numbers for each sheet side, front then back, sheet by sheet."""
    order = booklet_order(page_count)
    last = len(order) - 1
    sides = []
    for i in range(0, len(order) // 2, 2):
        sides.append((order[last - i], order[i]))  # front: last | first
        sides.append((order[i + 1], order[last - i - 1]))  # back: second | last but one
    return sides


def impose(pdf_bytes, sheet_size, title="", right_to_left=False):
    """Two pages side by side on each landscape sheet side, in saddle-stitch order.

    A right-to-left booklet is bound on the right: each side's two pages swap places.
    """
    import pikepdf

    source = pikepdf.open(BytesIO(pdf_bytes))
    sheet_width, sheet_height = sheet_size
    half = sheet_width / 2
    sheets = pikepdf.new()
    forms = {}
    for side in sheet_sides(len(source.pages)):
        left, right = reversed(side) if right_to_left else side
        resources, drawing = pikepdf.Dictionary(), []
        for slot, number in enumerate((left, right)):
            if number is None:
                continue
            page = source.pages[number - 1]
            box = page.mediabox
            width, height = float(box[2] - box[0]), float(box[3] - box[1])
            # Each page centred in its half; a page whose width is the half meets the fold.
            x = slot * half + (half - width) / 2
            y = (sheet_height - height) / 2
            if number not in forms:
                forms[number] = sheets.copy_foreign(page.as_form_xobject())
            # Named by page number, not a random prefix: same input, same bytes.
            resources[f"/Page{number}"] = forms[number]
            drawing.append(f"q 1 0 0 1 {x:.3f} {y:.3f} cm /Page{number} Do Q\n")
        sheet = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, sheet_width, sheet_height],
            Resources=pikepdf.Dictionary(XObject=resources),
        )
        if drawing:  # an all-blank side has no content stream: an empty one is not valid zlib
            sheet.Contents = pikepdf.Stream(sheets, "".join(drawing).encode())
        sheets.pages.append(pikepdf.Page(sheet))
    sheets.docinfo["/Title"] = pikepdf.String(
        f"{title} (print sheets)" if title else "Print sheets"
    )
    sheets.docinfo["/Producer"] = pikepdf.String("booklet")
    out = BytesIO()
    sheets.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
