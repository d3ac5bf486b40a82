"""Render the essay and clinic details through the Jinja templates into one HTML document."""

import functools
import traceback
from pathlib import Path

from . import __version__
from .errors import TemplateError
from .paths import templates_folder

TEMPLATES = templates_folder()
FACES = "<!-- booklet: the font faces this document needs -->"


def qr_code(website):
    """The website as an SVG QR code data URI, or '' when there is no website."""
    if not website:
        return ""
    import segno

    return segno.make(website, error="m").svg_data_uri(dark="#111111", border=0)


def _bytecode_cache():
    """Jinja's cache of compiled templates in the user's own temporary folder, or None.

    Compiling the five templates is ~30 ms of every build; Jinja keys each cached one by
    its file and checks its source, so an edited template is compiled again. A cache
    that cannot be made or written is none: the build goes on without it.
    """
    import jinja2

    class Quiet(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket):
            try:
                super().load_bytecode(bucket)
            except (OSError, EOFError, ValueError):  # unreadable, or cut short
                bucket.reset()

        def dump_bytecode(self, bucket):
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    try:
        return Quiet()
    except (OSError, RuntimeError):  # no temporary folder, or one not safely ours
        return None


@functools.lru_cache(maxsize=4)
def make_environment(templates_dir):
    """A Jinja environment that escapes everything and refuses undefined names.

    Kept between builds (--watch, editions): Jinja recompiles a template only when its
    file changes; between runs, compiled templates come from Jinja's bytecode cache.
    """
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )


def render_html(
    essay,
    clinic,
    edition,
    log_pages=0,
    templates_dir=TEMPLATES,
    log=None,
    language=None,
    link_stylesheets=True,
):
    """Fill templates/booklet.html; return the HTML text.

    `link_stylesheets`: whether the edition's stylesheets are <link>ed (False: the build
    gives them to WeasyPrint already parsed, booklet.layout.shared_stylesheets).

    `log` is the LogDefinition the log's pages are laid out from (None: the default preset);
    `language` the Language whose catalogue gives the booklet's own words (None: the
    essay's, chosen here).
    """
    import jinja2
    from markupsafe import Markup

    if log_pages and log is None:
        from .logbook import default_log

        log = default_log()
    templates_dir = Path(templates_dir).resolve()
    if language is None:
        from .language import choose_language

        language, _ = choose_language(essay.language, templates_dir)
    environment = make_environment(templates_dir)
    if language.translations is None:
        environment.install_null_translations(newstyle=True)
    else:
        environment.install_gettext_translations(language.translations, newstyle=True)
        if log is not None:  # the shipped logs' words are in the catalogues too
            log = log.translated(language.translations.gettext)
    qr = qr_code(clinic.website)
    try:
        template = environment.get_template("booklet.html")
        text = template.render(
            essay=essay,
            # The one place the essay's HTML is trusted: Markdown made it, raw HTML escaped.
            essay_html=Markup(essay.html),
            clinic=clinic,
            edition=edition,
            log_pages=log_pages,
            log=log,
            language=language,
            qr_code=qr,
            templates_url=templates_dir.as_uri() + "/",
            linked_stylesheets=edition.stylesheets if link_stylesheets else (),
            version=__version__,
            font_faces=Markup(FACES),
        )
    except jinja2.TemplateNotFound as error:
        raise TemplateError(f"template not found: {error.name}", templates_dir) from None
    except jinja2.TemplateSyntaxError as error:
        path = Path(error.filename) if error.filename else templates_dir / str(error.name)
        raise TemplateError(f"template syntax error: {error.message}", path, error.lineno) from None
    except (jinja2.UndefinedError, TypeError, AttributeError, ValueError) as error:
        path, line = _template_frame(error, templates_dir)
        raise TemplateError(f"template error: {error}", path, line) from None
    return _with_faces(text, templates_dir)


def _with_faces(text, templates_dir):
    """The document with the @font-face rules of the scripts it holds, and no others.

    WeasyPrint copies every registered face for fontconfig: a Latin booklet must not
    pay for the CJK face it never draws.
    """
    from .glyphs import font_faces

    if FACES not in text:  # a booklet.html without {{ font_faces }}: before </head>
        text = text.replace("</head>", FACES + "\n</head>", 1)
    faces = font_faces(text.replace(FACES, ""), templates_dir)
    return text.replace(FACES, f"<style>\n{faces}\n</style>" if faces else "", 1)


def _template_frame(error, templates_dir):
    """The innermost template file and line an exception passed through."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename and Path(frame.filename).parent == templates_dir:
            return Path(frame.filename), frame.lineno
    return templates_dir / "booklet.html", None
