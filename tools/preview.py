"""Build the example booklet and render pictures of its pages for the README (`make preview`)."""

import io
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from booklet.output import write_files  # noqa: E402

OUT = ROOT / "dist" / "preview"
DOCS = ROOT / "docs"


def build(*args):
    subprocess.run([sys.executable, str(ROOT / "build.py"), "-q", *map(str, args)], check=True)


def strip(pdf_path, pages, scale, target):
    """Chosen pages side by side on a grey background, as one PNG."""
    document = pdfium.PdfDocument(pdf_path)
    count = len(document)
    images = [document[p % count].render(scale=scale).to_pil() for p in pages]
    gap = 16
    width = sum(i.width for i in images) + gap * (len(images) + 1)
    height = max(i.height for i in images) + 2 * gap
    sheet = Image.new("RGB", (width, height), (150, 150, 150))
    x = gap
    for image in images:
        sheet.paste(image, (x, gap))
        x += image.width + gap
    data = io.BytesIO()
    sheet.save(data, "PNG", optimize=True)
    write_files({target: data.getvalue()})  # whole or not at all, like the PDFs
    print(f"Wrote {target.relative_to(ROOT)}")


def main():
    example = ROOT / "content" / "clinic.example.toml"
    booklet = OUT / "essay.pdf"
    build("--config", example, "--episode-log", "--log-pages", "2", "--impose", "-o", booklet)
    build(
        "--config",
        example,
        "--episode-log",
        "--log-pages",
        "1",
        "--large-print",
        "-o",
        OUT / "large.pdf",
    )
    languages = ROOT / "tests" / "languages"
    for language in ("es", "he", "ar"):
        build(
            languages / f"{language}.md",
            "--config",
            example,
            "--log-pages",
            "1",
            "-o",
            OUT / f"{language}.pdf",
        )
    for log in ("headache", "medication", "pain-diary"):
        build("--config", example, "--log", log, "--log-pages", "1", "-o", OUT / f"{log}.pdf")
    DOCS.mkdir(exist_ok=True)
    strip(booklet, [0, 1, 2, 7, -1], 0.9, DOCS / "pages.png")
    strip(OUT / "essay-print.pdf", [0, 1], 0.6, DOCS / "print-sheets.png")
    strip(OUT / "large.pdf", [0, 2, 7], 0.5, DOCS / "large-print.png")
    strip(OUT / "es.pdf", [0, -3, -1], 0.7, DOCS / "spanish.png")
    strip(OUT / "he.pdf", [1, 2, -2], 0.7, DOCS / "hebrew.png")
    strip(OUT / "ar.pdf", [0, 2, -1], 0.7, DOCS / "arabic.png")
    strip(OUT / "headache.pdf", [-3, -2], 0.7, DOCS / "logs.png")


if __name__ == "__main__":
    main()
