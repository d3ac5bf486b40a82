"""Logs described in TOML: the definition's checks, where a log comes from, and the PDF."""

import ctypes
import io
import re

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as raw
import pytest
from conftest import ESSAY, MM, page_texts, run_cli

from booklet.editions import Edition
from booklet.errors import LogError
from booklet.essay import read_essay
from booklet.logbook import LOGS, parse_log, preset_names, read_log
from booklet.pipeline import Request, build_pdfs, choose_log, outputs_for_editions
from booklet.render import render_html
from booklet.settings import load_clinic

# A diary no preset resembles: 3 cards a page, a date, a 0-10 scale, a check box, 2 lines.
DIARY = """\
title = "Migraine diary"
intro = "Write down every migraine attack on the day it happens."
entry = "attack"
per_page = 3

[[fields]]
key = "day"
label = "Day"
kind = "date"

[[fields]]
key = "severity"
label = "How bad"
kind = "scale"
min = 0
max = 10
help = "0 = no headache, 10 = the worst you can imagine"

[[fields]]
key = "aura"
label = "Aura"
kind = "check"
help = "tick if you saw zigzag lines first"

[[fields]]
key = "food"
label = "What you ate and drank"
kind = "lines"
lines = 2
help = "meals, snacks, coffee, alcohol"
"""
DIARY_KEYS = ("day", "severity", "aura", "food")


def fields_of(data):
    """{name: field} of a PDF's form."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/AcroForm" not in pdf.Root:
            return {}
        return {
            str(f.T): {
                "FT": str(f.FT),
                "TU": str(f.get("/TU", "")),
                "MaxLen": int(f.MaxLen) if "/MaxLen" in f else None,
                "Ff": int(f.get("/Ff", 0)),
                "Rect": [float(v) for v in f.Rect],
                "DA": bytes(f.DA) if "/DA" in f else None,
            }
            for f in pdf.Root.AcroForm.Fields
        }


def size_mm(field):
    left, bottom, right, top = field["Rect"]
    return abs(right - left) / MM, abs(top - bottom) / MM


# ---------- The headache diary of "Done when" ----------


@pytest.fixture(scope="module")
def diary(tmp_path_factory):
    """The diary built with --log and --log-pages 4 and print sheets, through the command."""
    folder = tmp_path_factory.mktemp("diary")
    (folder / "migraine.toml").write_text(DIARY)
    output = folder / "out" / "diary.pdf"
    result = run_cli(
        ESSAY, "-o", output, "--log", folder / "migraine.toml", "--log-pages", 4, "--impose", "-q"
    )
    assert result.exit_code == 0, result.output
    reading = output.read_bytes()
    return {"reading": reading, "sheets": output.with_name("diary-print.pdf").read_bytes()}


def test_diary_has_twelve_cards_with_its_field_names(diary):
    fields = fields_of(diary["reading"])
    expected = {f"attack{n}_{key}" for n in range(1, 13) for key in DIARY_KEYS}
    assert set(fields) == expected


def test_diary_check_boxes_are_real_and_every_field_has_a_tooltip(diary):
    fields = fields_of(diary["reading"])
    for name, field in fields.items():
        assert field["FT"] == ("/Btn" if name.endswith("_aura") else "/Tx"), name
        number = re.search(r"\d+", name)[0]
        assert field["TU"].startswith(f"Attack {number}: "), name
    assert fields["attack5_aura"]["TU"] == "Attack 5: Aura (tick if you saw zigzag lines first)"
    assert fields["attack1_severity"]["MaxLen"] == 2
    assert fields["attack1_food"]["Ff"] & (1 << 12)  # multi-line
    assert not fields["attack1_day"]["Ff"] & (1 << 12)


def test_diary_pages_carry_its_own_texts_and_no_spasms(diary):
    texts = page_texts(diary["reading"])
    log = [i for i, t in enumerate(texts) if "Migraine diary · page" in t]
    assert len(log) == 4
    assert "Migraine diary · page 4 of 4" in texts[log[-1]]
    explanation = texts[log[0] - 1]
    assert "Write down every migraine attack" in explanation
    assert "How bad: score it from 0 to 10" in explanation
    assert "tick if you saw zigzag lines first" in explanation
    for n, i in enumerate(log):  # three whole cards a page, never split
        titles = re.findall(r"Attack (\d+)", texts[i])
        assert titles == [str(3 * n + 1), str(3 * n + 2), str(3 * n + 3)]
    for text in texts[log[0] - 1 : log[-1] + 1]:
        assert not re.search(r"spasm|episode", text, re.IGNORECASE)
    assert "Migraine diary" in texts[1]  # the contents name it too


def test_diary_print_sheets_carry_no_fields_but_the_squares(diary):
    assert fields_of(diary["sheets"]) == {}
    with pikepdf.open(io.BytesIO(diary["sheets"])) as pdf:
        assert all("/Annots" not in page.obj for page in pdf.pages)


def test_a_check_box_prints_a_square_and_ticks_on_screen(diary, tmp_path):
    """The square is on the page (printed, imposed); the field draws only the tick."""
    fields = fields_of(diary["reading"])
    texts = page_texts(diary["reading"])
    index = next(i for i, t in enumerate(texts) if "Migraine diary · page 1 of 4" in t)
    left, bottom, right, top = fields["attack1_aura"]["Rect"]
    width, height = size_mm(fields["attack1_aura"])
    assert min(width, height) >= 6
    filled = fill_in_pdfium(diary["reading"], {"attack1_aura": True})
    document = pdfium.PdfDocument(filled)
    document.init_forms()
    page = document[index]
    scale = 4
    box = (left * scale, (page.get_height() - bottom) * scale)
    box += (right * scale, (page.get_height() - top) * scale)
    box = (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))
    blank = page.render(scale=scale, may_draw_forms=False).to_pil().convert("L").crop(box)
    ticked = page.render(scale=scale, may_draw_forms=True).to_pil().convert("L").crop(box)
    square = blank.crop((-8, -8, blank.width + 8, blank.height + 8))  # 0.5 mm around
    rows = [sum(square.getpixel((x, y)) < 100 for x in range(square.width)) for y in range(8)]
    assert max(rows) > 0.9 * blank.width  # the square's top edge is ink on the page
    middle = blank.crop((4, 4, blank.width - 4, blank.height - 4))
    assert middle.getextrema()[0] > 200  # and empty inside when printed blank
    assert ticked.crop((4, 4, ticked.width - 4, ticked.height - 4)).getextrema()[0] < 100


def test_named_in_front_matter_it_is_used_and_watched(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "migraine.toml").write_text(DIARY)
    text = ESSAY.read_text().replace("---\n", "---\nlog: logs/migraine.toml\n", 1)
    (tmp_path / "essay.md").write_text(text)
    request = Request(
        source=tmp_path / "essay.md",
        clinic=load_clinic(None),
        outputs=outputs_for_editions(tmp_path / "out.pdf", ["reading"]),
        log_pages=1,
    )
    laid = build_pdfs(request)
    files, inputs = laid.files, laid.inputs
    fields = fields_of(files[tmp_path / "out.pdf"])
    assert set(fields) == {f"attack{n}_{key}" for n in (1, 2, 3) for key in DIARY_KEYS}
    assert (tmp_path / "logs" / "migraine.toml").resolve() in inputs  # --watch sees edits


# ---------- Where a log comes from ----------


def _essay(folder, log=None):
    folder.mkdir(exist_ok=True)
    text = ESSAY.read_text()
    if log:
        text = text.replace("---\n", f"---\nlog: {log}\n", 1)
    (folder / "essay.md").write_text(text)
    return read_essay(folder / "essay.md")


def _chosen(tmp_path, essay, cli=None, settings=None, log_pages=1):
    clinic = load_clinic(None)
    if settings:
        (tmp_path / "clinic.toml").write_text(f'log = "{settings}"\n')
        clinic = load_clinic(tmp_path / "clinic.toml")
    request = Request(source=essay.path, clinic=clinic, log_pages=log_pages, log=cli)
    log, files = choose_log(request, essay, log_pages)
    return log and log.title, files


def test_command_line_wins_then_front_matter_then_settings_then_the_default(tmp_path):
    (tmp_path / "mine.toml").write_text(DIARY)
    essay = _essay(tmp_path / "named", "medication")
    plain = _essay(tmp_path / "plain")
    assert _chosen(tmp_path, essay, cli="headache", settings="pain-diary")[0] == "Headache diary"
    assert _chosen(tmp_path, essay, settings="pain-diary")[0] == "Medication record"
    assert _chosen(tmp_path, plain, settings="mine.toml") == (
        "Migraine diary",
        ((tmp_path / "mine.toml").resolve(),),
    )
    assert _chosen(tmp_path, plain)[0] == "Episode log"
    assert _chosen(tmp_path, plain, log_pages=0) == (None, ())


@pytest.mark.slow
def test_an_essay_that_names_its_log_gets_it_unless_told_no(tmp_path):
    folder = tmp_path / "named"
    essay = _essay(folder, "headache")
    out = tmp_path / "out.pdf"
    result = run_cli(essay.path, "-o", out)  # no log option: the essay asks for one
    assert result.exit_code == 0, result.output
    assert any("Headache diary" in text for text in page_texts(out.read_bytes()))
    result = run_cli(essay.path, "-o", out, "--no-episode-log")
    assert result.exit_code == 0, result.output
    assert not any("Headache diary" in text for text in page_texts(out.read_bytes()))


def test_an_unknown_name_in_front_matter_names_the_essay_line(tmp_path):
    essay = _essay(tmp_path / "essay", "headach")
    with pytest.raises(LogError, match=r"essay\.md:2: no shipped log named 'headach' \(did you"):
        _chosen(tmp_path, essay)


def test_front_matter_may_not_read_a_definition_outside_the_allowed_folders(tmp_path):
    (tmp_path / "outside.toml").write_text(DIARY)
    (tmp_path / "essay").mkdir()
    essay = _essay(tmp_path / "essay", "../outside.toml")
    with pytest.raises(LogError, match=r"essay\.md:2: 'log' must be a file the build may read"):
        _chosen(tmp_path / "essay", essay)


def test_a_missing_log_file_is_said_against_the_line_that_names_it(tmp_path):
    essay = _essay(tmp_path / "essay", "diary.toml")
    with pytest.raises(LogError, match=r"essay\.md:2: 'log' diary\.toml: log definition not found"):
        _chosen(tmp_path / "essay", essay)
    plain = _essay(tmp_path / "plain")
    with pytest.raises(LogError, match=r"clinic\.toml:1: 'log' gone\.toml: log definition not f"):
        _chosen(tmp_path / "plain", plain, settings="gone.toml")


# ---------- Bad definitions ----------

BROKEN = {
    "kind": (
        DIARY.replace('kind = "check"', 'kind = "tickbox"'),
        r":22: field 'aura': unknown kind 'tickbox'",
    ),
    "duplicate": (
        DIARY.replace('key = "food"', 'key = "day"'),
        r":26: field 'day': duplicate key",
    ),
    "ascii": (DIARY.replace('key = "day"', 'key = "día"'), r":7: field 1: 'key' must be an ASCII"),
    "label": (
        DIARY.replace('label = "Aura"\n', ""),
        r":20: field 'aura': 'label' is missing",
    ),
    "title": (DIARY.replace('title = "Migraine diary"\n', ""), r":1: 'title' is missing"),
    "fields": (DIARY.split("[[fields]]")[0], r": no fields: add at least one"),
    "per_page": (DIARY.replace("per_page = 3", "per_page = 7"), r":4: 'per_page' must be from 1"),
    "too_many": (
        DIARY.replace("per_page = 3", "per_page = 6"),
        r":4: 'per_page' = 6: cards of 3 writing lines fit at most 3 to a page",
    ),
    "range": (DIARY.replace("max = 10", "max = 1000"), r":16: field 'severity': 'max' must be"),
    "steps": (
        DIARY.replace("max = 10", "max = 100"),
        r":16: field 'severity': 'min' and 'max' must give 2 to 11 values, not 0 to 100",
    ),
    "unknown": (
        DIARY.replace('label = "Day"', 'lable = "Day"'),
        r":8: unknown field key 'lable' \(did you mean 'label'\?\)",
    ),
    "top": (DIARY.replace("per_page", "cards_per_page"), r":4: unknown key 'cards_per_page'"),
    "lines": (DIARY.replace("lines = 2", "lines = 20"), r"'lines' must be from 1 to 8"),
    "misplaced": (
        DIARY.replace('kind = "date"', 'kind = "date"\nmax = 5'),
        r":10: field 'day': 'max' is only for kind = \"scale\"",
    ),
    "toml": ("title = 'x\n", r":1: not valid TOML"),
    "long_title": (
        DIARY.replace('title = "Migraine diary"', f'title = "{"Migraine diary " * 6}"'),
        r":1: 'title' is \d+ characters, over 80",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_bad_definition_names_its_file_line_and_key(tmp_path, case):
    text, message = BROKEN[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(LogError) as error:
        read_log(path)
    said = error.value.format_message()
    assert said.startswith(str(path)), said
    assert re.search(message, said), said
    assert "\n" not in said


@pytest.mark.parametrize("case", ["kind", "duplicate", "label", "unknown"])
def test_the_command_refuses_a_bad_definition_and_writes_nothing(tmp_path, case):
    text, message = BROKEN[case]
    (tmp_path / "bad.toml").write_text(text)
    output = tmp_path / "out.pdf"
    output.write_bytes(b"the old booklet")
    result = run_cli(ESSAY, "-o", output, "--log", tmp_path / "bad.toml")
    assert result.exit_code == 1
    assert re.fullmatch(rf"Error: {re.escape(str(tmp_path))}/bad\.toml{message}.*\n", result.output)
    assert output.read_bytes() == b"the old booklet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "out.pdf"]


def test_an_unknown_preset_on_the_command_line(tmp_path):
    result = run_cli(ESSAY, "-o", tmp_path / "out.pdf", "--log", "pain_diary")
    assert result.exit_code == 2  # a usage error: the option names nothing there is
    assert "Invalid value for '--log': no shipped log named 'pain_diary'" in result.stderr
    assert "(did you mean 'pain-diary'?" in result.stderr
    assert not (tmp_path / "out.pdf").exists()


# ---------- The shipped presets ----------


def test_presets_are_shipped_and_valid():
    assert preset_names() == ["back-spasm", "headache", "medication", "pain-diary"]
    for name in preset_names():
        log = read_log(LOGS / f"{name}.toml")
        assert log.fields and log.title and log.intro
        assert parse_log((LOGS / f"{name}.toml").read_text()) == log.__class__(
            **{**log.__dict__, "path": None}
        )


def test_medication_record_holds_what_dose_time_and_effect():
    keys = [field.key for field in read_log(LOGS / "medication.toml").fields]
    assert {"what", "dose", "time", "effect"} <= set(keys)


def test_definition_texts_reach_the_template_unchanged():
    log = parse_log(DIARY.replace("How bad", "How <b>bad</b> & worse"))
    html = render_html(read_essay(ESSAY), load_clinic(None), Edition(), 1, log=log)
    assert "How &lt;b&gt;bad&lt;/b&gt; &amp; worse 0–10" in html
    assert "<b>bad" not in html


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    """Every preset laid out as a reading copy and in large print, one log page each."""
    folder = tmp_path_factory.mktemp("presets")
    built = {}
    for name in preset_names():
        request = Request(
            source=ESSAY,
            clinic=load_clinic(None),
            outputs=outputs_for_editions(folder / f"{name}.pdf", ["reading", "large-print"]),
            log_pages=1,
            log=name,
        )
        laid = build_pdfs(request)
        files, warnings = laid.files, laid.warnings
        assert warnings == []
        built[name] = {
            "reading": files[folder / f"{name}.pdf"],
            "large print": files[folder / f"{name}-large-print.pdf"],
        }
    return built


@pytest.mark.parametrize("edition, least", [("reading", 8), ("large print", 13)])
def test_every_writing_area_is_big_enough(presets, edition, least):
    for name, pdfs in presets.items():
        log = read_log(LOGS / f"{name}.toml")
        fields = fields_of(pdfs[edition])
        assert len(fields) == len(log.fields) * log.per_page, name
        for field_name, field in fields.items():
            width, height = size_mm(field)
            if field["FT"] == "/Btn":
                assert min(width, height) >= 6, field_name
            else:
                assert height >= least - 0.05 and width >= 8, (name, field_name, width, height)


@pytest.mark.parametrize("edition", ["reading", "large print"])
def test_every_preset_keeps_its_cards_whole_on_one_page(presets, edition):
    for name, pdfs in presets.items():
        log = read_log(LOGS / f"{name}.toml")
        texts = page_texts(pdfs[edition])
        (page,) = [t for t in texts if f"{log.title} · page 1 of 1" in t]
        assert len(re.findall(rf"{log.entry_title} \d+\b", page)) == log.per_page, name


def fill_in_pdfium(data, values):
    """Click each named field in PDFium, type into it or tick it, and save; the saved bytes."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        where = {}
        for index, page in enumerate(pdf.pages):
            for annot in page.obj.get("/Annots", []):
                if "/T" in annot and str(annot.T) in values:
                    left, bottom, right, top = (float(v) for v in annot.Rect)
                    where[str(annot.T)] = (index, (left + right) / 2, (bottom + top) / 2)
    document = pdfium.PdfDocument(data)
    document.init_forms()
    form = document.formenv.raw
    for name, value in values.items():
        index, x, y = where[name]
        page = document[index]
        raw.FORM_OnLButtonDown(form, page.raw, 0, x, y)
        raw.FORM_OnLButtonUp(form, page.raw, 0, x, y)
        if value is not True:
            text = ctypes.create_string_buffer((value + "\0").encode("utf-16-le"))
            raw.FORM_ReplaceSelection(form, page.raw, ctypes.cast(text, raw.FPDF_WIDESTRING))
        raw.FORM_ForceToKillFocus(form)
    saved = io.BytesIO()
    document.save(saved)
    document.close()
    return saved.getvalue()


def test_every_preset_fills_and_saves_in_pdfium_and_reads_back(presets):
    for name, pdfs in presets.items():
        fields = fields_of(pdfs["reading"])
        values = {
            field_name: True if field["FT"] == "/Btn" else ("7" if field["MaxLen"] else "Ok 1")
            for field_name, field in fields.items()
        }
        saved = fill_in_pdfium(pdfs["reading"], values)
        with pikepdf.open(io.BytesIO(saved)) as pdf:
            read = {str(f.T): f.get("/V") for f in pdf.Root.AcroForm.Fields}
        for field_name, value in values.items():
            if value is True:
                assert read[field_name] == pikepdf.Name("/on"), (name, field_name)
            else:
                assert str(read[field_name]) == value, (name, field_name)


def test_check_box_fields_keep_the_standard_font_setup(presets):
    with pikepdf.open(io.BytesIO(presets["headache"]["reading"])) as pdf:
        assert pdf.Root.AcroForm.DR.Font.Helv.BaseFont == "/Helvetica"
        for field in pdf.Root.AcroForm.Fields:
            if field.FT == "/Tx":
                assert bytes(field.DA).startswith(b"/Helv ")
            else:
                assert "/DA" not in field and "/on" in field.AP.N


def test_no_preset_mentions_spasms_but_the_back_spasm_log():
    for name in preset_names():
        log = read_log(LOGS / f"{name}.toml")
        texts = [log.title, log.intro] + [f"{f.label} {f.help}" for f in log.fields]
        assert ("spasm" in " ".join(texts).lower()) == (name == "back-spasm"), name


def test_a_label_standing_above_its_line_counts_towards_the_page():
    long_label = 'label = "How many times did you wake up during the night and why?"'
    text = DIARY.replace('label = "What you ate and drank"', long_label)
    log = parse_log(text.replace('kind = "lines"', 'kind = "text"').replace("lines = 2\n", ""))
    assert [row.above for row in log.rows] == [False, True]
    with pytest.raises(LogError, match="cards of 3.7 writing lines fit at most 3"):
        parse_log(text.replace("per_page = 3", "per_page = 4"))


def test_a_log_named_in_toml_front_matter_is_found_with_its_line(tmp_path):
    essay = tmp_path / "e.md"
    essay.write_text('+++\ntitle = "T"\nlog = "headach"\n+++\n\nText.\n')
    result = run_cli(essay, "-o", tmp_path / "e.pdf")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {essay}:3: no shipped log named 'headach'")
    assert "did you mean 'headache'?" in result.stderr
