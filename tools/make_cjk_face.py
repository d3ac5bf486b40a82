"""Make templates/fonts/NotoSansCJK{,Rare}-{Regular,Bold}.ttf from Debian's fonts-noto-cjk.

One Pan-CJK face per weight, the Simplified Chinese face of NotoSansCJK-*.ttc (every face
of the collection holds all regions' glyphs; the HTML lang picks them through the locl
feature), in two files: the characters of everyday text (the frequent levels of GB 2312,
Big5, JIS X 0208 and KS X 1001's Hangul, kana, punctuation: ~12,000) and the rest. When
WeasyPrint embeds a face without libharfbuzz-subset, fontTools' subsetting costs time in
proportion to the face's glyphs: an everyday essay pays for the small file only.
TrueType outlines (fontTools subsets them faster than CFF); no supplementary ideographs
(U+20000 up: 2,365 rare characters, mostly Hong Kong names), vertical metrics, variation
sequences or GPOS (horizontal CJK needs no kerning); GSUB keeps locl, ccmp and the jamo
features. Run once by hand, then commit the fonts:

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb x
    python tools/make_cjk_face.py x/usr/share/fonts/opentype/noto templates/fonts
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SIMPLIFIED_CHINESE = 2  # the collection's faces: JP, KR, SC, TC, HK, then Mono
FEATURES = ["ccmp", "locl", "ljmo", "vjmo", "tjmo"]
# Everyday characters: (codec, first byte range, second byte range) of each standard's
# frequent level, plus every code point below the ideographs and the full-width forms.
EVERYDAY = (
    ("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)),  # GB 2312 level 1
    ("big5", range(0xA4, 0xC7), range(0x40, 0xFF)),  # Big5 frequent (A440-C67E)
    ("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF)),  # JIS X 0208 level 1
    ("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF)),  # KS X 1001 Hangul
)


def everyday():
    """The code points of everyday CJK text."""
    points = set(range(0x3400)) | set(range(0xFE30, 0xFFF0))
    for codec, firsts, seconds in EVERYDAY:
        for first in firsts:
            for second in seconds:
                try:
                    points.add(ord(bytes((first, second)).decode(codec)))
                except (UnicodeDecodeError, TypeError):
                    pass
    return points


def to_truetype(font):
    """Replace the CFF outlines by quadratic ones (fontTools' otf2ttf snippet)."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    font["head"].glyphDataFormat = 0
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for name in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs"):
        setattr(maxp, name, 0)
    maxp.maxZones, maxp.maxStackElements, maxp.maxSizeOfInstructions = 1, 0, 0
    maxp.maxComponentElements = maxp.maxComponentDepth = 0
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 3.0, [], {}
    for tag in ("CFF ", "VORG", "vhea", "vmtx"):
        if tag in font:
            del font[tag]
    font.sfntVersion = "\0\1\0\0"


def part(source, points, target, short_cmap=True):
    """Save the characters `points` of the TrueType face `source` as their own font.

    The rare characters are too scattered for a format 4 (16-bit) character map: that
    part has the 32-bit one alone (short_cmap=False), which every current reader takes.
    """
    font = TTFont(source)
    options = subset.Options(
        layout_features=FEATURES, glyph_names=True, notdef_outline=True, hinting=False
    )
    options.name_IDs = options.name_languages = ["*"]
    options.drop_tables += ["GPOS"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=points)
    subsetter.subset(font)
    kept = (12,) if not short_cmap else (4, 6, 12)
    font["cmap"].tables = [t for t in font["cmap"].tables if t.format in kept]
    post = font["post"]  # glyph names kept: fontTools reads them faster than it makes them
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    font.save(target)


def main(source, target):
    common = everyday()
    for weight in ("Regular", "Bold"):
        font = TTCollection(Path(source) / f"NotoSansCJK-{weight}.ttc").fonts[SIMPLIFIED_CHINESE]
        to_truetype(font)
        whole = Path(target) / f"whole-{weight}.ttf"
        font.save(whole)
        points = {p for p in font.getBestCmap() if p < 0x20000}
        part(whole, points & common, Path(target) / f"NotoSansCJK-{weight}.ttf")
        part(whole, points - common, Path(target) / f"NotoSansCJKRare-{weight}.ttf", False)
        whole.unlink()


if __name__ == "__main__":
    main(*sys.argv[1:3])
