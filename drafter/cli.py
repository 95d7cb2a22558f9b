"""Command line: `drafter new`, `drafter provinces`, `drafter check`.

Errors print as one block (what, where, what to do) and exit 1 (data) or 2 (usage); `--debug`
shows the traceback too."""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import replace
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__, pipeline, provenance, selection
from .errors import DataError, DrafterError, UsageError
from .writer import ensure_writable, publish

if TYPE_CHECKING:
    from .resolve import DocRef


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        from dateutil import parser as dateparser  # imported here: it costs every run ~40 ms

        return dateparser.isoparse(value).date()
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2023-12-15") from None


DOC_REF = re.compile(r"\s*(?:số\s+)?(\d+/[0-9A-Za-zĐđ.\-]+)\s*(?:,|;|\s)\s*(?:ngày\s+)?"
                     r"(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\s*")


def doc_ref(value: str, option: str, symbol: str) -> DocRef:
    """"125/TTr-SNV 2023-12-10" (or "… ngày 10/12/2023") as a document reference; else a usage error."""
    from .resolve import DocRef

    example = {"TTr": "125/TTr-SNV 2023-12-10", "QĐ": "1256/QĐ-UBND 2022-12-22", "KH": "125/KH-UBND 2026-12-10"}[symbol]
    found = DOC_REF.fullmatch(unicodedata.normalize("NFC", value))
    hint = f'give the number/symbol and the date, e.g. {option} "{example}" (or "… ngày DD/MM/YYYY")'
    if not found or f"/{symbol}" not in found.group(1):
        what = {"TTr": "Tờ trình", "QĐ": "Quyết định", "KH": "Kế hoạch"}[symbol]
        raise UsageError(f"'{value}' is not a {what} number and date",
                         option, hint)
    number, when = found.groups()
    try:
        if "-" in when:
            day = dt.date.fromisoformat(when)
        else:
            d, m, y = (int(x) for x in when.split("/"))
            day = dt.date(y, m, d)
    except ValueError:
        raise UsageError(f"'{when}' is not a date", option, hint) from None
    return DocRef(number=number, date=day)


def _nfc(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return unicodedata.normalize("NFC", value) if value is not None else None


def slug(name: str) -> str:
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def commune_unit(ctx):
    """The commune whose plan `ctx` is (drafter.communes.Commune), or None for a province's plan."""
    if not ctx.commune:
        return None
    from . import communes

    return communes.units().commune(int(ctx.commune))


def commune_stem(unit) -> str:
    """A commune plan's file name stem: its code and its name, "21211-xa-tinh-khe" (unique, stable)."""
    return f"{unit.code_text}-{slug(unit.title)}"


def plan_dates(year: int, doc_date: dt.date | None, as_of: dt.date | None) -> None:
    """Refuse a year outside 2021–2030, and a date that cannot belong to the plan for `year`: it is
    signed (--date) in year N−1 or the first quarter of N, and drafted (--as-of) in N−1 or N."""
    selection.check_year(year)
    first = dt.date(year - 1, 1, 1)
    for value, option, last, what, when in (
            (doc_date, "--date", dt.date(year, 3, 31), "the signing date", "signed in year N−1 or by 31 March of N"),
            (as_of, "--as-of", dt.date(year, 12, 31), "the drafting date", "drafted in year N−1 or during year N")):
        if value is not None and not first <= value <= last:
            raise UsageError(f"{value:%Y-%m-%d} cannot be {what} of the plan for {year}: a plan for year N is {when}",
                             option, f"give {option} from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
                             + (", or leave it out to leave the date blank for the clerk" if option == "--date"
                                else f", or leave it out (default {selection.default_as_of(year):%Y-%m-%d})"))


def issue_refs(year: int, doc_date: dt.date | None, as_of: dt.date | None, proposal: str | None,
               replaces: str | None) -> tuple[DocRef | None, DocRef | None]:
    """The Tờ trình a QĐ answers and the QĐ it replaces, checked against the plan's dates: a Tờ trình
    comes before the QĐ is signed; the QĐ replaced was signed by the drafting date."""
    when = as_of or doc_date or selection.default_as_of(year)
    tt = doc_ref(proposal, "--proposal", "TTr") if proposal else None
    old = doc_ref(replaces, "--replaces", "QĐ") if replaces else None
    if tt and doc_date and tt.date > doc_date:
        raise UsageError(f"the Tờ trình of {tt.date:%d/%m/%Y} is dated after the QĐ's date {doc_date:%d/%m/%Y}",
                         "--proposal", "check the Tờ trình's date, or --date")
    if old and old.date > when:
        raise UsageError(f"Quyết định {old.number} of {old.date:%d/%m/%Y} is dated after the drafting date "
                         f"{when:%d/%m/%Y}: a QĐ can only replace one already signed", "--replaces",
                         "check its number and date, or give --as-of")
    return tt, old


def parent_plan(year: int, doc_date: dt.date | None, as_of: dt.date | None, parent: str | None) -> DocRef | None:
    """The province's plan a commune's plan implements (--parent), checked against the plan's dates: it is
    issued in year N−1 or N, and before the commune's plan is drafted and signed."""
    if parent is None:
        return None
    ref = doc_ref(parent, "--parent", "KH")
    if not dt.date(year - 1, 1, 1) <= ref.date <= dt.date(year, 12, 31):
        raise UsageError(f"Kế hoạch {ref.number} of {ref.date:%d/%m/%Y} cannot be the province's plan for {year}: "
                         f"that plan is issued in {year - 1} or {year}", "--parent", "check its number and date")
    for value, option in ((doc_date, "--date"), (as_of, "--as-of")):
        if value is not None and ref.date > value:
            raise UsageError(f"the province's Kế hoạch {ref.number} of {ref.date:%d/%m/%Y} is dated after {option} "
                             f"{value:%d/%m/%Y}: the plan implements a plan already issued", "--parent",
                             f"check its date, or give {option} on or after it")
    return ref


def commune_options(form: str | None, proposal: str | None, replaces: str | None) -> None:
    """Refuse the options of a province's plan with --commune."""
    for value, option in ((form, "--form"), (proposal, "--proposal"), (replaces, "--replaces")):
        if value is not None:
            raise UsageError(f"{option} belongs to a province's plan; a commune's plan has one form (a KH of its "
                             f"Ủy ban nhân dân)", option, f"leave {option} out with --commune")


def agency_options(agency: str | None, dept_kind: str | None, commune: str | None, province: str | None,
                   form: str | None, proposal: str | None, replaces: str | None) -> None:
    """--kind goes with --agency; a department's plan is not a commune's, has one form, and needs its province."""
    if dept_kind is not None and agency is None:
        raise UsageError("--kind belongs to a department's plan", "--kind",
                         'add --agency NAME (e.g. --agency "Sở Khoa học và Công nghệ"), or leave --kind out; a '
                         "province's plan takes --form")
    if agency is None:
        return
    if commune is not None:
        raise UsageError("--agency and --commune draft different plans", "--agency", "give one of them")
    if province is None:
        raise UsageError("a department's plan needs its province", "--province",
                         'e.g. drafter new --agency "Sở Nội vụ" --province "Quảng Ngãi" --year 2027')
    for value, option in ((form, "--form"), (proposal, "--proposal"), (replaces, "--replaces")):
        if value is not None:
            raise UsageError(f"{option} belongs to a province's plan; a department's plan is a KH of the "
                             f"department", option, f"leave {option} out with --agency (its kind: --kind)")


def agency_stem(ctx, profile) -> str:
    """A department plan's file name stem: its abbreviation and its province, "skhcn-quang-ngai"."""
    return f"{slug(ctx.agency_abbr or ctx.agency)}-{slug(profile.name)}"


def require_basis(ctx, doc_date: dt.date | None, as_of: dt.date | None) -> None:
    """A plan cites at least one legal basis (Căn cứ / Thực hiện): refuse a drafting date on which none
    of the instruments its rules cite was in force."""
    if ctx.preamble or ctx.agency:
        return
    message = (f"the plan for {ctx.year} drafted on {ctx.as_of:%d/%m/%Y} would cite no legal basis (Căn cứ): "
               f"none of the instruments its rules cite was in force on that day")
    if as_of or doc_date:
        raise UsageError(message, "--as-of" if as_of else "--date",
                         f"give a later date; plans for {ctx.year} are drafted in December {ctx.year - 1} (the default)")
    raise DataError(message, None, "add the instruments in force then to legal_refs/ and cite them in the rule pack")


def _fail(exc: DrafterError, debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exc()
    click.echo(f"drafter: error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, UsageError) else 1)


DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Data folder laid out like the repository (rulepacks/, legal_refs/, templates/). "
                             "Default: the data shipped with drafter.")
DEBUG = click.option("--debug", is_flag=True, help="Show the Python traceback of an error.")
LAYERS = click.option("--layers", "layers", type=click.Path(path_type=Path), default=None,
                      help="Folder of local layers written by `drafter import`. Default: ./drafter-layers when "
                           "it exists.")


def load_data(data_dir: Path | None, layers: Path | None):
    """The data of this run, with the local layers (--layers or ./drafter-layers) over it; says which."""
    from . import overlays

    folder = overlays.folder(layers)
    data = pipeline.load(data_dir, folder)
    if folder is not None:
        click.echo(overlays.describe(folder, sorted(p.stem for p in overlays.files(folder))), err=True)
    return data


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             invoke_without_command=True)
@click.version_option(__version__, package_name="drafter")
@click.pass_context
def main(ctx: click.Context) -> None:
    """drafter writes the draft of a provincial administrative-reform plan (Kế hoạch cải cách hành
    chính, …/KH-UBND) as a Word file formatted per Nghị định 30/2020/NĐ-CP, from rule packs, a dated
    legal-reference registry and a province profile.

    \b
    Start with:
      drafter new --province "Kon Tum" --year 2024
    """
    if ctx.invoked_subcommand is None:  # bare `drafter`: the help, and success
        click.echo(ctx.get_help())
        ctx.exit(0)


@main.command()
@click.option("--province", "-p", default=None, callback=_nfc,
              help='Province name, e.g. "Kon Tum" (case, diacritics and spacing do not matter). With --commune: '
                   "the commune's province, needed only where its name is in several provinces.")
@click.option("--commune", "-c", default=None, callback=_nfc,
              help='Draft the plan of a commune (xã, phường or đặc khu) instead, e.g. "Tịnh Khê" (case, diacritics, '
                   'spacing and the "xã"/"phường"/"đặc khu" prefix do not matter), or its official code; for plan '
                   "years from 2026. `drafter communes --province P` lists them.")
@click.option("--agency", "-a", default=None, callback=_nfc,
              help='Draft a department\'s plan instead (with --province): the sở, ban, ngành by name or role, e.g. '
                   '"Sở Khoa học và Công nghệ" (matched as province names are), as it exists at the drafting date.')
@click.option("--kind", "dept_kind", default=None, metavar="KIND",
              help="With --agency: cchc (the department's own CCHC plan, the default) or tuyen-truyen (its CCHC "
                   "propaganda plan).")
@click.option("--parent", default=None, metavar='"SỐ/KH-UBND YYYY-MM-DD"', callback=_nfc,
              help='With --commune or --agency: the province\'s plan of the year that the plan implements, e.g. '
                   '"125/KH-UBND 2026-12-10". Default: the plan the province\'s profile records, else a highlighted '
                   "blank for the clerk.")
@click.option("--year", "-y", required=True, type=int, help="Plan year, 2021–2030 (drafted in December of the year before).")
@click.option("--date", "doc_date", callback=_date, metavar="YYYY-MM-DD",
              help="Date printed on the plan (day and month zero-padded per ND 30), from 1 January of the year "
                   "before the plan year to 31 March of the plan year. Default: left blank for the clerk.")
@click.option("--as-of", "as_of", callback=_date, metavar="YYYY-MM-DD",
              help="Drafting date that selects the instruments, agencies and targets in force, from 1 January of "
                   "the year before the plan year to 31 December of the plan year. "
                   "Default: --date if given, else 15 December of the year before the plan year.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Where to write the .docx. Default: KH-CCHC-<year>-<province>.docx (a commune's plan: "
                   "KH-CCHC-<year>-<code>-<commune>.docx) in the current folder.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists (it may hold staff's edits).")
@click.option("--form", "form", default=None, metavar="FORM",
              help="How the plan is issued: kh (a KH of the Ủy ban nhân dân, signed TM.), kh-chu-tich (a KH issued "
                   "by the Chủ tịch), qd (a Quyết định issuing the plan, the plan attached). Default: the "
                   "province's own form (its layer's `forms:`), else kh.")
@click.option("--proposal", default=None, metavar='"SỐ/KÝ HIỆU YYYY-MM-DD"', callback=_nfc,
              help='With --form qd: the Sở Nội vụ\'s Tờ trình the QĐ answers, e.g. "125/TTr-SNV 2023-12-10". '
                   "Default: a highlighted blank for the clerk.")
@click.option("--replaces", default=None, metavar='"SỐ/KÝ HIỆU YYYY-MM-DD"', callback=_nfc,
              help='With --form qd: the Quyết định this one replaces, e.g. "1256/QĐ-UBND 2022-12-22" '
                   "(Điều 2 then says so); dated on or before the drafting date.")
@click.option("--pdf", is_flag=True,
              help="Also write a review PDF beside the .docx (same name, .pdf), printed by LibreOffice: the "
                   "flags highlighted and numbered [1], [2] …, what to check for each listed at the end. Needs "
                   "soffice on PATH; without it the .docx is still written, with a warning. An existing PDF is "
                   "replaced only with --force.")
@DATA_DIR
@LAYERS
@DEBUG
def new(province: str | None, commune: str | None, agency: str | None, dept_kind: str | None,
        parent: str | None, year: int, doc_date: dt.date | None,
        as_of: dt.date | None, output: Path | None, force: bool, form: str | None, proposal: str | None,
        replaces: str | None, pdf: bool, data_dir: Path | None, layers: Path | None, debug: bool) -> None:
    """Write a new draft plan for one province and year, in the province's own shape where its layer
    gives one (sections, numbering, appendix columns, its own figures).

    Unverified facts (instruments or figures not yet checked against the official text) are
    highlighted in yellow with a Word comment saying what to check; a target figure that neither an
    instrument nor the province's own plan sets for the year is a highlighted blank "……" to fill.
    Their number is printed.

    \b
    Examples:
      drafter new --province "Kon Tum" --year 2024
      drafter new -p "Tuyên Quang" -y 2022 --date 2021-12-24 -o KH-CCHC-2022.docx
      drafter new -p "Kon Tum" -y 2024 --pdf     # and KH-CCHC-2024-kon-tum.pdf to review on paper
      drafter new -p "Kon Tum" -y 2024 --form qd --proposal "125/TTr-SNV 2023-12-10"
      drafter new --commune "Tịnh Khê" --province "Quảng Ngãi" --year 2027 --parent "125/KH-UBND 2026-12-10"
      drafter new --agency "Sở Khoa học và Công nghệ" --kind tuyen-truyen --province "Quảng Ngãi" --year 2022
    """
    from . import review_pdf

    soffice = review_pdf.find_soffice() if pdf else None  # without it: the .docx, and a warning
    try:
        started = time.perf_counter()
        plan_dates(year, doc_date, as_of)
        if output is not None:
            ensure_writable(output, force, "--output", [provenance.sidecar(output)])
            if soffice:
                review_pdf.ensure_writable(output, force)
        if commune is None and province is None:
            raise UsageError("give --province (a province's plan) or --commune (a commune's plan)", "--province",
                             'e.g. drafter new --province "Kon Tum" --year 2024, or drafter new --commune "Tịnh Khê" '
                             "--year 2027")
        agency_options(agency, dept_kind, commune, province, form, proposal, replaces)
        if commune is not None:
            commune_options(form, proposal, replaces)
        elif parent is not None and agency is None:
            raise UsageError("--parent belongs to a commune's or a department's plan", "--parent",
                             "add --commune NAME or --agency NAME, or leave it out")
        refs = issue_refs(year, doc_date, as_of, proposal, replaces)
        parent_ref = parent_plan(year, doc_date, as_of, parent)
        data = load_data(data_dir, layers)
        if form is not None:
            pipeline.kind_of(data, form)  # an unknown form: the list of forms, before any work
        if commune is not None:
            ctx = pipeline.commune_context(data, commune, year, province, as_of, doc_date, parent_ref)
        elif agency is not None:
            ctx = pipeline.department_context(data, agency, dept_kind, province, year, as_of, doc_date, parent_ref)
        else:
            ctx = pipeline.plan_context(data, province, year, as_of, doc_date, form, *refs)
        if (proposal or replaces) and not ctx.articles:
            raise UsageError(f"--proposal and --replaces belong to a Quyết định; this draft is a '{ctx.kind}'",
                             "--proposal" if proposal else "--replaces", "add --form qd, or leave them out")
        require_basis(ctx, doc_date, as_of)
        profile = data.provinces[ctx.province_id]
        unit = commune_unit(ctx)
        stem = commune_stem(unit) if unit else agency_stem(ctx, profile) if ctx.agency else slug(profile.name)
        target = output or pipeline.default_output(data, ctx, stem)
        ensure_writable(target, force, "--output", [provenance.sidecar(target)])
        pdf_file = review_pdf.ensure_writable(target, force) if soffice else None
        result = pipeline.render(data, ctx)
        files = [(target, result.docx),
                 (provenance.sidecar(target), provenance.to_json(provenance.record(result.context)))]
        if pdf_file:  # converted before anything is published: all files or none
            files.append((pdf_file, review_pdf.render_pdf(result.docx, result.context.labels, soffice)))
        publish(files, force, "--output")
    except DrafterError as exc:
        _fail(exc, debug)
        return
    checks = result.context.checks
    who = unit.title + ", " if unit else (f"{ctx.agency_name}, " if ctx.agency else "")
    click.echo(f"Wrote {target} ({who}{profile.official_name}, năm {year}, "
               f"as of {ctx.as_of:%d/%m/%Y}) "
               f"in {time.perf_counter() - started:.2f} s; provenance in {provenance.sidecar(target)}")
    if checks:
        # what the document itself flags, in the reader's language: the count is the document's comments
        click.echo(f"{len(checks)} chỗ cần kiểm tra trước khi trình ký (tô vàng, có ghi chú trong văn bản):")
        counts: dict[str, int] = {}
        for c in checks:  # the same comment on several marks is listed once, with how many
            counts[c.what] = counts.get(c.what, 0) + 1
        for what, n in counts.items():
            click.echo(f"  - {what}" + (f" (×{n})" if n > 1 else ""))
    if pdf_file:
        click.echo(f"Review PDF in {pdf_file}" + (" (marks numbered, notes at the end)" if checks else ""))
    elif pdf:
        click.echo(review_pdf.missing_warning(), err=True)


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--province", "-p", required=True, callback=_nfc,
              help='The province whose plan it is (and whose next plans continue it), e.g. "Tuyên Quang".')
@click.option("--year", "-y", type=int, default=None,
              help="The plan year the layer prepares (default: the imported plan's year + 1).")
@click.option("--layers", "layers", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write the layer into (created if missing). Default: ./drafter-layers.")
@click.option("--force", is_flag=True, help="Replace the province's layer and review if they exist.")
@DATA_DIR
@DEBUG
def import_cmd(file: Path, province: str, year: int | None, layers: Path | None, force: bool,
               data_dir: Path | None, debug: bool) -> None:
    """Read last year's signed plan (.docx) into the province's local layer, so that the next drafts
    continue it: its shape, local instruments, tasks, targets (last year's figures kept as hints to
    confirm), agency blocks, appendix rows, Nơi nhận and signer. Writes <layers>/<province-id>.yaml and
    a review (<province-id>.review.md) listing every item, what drafter decided, and what to confirm.

    \b
    Example:
      drafter import KH-225-2021.docx --province "Tuyên Quang"
      drafter new --province "Tuyên Quang" --year 2023      # reads ./drafter-layers
    """
    import tempfile

    from .importer import layer as import_layer
    from .importer import output
    from .importer.read import read_plan
    from .resources import default_data_dir

    try:
        raw = read_input(file)
        plan = read_plan(raw, file.name)
        if plan.plan_year is None and year is None:
            raise UsageError(f"{file.name}: the plan year cannot be read from its title", "--year",
                             "give the year of the plan the layer is for, e.g. --year 2027")
        target_year = year or (plan.plan_year or 0) + 1
        selection.check_year(target_year)
        as_of = selection.default_as_of(target_year)
        data = pipeline.load(data_dir)
        unit = selection.find_province(data, province, as_of, target_year)
        folder = layers or Path("drafter-layers")
        package = default_data_dir().resolve()
        if folder.resolve().is_relative_to(package) or folder.resolve().is_relative_to(Path(__file__).parent.resolve()):
            raise UsageError(f"{folder} is inside drafter's own data", "--layers",
                             "write local layers to a folder of your own, e.g. ./drafter-layers")
        target, review = folder / f"{unit.id}.yaml", folder / f"{unit.id}.review.md"
        ensure_writable(target, force, "--layers", [review])
        imp = import_layer.build(plan, data, unit, target_year, as_of, dt.date.today())
        title = f"{plan.name} → lớp dữ liệu của {unit.official_name} cho kế hoạch năm {target_year}"
        body = output.layer_yaml(imp, f"drafter import: {title}\nReview: {review.name}. Edit freely; "
                                      f"`drafter check` validates it.")
        with tempfile.TemporaryDirectory() as tmp:  # it must draft before it is written
            (Path(tmp) / target.name).write_bytes(body)
            try:
                pipeline.plan_context(pipeline.load(data_dir, Path(tmp)), unit.name, target_year)
            except DrafterError as exc:
                raise DataError(f"the layer read from {file.name} does not draft: {exc}", str(file),
                                "report it with the file; meanwhile edit the plan or the layer by hand") from None
        publish([(target, body), (review, output.review_md(imp, title, target.name).encode("utf-8"))],
                force, "--layers")
    except DrafterError as exc:
        _fail(exc, debug)
        return
    click.echo(f"Wrote {target} and {review} ({unit.official_name}, for the plan of {target_year})")
    for line in output.summary(imp):
        click.echo(line)


def read_input(path: Path) -> bytes:
    """The bytes of a file to import: a regular file of sensible size, else a usage error."""
    import stat

    try:
        st = path.stat()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", "FILE", "give the path of last year's plan (.docx)") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{path} is not a regular file", "FILE", "give the path of last year's plan (.docx)")
    if st.st_size > 50 * 2**20:
        raise UsageError(f"{path} is {st.st_size // 2**20} MB; a plan is well under 50 MB", "FILE",
                         "give the plan's .docx, not a scan or an archive")
    return path.read_bytes()


@main.command()
@click.option("--year", "-y", type=int, default=None, help="Only the units that existed for this plan year.")
@DATA_DIR
@DEBUG
def provinces(year: int | None, data_dir: Path | None, debug: bool) -> None:
    """List the provinces drafter knows, with their code and what they were formed from."""
    try:
        data = pipeline.load(data_dir)
        if year is not None:
            selection.check_year(year)
            items = selection.provinces_for(data, year)
        else:
            items = sorted(data.provinces.values(), key=lambda p: selection.name_key(p.name))
    except DrafterError as exc:
        _fail(exc, debug)
        return
    for p in items:
        span = ""
        if p.exists.from_:
            span += f" từ {p.exists.from_:%d/%m/%Y}"
        if p.exists.until:
            span += f" đến {p.exists.until:%d/%m/%Y}"
        formed = f" ← {', '.join(data.provinces[i].name for i in p.formed_from if i in data.provinces)}" if p.formed_from else ""
        click.echo(f"{p.code:>3}  {p.official_name}{span}{formed}")
    click.echo(f"{len(items)} unit(s)")


@main.command("communes")
@click.option("--province", "-p", default=None, callback=_nfc,
              help="List the communes of this province (without it: how many each province has).")
@DATA_DIR
@DEBUG
def communes_cmd(province: str | None, data_dir: Path | None, debug: bool) -> None:
    """List the communes (xã, phường, đặc khu) of the two-tier local government, from 01/7/2025, with
    their official codes: a commune's plan is drafted with `drafter new --commune NAME` (or its code)."""
    from . import communes

    try:
        data = pipeline.load(data_dir)
        year = pipeline.first_commune_year(data)
        when = selection.default_as_of(year)
        units = communes.units()
        if province is not None:
            p = selection.find_province(data, province, when, year)
            found = units.of_province(int(p.code)) if p.code.isdigit() else []
            if not found:
                raise UsageError(f"{p.official_name} has no communes in the list (code {p.code})", "--province",
                                 "run `drafter provinces --year 2026` for the provinces of the two-tier model")
    except DrafterError as exc:
        _fail(exc, debug)
        return
    source = f"{communes.PACKAGE} {units.version}, list of {units.data_version}"
    if province is None:
        total = 0
        for p in selection.provinces_for(data, year, when):
            n = len(units.of_province(int(p.code))) if p.code.isdigit() else 0
            total += n
            click.echo(f"{p.code:>3}  {p.official_name:<28} {n:>4} commune(s)")
        click.echo(f"{total} commune(s) in all ({source}); list one province's: drafter communes --province P")
        return
    for c in found:
        click.echo(f"{c.code_text}  {c.kind:<8} {c.title}")
    kinds = ", ".join(f"{sum(1 for c in found if c.kind == k)} {k}" for k in communes.KINDS
                      if any(c.kind == k for c in found))
    click.echo(f"{len(found)} commune(s) of {p.official_name}: {kinds} ({source})")


@main.command("check")
@click.argument("data_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print errors only, not the warnings about unverified facts.")
@LAYERS
@DEBUG
def check_cmd(data_dir: Path | None, quiet: bool, layers: Path | None, debug: bool) -> None:
    """Validate a data folder (default: the shipped data): YAML syntax and fields, references between
    files, dates, target values for 2021–2030, and the Word template's tags and styles.

    Each problem is printed as path:line:col: severity: message. Exit status 0 when there is no
    error (warnings list unverified facts), 1 otherwise.
    """
    from .checks import check, errors
    from .resources import default_data_dir

    from . import overlays

    root = (data_dir or default_data_dir()).resolve()
    try:
        folder = overlays.folder(layers)
        if folder is not None:
            click.echo(overlays.describe(folder, sorted(p.stem for p in overlays.files(folder))))
        findings = check(root, folder)
    except DrafterError as exc:
        _fail(exc, debug)
        return
    except Exception as exc:  # a bug in drafter, not in the data: say so, and where to see more
        if debug:
            raise
        _fail(DrafterError(f"internal error while checking: {type(exc).__name__}: {exc}", str(root),
                           "run `drafter check --debug` for the traceback, and report it"), False)
        return
    shown = errors(findings) if quiet else findings
    for f in shown:
        click.echo(str(f))
    n_err = len(errors(findings))
    click.echo(f"{root}: {n_err} error(s), {len(findings) - n_err} warning(s)")
    sys.exit(1 if n_err else 0)


@main.command()
@click.argument("docx", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("text", required=False, callback=_nfc)
@click.option("--para", "para", type=int, default=None, help="Paragraph number from the provenance record instead of a text.")
@DATA_DIR
@LAYERS
@DEBUG
def explain(docx: Path, text: str | None, para: int | None, data_dir: Path | None, layers: Path | None,
            debug: bool) -> None:
    """Say why a paragraph of a draft is there and on what legal basis.

    DOCX is a draft written by `drafter new` (it may have been edited since); TEXT is part of a
    sentence in it. The answer comes from DOCX's .provenance.json: the rule and data line the
    paragraph came from, each instrument it cites in full, the dated values it used, and what in it
    is unverified.
    """
    from docx.text.paragraph import Paragraph

    from .docx_text import blocks, open_docx
    from .resolve import resolve
    from .texts import TextRenderer, plain

    try:
        if (text is None) == (para is None):
            raise UsageError("give either TEXT or --para N", "explain", 'e.g. drafter explain KH.docx "một cửa"')
        if text is not None and not provenance.norm(text):
            raise UsageError("the text to look for is empty", "TEXT", 'give part of a sentence of the draft, e.g. "một cửa"')
        rec = provenance.load_record(docx)
        if para is not None:
            entry = next((p for p in rec["paragraphs"] if p["index"] == para), None)
            if entry is None:
                numbers = [p["index"] for p in rec["paragraphs"]]
                raise UsageError(f"no paragraph {para} in the provenance record", "--para",
                                 f"paragraphs run from {min(numbers)} to {max(numbers)}" if numbers
                                 else "the record lists no paragraphs; give a TEXT instead")
            score = 1.0
        else:
            try:
                edited = ([b.text for b in blocks(open_docx(docx.read_bytes())) if isinstance(b, Paragraph)]
                          if docx.is_file() else [])  # never read a FIFO or device: it may never end
            except Exception:
                edited = []
            found = provenance.find(rec, edited, text or "")
            if found is None:
                raise UsageError(f'no paragraph contains "{text}"', "TEXT", "give a shorter part of the sentence")
            entry, score = found
        data = load_data(data_dir, layers)
        plan = rec["plan"]
        profile = data.provinces.get(plan["province"])
        as_of = dt.date.fromisoformat(plan["as_of"])
        renderer = None
        if profile:
            snap = resolve(data, pipeline.kind_of(data, plan.get("kind", pipeline.DEFAULT_KIND)), profile,
                           plan["year"], as_of)
            renderer = TextRenderer(snap)
    except DrafterError as exc:
        _fail(exc, debug)
        return
    src = entry["source"]
    where = f"{src.get('file')}:{src.get('line')}" if src.get("file") else "(generated)"
    label = f"paragraph {entry['index']}" if "index" in entry else f"appendix row {entry['tt']}"
    click.echo(f"{label} (match {score:.0%}): {entry['text']}")
    layer = src.get("layer", "national")
    layer_name = "national rule pack" if layer == "national" else f"layer of {layer}"
    click.echo(f"from: {src['kind']} '{src['id']}' of the {layer_name}, at {where}")
    click.echo(f"plan: {plan['province']} {plan['year']}, drafted as of {as_of:%d/%m/%Y}")
    if entry.get("refs"):
        click.echo("cites:")
        for ref in entry["refs"]:
            ins = data.instruments.get(ref)
            if ins is None:
                click.echo(f"  - {ref} (no longer in legal_refs/)")
                continue
            full = plain(renderer.cite(ref)) if renderer else ins.number
            click.echo(f"  - {full} [{ins.status}; sources: {', '.join(ins.sources)}]")
    for v in entry.get("values", []):
        basis = data.instruments.get(v["basis"]) if v.get("basis") else None
        set_by = f"{basis.kind} {basis.number}" if basis else (v.get("basis") or "the province's own plan")
        click.echo(f"value: {v['value']} for target '{v['target']}', set for {v.get('for_year')} by {set_by}, "
                   f"applying from {v['from']} [{v['status']}]" + (f", seen in {v['source']}" if v.get("source") else ""))
    for u in entry.get("unverified", []):
        click.echo(f"to check: {u}")



def _batch_item(data, name: str, year: int, as_of: dt.date | None) -> tuple[str, str]:
    """(name, file stem): the stem from the province's own name, whatever the spelling given; a name
    that does not resolve is kept, and its draft fails in the summary with the reason."""
    try:
        p = selection.find_province(data, name, as_of or selection.default_as_of(year), year)
    except DrafterError:
        return name, slug(name)
    return p.name, slug(p.name)

@main.command()
@click.option("--year", "-y", required=True, type=int, help="Plan year, 2021–2030.")
@click.option("--all", "all_", is_flag=True, help="Every province that exists for that year.")
@click.option("--province", "-p", "names", multiple=True, callback=lambda c, p, v: tuple(_nfc(c, p, x) for x in v),
              help="A province (repeat for several).")
@click.option("--output-dir", "-d", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the drafts (created if missing).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes, 1 or more. Default: every core.")
@click.option("--as-of", "as_of", callback=_date, metavar="YYYY-MM-DD", help="Drafting date (see `drafter new`).")
@click.option("--force", is_flag=True, help="Overwrite drafts that already exist.")
@click.option("--form", "form", default=None, metavar="FORM",
              help="kh, kh-chu-tich or qd for every draft (see `drafter new --help`). Default: each province's "
                   "own form.")
@click.option("--pdf", is_flag=True,
              help="Also write each draft's review PDF beside it (see `drafter new --help`). Needs soffice on "
                   "PATH; without it the drafts are still written, with a warning.")
@click.option("--communes", is_flag=True,
              help="The plans of the communes (xã, phường, đặc khu) of the provinces given (--province) or of "
                   "every province (--all) instead of the provinces' own: one per commune, named "
                   "KH-CCHC-<year>-<code>-<commune>.docx; plan years from 2026.")
@click.option("--agencies", default=None, metavar="all|NAME[,NAME…]", callback=_nfc,
              help="The plans of the departments (sở, ban, ngành) of the province given (--province): `all` "
                   "(every department that exists at the drafting date) or names separated by commas; one per "
                   "department, named after its abbreviation, e.g. KH-CCHC-<year>-skhcn-quang-ngai.docx.")
@click.option("--kind", "dept_kind", default=None, metavar="KIND",
              help="With --agencies: cchc (the default) or tuyen-truyen (see `drafter new --help`).")
@DATA_DIR
@LAYERS
@DEBUG
def batch(year: int, all_: bool, names: tuple[str, ...], output_dir: Path, jobs: int | None, as_of: dt.date | None,
          force: bool, form: str | None, pdf: bool, communes: bool, agencies: str | None, dept_kind: str | None,
          data_dir: Path | None, layers: Path | None, debug: bool) -> None:
    """Write one draft per province (or, with --communes, per commune), in parallel, with a summary table.

    One draft failing does not stop the others; the exit status is 1 if any failed.

    \b
    Example:
      drafter batch --year 2026 --all --output-dir out/ --pdf   # each draft with its review PDF
      drafter batch --year 2027 --communes --province "Quảng Ngãi" -d out/   # every commune's plan
    """
    from . import batch as batch_mod
    from . import review_pdf

    started = time.perf_counter()
    soffice = review_pdf.find_soffice() if pdf else None  # without it: the drafts, and a warning
    try:
        plan_dates(year, None, as_of)
        if soffice:
            review_pdf.timeout()  # a bad DRAFTER_PDF_TIMEOUT is refused before any work
        if dept_kind is not None and agencies is None:
            raise UsageError("--kind belongs to the departments' plans", "--kind",
                             "add --agencies all (with --province P), or leave --kind out")
        if agencies is not None and (all_ or communes or form is not None or len(names) != 1):
            raise UsageError("--agencies drafts the departments' plans of one province", "--agencies",
                             'give one --province and no --all, --communes or --form, e.g. drafter batch --year 2027 '
                             '--agencies all --kind cchc --province "Quảng Ngãi" -d out/')
        if all_ == bool(names):
            raise UsageError("give either --all or one or more --province", "--all/--province",
                             "e.g. drafter batch --year 2026 --all --output-dir drafts/")
        if communes:
            commune_options(form, None, None)
        data = load_data(data_dir, layers)
        if form is not None:
            pipeline.kind_of(data, form)  # an unknown form: the list of forms, before any work
        labels: dict[str, str] = {}
        if communes:  # every commune of the provinces: (code, stem), refused up front outside the pack's years
            units = pipeline.communes_of(data, year, as_of, None if all_ else list(names))
            todo = [(c.code_text, commune_stem(c)) for c, _ in units]
            labels = {c.code_text: f"{c.title} ({p.name})" for c, p in units}
        elif agencies is not None:  # every department of the province (or those named): (role, stem)
            kind = pipeline.department_kind(data, dept_kind)
            when = as_of or selection.default_as_of(year)
            unit = selection.find_province(data, names[0], when, year)
            every = pipeline.agencies_of(data, kind, unit, year, when)
            roles = ([r for r, _ in every] if agencies.strip().lower() == "all" else
                     [pipeline.find_agency(data, kind, n.strip(), unit, year, when) for n in agencies.split(",")
                      if n.strip()])
            todo = [(r, f"{slug(pipeline.department_abbr(data, kind, r, year, when))}-{slug(unit.name)}")
                    for r in dict.fromkeys(roles)]
            labels = dict(every)
        elif all_:
            todo = [(p.name, slug(p.name)) for p in selection.provinces_for(data, year, as_of)]
        else:
            todo = [_batch_item(data, n, year, as_of) for n in names]
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create the folder {output_dir}: {exc.strerror}", "--output-dir",
                             "choose a folder you can write to") from None
    except DrafterError as exc:
        _fail(exc, debug)
        return
    jobs = jobs or batch_mod.default_jobs()
    results = []
    import functools

    stream = batch_mod.run(data, todo, year, output_dir, jobs, as_of, force,
                           functools.partial(require_basis, doc_date=None, as_of=as_of), pdf=bool(soffice),
                           form=form, communes=communes,
                           agencies=(names[0], dept_kind) if agencies is not None else None)
    if sys.stdout.isatty():
        with click.progressbar(stream, length=len(todo), label=f"Drafting {len(todo)} plan(s) for {year}") as bar:
            results = list(bar)
    else:
        results = list(stream)
    if communes:  # by code; each named by its title and province
        results = [replace(o, province=labels.get(o.province, o.province))
                   for o in sorted(results, key=lambda o: o.province)]  # codes, five digits each
    elif agencies is not None:  # by role; each named by its name
        results = [replace(o, province=labels.get(o.province, o.province)) for o in results]
        results.sort(key=lambda o: selection.name_key(o.province))
    else:
        results.sort(key=lambda o: selection.name_key(o.province))
    width = max((len(o.province) for o in results), default=8)
    files = max([34, *(len(Path(o.file).name) for o in results if o.file)])
    click.echo(f"{'commune' if communes else 'agency' if agencies else 'province':<{width}}  {'file':<{files}} {'paras':>5} {'marks':>5} "
               f"{'time':>6}")
    for o in results:
        name = Path(o.file).name if o.file else "FAILED"
        click.echo(f"{o.province:<{width}}  {name:<{files}} {o.paragraphs:>5} {o.marks:>5} {o.seconds:>5.2f}s")
    failed = [o for o in results if o.error]
    total = time.perf_counter() - started
    click.echo(f"{len(results) - len(failed)} written, {len(failed)} failed in {total:.2f} s "
               f"({total / max(len(results), 1):.3f} s per draft, {jobs} job(s)) into {output_dir}")
    if soffice and len(failed) < len(results):
        click.echo("each draft written has its review PDF beside it (same name, .pdf)")
    if pdf and not soffice:
        click.echo(review_pdf.missing_warning(), err=True)
    for o in failed:
        click.echo(f"failed: {o.province}: {o.error}", err=True)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--province", "-p", callback=_nfc, default=None, help="Province, to compare two generated plans.")
@click.option("--from", "from_year", type=int, default=None, help="Older plan year.")
@click.option("--to", "to_year", type=int, default=None, help="Newer plan year.")
@click.option("--redline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the newer draft with the changes as Word tracked changes.")
@click.option("--force", is_flag=True, help="Overwrite the --redline file if it exists.")
@click.option("--form", "form", default=None, metavar="FORM",
              help="Compare the plans in this form (kh, kh-chu-tich, qd). Default: the province's own form.")
@DATA_DIR
@LAYERS
@DEBUG
def diff(files: tuple[Path, ...], province: str | None, from_year: int | None, to_year: int | None,
         redline: Path | None, force: bool, form: str | None, data_dir: Path | None, layers: Path | None,
         debug: bool) -> None:
    """Show what changes between two plans, grouped by section.

    \b
    drafter diff --province "Kon Tum" --from 2023 --to 2024 [--redline KH-2024-redline.docx]
    drafter diff OLD.docx NEW.docx [--redline OUT.docx]
    """
    from . import diff as diff_mod
    from .docx_text import read_docx

    try:
        if redline is not None:
            for f in files:
                if _same_file(redline, f):
                    raise UsageError(f"{redline} is one of the files being compared ({f}); it would be overwritten",
                                     "--redline", "give --redline the name of another file, even with --force")
            ensure_writable(redline, force, "--redline")
        if files:
            if len(files) != 2 or province:
                raise UsageError("give two .docx files, or --province with --from and --to", "FILES")
            old_b, new_b = read_docx(files[0]), read_docx(files[1])
            report = diff_mod.compare_texts(old_b, new_b)
            stamp = dt.date.today()
        else:
            if not (province and from_year and to_year):
                raise UsageError("give --province, --from and --to (or two .docx files)", "--province/--from/--to",
                                 'e.g. drafter diff --province "Kon Tum" --from 2023 --to 2024')
            data = load_data(data_dir, layers)
            old = pipeline.draft(data, province, from_year, kind=form)
            new = pipeline.draft(data, province, to_year, kind=form)
            report = diff_mod.compare(old.context, new.context, data.instruments)
            before = pipeline.snapshot(data, province, from_year, kind=form)
            after = pipeline.snapshot(data, province, to_year, kind=form)
            renamed = []
            for role in data.agencies:
                try:
                    a, b = before.agency(role), after.agency(role)
                except DrafterError:
                    continue
                if a != b:
                    renamed.append(f"{a} → {b}")
            for line in dict.fromkeys(renamed):
                report.add("Cơ quan (agencies)", line)
            old_b, new_b = old.docx, new.docx
            stamp = new.context.as_of
        for line in report.lines():
            click.echo(line)
        if redline is not None:
            try:
                marked = diff_mod.redline(old_b, new_b, stamp)
            except Exception as exc:  # a .docx python-docx reads but the redline cannot rework
                raise UsageError(f"cannot write a redline of these two files: {type(exc).__name__}: {exc}",
                                 "--redline", "compare them without --redline, or open and re-save them in Word "
                                 "(--debug shows the traceback)") from exc
            publish([(redline, marked)], force, "--redline")
            click.echo(f"Wrote {redline} (tracked changes: Review → Accept/Reject in Word)")
    except DrafterError as exc:
        _fail(exc, debug)


def _same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` name the same file (a hard or symbolic link, another spelling of the path)."""
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:  # `a` does not exist (yet): compare where it would be
        try:
            return a.resolve() == b.resolve()
        except (OSError, RuntimeError):  # a symbolic-link loop: not an input file
            return False
