"""REFI-QDA interchange (.qdc, .qdpx) and the CSV / dictionary codebook importers.

Oracles:
* the official REFI-QDA 1.0 schemas (tests/schemas/refi-qda/, MIT, see LICENSE.txt there): every
  .qdc and project.qde qualcode writes must validate against them;
* round trips through qualcode's own loader and `qualcode check` on the bundled study;
* fixtures modelled on what real tools write: tests/data/refi/qualcoder.qdc follows QualCoder's
  `RefiExport.codebook_exchange_xml` (lowercase GUIDs, xsi:schemaLocation, no Description when a
  code has no memo, categories as isCodable="false"); tests/data/refi/maxqda-project/ follows
  MAXQDA/NVivo exports as QualCoder's importer documents them (CRLF text with a BOM whose
  positions count CRLF as two characters, a lowercase `sources/` folder, nameless Cases carrying
  file variables, inline PlainTextContent, PDF/audio sources, notes, sets, annotations).
"""

from __future__ import annotations

import collections
import csv
import io
import json
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

import qualcode.cli.coding  # registers `qualcode code` (imported for its side effect)
import qualcode.cli.interchange  # noqa: F401  (registers the commands until cli/__init__ does)
from conftest import REPO, MakeProject, copy_bundled, write
from qualcode.cli import app
from qualcode.codebook.importers import (
    CodebookHeader,
    DraftCode,
    csv_to_codebook_yaml,
    dictionary_to_codebook_yaml,
    render_codebook_yaml,
)
from qualcode.codebook.load import load_codebook_files, parse_codebook
from qualcode.codebook.model import Code
from qualcode.errors import InterchangeError, UsageError
from qualcode.project import load_project
from qualcode.refi import (
    codebook_to_qdc,
    describe_code,
    export_qdpx,
    import_qdpx,
    qdc_to_codebook_yaml,
    split_description,
)

SCHEMAS = Path(__file__).parent / "schemas" / "refi-qda"
DATA = Path(__file__).parent / "data" / "refi"
CODE_FIELDS = (
    "id",
    "name",
    "parent_id",
    "codable",
    "description",
    "definition",
    "use_when",
    "do_not_use_when",
    "examples",
    "counterexamples",
    "color",
    "memo",
)


@pytest.fixture(scope="module")
def codebook_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))


@pytest.fixture(scope="module")
def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd")))


def assert_valid(schema: etree.XMLSchema, xml: bytes) -> None:
    document = etree.fromstring(xml)
    assert schema.validate(document), schema.error_log


def bundled_codebook():  # type: ignore[no-untyped-def]
    return load_codebook_files(sorted((REPO / "codebooks").glob("*.yaml")))


def codes_of(yaml_text: str) -> list[tuple[object, ...]]:
    loaded = parse_codebook(yaml_text, "imported.yaml")
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    assert not errors, errors
    return [tuple(getattr(c, f) for f in CODE_FIELDS) for c in loaded.codes]


def run(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


# -- codebooks: export ----------------------------------------------------------------------------


def test_qdc_export_is_valid_refi_and_byte_identical(codebook_schema: etree.XMLSchema) -> None:
    book = bundled_codebook()
    first, second = codebook_to_qdc(book), codebook_to_qdc(bundled_codebook())
    assert first == second
    assert_valid(codebook_schema, first.encode("utf-8"))
    root = etree.fromstring(first.encode("utf-8"))
    assert root.get("origin").startswith("qualcode ")
    guids = [c.get("guid") for c in root.iter("{urn:QDA-XML:codebook:1.0}Code")]
    assert len(guids) == len(set(guids)) == len(book.codes)
    assert all(g == g.upper() for g in guids)
    colors = [c.get("color") for c in root.iter("{urn:QDA-XML:codebook:1.0}Code") if c.get("color")]
    assert colors and all(len(c) == 7 and c == c.upper() for c in colors)


def test_description_shows_the_criteria_to_a_gui_user() -> None:
    code = bundled_codebook().get("managing-tensions")
    text = describe_code(code)
    assert text.startswith(code.definition)
    assert f"Use when: {code.use_when}" in text
    assert f"Do not use when: {code.do_not_use_when}" in text
    assert "Examples:\n- " + code.examples[0] in text
    assert text.endswith("qualcode id: managing-tensions")


def test_qdc_round_trip_keeps_every_code_of_the_bundled_codebooks() -> None:
    book = bundled_codebook()
    text, notes = qdc_to_codebook_yaml(codebook_to_qdc(book).encode("utf-8"), "study.qdc")
    assert notes == []
    assert text.startswith("# yaml-language-server: $schema=")
    original = [tuple(getattr(c, f) for f in CODE_FIELDS) for c in book.codes]
    assert codes_of(text) == original


_text = st.text(alphabet="abc xyz,.:-'\"#é\n", min_size=1, max_size=40).filter(lambda s: s.strip())
_line = st.text(alphabet="abc xyz,.:-'\"#é", min_size=1, max_size=40).filter(lambda s: s.strip())


@settings(max_examples=40, deadline=None)
@given(
    definition=_text,
    use_when=st.one_of(st.just(""), _text),
    examples=st.lists(_text, max_size=3),
    memo=st.one_of(st.just(""), _line),
    name=_line,
)
def test_descriptions_and_yaml_round_trip_arbitrary_text(
    definition: str, use_when: str, examples: list[str], memo: str, name: str
) -> None:
    def strip(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.strip().split("\n")).strip()

    definition, use_when, memo = strip(definition), strip(use_when), strip(memo)
    examples = [strip(e) for e in examples if strip(e)]
    code = Code(
        id="c",
        name=name,
        codebook_id="b",
        definition=definition,
        use_when=use_when,
        examples=tuple(examples),
        memo=memo,
    )
    parts = split_description(describe_code(code), codable=True)
    assert parts["definition"] == definition
    assert parts.get("use_when", "") == use_when
    assert parts.get("examples", ()) == tuple(examples)
    assert parts.get("memo", "") == memo
    assert parts["id"] == "c"
    draft = DraftCode(name=name, id_hint="c", definition=definition, examples=tuple(examples))
    rendered = render_codebook_yaml(CodebookHeader("b"), [draft], "x.qdc")
    [(code_id, got_name, *_rest)] = codes_of(rendered.text)
    loaded = parse_codebook(rendered.text, "x.yaml").codes[0]
    assert (code_id, loaded.definition, loaded.examples) == ("c", definition, tuple(examples))
    assert got_name == " ".join(name.split())


# -- codebooks: import from other tools -----------------------------------------------------------


def test_qualcoder_codebook_imports_and_check_accepts_it(tmp_path: Path, runner: CliRunner) -> None:
    from qualcode.scaffold import scaffold_project

    scaffold_project(tmp_path)
    (tmp_path / "codebooks" / "example.yaml").unlink()
    out = tmp_path / "codebooks" / "qualcoder.yaml"
    result = run(runner, "codebook", "import", str(DATA / "qualcoder.qdc"), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "placeholder" in result.stderr  # 'Unsorted' and Needs/'Other' had no Description
    check = run(runner, "check", "--project", str(tmp_path))
    assert check.exit_code == 0, check.stdout + check.stderr
    codes = {c.id: c for c in parse_codebook(out.read_text(encoding="utf-8"), "q.yaml").codes}
    assert codes["roles"].codable is False
    assert codes["roles"].description == "What part an organization plays in the partnership."
    assert codes["convener"].definition.endswith("together & keeps them at the table.")
    assert codes["convener"].parent_id == "roles"
    assert codes["convener"].color == "#9f81f7"
    # Two codes named 'Other' (in different categories) get distinct ids; names may repeat.
    assert codes["other"].parent_id == "roles" and codes["other-2"].parent_id == "needs"
    assert codes["wages"].parent_id == "income-jobs"


def test_qdc_import_is_lenient_about_what_tools_write() -> None:
    qdc = b"""<?xml version="1.0"?>
    <CodeBook origin="SomeTool"><Codes>
      <Code GUID="a" Name="Convener" iscodable="TRUE">
        <description>Brings people together.</description></Code>
      <Code guid="b" name="Convener" isCodable="true"/>
      <Code guid="c" name="Groups" IsCodable="false" color="not-a-color">
        <Code guid="d" name="Convener" isCodable="1"/>
        <Code guid="f" name="Maybe" isCodable="maybe"/>
      </Code>
    </Codes>
    <Sets><Set guid="e" name="Favourites"><MemberCode guid="a"/></Set></Sets>
    </CodeBook>"""
    text, notes = qdc_to_codebook_yaml(qdc, "tool.qdc")
    codes = {c.id: c for c in parse_codebook(text, "t.yaml").codes}
    assert set(codes) == {"convener", "convener-2", "groups", "convener-3", "maybe"}
    assert codes["maybe"].codable is True
    assert codes["convener"].definition == "Brings people together."
    assert codes["convener-2"].name == "Convener (2)"  # siblings need distinct names
    assert codes["convener-3"].name == "Convener" and codes["convener-3"].parent_id == "groups"
    assert codes["groups"].codable is False and codes["groups"].color is None
    joined = " ".join(notes)
    assert "1 code set was ignored" in joined
    assert "not #RRGGBB" in joined
    assert "renamed" in joined and "placeholder" in joined
    assert "isCodable='maybe' of code 'Maybe' is not true or false; read as codable" in joined


@pytest.mark.parametrize(
    "xml",
    [
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>',
        b'<CodeBook xmlns="urn:QDA-XML:codebook:2.0"><Codes/></CodeBook>',
        b"<CodeBook/>",
    ],
)
def test_qdc_without_codes_gives_an_empty_codebook_and_a_note(xml: bytes) -> None:
    text, notes = qdc_to_codebook_yaml(xml, "empty.qdc")
    assert "codes: []" in text
    assert parse_codebook(text, "e.yaml").diagnostics == []
    assert "the file contains no codes" in notes


def test_qdc_namespace_of_another_version_is_read_with_a_note() -> None:
    xml = (
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.5">'
        b'<Codes><Code guid="x" name="A" isCodable="true"/></Codes></CodeBook>'
    )
    text, notes = qdc_to_codebook_yaml(xml, "v15.qdc")
    assert [c.id for c in parse_codebook(text, "v.yaml").codes] == ["a"]
    assert any("urn:QDA-XML:codebook:1.5" in n for n in notes)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<CodeBook><Codes><Code guid="a" name="&lol9;" isCodable="true"/></Codes></CodeBook>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CodeBook [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CodeBook><Codes><Code guid="a" name="&secret;" isCodable="true"/></Codes></CodeBook>"""
HOSTILE_XML = {
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": EXTERNAL_ENTITY,
    "not-xml": b"\x89PNG\r\n\x1a\n\x00\x00binary",
    "empty": b"",
    "truncated": b"<CodeBook><Codes><Code",
    "wrong-root": b"<html><body>hi</body></html>",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_XML))
def test_hostile_or_broken_qdc_is_refused_with_exit_2(
    case: str, tmp_path: Path, runner: CliRunner
) -> None:
    path = write(tmp_path / f"{case}.qdc", HOSTILE_XML[case])
    with pytest.raises(InterchangeError) as caught:
        qdc_to_codebook_yaml(HOSTILE_XML[case], str(path))
    assert caught.value.path == str(path)
    result = run(runner, "codebook", "import", str(path), "-o", str(tmp_path / "out.yaml"))
    assert result.exit_code == 2
    assert f"{case}.qdc" in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_codebook_import_cli_formats_and_overwrite_protection(
    tmp_path: Path, runner: CliRunner
) -> None:
    out = write(tmp_path / "out.yaml", "keep me\n")
    qdc = str(DATA / "qualcoder.qdc")
    refused = run(runner, "codebook", "import", qdc, "-o", str(out))
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert out.read_text() == "keep me\n"
    forced = run(runner, "codebook", "import", qdc, "-o", str(out), "--force", "-q")
    assert forced.exit_code == 0 and forced.stderr == ""
    assert "id: convener" in out.read_text(encoding="utf-8")
    to_stdout = run(runner, "codebook", "import", qdc, "-q")
    assert to_stdout.stdout == out.read_text(encoding="utf-8")
    odd = write(tmp_path / "codes.dat", "tag\nA\n")
    unknown = run(runner, "codebook", "import", str(odd))
    assert unknown.exit_code == 2 and "--format" in unknown.stderr
    as_csv = run(runner, "codebook", "import", str(odd), "--format", "csv", "-q")
    assert as_csv.exit_code == 0 and "name: A" in as_csv.stdout
    qdpx = run(runner, "codebook", "import", str(write(tmp_path / "x.qdpx", b"PK")))
    assert qdpx.exit_code == 2 and "import qdpx" in qdpx.stderr


# -- CSV and dictionary codebooks -----------------------------------------------------------------


def test_taguette_csv_with_bom_imports() -> None:
    data = "\ufefftag,description,highlights\ninterview,Whole interview,3\ncost,Talk about cost,0\n"
    text, notes = csv_to_codebook_yaml(data.encode("utf-8"), "taguette.csv")
    codes = {c.id: c for c in parse_codebook(text, "t.yaml").codes}
    assert codes["cost"].definition == "Talk about cost" and codes["cost"].name == "cost"
    assert set(codes) == {"interview", "cost"}
    assert notes == ["columns not used by qualcode were ignored: highlights"]


def test_spreadsheet_csv_with_semicolons_categories_and_colors() -> None:
    data = (
        "Category;Code;Definition;Colour\n"
        "Roles;Convener;Brings people together;#1f77b4\n"
        "Roles;Funder;;red\n"
        ";Roles;What organizations do;\n"
        "Needs;Housing;Homes and rent (loyer élevé);\n"
        ";;;\n"
        "Needs;;a row without a name;\n"
    )
    text, notes = csv_to_codebook_yaml(data.encode("cp1252"), "sheet.csv")
    codes = {c.id: c for c in parse_codebook(text, "s.yaml").codes}
    assert codes["convener"].parent_id == "roles" and codes["convener"].color == "#1f77b4"
    assert codes["roles"].codable is True and codes["roles"].definition == "What organizations do"
    assert codes["needs"].codable is False  # a category that is no code becomes a group
    assert codes["housing"].parent_id == "needs"
    joined = " ".join(notes)
    assert "'red' is not a hex color" in joined and "placeholder" in joined and "Needs" in joined
    assert "Windows-1252" in joined and codes["housing"].definition.endswith("(loyer élevé)")
    assert "rows without a code name were skipped (lines 7)" in joined


def test_nvivo_code_list_with_hierarchical_names_keeps_the_hierarchy() -> None:
    data = (
        "\ufeffName,Description,Files,References\n"
        "Codes\\Roles,Roles played,3,10\n"
        "Codes\\Roles\\Contributor,Gives money,2,5\n"
        "Codes\\Roles\\Convener\\Hosts meetings,Brings people,1,1\n"
    )
    text, notes = csv_to_codebook_yaml(data.encode("utf-8"), "nvivo.csv")
    codes = {c.id: c for c in parse_codebook(text, "s.yaml").codes}
    assert codes["hosts-meetings"].parent_id == "convener"  # a folder without a row of its own
    assert codes["contributor"].parent_id == "roles" and codes["roles"].parent_id is None
    assert codes["convener"].parent_id == "roles" and codes["convener"].codable is False
    assert any("NVivo's hierarchical names" in n for n in notes)


def test_qualcode_csv_export_imports_back_with_ids_and_parents(runner: CliRunner) -> None:
    exported = run(runner, "codebook", "export", "--format", "csv", "-p", str(REPO))
    assert exported.exit_code == 0
    text, _ = csv_to_codebook_yaml(exported.stdout.encode("utf-8"), "codebook.csv")
    got = {c.id: c for c in parse_codebook(text, "c.yaml").codes}
    for code in bundled_codebook().codes:
        assert got[code.id].parent_id == code.parent_id
        assert got[code.id].codable == code.codable
        assert got[code.id].examples == code.examples


def test_csv_without_a_name_column_lists_the_header(tmp_path: Path, runner: CliRunner) -> None:
    with pytest.raises(InterchangeError, match=r"columns: colour, meaning") as caught:
        csv_to_codebook_yaml(b"colour,meaning\n#fff,x\n", "bad.csv")
    assert caught.value.path == "bad.csv" and caught.value.line == 1
    path = write(tmp_path / "bad.csv", "colour,meaning\n#fff,x\n")
    result = run(runner, "codebook", "import", str(path))
    assert result.exit_code == 2 and "bad.csv:1" in result.stderr
    huge = write(tmp_path / "huge.csv", 'name\n"' + "x" * 200_000 + '"\n')
    result = run(runner, "codebook", "import", str(huge))
    assert result.exit_code == 2 and "huge.csv:2: error: not a readable CSV" in result.stderr


def test_dictionary_becomes_codes_with_keyword_rules(tmp_path: Path, runner: CliRunner) -> None:
    dictionary = """\
        trust:
          - trust*
          - rely on
          - "*worthy"
        money:
          funding: [grant*, donation*]
          cost: price
        """
    path = write(tmp_path / "lexicon.yml", dictionary)
    text, notes = dictionary_to_codebook_yaml(path.read_bytes(), str(path))
    codes = {c.id: c for c in parse_codebook(text, "d.yaml").codes}
    assert codes["trust"].rules[0].keywords == ("trust*", "rely on")
    assert codes["money"].codable is False
    assert codes["funding"].parent_id == "money" and codes["cost"].rules[0].keywords == ("price",)
    assert any("'*worthy'" in n for n in notes)
    out = tmp_path / "codebooks" / "lexicon.yaml"
    result = run(runner, "codebook", "import", str(path), "-o", str(out))
    assert result.exit_code == 0
    check = run(runner, "check", str(out))
    assert check.exit_code == 0, check.stdout
    bad = write(tmp_path / "list.yaml", "- just\n- a list\n")
    assert run(runner, "codebook", "import", str(bad)).exit_code == 2


# -- projects: export -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def coded_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled study with rule proposals for coder `auto`, one rejected and one accepted."""
    root = copy_bundled(tmp_path_factory.mktemp("coded") / "study")
    result = CliRunner().invoke(app, ["code", "--project", str(root), "-q"])
    assert result.exit_code == 0, result.stderr
    path = root / "codings" / "auto" / "riverbend-health.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first, second = json.loads(lines[1]), json.loads(lines[2])
    first["status"] = "rejected"
    second.update(status="accepted", memo="Checked by hand.")
    lines[1], lines[2] = json.dumps(first), json.dumps(second)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def pair_counts(root: Path, coder: str, *, skip_rejected: bool) -> collections.Counter[str]:
    """Per code: how many (transcript, code) pairs the coder has."""
    pairs = set()
    for path in (root / "codings" / coder).glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            record = json.loads(line)
            if "code" in record and not (skip_rejected and record["status"] == "rejected"):
                pairs.add((path.stem, record["code"]))
    return collections.Counter(code for _, code in pairs)


def test_qdpx_export_is_valid_deterministic_and_complete(
    coded_study: Path, tmp_path: Path, project_schema: etree.XMLSchema, runner: CliRunner
) -> None:
    first, second = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    result = run(runner, "export", "qdpx", "-o", str(first), "-p", str(coded_study))
    assert result.exit_code == 0, result.stderr
    assert "1 rejected coding left out" in result.stderr
    export_qdpx(load_project(coded_study), None, second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names[0] == "project.qde" and names[1:] == sorted(names[1:])
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        qde = archive.read("project.qde")
        assert_valid(project_schema, qde)
        root = etree.fromstring(qde)
        ns = {"q": "urn:QDA-XML:project:1.0"}
        assert [u.get("name") for u in root.findall("q:Users/q:User", ns)] == ["auto"]
        project = load_project(coded_study)
        sources = root.findall("q:Sources/q:TextSource", ns)
        assert len(sources) == len(project.corpus.ids)
        for source in sources:
            member = "Sources/" + source.get("plainTextPath").removeprefix("internal://")
            text = archive.read(member).decode("utf-8")
            transcript = project.corpus.load(source.get("name"))
            assert text == transcript.text
            for selection in source.findall("q:PlainTextSelection", ns):
                start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
                assert 0 <= start < end <= len(text)
                status = selection.find("q:Description", ns).text.split("\n")[0]
                assert status.startswith("qualcode: ") and "rejected" not in status
        variables = {v.get("name"): v.get("typeOfVariable") for v in root.iter("{*}Variable")}
        assert variables["informants"] == "Integer"
        assert variables["interview_date"] == "Date"
        assert variables["partnership"] == "Text"
        assert len(root.findall("q:Cases/q:Case", ns)) == len(project.corpus.ids)
        accepted = [
            d.text for d in root.iter("{*}Description") if d.text and "accepted, rule" in d.text
        ]
        assert accepted and accepted[0].endswith("\nChecked by hand.")


def test_qdpx_export_unknown_coder_is_a_usage_error(coded_study: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no codings for coder 'nobody'"):
        export_qdpx(load_project(coded_study), ["nobody"], tmp_path / "x.qdpx")
    assert not (tmp_path / "x.qdpx").exists()


# -- projects: import -----------------------------------------------------------------------------


def test_qdpx_round_trip_keeps_codings_per_code(
    coded_study: Path, tmp_path: Path, runner: CliRunner
) -> None:
    exported = tmp_path / "study.qdpx"
    export_qdpx(load_project(coded_study), ["auto"], exported)
    target = tmp_path / "imported"
    result = run(runner, "import", "qdpx", str(exported), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert "imported 14 transcripts" in result.stderr
    # its unreviewed proposals came without their rules: said before `code` removes them
    assert "rule proposals not yet reviewed came without their rules" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == [
        "codebooks",
        "codings",
        "qualcode.yaml",
        "transcripts",
    ]
    assert pair_counts(target, "auto", skip_rejected=False) == pair_counts(
        coded_study, "auto", skip_rejected=True
    )
    # Texts, segments and spans are unchanged, so the imported files equal the originals, except
    # for the rejected coding that was not exported.
    original = (coded_study / "codings" / "auto" / "careworks-health.jsonl").read_text()
    assert (target / "codings" / "auto" / "careworks-health.jsonl").read_text() == original
    accepted = [
        json.loads(line)
        for line in (target / "codings" / "auto" / "riverbend-health.jsonl").open()
        if '"accepted"' in line
    ]
    assert [(c["origin"], c["memo"]) for c in accepted] == [("rule", "Checked by hand.")]
    with (target / "transcripts" / "metadata.csv").open(encoding="utf-8") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert rows["riverbend-clt"]["partnership_type"] == "CLT"
    check = run(runner, "check", "--project", str(target))
    assert check.exit_code == 0, check.stdout + check.stderr


def test_selections_with_impossible_positions_are_named_when_skipped(
    coded_study: Path, tmp_path: Path
) -> None:
    import re
    import zipfile

    exported = tmp_path / "study.qdpx"
    export_qdpx(load_project(coded_study), ["auto"], exported)
    with zipfile.ZipFile(exported) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    wrong = iter(
        ['startPosition="99990" endPosition="99999"', 'startPosition="-5" endPosition="20"']
    )
    qde = re.sub(
        r'startPosition="\d+" endPosition="\d+"',
        lambda m: next(wrong, m.group(0)),
        members["project.qde"].decode("utf-8"),
    )
    members["project.qde"] = qde.encode("utf-8")
    broken = tmp_path / "broken.qdpx"
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    notes = import_qdpx(broken, tmp_path / "imported")
    assert "skipped 1 selection with a negative position" in notes
    assert "skipped 1 selection with positions outside its text" in notes
    [detail] = [n for n in notes if n.startswith("positions outside the text")]
    assert "99990-99999 (the text has " in detail


def test_a_project_folder_zipped_again_by_hand_imports(coded_study: Path, tmp_path: Path) -> None:
    import zipfile

    exported = tmp_path / "study.qdpx"
    export_qdpx(load_project(coded_study), ["auto"], exported)
    wrapped = tmp_path / "wrapped.qdpx"
    with zipfile.ZipFile(exported) as archive, zipfile.ZipFile(wrapped, "w") as out:
        for name in archive.namelist():  # what unzipping into MyProject/ and zipping that gives
            out.writestr(f"MyProject/{name}", archive.read(name))
    notes = import_qdpx(wrapped, tmp_path / "imported")
    assert notes[0].startswith("imported 14 transcripts, ")


def test_qdpx_round_trip_keeps_speaker_roles_and_declared_values(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Settings REFI-QDA has no element for travel in the project's Description, so the tallies
    of a project with its own interviewer labels and declared values survive export and import."""
    root = tmp_path / "p"
    assert run(runner, "init", str(root)).exit_code == 0
    config = root / "qualcode.yaml"
    text = config.read_text(encoding="utf-8")
    default = "interviewer: [Interviewer, Int, Q, I, Moderator, Facilitator]"
    assert default in text
    config.write_text(text.replace(default, "interviewer: [Jane Doe]"), encoding="utf-8")
    (root / "transcripts" / "focus.txt").write_text(
        "Jane Doe: How did it start?\nMaria Lopez: We convened everyone.\n"
        "Jane Doe: And then?\nMaria Lopez: We convened again.\n",
        encoding="utf-8",
    )
    assert run(runner, "code", "--project", str(root), "-q").exit_code == 0
    exported = tmp_path / "p.qdpx"
    assert run(runner, "export", "qdpx", "--project", str(root), "-o", str(exported)).exit_code == 0
    target = tmp_path / "imported"
    assert run(runner, "import", "qdpx", str(exported), "-o", str(target)).exit_code == 0
    assert "jane doe" in (target / "qualcode.yaml").read_text(encoding="utf-8").casefold()
    for options in (["--count", "informants"], ["--count", "segments"]):
        before = run(runner, "tally", "--project", str(root), *options, "--format", "csv")
        after = run(runner, "tally", "--project", str(target), *options, "--format", "csv")
        assert before.exit_code == after.exit_code == 0
        assert before.stdout == after.stdout


def test_maxqda_style_project_imports(tmp_path: Path, runner: CliRunner) -> None:
    qdpx = zip_folder(DATA / "maxqda-project", tmp_path / "maxqda.qdpx")
    target = tmp_path / "study"
    notes = import_qdpx(qdpx, target)
    assert notes[0].startswith("imported 2 transcripts, 7 codes and 5 codings by ana-perez, ben")
    joined = "\n".join(notes)
    for expected in (
        "skipped 1 PDF source",
        "skipped 1 audio source",
        "skipped 1 annotation",
        "skipped 1 coding of a code not in the codebook",
        "skipped 1 note or memo",
        "skipped 1 set",
        "variable 'ID' was renamed ID_value",
        "Windows line endings",
        "1 selection merged",
    ):
        assert expected in joined, expected
    project = load_project(target)
    interview = project.corpus.load("interview-1")
    assert "\r" not in interview.text and not interview.text.startswith("\ufeff")
    ana = json.loads(
        (target / "codings" / "ana-perez" / "interview-1.jsonl").read_text().split("\n")[1]
    )
    assert ana["code"] == "initiation"
    assert (
        interview.text[ana["start"] : ana["end"]]
        == "It started with a phone call from the hospital."
    )
    assert ana["segment"] == "t2" and ana["origin"] == "human" and ana["status"] == "accepted"
    ben_lines = (target / "codings" / "ben" / "interview-1.jsonl").read_text().splitlines()[1:]
    [funder] = [json.loads(line) for line in ben_lines]
    assert funder["quote"] == "the hospital funds two homes a year"
    focus = json.loads(
        (target / "codings" / "ben" / "focus-group.jsonl").read_text().split("\n")[1]
    )
    assert focus["quote"] == "Affordable rent"
    assert focus["memo"] == "Rent came up first, before wages."  # the selection's NoteRef
    metadata = (target / "transcripts" / "metadata.csv").read_text(encoding="utf-8")
    assert metadata.splitlines() == [
        "id,Site,Interview date,ID_value",
        "interview-1,Riverbend,2024-04-30,7",
        "focus-group,Eastgate,,",
    ]
    check = run(runner, "check", "--project", str(target))
    assert check.exit_code == 0, check.stdout + check.stderr
    # the project's coder is an imported one, so `tally` counts the imported codings at once
    assert "\ncoder: ana-perez\n" in (target / "qualcode.yaml").read_text(encoding="utf-8")
    assert run(runner, "tally", "--project", str(target)).exit_code == 0


def test_import_refuses_an_existing_project(tmp_path: Path, runner: CliRunner) -> None:
    qdpx = zip_folder(DATA / "maxqda-project", tmp_path / "m.qdpx")
    target = tmp_path / "existing"
    write(target / "qualcode.yaml", "coder: auto\n")
    with pytest.raises(UsageError, match="already exists"):
        import_qdpx(qdpx, target)
    result = run(runner, "import", "qdpx", str(qdpx), "-o", str(target))
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["qualcode.yaml"]


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with_declared_size(data: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size in the local and central headers (a zip-bomb-like lie)."""
    patched = bytearray(data)
    local = patched.find(b"PK\x03\x04")
    patched[local + 22 : local + 26] = struct.pack("<I", size)
    central = patched.find(b"PK\x01\x02")
    patched[central + 24 : central + 28] = struct.pack("<I", size)
    return bytes(patched)


PROJECT_QDE = b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'
HOSTILE_QDPX = {
    "dotdot": _zip_bytes({"project.qde": PROJECT_QDE, "../../evil.txt": b"owned"}),
    "absolute": _zip_bytes({"project.qde": PROJECT_QDE, "/etc/evil.txt": b"owned"}),
    "bomb": _with_declared_size(_zip_bytes({"project.qde": PROJECT_QDE}), 600_000_000),
    "billion-laughs": _zip_bytes({"project.qde": BILLION_LAUGHS.replace(b"CodeBook", b"Project")}),
    "external-entity": _zip_bytes({"project.qde": EXTERNAL_ENTITY}),
    "not-a-zip": b"<Project/>",
    "empty": b"",
    "no-qde": _zip_bytes({"readme.txt": b"hello"}),
    "qde-not-xml": _zip_bytes({"project.qde": b"\x00\x01garbage"}),
    "qde-is-a-codebook": _zip_bytes({"project.qde": b"<CodeBook><Codes/></CodeBook>"}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_QDPX))
def test_hostile_or_broken_qdpx_is_refused_with_exit_2(
    case: str, tmp_path: Path, runner: CliRunner
) -> None:
    path = write(tmp_path / f"{case}.qdpx", HOSTILE_QDPX[case])
    target = tmp_path / "out"
    with pytest.raises(InterchangeError) as caught:
        import_qdpx(path, target)
    assert caught.value.path == str(path)
    result = run(runner, "import", "qdpx", str(path), "-o", str(target))
    assert result.exit_code == 2
    assert f"{case}.qdpx" in result.stderr
    assert not target.exists()
    assert not (tmp_path / "evil.txt").exists()


def test_member_count_and_size_caps_are_enforced(tmp_path: Path) -> None:
    sources = {f"Sources/{i}.txt": b"x" * 10_000 for i in range(20)}
    many = write(tmp_path / "many.qdpx", _zip_bytes({"project.qde": PROJECT_QDE, **sources}))
    assert many.stat().st_size < 50_000
    with pytest.raises(InterchangeError, match="21 members"):
        import_qdpx(many, tmp_path / "a", max_members=10)
    with pytest.raises(InterchangeError, match="unpacks to more than"):
        import_qdpx(many, tmp_path / "b", max_bytes=50_000)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    # 30 MB of one letter zips to 30 KB: refused from the archive's directory, before reading it
    bomb = write(tmp_path / "bomb.qdpx", _zip_bytes({"project.qde": PROJECT_QDE,
                                                     "Sources/big.txt": b"a" * 30_000_000}))  # fmt: skip
    with pytest.raises(InterchangeError, match=r"unpacks to 30 MB from .* KB .* to 1"):
        import_qdpx(bomb, tmp_path / "c")


def test_selection_spanning_turns_becomes_one_coding_per_turn(
    tmp_path: Path, runner: CliRunner
) -> None:
    """NVivo users often code a question with its answer; qualcode codes one segment at a time,
    so the selection is split at the turns, each piece clipped to its turn and keeping the memo."""
    text = (
        "Interviewer: How did it start?\n"
        "Maria Lopez: The hospital called us. Then we met.\n"
        "Interviewer: Any tension?\n"
        "Maria Lopez: Some, about cost.\n"
    )

    def selection(number: int, start: int, end: int, code: str, memo: str = "") -> str:
        description = f"<Description>{memo}</Description>" if memo else ""
        return (
            f'<PlainTextSelection guid="S{number}" startPosition="{start}" endPosition="{end}" '
            f'creatingUser="U1">{description}<Coding guid="K{number}" creatingUser="U1">'
            f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
        )

    def span(first: str, last: str) -> tuple[int, int]:
        return text.index(first), text.index(last) + len(last)

    spanning = span("How did it start?", "called us")
    from_label = span("Interviewer: Any tension?", "Some")
    inside = span("Then we met", "Then we met")
    label_start = text.index("Maria Lopez: Some")
    label_only = (label_start, label_start + len("Maria Lopez:"))
    # ends inside the next speaker's label: clipped to its own turn
    into_label = (text.index("Then we met"), text.index("Interviewer: Any") + len("Interviewer: "))
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Spans" origin="NVivo 14.23.0">
<Users><User guid="U1" name="Alice"/></Users>
<CodeBook><Codes>
  <Code guid="C1" name="Initiation" isCodable="true"><Description>How it began.</Description></Code>
  <Code guid="C2" name="Tension" isCodable="true"><Description>Conflict.</Description></Code>
</Codes></CodeBook>
<Sources><TextSource guid="T1" name="Interview.docx" plainTextPath="internal://T1.txt">
{selection(1, *spanning, "C1", memo="question and answer")}
{selection(2, *from_label, "C2")}
{selection(3, *inside, "C1")}
{selection(4, *label_only, "C2")}
{selection(5, *into_label, "C2")}
</TextSource></Sources>
</Project>"""
    qdpx = write(
        tmp_path / "spans.qdpx",
        _zip_bytes({"project.qde": qde.encode("utf-8"), "Sources/T1.txt": text.encode("utf-8")}),
    )
    target = tmp_path / "study"
    result = run(runner, "import", "qdpx", str(qdpx), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert "imported 1 transcript, 2 codes and 5 codings by alice" in result.stderr
    assert (
        "2 selections spanning several segments were split into 4 codings, one per segment"
        in result.stderr
    )
    # The selection inside one turn merges with the piece in that turn, as before.
    assert "1 selection merged" in result.stderr
    assert "skipped 1 selection outside every segment" in result.stderr

    transcript = load_project(target).corpus.load("interview")
    segments = {s.id: s for s in transcript.segments}
    lines = (target / "codings" / "alice" / "interview.jsonl").read_text().splitlines()[1:]
    codings = [json.loads(line) for line in lines]
    assert [(c["code"], c["segment"]) for c in codings] == [
        ("initiation", "t1"),
        ("initiation", "t2"),
        ("tension", "t2"),
        ("tension", "t3"),
        ("tension", "t4"),
    ]
    quoted = [text[c["start"] : c["end"]] for c in codings]
    assert quoted == [
        "How did it start?",
        "The hospital called us. Then we met",
        "Then we met.",
        "Any tension?",
        "Some",
    ]
    for coding in codings:
        segment = segments[coding["segment"]]
        assert segment.start <= coding["start"] < coding["end"] <= segment.end
        assert "Maria Lopez:" not in text[coding["start"] : coding["end"]]
    # Whole-segment pieces carry no quote (as qualcode writes them); partial ones quote their part.
    assert [c.get("quote", "") for c in codings] == ["", quoted[1], quoted[2], "", "Some"]
    assert [c["memo"] for c in codings[:2]] == ["question and answer"] * 2
    assert segments["t1"].role == "interviewer" and segments["t2"].role == "informant"

    tally = run(
        runner,
        "tally",
        "--project",
        str(target),
        "--coder",
        "alice",
        "--count",
        "informants",
        "--format",
        "csv",
    )
    assert tally.exit_code == 0, tally.stderr
    rows = {row[0]: row[-1] for row in csv.reader(io.StringIO(tally.stdout))}
    assert rows["initiation"] == rows["tension"] == "1"
    check = run(runner, "check", "--project", str(target))
    assert check.exit_code == 0, check.stdout + check.stderr


NVIVO_QDE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="P" origin="NVivo 14">
<Users><User guid="a1111111-1111-4111-8111-111111111111" name="Dana Ruiz"/></Users>
<CodeBook><Codes>
<Code guid="c0000001-0000-4000-8000-000000000001" name="Land" isCodable="true">
<Description>About land.</Description></Code>
</Codes></CodeBook>
<Sources>
<TextSource guid="b0000001-0000-4000-8000-000000000001" name="Emoji"
 plainTextPath="internal://emoji.txt">
{selections}
</TextSource>
<TextSource guid="b0000002-0000-4000-8000-000000000002" name="Wide"
 plainTextPath="internal://wide.txt"/>
</Sources>
<Notes>
<Note guid="e0000001-0000-4000-8000-000000000001" name="Memo"
 plainTextPath="internal://memo.txt"/>
</Notes>
</Project>
"""


def _selection(n: int, start: str, end: str, note: bool = False) -> str:
    ref = '<NoteRef targetGUID="e0000001-0000-4000-8000-000000000001"/>' if note else ""
    return (
        f'<PlainTextSelection guid="f000000{n}-0000-4000-8000-000000000001" '
        f'startPosition="{start}" endPosition="{end}">'
        f'<Coding guid="f000000{n}-0000-4000-8000-000000000002">'
        f'<CodeRef targetGUID="c0000001-0000-4000-8000-000000000001"/></Coding>{ref}'
        "</PlainTextSelection>"
    )


def test_a_dotnet_tools_project_imports_positions_memos_and_utf16(tmp_path: Path) -> None:
    """NVivo counts an emoji as two positions, keeps a memo in its own file, may write UTF-16."""
    text = (
        "Interviewer: Who? 🙂🙂\nRespondent: 🙂 The land trust bought the lot.\n"
        "Interviewer: And? 🙂\nRespondent: It was 🙂 ours.\n"
    )
    units = lambda s: len(s.encode("utf-16-le")) // 2  # noqa: E731
    first = text.index("The land trust")
    last = text.index("ours")
    selections = [
        _selection(1, str(units(text[:first])), str(units(text[: first + 29])), note=True),
        _selection(2, str(units(text[:last])), str(units(text[: last + 4]))),
        _selection(3, "４０", "50"),  # full-width digits are not an XML integer
        _selection(4, "30", "20"),  # ends before it starts
        _selection(5, "25", "25"),  # empty
    ]
    members = {
        "project.qde": NVIVO_QDE.format(selections="\n".join(selections)).encode("utf-8"),
        "Sources/emoji.txt": text.encode("utf-8"),
        "Sources/wide.txt": "Interviewer: Why?\nRespondent: Money.\n".encode("utf-16-le"),
        "Sources/memo.txt": "Bought, not leased.".encode("utf-8-sig"),
    }
    path = tmp_path / "nvivo.qdpx"
    path.write_bytes(_zip_bytes(members))
    notes = import_qdpx(path, tmp_path / "study")
    joined = "\n".join(notes)
    assert "'Emoji': positions counted in UTF-16 units (emoji as two)" in joined
    assert "wide.txt was read as utf-16-le text without a byte-order mark" in joined
    assert "skipped 1 selection without valid positions" in notes
    assert "skipped 2 selections that end before they start or are empty" in notes
    lines = (tmp_path / "study" / "codings" / "imported" / "emoji.jsonl").read_text()
    codings = [json.loads(line) for line in lines.splitlines()[1:]]
    assert [(c["quote"], c["memo"]) for c in codings] == [
        ("The land trust bought the lot", "Bought, not leased."),
        ("ours", ""),
    ]
    assert load_project(tmp_path / "study").corpus.load("wide").speakers == [
        "Interviewer",
        "Respondent",
    ]


def test_a_qualcode_round_trip_keeps_transcript_ids(
    make_project: MakeProject, tmp_path: Path, runner: CliRunner
) -> None:
    """`t_2` came back as `t-2`, so metadata rows and decisions files no longer matched."""
    text = "Interviewer: Housing?\n\nMaria Lopez: We build homes.\n"
    root = make_project(transcripts={"Site A_2": text, "b": text}, metadata=None)
    assert run(runner, "code", "-q", "-p", str(root)).exit_code == 0
    assert (
        run(runner, "export", "qdpx", "-p", str(root), "-o", str(tmp_path / "s.qdpx")).exit_code
        == 0
    )
    import_qdpx(tmp_path / "s.qdpx", tmp_path / "back")
    assert sorted(p.stem for p in (tmp_path / "back" / "transcripts").glob("*.txt")) == [
        "Site A_2",
        "b",
    ]


def test_codings_of_a_group_code_are_kept_with_a_note(tmp_path: Path) -> None:
    """ATLAS.ti codes its groups; such a coding came in without a word, on a `codable: false`."""
    text = "Interviewer: Who?\nRespondent: The land trust bought the lot.\n"
    start = text.index("The land")
    qde = NVIVO_QDE.replace('isCodable="true"', 'isCodable="false"').format(
        selections=_selection(1, str(start), str(start + 14))
    )
    members = {
        "project.qde": qde.encode("utf-8"),
        "Sources/emoji.txt": text.encode("utf-8"),
        "Sources/wide.txt": b"Interviewer: Why?\nRespondent: Money.\n",
        "Sources/memo.txt": b"m",
    }
    path = write(tmp_path / "groups.qdpx", _zip_bytes(members))
    notes = import_qdpx(path, tmp_path / "study")
    assert any(
        n.startswith("kept 1 coding(s) of 'Land', marked not codable in the source (a group)")
        for n in notes
    )


def test_code_ids_from_names_keep_latin_letters_nfkd_does_not_split() -> None:
    """Found by a helper: `Işık` became `isk` and `Straße` `strae`."""
    from qualcode.codebook.importers import slugify

    assert [slugify(n) for n in ("Işık", "Straße", "Łódź", "Überzeugung / Trust")] == [
        "isik",
        "strasse",
        "lodz",
        "uberzeugung-trust",
    ]
    assert slugify("看病难") == "code"  # no ASCII letters: the fallback, numbered on import
