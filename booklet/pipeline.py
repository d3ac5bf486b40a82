"""The build: read the essay, render the templates, lay out pages, write the PDFs."""

from dataclasses import dataclass
from pathlib import Path

from .editions import DEFAULT_PAPER, EDITIONS, MAX_BYTES, Edition
from .errors import BookletError, ConfigError, RenderError
from .language import choose_language
from .render import TEMPLATES
from .timings import stage


@dataclass(frozen=True)
class Output:
    """One file to write: a reading copy, or print sheets imposed from one."""

    path: Path
    edition: Edition = Edition()
    sheets: bool = False

    @property
    def kind(self):
        return "print sheets" if self.sheets else "reading copy"


@dataclass(frozen=True)
class Request:
    """Everything one build needs, as plain values."""

    source: Path
    clinic: object
    outputs: tuple = ()
    log_pages: int = 0
    log_if_named: int = 0  # log pages when the essay's front matter names a log (0: refused)
    strict: bool = False
    templates: Path = TEMPLATES
    max_bytes: int = MAX_BYTES
    allow: tuple = ()  # folders the build may read besides the essay's, templates and settings
    log: str | None = None  # --log: a shipped log's name, or a definition's path
    max_grade: float | None = None  # measure the reading level against this; None: do not
    allow_missing_glyphs: bool = False  # text no shipped face draws: a warning, not an error


@dataclass(frozen=True)
class LaidOut:
    """The PDFs of a build before they are written, and what the build learned."""

    files: dict  # {path: bytes}
    described: list  # [(path, pages, kind)]
    warnings: list
    inputs: frozenset  # every file the build read
    essay: object  # the Essay: its title, language, the files it names that are missing


@dataclass(frozen=True)
class Built:
    """What a build wrote, what it warned about, and every file it read (or looked for)."""

    written: list
    warnings: list
    inputs: frozenset
    reading: object = None  # the readability report, when the request asked for one
    title: str = ""
    language: str = ""
    missing: tuple = ()  # files the essay names that were not there


@dataclass(frozen=True)
class Written:
    """One file the build wrote."""

    path: Path
    pages: int
    size: int
    kind: str


def print_path(output):
    """Where the print sheets go: beside the reading copy, `<stem>-print.pdf`."""
    output = Path(output)
    return output.with_name(f"{output.stem}-print.pdf")


def outputs_for_flags(output, paper=DEFAULT_PAPER, large_print=False, impose=False):
    """The files the contract's flags ask for: the reading copy, and sheets with --impose."""
    edition = Edition(paper, large_print)
    outputs = [Output(Path(output), edition)]
    if impose:
        outputs.append(Output(print_path(output), edition, sheets=True))
    return tuple(outputs)


def outputs_for_editions(output, names):
    """One file per named edition, each `<output stem><suffix>.pdf`."""
    output = Path(output)
    return tuple(
        Output(output.with_name(f"{output.stem}{named.suffix}.pdf"), named.edition, named.sheets)
        for named in (EDITIONS[name] for name in dict.fromkeys(names))
    )


def font_configuration():
    """One font configuration for every edition and rebuild: fonts are loaded once."""
    from .startup import import_weasyprint

    return import_weasyprint().text.fonts.FontConfiguration()


def build_pdfs(request, font_config=None):
    """Lay out each distinct edition once; a LaidOut back.

    Print sheets are imposed from the laid-out reading pages, never rendered again.
    """
    with stage("imports: WeasyPrint, Markdown, Jinja"):
        _import_libraries()
    from .essay import read_essay

    with stage("reading: front matter, Markdown, sanitiser"):
        essay = read_essay(
            request.source,
            request.max_bytes,
            allowed=_roots(request, request.source),
            toc_depth=request.clinic.toc_depth,
        )
    with stage("language, log"):
        language, unspoken = choose_language(essay.language, request.templates)
    notes = [*essay.warnings, *([f"{essay.path}: {unspoken}"] if unspoken else [])]
    with stage("glyph check"):
        notes += _glyph_warnings(essay, request)  # raises for a script no face draws
    if request.strict and notes:
        raise RenderError(f"{notes[0]} (--strict)")
    # An essay that names its log gets it, unless --no-episode-log said no.
    log_pages = request.log_pages or (request.log_if_named if essay.log else 0)
    with stage("language, log"):
        log, log_files = choose_log(request, essay, log_pages)
    font_config = font_config or font_configuration()
    editions = list(dict.fromkeys(output.edition for output in request.outputs))
    job = (essay, request, font_config, log, language, log_pages)
    if len(editions) > 1:
        parse_stylesheets([request])  # once, here: the forked workers inherit them
        laid_out = _in_parallel(job, editions)
    else:
        laid_out = [_edition_pdf(job, editions[0])]
    readings, warnings = {}, notes
    inputs = {essay.path.resolve(), *log_files} | (
        {request.clinic.path.resolve()} if request.clinic.path else set()
    )
    for edition, (data, pages, edition_warnings, read) in zip(editions, laid_out, strict=True):
        readings[edition] = (data, pages)
        warnings += edition_warnings
        inputs.update(read)
    files, described = {}, []
    for output in request.outputs:
        edition = output.edition
        data, pages = readings[edition]
        if output.sheets:
            from .impose import impose, sheet_sides

            with stage("print sheets (impose)"):
                files[output.path] = impose(
                    data, edition.sheet_size, essay.title, language.direction == "rtl"
                )
            described.append((output.path, len(sheet_sides(pages)), output.kind))
        else:
            files[output.path] = data
            described.append((output.path, pages, output.kind))
    return LaidOut(files, described, list(dict.fromkeys(warnings)), frozenset(inputs), essay)


def _edition_pdf(job, edition):
    """Lay out and write one edition: (PDF bytes, pages, warnings, files read)."""
    from .layout import lay_out, write_pdf
    from .render import render_html

    essay, request, font_config, log, language, log_pages = job
    folder = essay.path.resolve().parent
    roots = _roots(request, essay.path)
    with stage("CSS: stylesheets, cascade"):
        sheets = edition_stylesheets(request, edition)
    with stage("render (Jinja)"):
        html = render_html(
            essay,
            request.clinic,
            edition,
            log_pages,
            request.templates,
            log,
            language,
            link_stylesheets=sheets is None,
        )
    with stage("layout"):
        layout = lay_out(html, folder.as_uri() + "/", roots, essay.path, font_config, sheets or ())
    with stage("write: PDF objects"):
        data = write_pdf(layout)
    warnings = _messages(layout.problems, essay, request, layout.read)
    return data, len(layout.document.pages), warnings, layout.read


def edition_stylesheets(request, edition):
    """The edition's stylesheets, parsed once a process (None: the HTML links them)."""
    from .layout import shared_stylesheets

    return shared_stylesheets([request.templates / name for name in edition.stylesheets])


def parse_stylesheets(requests):
    """Parse the stylesheets the requests' editions use before workers are forked."""
    for request in requests:
        for edition in dict.fromkeys(output.edition for output in request.outputs):
            edition_stylesheets(request, edition)


def _import_libraries():
    """WeasyPrint, Markdown and Jinja, which every build uses, imported in one place (timed)."""
    import jinja2  # noqa: F401

    from .hyphenation import keep_patterns
    from .startup import import_markdown, import_weasyprint
    from .timings import install

    import_markdown()
    import_weasyprint()
    keep_patterns()
    install()
    if not _FROZEN:
        import gc

        # What the imports made lives as long as the process: the garbage collector
        # need not walk it again at every full collection during layout (~0.1 s).
        # Once: in --watch and a library, later builds' garbage must stay collectable.
        gc.freeze()
        _FROZEN.append(True)


_FROZEN = []  # gc.freeze() done


def _glyph_warnings(essay, request):
    """Warnings for what of the essay or the clinic's details no shipped face draws.

    Text of a script no face has is an error (RenderError) unless --allow-missing-glyphs
    makes it a warning: a booklet of empty boxes is never written silently.
    """
    from .glyphs import messages
    from .settings import line_of_key

    errors, warnings = messages(essay.source, essay.path, request.templates)
    clinic = request.clinic
    if clinic.path:
        settings = clinic.path.read_text(encoding="utf-8", errors="replace")
        for key in ("name", "address", "phone", "edition", "disclaimer"):
            first = line_of_key(settings, key) or 1
            more = messages(str(getattr(clinic, key)), clinic.path, request.templates, first)
            errors += more[0]
            warnings += more[1]
    if errors and not request.allow_missing_glyphs:
        others = f" ({len(errors) - 1} more scripts too)" if len(errors) > 1 else ""
        raise RenderError(
            f"{errors[0]}; add a face, or build anyway with --allow-missing-glyphs{others}"
        )
    shown = [
        f"{error}: a system font draws it if the computer has one, else it prints as "
        "empty boxes (--allow-missing-glyphs)"
        for error in errors
    ]
    return shown + warnings


def _roots(request, essay_path):
    """The folders a build may read: the essay's, the templates, the settings' and --allow."""
    folder = Path(essay_path).resolve().parent
    roots = [folder, Path(request.templates), request.clinic.folder, *request.allow]
    return tuple(root for root in roots if root is not None)


def choose_log(request, essay, log_pages):
    """The log's definition and the files it was read from; (None, ()) with no log.

    --log wins, then the essay's front matter `log:` (from the essay's folder), then the
    settings' `log` (from the settings' folder), then the default preset. A path named
    in the essay or the settings must lie in a folder the build may read.
    """
    if not log_pages:
        return None, ()
    from .errors import LogError
    from .lines import line_of
    from .logbook import DEFAULT_LOG, presets_folder, read_log, resolve_log
    from .settings import key_line

    presets = presets_folder(request.templates)
    settings = request.clinic.defaults.get("log")
    named, where = essay.log, None
    if request.log:
        path = resolve_log(request.log, Path.cwd(), folder=presets)
    elif named:
        where = (essay.path, line_of(essay.source, r"^log\s*[:=]"))  # YAML or TOML
        path = resolve_log(named, essay.path.resolve().parent, where, presets)
        roots = _roots(request, essay.path)
        if not any(path.is_relative_to(Path(root).resolve()) for root in roots):
            raise LogError(f"'log' must be a file the build may read: {named}", *where)
    elif settings:
        clinic = request.clinic.path
        where = (clinic, key_line(clinic, "log"))
        path = resolve_log(settings, clinic.resolve().parent, where, presets)
        roots = [clinic.resolve().parent, Path(request.templates), *request.allow]
        if not any(path.is_relative_to(Path(root).resolve()) for root in roots):
            raise LogError(f"'log' must be a file in the settings folder: {settings}", *where)
    else:
        path = presets / f"{DEFAULT_LOG}.toml"
    if where and not path.exists():  # said against the line that names it, not the file
        raise LogError(f"'log' {named or settings}: log definition not found", *where)
    return read_log(path), (path.resolve(),)


def _messages(problems, essay, request, read=()):
    """Each problem as one line naming the file and line it comes from.

    A problem with the clinic's logo is an error in the settings; with --strict every
    problem is an error; otherwise they are warnings and the build goes on. A reference
    inside an SVG the essay shows (among the files `read`) names the SVG and its line,
    and the essay line that shows it.
    """
    if not problems:
        return []
    from .lines import locate
    from .settings import key_line

    clinic = request.clinic
    templates = sorted(p for p in Path(request.templates).iterdir() if p.is_file())
    messages = []
    for problem in problems:
        if clinic.logo and problem.ref == clinic.logo.as_uri():
            line = key_line(clinic.path, "logo")
            raise ConfigError(f"'logo' {clinic.logo.name}: {problem.reason}", clinic.path, line)
        path, line, written = locate(problem.ref, [essay.path, *templates])
        shown = ""
        if path is None and (svgs := [p for p in read if Path(p).suffix.lower() == ".svg"]):
            path, line, written = locate(problem.ref, svgs)
            if path is not None:
                _, at, _ = locate(path.as_uri(), [essay.path])
                shown = f" (in the image {path.name}, shown at {essay.path}:{at or '?'})"
        where = f"{path or essay.path}:{line}: " if line else f"{path or essay.path}: "
        message = where + _describe(problem, written) + shown
        if request.strict:
            raise RenderError(f"{message} (--strict)")
        messages.append(message)
    return messages


def _describe(problem, written):
    """What went wrong, naming the reference as the author wrote it."""
    from .fetcher import NOT_FOUND, REFUSED

    if problem.reason == NOT_FOUND:
        return f"{problem.what} not found: {written}"
    if problem.reason in REFUSED:
        return f"refused to read {written}: {problem.reason}"
    if not problem.ref or problem.what == "layout":  # says itself; its ref only locates it
        return problem.reason
    return f"{problem.what} {written} cannot be used: {problem.reason}"


def _edition_in_worker(job, edition):
    """An edition laid out in a worker; a failure comes back as a value, raised here after."""
    try:
        return True, _edition_pdf(job, edition)
    except Exception as error:
        return False, error


def _in_parallel(job, editions):
    """Lay out editions on all cores: forked workers share the parent's imports and fonts."""
    from .workers import map_unordered

    # `job` holds the fonts: inherited by the forked workers, never pickled.
    results = dict(map_unordered(_edition_in_worker, [(e,) for e in editions], shared=job))
    for done, value in results.values():
        if not done:
            raise value
    return [results[index][1] for index in range(len(editions))]


def build(request, font_config=None):
    """Build and write atomically."""
    from .output import write_files

    laid = build_pdfs(request, font_config)
    # The reading level is measured here, in this process, after the layout: not on the
    # other core beside it, which saved wall time only while that core was idle and
    # cost CPU (a fork, imports twice) and wall time whenever it was not (README).
    report = None
    if request.max_grade is not None:
        try:  # before writing: a file that appears means a finished build
            report = _reading_level(request, laid.essay.source)
        except BookletError as error:  # a booklet with no prose to measure is still one
            laid.warnings.append(f"{error.format_message()} (reading level not measured)")
    with stage("write files"):
        write_files(laid.files)
    written = [
        Written(path, pages, len(laid.files[path]), kind) for path, pages, kind in laid.described
    ]
    essay = laid.essay
    return Built(
        written, laid.warnings, laid.inputs, report, essay.title, essay.language, essay.missing
    )


def _reading_level(request, text):
    """The essay's readability report, measured against the request's target.

    `text` is the essay as the build read it: the file is not read again.
    """
    from .readability import check_essay

    clinic = request.clinic
    with stage("reading level"):
        return check_essay(  # the grade only: the rules are for --check
            request.source,
            request.max_grade,
            clinic.jargon,
            max_bytes=request.max_bytes,
            text=text,
            rules=False,
        )
