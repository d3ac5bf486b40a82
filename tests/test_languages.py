"""Every language a clinic serves: the booklet's own words, dates, direction and fonts."""

import io
import re

import pikepdf
import pytest
from conftest import EXAMPLE_CLINIC, ROOT, flatten, line_ends, make_pdfs, page_texts

from booklet.errors import RenderError
from booklet.language import (
    catalogue_files,
    choose_language,
    locale_names,
    read_catalogue,
    template_messages,
)

pytestmark = pytest.mark.slow  # builds many booklets: run by `make test-slow` (and CI)

TEMPLATES = ROOT / "templates"
ESSAYS = ROOT / "tests" / "languages"
SHIPPED = ("en", "es", "fr", "de", "it", "pt", "nl", "pl", "ar", "he")
REVIEW_DATES = {  # review_date = 2027-11-01 in the example settings
    "es": "1 de noviembre de 2027",
    "fr": "1 novembre 2027",
    "de": "1. November 2027",
    "en": "1 November 2027",
}
FIELDS = {"date", "start", "duration", "pain", "stress", "sitting", "where", "trigger"}


def all_text(data):
    """Every page's text, running heads and page numbers too."""
    return flatten(" ".join(page_texts(data)))


def english_words(language):
    """The booklet's English messages that this language's catalogue says otherwise."""
    catalogue = read_catalogue(catalogue_files(TEMPLATES)[language])
    words = []
    for message in catalogue:
        if message.id and message.string and message.string != message.id:
            # The fixed parts of a message with %(name)s holes, each long enough to tell.
            words += [part.strip() for part in re.split(r"%\(\w+\)s", message.id)]
    return [w for w in words if len(w) >= 6]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each language's essay with the example settings and the log: normal and large print."""
    tmp = tmp_path_factory.mktemp("languages")
    result = {}
    for language in ("es", "fr", "de"):
        for large in (False, True):
            pdfs, warnings = make_pdfs(
                tmp,
                source=ESSAYS / f"{language}.md",
                config=EXAMPLE_CLINIC,
                log_pages=1,
                large_print=large,
                impose=not large,
            )
            result[language, large] = pdfs, warnings
    return result


def test_every_catalogue_has_every_message_of_the_templates():
    messages = template_messages(TEMPLATES)
    assert len(messages) >= 60  # the templates' words and the four shipped logs'
    files = catalogue_files(TEMPLATES)
    assert set(SHIPPED) <= set(files)
    for name, path in files.items():
        catalogue = read_catalogue(path)
        missing = [m for m in messages if not (catalogue.get(m) and catalogue.get(m).string)]
        assert missing == [], f"{name}.po lacks {missing[:5]}"
        for message in catalogue:
            if message.id and message.string:  # the same %(holes)s, or gettext fails
                holes = sorted(re.findall(r"%\((\w+)\)s", message.id))
                assert sorted(re.findall(r"%\((\w+)\)s", message.string)) == holes, (
                    name,
                    message.id,
                )


@pytest.mark.parametrize("language", ["es", "fr", "de"])
def test_no_english_word_of_the_booklet_is_left(built, language):
    for large in (False, True):
        pdfs, warnings = built[language, large]
        assert warnings == []
        text = all_text(pdfs["reading copy"])
        english = english_words(language)
        assert len(english) >= 40
        left = [w for w in english if w in text]
        assert left == [], left
        assert REVIEW_DATES[language] in text
        assert "2027-11-01" not in text


@pytest.mark.parametrize("language", ["es", "fr", "de"])
def test_language_tag_and_fields_are_there(built, language):
    pdfs, _ = built[language, False]
    with pikepdf.open(io.BytesIO(pdfs["reading copy"])) as pdf:
        assert str(pdf.Root.Lang).split("-")[0] == language
        names = {str(field.T) for field in pdf.Root.AcroForm.Fields}
    assert {f"episode1_{key}" for key in FIELDS} <= names  # ASCII and stable
    assert {f"episode2_{key}" for key in FIELDS} <= names


def test_left_to_right_is_the_other_way_round(built):
    data = built["es", False][0]["reading copy"]
    essay_page = next(i for i, t in enumerate(page_texts(data)) if i > 1 and len(t) > 200)
    edges = line_ends(data, essay_page)
    assert flush(edges, 0) > 2 * flush(edges, 1)


def test_english_dates_are_day_month_year(tmp_path):
    pdfs, warnings = make_pdfs(tmp_path, config=EXAMPLE_CLINIC)
    assert warnings == []
    assert REVIEW_DATES["en"] in all_text(pdfs["reading copy"])


def test_catalogue_chosen_from_the_tag(tmp_path):
    assert locale_names("pt-BR") == ["pt_BR", "pt"]
    assert locale_names("zh-hant-tw") == ["zh_Hant_TW", "zh_Hant", "zh"]
    assert choose_language("en-US", TEMPLATES)[0].catalogue == "en"
    assert choose_language("pt-BR", TEMPLATES)[0].catalogue == "pt"
    assert choose_language("he", TEMPLATES)[0].direction == "rtl"
    assert choose_language("ur", TEMPLATES)[0].direction == "rtl"
    assert choose_language("el", TEMPLATES)[0].direction == "ltr"


def test_a_language_without_catalogue_is_one_warning_then_english(tmp_path):
    essay = tmp_path / "sw.md"
    essay.write_text("---\ntitle: Maumivu ya mgongo\nlang: sw\n---\n\nPumzika kidogo.\n")
    pdfs, warnings = make_pdfs(tmp_path, source=essay)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{essay}: no catalogue for the essay's language 'sw'")
    assert "Contents" in page_texts(pdfs["reading copy"])[1]


def flush(edges, side):
    """How many lines start (0) or end (1) within 2 pt of the furthest one."""
    far = min(e[side] for e in edges) if side == 0 else max(e[side] for e in edges)
    return sum(abs(e[side] - far) <= 2 for e in edges)


@pytest.mark.parametrize("language", ["he", "ar"])
def test_right_to_left_essays_are_set_right_to_left(tmp_path, language):
    pdfs, warnings = make_pdfs(
        tmp_path, source=ESSAYS / f"{language}.md", config=EXAMPLE_CLINIC, impose=True
    )
    assert warnings == []
    data = pdfs["reading copy"]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == language
    # The essay's page: every line ends at the same right edge, and starts ragged.
    essay_page = next(i for i, t in enumerate(page_texts(data)) if i > 1 and len(t) > 200)
    edges = line_ends(data, essay_page)
    assert flush(edges, 1) >= 4  # headings and lines end flush right …
    assert flush(edges, 1) > 2 * flush(edges, 0)  # … and start ragged
    # Bound on the right: the cover is the left half of the first sheet's front.
    from test_impose import halves

    front = halves(pdfs["print sheets"])[0]
    cover_title = page_texts(data)[0].split("\n")[-1].strip() or page_texts(data)[0]
    assert front[0] and not front[0].startswith("Contact")
    assert any(line.strip() and line.strip() in front[0] for line in cover_title.splitlines())


@pytest.mark.parametrize("language", ["el", "ru", "he", "ar"])
def test_every_script_comes_from_a_shipped_font(tmp_path, language):
    pdfs, warnings = make_pdfs(tmp_path, source=ESSAYS / f"{language}.md", log_pages=1)
    if language in SHIPPED:
        assert warnings == []
    else:  # Greek and Russian essays: the booklet's own words fall back to English
        assert len(warnings) == 1 and "no catalogue for the essay's language" in warnings[0]
    with pikepdf.open(io.BytesIO(pdfs["reading copy"])) as pdf:
        embedded = set()
        for page in pdf.pages:
            for font in page.obj.Resources.get("/Font", {}).values():
                embedded.add(str(font.BaseFont).split("+", 1)[-1])
    script_fonts = {f for f in embedded if f.startswith("Booklet-Noto-Sans")}
    assert script_fonts  # the script's own face is used
    # Only faces declared with @font-face from templates/fonts (named as booklet.css does).
    assert embedded <= {
        "Atkinson-Hyperlegible",
        "Atkinson-Hyperlegible-Bold",
        "Booklet-Field",
        "Booklet-Noto-Sans",
        "Booklet-Noto-Sans-Bold",
        "Booklet-Noto-Sans-Arabic",
        "Booklet-Noto-Sans-Arabic-Bold",
        "Booklet-Noto-Sans-Hebrew",
        "Booklet-Noto-Sans-Hebrew-Bold",
    }, embedded
    assert not any("DejaVu" in f for f in embedded)


def test_a_character_no_shipped_font_has_is_named_with_its_line(tmp_path):
    """One line per script (an error unless allowed) and one for emoji, each with its line."""
    essay = tmp_path / "e.md"
    essay.write_text(
        "---\ntitle: Signs\nlang: en\n---\n\nHeat helps \U0001f525 a lot.\n\n"
        "වෛද්‍යවරයා හමුවන්න. डॉक्टर से मिलें।\n"
    )
    with pytest.raises(RenderError, match=f"^{re.escape(str(essay))}:8: Sinhala text"):
        make_pdfs(tmp_path, source=essay)
    pdfs, warnings = make_pdfs(tmp_path, source=essay, allow_missing_glyphs=True)
    assert any(w.startswith(f"{essay}:6: emoji (U+1F525 \U0001f525)") for w in warnings), warnings
    assert [w for w in warnings if "Sinhala" in w and w.startswith(f"{essay}:8:")], warnings
    assert not any("Devanagari" in w for w in warnings), warnings  # shipped now
    assert len(warnings) == 2, warnings
    assert pdfs["reading copy"].startswith(b"%PDF-")


def test_a_language_babel_does_not_know_still_writes_its_dates(tmp_path):
    essay = tmp_path / "qq.md"
    essay.write_text("---\ntitle: T\nlanguage: qq\ndate: 2024-05-01\n---\n\nWords here.\n")
    pdfs, warnings = make_pdfs(tmp_path, source=essay)
    assert len(warnings) == 1 and "no catalogue for the essay's language 'qq'" in warnings[0]
    assert "1 May 2024" in all_text(pdfs["reading copy"])  # English, as its words are


@pytest.mark.parametrize("language", ["ar", "he", "de"])
def test_translated_cards_fill_the_log_pages_they_say(tmp_path, language):
    """Longer words can put a card's short fields on one more row: the log then puts fewer
    cards on a page rather than letting one fall onto an untitled page of its own."""
    pdfs, _ = make_pdfs(tmp_path, source=ESSAYS / f"{language}.md", log_pages=2)
    data = pdfs["reading copy"]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        per_page = [
            {str(a.T).split("_")[0] for a in page.obj.get("/Annots", []) if "/T" in a}
            for page in pdf.pages
        ]
    card_pages = [cards for cards in per_page if cards]
    assert len(card_pages) == 2, per_page  # --log-pages 2: two pages of cards, no more
    assert len(card_pages[0]) == len(card_pages[1]) >= 1
    texts = [t for t, cards in zip(page_texts(data), per_page, strict=True) if cards]
    for page, text in enumerate(texts, 1):  # each opens with its "title · page k of 2"
        title = next(line for line in text.splitlines() if "·" in line)
        assert re.findall(r"\d+", title) == [str(page), "2"], title
