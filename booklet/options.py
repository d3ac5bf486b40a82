"""The command's options, with the clinic settings' defaults, as one build Request."""

import math
from dataclasses import dataclass
from pathlib import Path

import click

from .editions import DEFAULT_LOG_PAGES, MAX_GRADE


@dataclass(frozen=True)
class Defaults:
    """Where a run looks when the command line does not say: essay, settings, outputs."""

    folder: Path  # what paths are said relative to, and where dist/ goes
    sources: tuple  # what to build with no SOURCE, in the order looked for
    configs: tuple  # settings files looked for with no --config, in that order
    installed: bool = False  # the `booklet` command, not this checkout's build.py

    @classmethod
    def checkout(cls, root):
        """`python build.py` in this checkout: content/essay.md, content/clinic.toml, dist/."""
        root = Path(root)
        content = root / "content"
        return cls(root, (content / "essay.md",), (content / "clinic.toml",))

    @classmethod
    def working_folder(cls, folder=None):
        """`booklet` anywhere: the working folder's handouts/ (a library) or content/essay.md,
        its clinic.toml (or content/clinic.toml), and ./dist/."""
        folder = Path(folder or Path.cwd())
        content = folder / "content"
        return cls(
            folder,
            (folder / "handouts", content / "essay.md"),
            (folder / "clinic.toml", content / "clinic.toml"),
            installed=True,
        )

    @property
    def dist(self):
        return self.folder / "dist"

    def source(self):
        """The default SOURCE: the first of `sources` there is; a usage error when none is."""
        for path in self.sources:
            if path.exists():
                return path
        if not self.installed:
            return self.sources[-1]  # build.py names the missing essay in its error
        looked = " or ".join(str(_shown(path, self.folder)) for path in self.sources)
        raise click.UsageError(
            f"nothing to build here: no SOURCE given and no {looked} in {self.folder} "
            "(start a project with `booklet new FOLDER`)"
        )

    def config(self):
        """The settings file used with no --config, or None."""
        return next((path for path in self.configs if path.is_file()), None)


def _shown(path, folder):
    try:
        return Path(path).relative_to(folder)
    except ValueError:
        return Path(path)


def load_settings(config, defaults):
    """The clinic settings: --config, else the first default settings file there is."""
    from .settings import load_clinic

    return load_clinic(config if config is not None else defaults.config())


def target_grade(clinic, max_grade):
    """The reading grade to meet: --max-grade, else the settings', else the default."""
    if max_grade is not None:
        if not math.isfinite(max_grade):
            raise click.BadParameter(
                "must be a reading grade, 0 or more", param_hint="'--max-grade'"
            )
        return max_grade
    return clinic.max_grade if clinic.max_grade is not None else MAX_GRADE


def check_log_name(log, templates):
    """--log naming no shipped preset is a usage error (a path is read when building)."""
    from .errors import closest
    from .logbook import is_preset_name, preset_names, presets_folder

    names = preset_names(presets_folder(templates))
    if is_preset_name(log) and log not in names:
        near = closest(log, names)
        hint = f"did you mean '{near}'? " if near else ""
        raise click.BadParameter(
            f"no shipped log named '{log}' ({hint}shipped: {', '.join(names)}; "
            "or give the path of a .toml definition)",
            param_hint="'--log'",
        )


def output_path(source, output, defaults):
    """The reading copy's path: -o (a .pdf, or an existing folder), else dist/<stem>.pdf."""
    if output is None:
        return defaults.dist / f"{source.stem}.pdf"
    if output.is_dir() and output.suffix.lower() != ".pdf":
        return output / f"{source.stem}.pdf"  # a folder: the PDF goes in it
    if output.suffix.lower() != ".pdf":  # `-o essay.md` would overwrite the essay
        raise click.BadParameter(
            f"{output} is not a .pdf name: name the PDF to write, or an existing folder",
            param_hint="'-o' / '--output'",
        )
    return output


def outputs(output, clinic, editions, paper, large_print, impose):
    """The files to write: named editions, the settings' editions, or the contract's flags."""
    from .pipeline import outputs_for_editions, outputs_for_flags

    defaults = clinic.defaults
    if editions:
        return outputs_for_editions(output, editions)
    if not (paper or large_print or impose) and defaults.get("editions"):
        return outputs_for_editions(output, defaults["editions"])
    paper = (paper or defaults.get("paper", "a4")).lower()
    if large_print is None and defaults.get("large_print") and impose:
        raise click.UsageError(
            f"{clinic.path} sets large_print = true, whose pages are already sheet-sized: "
            "print the reading copy double-sided instead of --impose (or pass "
            "--config with other settings)."
        )
    if large_print is None:
        large_print = defaults.get("large_print", False)
    if large_print and impose:
        raise click.UsageError(
            "--large-print pages are already sheet-sized; print the reading copy "
            "double-sided instead of --impose."
        )
    return outputs_for_flags(output, paper, large_print, impose)


def make_request(
    defaults,
    source,
    output,
    episode_log,
    log_pages,
    impose,
    paper,
    large_print,
    config,
    templates,
    strict,
    max_size,
    allow,
    editions,
    allow_missing_glyphs=False,
    max_grade=None,
    log=None,
):
    """Turn the options, with the clinic settings' defaults, into a build request."""
    from .pipeline import Request
    from .render import TEMPLATES

    clinic = load_settings(config, defaults)
    settings = clinic.defaults
    templates = (templates or TEMPLATES).resolve()
    if log is not None:
        check_log_name(log, templates)
    refused = episode_log is False  # --no-episode-log: not even a log the essay names
    if episode_log is None:
        episode_log = settings.get("episode_log", False) or log_pages is not None or log is not None
    if log_pages is None:
        log_pages = settings.get("log_pages", DEFAULT_LOG_PAGES)
    output = output_path(source, output, defaults)
    return Request(
        source=source,
        clinic=clinic,
        outputs=outputs(output, clinic, editions, paper, large_print, impose),
        log_pages=log_pages if episode_log else 0,
        log_if_named=0 if refused else log_pages,
        strict=strict,
        allow_missing_glyphs=allow_missing_glyphs,
        templates=templates,
        max_bytes=max_size,
        allow=tuple(folder.resolve() for folder in allow) + clinic.allow,
        max_grade=target_grade(clinic, max_grade),
        log=log,
    )
