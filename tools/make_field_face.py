"""Make templates/fonts/BookletFieldPlaceholder.ttf, the face WeasyPrint embeds for fields.

WeasyPrint embeds a form field's font whole and reads the width of every glyph in it, so
fields get a placeholder: Atkinson Hyperlegible cut to the space (and .notdef), renamed;
the build then points the fields at Helvetica, which needs no embedding (booklet/layout.py,
_field_fonts). The glyph names stay in the file (post table format 2): without them
fontTools makes names from the Adobe Glyph List, whose import costs ~30 ms of CPU in
every build with a log. Run once by hand, then commit the font:

    python tools/make_field_face.py templates/fonts
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

NAME = "Booklet Field Placeholder"


def make(folder):
    source = TTFont(folder / "AtkinsonHyperlegible-Regular.ttf")
    options = subset.Options()
    options.glyph_names = True  # post format 2: names kept, no Adobe Glyph List at read
    options.name_IDs = [0, 5, 8, 9, 11, 12, 13, 14]  # copyright, makers, licence
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[0x20])
    subsetter.subset(source)
    names = source["name"]
    version = names.getDebugName(5).split(";")[0].removeprefix("Version ")
    for name_id, text in (
        (1, NAME),
        (2, "Regular"),
        (3, f"{NAME} (subset of Atkinson Hyperlegible {version})"),
        (4, NAME),
        (6, NAME.replace(" ", "")),
    ):
        names.setName(text, name_id, 3, 1, 0x409)
    source.save(folder / "BookletFieldPlaceholder.ttf")


if __name__ == "__main__":
    make(Path(sys.argv[1]))
