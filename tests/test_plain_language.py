"""The plain-language rules of --check: each finds its problem on its line, and PEMAT-P."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conftest import build_py, line_of  # noqa: E402

from booklet import readability, rules  # noqa: E402
from booklet.readability import check_essay, format_text  # noqa: E402

ESSAY = ROOT / "content" / "essay.md"
PLAIN = ROOT / "tests" / "plain"
PRINT_ITEMS = [*range(1, 13), *range(15, 27)]  # PEMAT-P: 13 and 14 are audiovisual only


@pytest.fixture(scope="module")
def seed():
    done = build_py(ESSAY, "--check", "--json")
    assert done.returncode == 1, done.stderr  # above grade 8
    return json.loads(done.stdout)


def kinds_at(report, kind):
    return sorted({p.line for p in report.problems if p.kind == kind})


def test_seed_passive_sentences_are_reported_on_their_lines(seed):
    passive = {p["line"]: p["message"] for p in seed["problems"] if p["kind"] == "passive"}
    assert passive[line_of(ESSAY, "is often described as someone")].startswith(
        'passive "is often described"'
    )
    assert line_of(ESSAY, "I was told they had never seen") in passive
    # an active sentence is not reported
    assert line_of(ESSAY, "Imagine a part of your body") not in passive


def test_seed_ischemia_and_psychogenic_are_terms_without_a_gloss(seed):
    terms = [p for p in seed["problems"] if p["kind"] == "term"]
    line = line_of(ESSAY, "result of ischemia of the nerves")
    assert any(p["line"] == line and '"ischemia"' in p["message"] for p in terms)
    assert any(p["line"] == line and '"psychogenic"' in p["message"] for p in terms)
    # a term is reported once, at its first use: line 32 uses ischemia again
    assert sum('"ischemia"' in p["message"] for p in terms) == 1


def test_seed_pemat_scores_items_and_reviewer_items(seed):
    pemat = seed["pemat"]
    assert [item["id"] for item in pemat["items"]] == PRINT_ITEMS
    assert all(set(item) == {"id", "text", "verdict", "lines"} for item in pemat["items"])
    assert {item["verdict"] for item in pemat["items"]} <= {"yes", "no", "n/a", "reviewer"}
    items = {item["id"]: item for item in pemat["items"]}
    assert items[1]["text"] == "The material makes its purpose completely evident."
    assert items[4]["verdict"] == "no"
    assert line_of(ESSAY, "result of ischemia of the nerves") in items[4]["lines"]
    assert items[5]["verdict"] == "no" and items[5]["lines"]  # 12 passives in 41 sentences
    assert items[20]["verdict"] == "no"  # the seed never tells the reader what to do
    assert 0 <= pemat["understandability"] < 50 and pemat["actionability"] == 0
    # items only a person can judge are listed apart, never guessed
    assert pemat["reviewer"] == [i for i, item in items.items() if item["verdict"] == "reviewer"]
    assert {1, 2, 10, 23} <= set(pemat["reviewer"])


def test_seed_text_report_shows_both_scores_and_reviewer_items():
    text = format_text(check_essay(ESSAY))
    assert "PEMAT-P: understandability" in text and "actionability 0%" in text
    assert "PEMAT items to fix first:" in text
    reviewer = next(line for line in text.splitlines() if line.startswith("For the reviewer"))
    assert "1 purpose evident" in reviewer and "10 logical sequence" in reviewer


def test_numbered_steps_and_a_call_us_if_line_score_higher_than_prose():
    steps = check_essay(PLAIN / "steps.md")
    prose = check_essay(PLAIN / "prose.md")
    assert steps.pemat["actionability"] > prose.pemat["actionability"]
    assert steps.pemat["actionability"] == 100
    assert kinds_at(steps, "steps") == [] and kinds_at(steps, "help") == []
    assert kinds_at(prose, "steps") == [line_of(PLAIN / "prose.md", "**Rest your knee")]
    assert kinds_at(prose, "help") != []
    items = {item["id"]: item for item in steps.pemat["items"]}
    assert items[22]["verdict"] == "yes"
    assert line_of(PLAIN / "steps.md", "1. Put an ice pack") in items[22]["lines"]


def test_spanish_leaflet_is_scored_on_the_inflesz_scale():
    report = check_essay(PLAIN / "spanish.md", max_grade=2)
    assert report.language == "es" and report.formula == "Szigriszt–Pazos (INFLESZ)"
    assert report.scale["name"] == "INFLESZ" and report.scale["target"] == 55
    assert report.scale["value"] == report.scores["szigriszt_pazos"] >= 55
    assert report.scale["band"] in ("normal", "bastante fácil", "muy fácil")
    # the scale's own target decides, whatever max_grade
    assert report.passed
    first = format_text(report).splitlines()[0]
    assert "INFLESZ" in first and report.scale["band"] in first
    hard = "La " + "paciente presenta una sintomatología compatible con una radiculopatía " * 3
    source = PLAIN.parent / "plain" / "spanish.md"
    text = source.read_text().replace("Es muy frecuente.", hard.strip() + ".")
    harder = check_essay(source, text=text)
    assert harder.scale["value"] < report.scale["value"]


def test_german_is_scored_by_amstad(tmp_path):
    source = tmp_path / "de.md"
    source.write_text(
        "---\nlang: de\n---\n\nRückenschmerzen sind häufig. Meist werden sie in wenigen "
        "Tagen besser. Gehen Sie jeden Tag ein wenig.\n"
    )
    report = check_essay(source)
    assert report.formula == "Amstad" and report.scale["name"] == "Amstad"
    textstat = readability.statistics("de")
    prose = "Rückenschmerzen sind häufig. Meist werden sie in wenigen Tagen besser. "
    prose += "Gehen Sie jeden Tag ein wenig."
    assert report.scale["value"] == round(textstat.flesch_reading_ease(prose), 1)
    assert report.scale["band"] in {word for _, word in readability.AMSTAD}


def test_min_actionability_fails_check_below_it(tmp_path):
    settings = tmp_path / "clinic.toml"
    settings.write_text("min_actionability = 80\n")
    below = build_py(PLAIN / "prose.md", "--check", "--json", "--config", settings)
    assert below.returncode == 1, below.stderr
    data = json.loads(below.stdout)
    assert data["pemat"]["actionability"] < 80 and data["passed"] is False
    assert data["min_actionability"] == 80
    above = build_py(PLAIN / "steps.md", "--check", "--config", settings)
    assert above.returncode == 0, above.stdout + above.stderr
    assert "the clinic asks for actionability 80% or more" in above.stdout
    settings.write_text('min_actionability = "high"\n')
    bad = build_py(PLAIN / "steps.md", "--check", "--config", settings)
    assert bad.returncode != 0 and "min_actionability" in bad.stderr
    assert "Traceback" not in bad.stderr


def check(tmp_path, body, lang="en"):
    source = tmp_path / "leaflet.md"
    source.write_text(f"---\ntitle: T\nlang: {lang}\n---\n\n{body}")
    return check_essay(source, max_grade=30)


# Each rule: a text that has the problem (on the given line of the body) and the same
# text fixed. Lines count from the front matter (5 lines and a blank: body line 1 is 6).
CASES = {
    "passive": (
        "# Sleep\n\nYou are given a leaflet by the nurse.\n",
        "# Sleep\n\nThe nurse gives you a leaflet.\n",
        8,
    ),
    "uncommon": (
        "# Sleep\n\nAvoid soporific drinks at night.\n",
        "# Sleep\n\nAvoid drinks that make you sleepy at night.\n",
        8,
    ),
    "term": (
        "# Scans\n\nYou may need an MRI next week.\n",
        "# Scans\n\nYou may need an MRI (magnetic resonance imaging) scan next week.\n",
        8,
    ),
    "numbers": (
        "# Risks\n\nThe risk is 0.5 in most people.\n",
        "# Risks\n\nThe risk is small: 1 in 200 people.\n",
        8,
    ),
    "list": (
        "# Pack\n\n" + "".join(f"- item number {n}\n" for n in range(1, 9)),
        "# Pack\n\n" + "".join(f"- item number {n}\n" for n in range(1, 8)),
        8,
    ),
    "paragraph": (
        "# Walk\n\n" + "Walk a little today. " * 6 + "\n",
        "# Walk\n\n" + "Walk a little today. " * 5 + "\n",
        8,
    ),
    "heading": (
        "# Introduction\n\nWalk a little each day.\n",
        "# Why walking helps your back\n\nWalk a little each day.\n",
        6,
    ),
    "action": (
        "# Back pain\n\nBack pain is common. It often gets better.\n",
        "# Back pain\n\nBack pain is common. Keep moving gently.\n",
        6,
    ),
    "help": (
        "# Back pain\n\nKeep moving gently.\n",
        "# Back pain\n\nKeep moving gently. Call us if it is not better in a week.\n",
        6,
    ),
    "steps": (
        "# Ice\n\nWrap the ice. Hold it on the knee. Take it off after ten minutes.\n",
        "# Ice\n\n1. Wrap the ice.\n2. Hold it on the knee.\n3. Take it off after ten minutes.\n",
        8,
    ),
    "main": (
        "# Ice\n\nIce can help.\n\n## How\n\nWrap it.\n\n## When\n\nAfter a fall.\n",
        "# Ice\n\n**Ice can help.**\n\n## How\n\nWrap it.\n\n## When\n\nAfter a fall.\n",
        6,
    ),
    "summary": (
        "# Ice\n\nIce can help.\n\nWrap it.\n\nUse it after a fall.\n",
        "# Ice\n\nIce can help.\n\nWrap it.\n\n## Key points\n\nUse it after a fall.\n",
        12,
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_rule_finds_its_problem_and_not_the_fixed_text(tmp_path, kind):
    bad, good, line = CASES[kind]
    assert kind in rules.KINDS
    assert line in kinds_at(check(tmp_path, bad), kind), format_text(check(tmp_path, bad))
    assert kinds_at(check(tmp_path, good), kind) == [], format_text(check(tmp_path, good))


@pytest.mark.parametrize(
    "text, said",
    [
        ("About 20% of people get it.", '"20 out of 100 people"'),
        ("Take 1/2 of a tablet.", '"1 out of 2"'),
        ("You are 3 times more likely to fall.", "give both"),
        ("It affects 1 in 4 women and 1 in 10 men.", "mixed denominators"),
    ],
)
def test_numbers_are_said_in_words(tmp_path, text, said):
    report = check(tmp_path, f"# Risks\n\n{text}\n")
    messages = [p.message for p in report.problems if p.kind == "numbers"]
    assert len(messages) == 1 and said in messages[0], messages


def test_a_gloss_after_or_before_a_term_explains_it(tmp_path):
    glossed = (
        "# Blood flow\n\nPoor blood flow, called ischemia, causes cramp. "
        "A psychogenic pain (one caused by stress) is real.\n"
    )
    assert kinds_at(check(tmp_path, glossed), "term") == []


def test_passive_and_actions_are_not_judged_in_other_languages(tmp_path):
    report = check(tmp_path, "# Dormir\n\nEl folleto es dado por la enfermera.\n", "es")
    assert kinds_at(report, "passive") == [] and kinds_at(report, "action") == []
    items = {item["id"]: item["verdict"] for item in report.pemat["items"]}
    assert items[5] == items[20] == "reviewer"
    assert any("English only" in note for note in report.notes)


def test_the_build_measures_the_grade_only():
    report = check_essay(ESSAY, rules=False)
    assert report.pemat is None and report.problems == [] and report.grade == 12.7


def test_a_listed_acronym_is_one_term_with_its_plain_words(tmp_path):
    report = check(tmp_path, "# Pain relief\n\nYou can take NSAIDs for a few days.\n")
    terms = [p.message for p in report.problems if p.kind == "term"]
    assert len(terms) == 1 and "anti-inflammatory" in terms[0], terms


@pytest.mark.slow
def test_check_takes_at_most_half_a_default_build(tmp_path):
    import time

    def best(*args):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            build_py(ESSAY, *args)
            times.append(time.perf_counter() - start)
        return min(times)

    build = best("-o", tmp_path / "essay.pdf")
    check_time = best("--check", "--json")
    assert check_time <= 0.5 * build, (check_time, build)


def test_uncommon_words_are_not_judged_where_spaces_do_not_split_words():
    # Chinese between spaces is a phrase: every one would be "rare"
    report = check_essay(ROOT / "tests" / "scripts" / "zh-hugo-post.md")
    assert kinds_at(report, "uncommon") == []
    assert any("uncommon words not judged" in note for note in report.notes)
    items = {item["id"]: item["verdict"] for item in report.pemat["items"]}
    assert items[3] == "reviewer"  # no word list, no jargon list: a person judges it


# ---------- ordinary leaflet sentences the rules must leave alone (a fresh-eyes review) ----


def messages(report, kind):
    return [p.message for p in report.problems if p.kind == kind]


def test_a_word_in_capitals_for_emphasis_is_no_acronym(tmp_path):
    report = check(
        tmp_path, "Do NOT drive for 24 hours. You MUST stop eating. You may need an MRI.\n"
    )
    terms = messages(report, "term")
    assert len(terms) == 1 and terms[0].startswith('"MRI" is not spelled out'), terms


def test_readings_and_rotas_are_no_fractions(tmp_path):
    report = check(tmp_path, "Keep it under 140/90. We answer 24/7. Take 1/2 a tablet.\n")
    said = messages(report, "numbers")
    assert len(said) == 1 and said[0].startswith('fraction "1/2"'), said


def test_a_decimal_comma_language_reads_its_own_numbers(tmp_path):
    body = (
        "Nehmen Sie 2,5 ml Saft. Bei 1.000 Patienten. Termin um 10.30 Uhr. Es hilft 3,5 von 10.\n"
    )
    said = messages(check(tmp_path, body, lang="de"), "numbers")
    assert any('"3,5"' in m for m in said), said
    assert not any("1.000" in m or "10.30" in m for m in said), said


def test_a_percentage_is_said_once_not_also_as_a_decimal(tmp_path):
    said = messages(check(tmp_path, "It works for 99.9% of people.\n"), "numbers")
    assert len(said) == 1 and said[0].startswith('percentage "99.9%"'), said


def test_states_are_not_passive(tmp_path):
    body = "The clinic is closed on Sundays. Our team is based in Leeds. It may be bruised.\n"
    assert messages(check(tmp_path, body), "passive") == []
    assert messages(check(tmp_path, "The tablets were given by the nurse.\n"), "passive")


def test_emergency_lines_are_help(tmp_path):
    for line in ("In an emergency, phone 999.", "Seek medical advice straight away if it swells."):
        assert messages(check(tmp_path, f"Rest your leg.\n\n{line}\n"), "help") == [], line


def test_two_lists_side_by_side_are_two_lists(tmp_path):
    steps = "".join(f"{n}. Step {n}\n" for n in range(1, 10))
    bullets = "".join(f"- Thing {n}\n" for n in range(1, 9))
    report = check(tmp_path, f"Do this:\n\n{steps}\nBring these:\n\n{bullets}")
    said = messages(report, "list")
    assert sorted(said) == sorted(
        [
            "list of 9 items: split it into groups of 7 or fewer, each under a short heading",
            "list of 8 items: split it into groups of 7 or fewer, each under a short heading",
        ]
    ), said


def test_a_summary_in_the_front_matter_is_a_summary(tmp_path):
    source = tmp_path / "leaflet.md"
    body = "Rest.\n\nMove a little each day.\n\nWalk more each week.\n\nCall us if it hurts.\n"
    source.write_text(f"---\ntitle: T\nlang: en\n---\n\n{body}")
    assert messages(check_essay(source, max_grade=30), "summary")
    source.write_text(f"---\ntitle: T\nlang: en\nsummary: Rest, then move.\n---\n\n{body}")
    assert messages(check_essay(source, max_grade=30), "summary") == []
