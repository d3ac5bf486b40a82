"""Run both PDF/UA-1 checkers over booklets (default dist/*.pdf, print sheets excepted)."""

import sys
from pathlib import Path

import outloud
import page

ROOT = Path(__file__).resolve().parent.parent


def main(paths):
    paths = [Path(p) for p in paths] or sorted((ROOT / "dist").glob("*.pdf"))
    paths = [p for p in paths if not p.stem.endswith("-print")]  # imposed sheets: not tagged
    failed = 0
    for path in paths:
        report = page.validate_pdf(str(path), profile=page.ValidationProfile.PDF_UA_1)
        result = outloud.check(str(path))
        warnings = sorted({f.rule for f in result.findings if f.severity == "warning"})
        errors = [f for f in result.findings if f.severity == "error"]
        print(
            f"{path.name}: page-validation {len(report.failures)} failure(s); "
            f"outloud {result.errors} error(s), {result.warnings} warning(s)"
            + (f" ({', '.join(warnings)})" if warnings else "")
        )
        for failure in report.failures:
            print(f"  page-validation {failure.rule_id}: {failure.message}")
        for finding in errors:
            print(f"  outloud {finding.rule}: {finding.message}")
        failed += bool(report.failures or errors or result.error)
    print(f"{len(paths) - failed} of {len(paths)} booklet(s) pass both checkers")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
