"""Importing a guide's titles: good rows kept, bad rows reported, from CSV, MARC, MARCXML and Dublin Core."""

from __future__ import annotations

import io

import pymarc

from tests.guides.helpers import ISBNS, add_isbn, auth, catalogue_counts, create_guide, make_world


def _import(client, staff, guide_id, fmt, data: bytes, filename="list"):
    return client.post(
        f"/v1/guides/manage/guides/{guide_id}/import",
        query_string={"format": fmt},
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=auth(staff),
    )


def _results(report):
    return [(r["row"], r["result"], r["error"]) for r in report["rows"]]


def test_csv_with_mixed_rows_keeps_the_good_and_reports_the_bad(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    add_isbn(client, world.librarian, guide["id"], ISBNS[0], title="Già presente")
    csv = (
        f"isbn,note\n"
        f"{ISBNS[1]},Per la terza media\n"
        f"88-04-47328-3,ISBN sbagliato\n"
        f"\n"
        f"{ISBNS[0]},già nella guida\n"
        f"978-88-06-21935-2,stesso libro della riga 2 con trattini\n"
        f'88-04-47328-2,"Nota con, virgola"\n'
    ).encode()
    response = _import(client, world.librarian, guide["id"], "csv", csv)
    assert response.status_code == 200, response.json
    report = response.json
    assert _results(report) == [
        (2, "added", None),
        (3, "rejected", "invalid_isbn"),
        (5, "rejected", "already_in_guide"),
        (6, "rejected", "already_in_guide"),
        (7, "added", None),
    ]
    assert report["added"] == 2 and report["rejected"] == 3
    assert report["rows"][1]["message"].startswith("Codice ISBN non valido")
    detail = client.get(f"/v1/guides/manage/guides/{guide['id']}", headers=auth(world.librarian)).json
    assert [(i["record"]["isbn"], i["note"]) for i in detail["items"]] == [
        (ISBNS[0], ""),
        (ISBNS[1], "Per la terza media"),
        ("9788804473282", "Nota con, virgola"),
    ]


def test_csv_without_header_and_with_semicolons(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    response = _import(client, world.librarian, guide["id"], "csv", f"{ISBNS[2]};Bella\nnot-an-isbn;x\n".encode())
    assert _results(response.json) == [(1, "added", None), (2, "rejected", "invalid_isbn")]


def _marc21(isbn, title, author, year):
    record = pymarc.Record()
    record.add_field(
        pymarc.Field(tag="020", indicators=pymarc.Indicators(" ", " "), subfields=[pymarc.Subfield("a", isbn)])
    )
    record.add_field(
        pymarc.Field(tag="100", indicators=pymarc.Indicators("1", " "), subfields=[pymarc.Subfield("a", author)])
    )
    record.add_field(
        pymarc.Field(tag="245", indicators=pymarc.Indicators("1", "0"), subfields=[pymarc.Subfield("a", title + " /")])
    )
    record.add_field(
        pymarc.Field(tag="264", indicators=pymarc.Indicators(" ", "1"), subfields=[pymarc.Subfield("c", f"©{year}")])
    )
    return record


def _unimarc(isbn, title, author, year):
    record = pymarc.Record()
    record.add_field(
        pymarc.Field(tag="010", indicators=pymarc.Indicators(" ", " "), subfields=[pymarc.Subfield("a", isbn)])
    )
    record.add_field(
        pymarc.Field(tag="200", indicators=pymarc.Indicators("1", " "), subfields=[pymarc.Subfield("a", title)])
    )
    record.add_field(
        pymarc.Field(tag="210", indicators=pymarc.Indicators(" ", " "), subfields=[pymarc.Subfield("d", str(year))])
    )
    record.add_field(
        pymarc.Field(
            tag="700",
            indicators=pymarc.Indicators(" ", "1"),
            subfields=[pymarc.Subfield("a", author.split(", ")[0]), pymarc.Subfield("b", author.split(", ")[1])],
        )
    )
    return record


def test_marc_export_with_marc21_unimarc_and_a_broken_record(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    good = _marc21(ISBNS[3] + " (br.)", "Il sentiero dei nidi di ragno", "Calvino, Italo", 1947).as_marc()
    unimarc = _unimarc(ISBNS[4], "La luna e i falò", "Pavese, Cesare", 1950).as_marc()
    bad_isbn = _marc21("8804473283", "ISBN sbagliato", "Rossi, Mario", 2001).as_marc()
    broken = bytearray(_marc21(ISBNS[0], "Rotto", "Verdi, Ugo", 2000).as_marc())
    broken[12:17] = b"00003"  # base address of data inside the leader: the fields can't be located
    broken = bytes(broken)
    response = _import(client, world.librarian, guide["id"], "marc", good + broken + unimarc + bad_isbn)
    assert response.status_code == 200, response.json
    assert _results(response.json) == [
        (1, "added", None),
        (2, "rejected", "unreadable"),
        (3, "added", None),
        (4, "rejected", "invalid_isbn"),
    ]
    items = client.get(f"/v1/guides/manage/guides/{guide['id']}", headers=auth(world.librarian)).json["items"]
    assert [(i["record"]["title"], i["record"]["authors"], i["record"]["year"]) for i in items] == [
        ("Il sentiero dei nidi di ragno", "Calvino, Italo", 1947),
        ("La luna e i falò", "Pavese Cesare", 1950),
    ]


def test_marcxml_export(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    records = [_marc21(ISBNS[0], "Primo", "Bianchi, Anna", 2019), _marc21("", "Senza ISBN", "Neri, Luca", 2020)]
    xml = b'<?xml version="1.0" encoding="UTF-8"?><collection xmlns="http://www.loc.gov/MARC21/slim">'
    xml += b"".join(pymarc.record_to_xml(r, namespace=False) for r in records) + b"</collection>"
    response = _import(client, world.librarian, guide["id"], "marcxml", xml)
    assert response.status_code == 200, response.json
    assert _results(response.json) == [(1, "added", None), (2, "added", None)]
    assert response.json["rows"][1]["isbn"] is None


DC = """<?xml version="1.0" encoding="UTF-8"?>
<records xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <oai_dc:dc><dc:title>Wonder</dc:title><dc:creator>Palacio, R. J.</dc:creator>
    <dc:identifier>ISBN {good}</dc:identifier><dc:date>2013</dc:date>
    <dc:description>Per parlare di differenze</dc:description></oai_dc:dc>
  <oai_dc:dc><dc:title>Senza identificativo buono</dc:title><dc:identifier>urn:isbn:9788804473283</dc:identifier></oai_dc:dc>
  <oai_dc:dc><dc:creator>Solo autore</dc:creator></oai_dc:dc>
</records>"""


def test_dublin_core_export(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    response = _import(client, world.librarian, guide["id"], "dc", DC.format(good=ISBNS[1]).encode())
    assert response.status_code == 200, response.json
    assert _results(response.json) == [
        (1, "added", None),
        (2, "rejected", "invalid_isbn"),
        (3, "rejected", "title_required"),
    ]
    items = client.get(f"/v1/guides/manage/guides/{guide['id']}", headers=auth(world.librarian)).json["items"]
    assert items[0]["note"] == "Per parlare di differenze" and items[0]["record"]["year"] == 2013


def test_an_unreadable_file_is_400_and_nothing_changes(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<records><x>&b;</x></records>"
    )
    for fmt, data in (
        ("dc", bomb),
        ("dc", b"not xml"),
        ("marcxml", b"<a></a>"),
        ("marc", b""),
        ("csv", b"\xff\xfe\x00bad"),
    ):
        response = _import(client, world.librarian, guide["id"], fmt, data)
        assert response.status_code == 400, (fmt, response.json)
        assert response.json["error"]["code"] == "unsupported_import"
    response = _import(client, world.librarian, guide["id"], "xlsx", b"x")
    assert response.status_code == 400
    response = client.post(
        f"/v1/guides/manage/guides/{guide['id']}/import", query_string={"format": "csv"}, headers=auth(world.librarian)
    )
    assert response.status_code == 400
    assert catalogue_counts(db) == {"records": 0, "items": 0}


def test_import_into_another_networks_guide_is_404(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    response = _import(client, world.other_librarian, guide["id"], "csv", f"{ISBNS[0]},x\n".encode())
    assert response.status_code == 404
    assert catalogue_counts(db) == {"records": 0, "items": 0}
