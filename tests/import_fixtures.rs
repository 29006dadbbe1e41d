//! The import fixtures the project writes (`fixtures/import/`): each format, encoding and
//! delimiter reads into the right fields, bad rows come out with their line and reason, and a
//! contact written as vCard 4.0 reads back field for field.

#[path = "../fixtures/import/generate.rs"]
mod generate;

use rapport::domain::{Contact, Id, Kind, Meta};
use rapport::interchange::text::Evidence;
use rapport::interchange::vcard::VcardWriter;
use rapport::interchange::{self, ColumnMap, Format, ReadError, Reader, RowError};
use std::io::BufReader;
use std::path::{Path, PathBuf};

type Fields = Vec<(String, String)>;
/// A row's line and mapped fields, or why it was refused.
type Mapped = Result<(u64, Fields), RowError>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/import")
        .join(name)
}

/// Reads a fixture as `kind`, mapping each row; the reader is returned for its encoding and
/// delimiter.
fn read(name: &str, kind: Kind) -> (String, Vec<Mapped>) {
    let reader = interchange::open(&fixture(name), None, None).unwrap();
    let described = reader.describe();
    (described, map_all(reader, kind))
}

fn map_all(reader: Reader<BufReader<std::fs::File>>, kind: Kind) -> Vec<Mapped> {
    let mut map = ColumnMap::new(kind, &[]).unwrap();
    reader
        .map(|item| match item {
            Ok(row) => Ok((row.line, map.apply(&row))),
            Err(ReadError::Row(e)) => Err(e),
            Err(e) => panic!("{e}"),
        })
        .collect()
}

fn ok(rows: &[Mapped]) -> Vec<&Fields> {
    rows.iter()
        .map(|r| &r.as_ref().expect("a good row").1)
        .collect()
}

fn get<'a>(fields: &'a Fields, field: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(f, _)| f == field)
        .map(|(_, v)| v.as_str())
}

#[test]
fn generated_fixtures_are_up_to_date() {
    let write = std::env::var_os("RAPPORT_WRITE_FIXTURES").is_some();
    for (name, encoding, text) in generate::LEGACY {
        let bytes = generate::bytes(*encoding, text);
        let path = fixture(name);
        if write {
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{name}: {e}; run with RAPPORT_WRITE_FIXTURES=1"));
        assert!(
            on_disk == bytes,
            "{name} differs from generate.rs; run with RAPPORT_WRITE_FIXTURES=1"
        );
    }
}

#[test]
fn utf8_with_bom() {
    let (described, rows) = read("accounts-utf8-bom.csv", Kind::Account);
    assert_eq!(described, "csv, delimiter ',', UTF-8 (byte-order mark)");
    let rows = ok(&rows);
    assert_eq!(rows.len(), 3);
    assert_eq!(get(rows[0], "name"), Some("Zoë's Café"));
    assert_eq!(get(rows[1], "city"), Some("Ærøskøbing"));
    assert_eq!(get(rows[2], "name"), Some("北京华信科技有限公司"));
    assert_eq!(get(rows[2], "custom.Industry"), Some("Software"));
}

#[test]
fn utf16le_tab_separated() {
    let (described, rows) = read("accounts-utf16le.csv", Kind::Account);
    assert_eq!(described, "csv, delimiter tab, UTF-16LE (byte-order mark)");
    let rows = ok(&rows);
    assert_eq!(get(rows[1], "name"), Some("Иванов и партнёры"));
    assert_eq!(get(rows[1], "emails"), Some("office@ivanov-partners.ru"));
    assert_eq!(get(rows[2], "city"), Some("東京"));
}

#[test]
fn windows_1252_semicolons_detected() {
    let (described, rows) = read("accounts-windows-1252.csv", Kind::Account);
    assert_eq!(described, "csv, delimiter ';', windows-1252 (detected)");
    let rows = ok(&rows);
    assert_eq!(rows.len(), 4);
    let first = rows[0];
    assert_eq!(get(first, "name"), Some("Société Générale de Crème"));
    assert_eq!(get(first, "street"), Some("12, rue de l'Église"));
    assert_eq!(get(first, "city"), Some("Besançon"));
    assert_eq!(get(first, "postcode"), Some("25000"));
    assert_eq!(get(first, "emails"), Some("contact@creme.fr"));
    assert_eq!(get(first, "custom.Chiffre d'affaires"), Some("1 234,50"));
    assert_eq!(get(rows[3], "street"), Some("Straße des 17. Juni 1"));
}

#[test]
fn gbk_kingdee_style_export_detected() {
    let (described, rows) = read("accounts-gbk.csv", Kind::Account);
    assert_eq!(described, "csv, delimiter ',', GBK (detected)");
    let rows = ok(&rows);
    let first = rows[0];
    assert_eq!(get(first, "name"), Some("北京华信科技有限公司"));
    assert_eq!(get(first, "external_id"), Some("KH0001"));
    assert_eq!(get(first, "phones"), Some("010-65521234, 13800138000"));
    assert_eq!(get(first, "emails"), Some("zhangwei@huaxin.cn"));
    assert_eq!(get(first, "street"), Some("朝阳区建国路88号"));
    assert_eq!(get(first, "city"), Some("北京"));
    assert_eq!(get(first, "postcode"), Some("100022"));
    assert_eq!(get(first, "notes"), Some("重点客户"));
    assert_eq!(get(first, "custom.联系人"), Some("张伟"));
    assert_eq!(get(rows[2], "notes"), Some("年度合同, 续签中"));
}

#[test]
fn windows_1251_1c_style_export_detected() {
    let (described, rows) = read("accounts-1c-windows-1251.csv", Kind::Account);
    assert_eq!(described, "csv, delimiter ';', windows-1251 (detected)");
    let rows = ok(&rows);
    let first = rows[0];
    assert_eq!(get(first, "name"), Some("ООО \"Ромашка\""));
    assert_eq!(get(first, "external_id"), Some("7701234567"));
    assert_eq!(get(first, "custom.Код"), Some("000000001"));
    assert_eq!(get(first, "phones"), Some("+7 495 123-45-67"));
    assert_eq!(get(first, "emails"), Some("info@romashka.ru"));
    assert_eq!(get(first, "street"), Some("ул. Тверская, д. 7"));
    assert_eq!(get(first, "city"), Some("Москва"));
    assert_eq!(get(first, "postcode"), Some("125009"));
    assert_eq!(
        get(rows[2], "notes"),
        Some("Оплата ежемесячно, счёт до 5-го")
    );
}

#[test]
fn a_named_encoding_overrides_detection() {
    let path = fixture("accounts-1c-windows-1251.csv");
    let reader = interchange::open(&path, Some(Format::Csv), Some("cp1251")).unwrap();
    assert_eq!(reader.encoding().evidence, Evidence::Named);
    let err = interchange::open(&path, None, Some("cp-nonsense"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("windows-1251"), "{err}");
}

#[test]
fn salesforce_accounts_land_in_the_right_fields() {
    let (_, rows) = read("accounts-salesforce.csv", Kind::Account);
    let rows = ok(&rows);
    assert_eq!(rows.len(), 3);
    let acme = rows[0];
    assert_eq!(get(acme, "name"), Some("Acme Corporation"));
    assert_eq!(get(acme, "external_id"), Some("0015g00000XyZ1AAA"));
    assert_eq!(get(acme, "custom.Account Number"), Some("CD451796"));
    assert_eq!(get(acme, "street"), Some("1 Market Street\nSuite 300"));
    assert_eq!(get(acme, "city"), Some("San Francisco"));
    assert_eq!(get(acme, "region"), Some("CA"));
    assert_eq!(get(acme, "postcode"), Some("94105"));
    assert_eq!(get(acme, "country"), Some("USA"));
    assert_eq!(get(acme, "custom.Shipping City"), Some("Oakland"));
    assert_eq!(get(acme, "phones"), Some("+1 (415) 555-0100"));
    assert_eq!(get(acme, "custom.Fax"), Some("+1 (415) 555-0101"));
    assert_eq!(get(acme, "website"), Some("https://www.acme.example"));
    assert_eq!(get(acme, "owner"), Some("Jane Smith"));
    assert_eq!(
        get(acme, "notes"),
        Some("Key account since 2019; \"strategic\"")
    );
    assert_eq!(get(acme, "custom.Type"), Some("Customer - Direct"));
    assert_eq!(get(acme, "custom.Industry"), Some("Manufacturing"));
}

#[test]
fn salesforce_contacts_link_by_account_id() {
    let (_, rows) = read("contacts-salesforce.csv", Kind::Contact);
    let wile = ok(&rows)[0];
    assert_eq!(get(wile, "name"), Some("Wile Coyote"));
    assert_eq!(get(wile, "account"), Some("0015g00000XyZ1AAA"));
    assert_eq!(get(wile, "company"), Some("Acme Corporation"));
    assert_eq!(get(wile, "external_id"), Some("0035g00000AbC1AAA"));
    assert_eq!(get(wile, "title"), Some("Head of Procurement"));
    assert_eq!(
        get(wile, "phones"),
        Some("+1 (415) 555-0110, +1 (415) 555-0199")
    );
    assert_eq!(get(wile, "custom.Mailing City"), Some("San Francisco"));
}

#[test]
fn google_contacts_export() {
    let (_, rows) = read("contacts-google.csv", Kind::Contact);
    let rows = ok(&rows);
    let ann = rows[0];
    assert_eq!(get(ann, "name"), Some("Ann Lee"));
    assert_eq!(
        get(ann, "emails"),
        Some("ann.lee@lee-co.example, annlee@mail.example")
    );
    assert_eq!(
        get(ann, "phones"),
        Some("+44 7700 900123, +44 7700 900124, +44 20 7946 0000")
    );
    assert_eq!(get(ann, "company"), Some("Lee & Co"));
    assert_eq!(get(ann, "title"), Some("Director"));
    assert_eq!(get(ann, "custom.Phone 1 - Type"), Some("Mobile"));
    assert_eq!(get(ann, "custom.Given Name"), Some("Ann"));
    assert_eq!(get(rows[1], "name"), Some("李娜"));
    assert_eq!(get(rows[1], "company"), Some("上海东方贸易有限公司"));
}

#[test]
fn outlook_contacts_export() {
    let (_, rows) = read("contacts-outlook.csv", Kind::Contact);
    let rows = ok(&rows);
    let john = rows[0];
    assert_eq!(get(john, "name"), Some("John Q. Public"));
    assert_eq!(get(john, "title"), Some("Buyer"));
    assert_eq!(get(john, "custom.Title"), Some("Mr."));
    assert_eq!(get(john, "company"), Some("Contoso Ltd"));
    assert_eq!(
        get(john, "phones"),
        Some("+1 425 555 0100, +1 425 555 0199")
    );
    assert_eq!(
        get(john, "emails"),
        Some("john.public@contoso.example, jqp@home.example")
    );
    assert_eq!(get(john, "custom.Notes"), Some("Prefers email\nafter 3pm"));
    assert_eq!(get(rows[1], "name"), Some("Olga Smirnova"));
}

#[test]
fn pipe_and_tab_delimiters() {
    let (described, rows) = read("accounts-pipe.csv", Kind::Account);
    assert!(described.starts_with("csv, delimiter '|'"), "{described}");
    assert_eq!(get(ok(&rows)[0], "tags"), Some("wholesale, food"));
    let (described, rows) = read("accounts-tab.csv", Kind::Account);
    assert!(described.starts_with("csv, delimiter tab"), "{described}");
    assert_eq!(
        get(ok(&rows)[1], "phones"),
        Some("+1 555 0200; +1 555 0201")
    );
    assert_eq!(get(ok(&rows)[1], "segment"), Some("enterprise"));
}

#[test]
fn embedded_newlines_keep_line_numbers() {
    let (_, rows) = read("accounts-embedded-newlines.csv", Kind::Account);
    let lines: Vec<u64> = rows.iter().map(|r| r.as_ref().unwrap().0).collect();
    assert_eq!(lines, [2, 5, 6]);
    let first = &rows[0].as_ref().unwrap().1;
    assert_eq!(get(first, "name"), Some("Contoso, Ltd."));
    assert_eq!(
        get(first, "notes"),
        Some("First line\nsecond line with \"quotes\"\nthird, with comma")
    );
    assert_eq!(
        get(&rows[2].as_ref().unwrap().1, "name"),
        Some("Multi\nLine Name Inc")
    );
}

#[test]
fn bad_rows_come_out_with_line_and_reason() {
    let path = fixture("accounts-bad-rows.csv");
    let rows = map_all(interchange::open(&path, None, None).unwrap(), Kind::Account);
    let lines: Vec<(u64, bool)> = rows
        .iter()
        .map(|r| match r {
            Ok((line, _)) => (*line, true),
            Err(e) => (e.line, false),
        })
        .collect();
    assert_eq!(
        lines,
        [
            (3, true),
            (4, false),
            (5, true),
            (6, true),
            (7, true),
            (8, false),
            (9, true)
        ]
    );
    for e in rows.iter().filter_map(|r| r.as_ref().err()) {
        assert!(e.reason.starts_with("wrong number of fields"), "{e}");
    }
    // The row with an empty name maps to no name: the loader refuses it.
    assert_eq!(get(&rows[2].as_ref().unwrap().1, "name"), None);
}

#[test]
fn rejects_file_re_reads_with_the_reason_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rejects.csv");
    {
        let reader = interchange::open(&fixture("accounts-bad-rows.csv"), None, None).unwrap();
        let mut rejects = reader
            .rejects(std::fs::File::create(&out).unwrap())
            .unwrap();
        for item in reader {
            if let Err(ReadError::Row(e)) = item {
                rejects.write(&e.original, &e.reason).unwrap();
            }
        }
        rejects.flush().unwrap();
    }
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text,
        "name,email,phone,city,reason\n\
         Short Row,short@row.example,wrong number of fields: 2 where the header has 4\n\
         Too,Many,Fields,Here,Extra,wrong number of fields: 5 where the header has 4\n"
    );
    let reader = interchange::open(&out, None, None).unwrap();
    let mut map = ColumnMap::new(Kind::Account, &[]).unwrap();
    map.prepare(reader.headers().unwrap());
    assert!(map.to_string().contains("reason → - (skipped)"), "{map}");
}

#[test]
fn json_array_streams_and_flattens() {
    let (described, rows) = read("accounts.json", Kind::Account);
    assert_eq!(described, "json, UTF-8 (detected)");
    let lines: Vec<u64> = rows.iter().map(|r| r.as_ref().unwrap().0).collect();
    assert_eq!(lines, [2, 13, 14]);
    let rows = ok(&rows);
    let acme = rows[0];
    assert_eq!(get(acme, "phones"), Some("+1 415 555 0100"));
    assert_eq!(get(acme, "tags"), Some("vip, manufacturing"));
    assert_eq!(get(acme, "city"), Some("San Francisco"));
    assert_eq!(get(acme, "custom.tier"), Some("gold"));
    assert_eq!(get(acme, "relationship"), Some("customer"));
    assert_eq!(get(rows[2], "notes"), Some("Первый\nвторой"));
}

#[test]
fn json_lines_report_bad_lines() {
    let (described, rows) = read("interactions.jsonl", Kind::Interaction);
    assert_eq!(described, "jsonl, UTF-8 (detected)");
    assert_eq!(rows.len(), 4);
    let first = &rows[0].as_ref().unwrap().1;
    assert_eq!(get(first, "account"), Some("A-1"));
    assert_eq!(get(first, "duration"), Some("270"));
    assert_eq!(get(first, "started_at"), Some("2026-03-02T09:15:00Z"));
    assert_eq!(rows[2].as_ref().unwrap().0, 4);
    let e = rows[3].as_ref().unwrap_err();
    assert_eq!(e.line, 5);
    assert!(e.reason.starts_with("invalid JSON"), "{e}");
}

#[test]
fn ticket_export_from_another_crm_maps() {
    let (_, rows) = read("tickets.json", Kind::Ticket);
    let first = ok(&rows)[0];
    for (field, value) in [
        ("external_id", "00001026"),
        ("account", "0015g00000XyZ1AAA"),
        ("subject", "Printer jams on every job"),
        ("priority", "High"),
        ("status", "Open"),
        ("assignee", "ann"),
        ("category", "Hardware"),
    ] {
        assert_eq!(get(first, field), Some(value), "{field}");
    }
}

#[test]
fn vcard_21_with_charsets_quoted_printable_and_photo() {
    let (_, rows) = read("contacts-v21.vcf", Kind::Contact);
    let rows = ok(&rows);
    let wang = rows[0];
    assert_eq!(get(wang, "name"), Some("王芳"));
    assert_eq!(get(wang, "company"), Some("广州南方电子股份有限公司"));
    assert_eq!(get(wang, "custom.department"), Some("销售部"));
    assert_eq!(
        get(wang, "phones"),
        Some("+86 20 3888 1111, +86 137 0000 1111")
    );
    assert_eq!(
        get(wang, "custom.notes"),
        Some("Call before 10am\nor after 4pm")
    );
    assert_eq!(
        get(wang, "custom.vcard.photo"),
        Some(
            "PHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD2wBDAAgGBgcGBQgHBwcJCQgKDBQN"
        )
    );
    let petrov = rows[1];
    assert_eq!(get(petrov, "name"), Some("Пётр Иванович Петров"));
    assert_eq!(get(petrov, "custom.street"), Some("ул. Тверская, 7"));
    assert_eq!(get(petrov, "custom.city"), Some("Москва"));
    assert!(get(petrov, "custom.vcard.x-android-custom").is_some());

    let (_, rows) = read("contacts-v21-charsets.vcf", Kind::Contact);
    let zhang = ok(&rows)[0];
    assert_eq!(get(zhang, "name"), Some("张伟"));
    assert_eq!(get(zhang, "company"), Some("北京华信科技有限公司"));
    assert_eq!(get(zhang, "title"), Some("销售经理"));
    assert_eq!(
        get(zhang, "custom.vcard.tel-types"),
        Some("+86 10 6552 1234: work, voice\n+86 138 0013 8000: cell")
    );
}

#[test]
fn vcard_30_folding_types_and_escapes() {
    let (_, rows) = read("contacts-v30.vcf", Kind::Contact);
    let rows = ok(&rows);
    let olga = rows[0];
    assert_eq!(get(olga, "name"), Some("Ольга Сергеевна Иванова"));
    assert_eq!(get(olga, "company"), Some("ООО \"Ромашка\""));
    assert_eq!(get(olga, "title"), Some("Руководитель отдела"));
    assert_eq!(
        get(olga, "custom.vcard.tel-types"),
        Some("+7 495 123-45-67: work, voice\n+7 916 000-00-01: cell, pref")
    );
    assert_eq!(
        get(olga, "custom.notes"),
        Some("Предпочитает звонки утром, до 11:00.\nНе звонить в пятницу; занята.")
    );
    assert_eq!(
        get(olga, "external_id"),
        Some("urn:uuid:5d3c8a6e-0b1f-4d0a-9a55-3b0c7c3e6d21")
    );
    assert_eq!(get(olga, "custom.website"), Some("https://romashka.ru"));
    let chen = rows[1];
    assert_eq!(get(chen, "name"), Some("陈静"));
    assert_eq!(get(chen, "emails"), Some("chenjing@chuangxin.example"));
    assert!(
        get(chen, "custom.notes")
            .unwrap()
            .ends_with("第四部分，结束。")
    );
}

#[test]
fn vcard_40_with_chinese_and_cyrillic_names() {
    let (_, rows) = read("contacts-v40.vcf", Kind::Contact);
    let rows = ok(&rows);
    assert_eq!(get(rows[0], "name"), Some("赵敏"));
    assert_eq!(get(rows[0], "phones"), Some("+86-10-6552-1235"));
    assert!(
        get(rows[0], "custom.vcard.photo")
            .unwrap()
            .starts_with("PHOTO:data:image/png;base64,")
    );
    assert_eq!(get(rows[1], "name"), Some("Дмитрий Кузнецов"));
    assert_eq!(get(rows[1], "company"), Some("ИП Кузнецов"));
    assert_eq!(get(rows[1], "custom.street"), Some("ул. Ленина, 5"));
}

#[test]
fn bad_vcards_are_refused_one_by_one_with_their_line() {
    let (_, rows) = read("contacts-bad.vcf", Kind::Contact);
    let outcome: Vec<(u64, String)> = rows
        .iter()
        .map(|r| match r {
            Ok((line, fields)) => (*line, get(fields, "name").unwrap_or("").to_string()),
            Err(e) => (e.line, e.reason.clone()),
        })
        .collect();
    assert_eq!(outcome[0], (1, "Good Card".to_string()));
    assert_eq!(outcome[1].0, 9);
    assert!(outcome[1].1.contains("nested"), "{outcome:?}");
    assert_eq!(outcome[2].0, 17);
    assert!(outcome[2].1.contains("not a property line"), "{outcome:?}");
    assert_eq!(outcome[3], (19, "an empty vCard".to_string()));
    assert_eq!(outcome[4], (22, "Second Good".to_string()));
    assert_eq!(outcome[5].0, 26);
    assert!(outcome[5].1.contains("no END:VCARD"), "{outcome:?}");
    assert_eq!(outcome.len(), 6);
}

/// Builds a contact from mapped fields as a loader would (the company kept aside).
fn contact_of(fields: &Fields) -> (Contact, Option<String>) {
    let meta = Meta::new(
        Id::new(Kind::Contact, 1),
        "ann",
        "2026-03-02T10:00:00Z".parse().unwrap(),
    );
    let mut contact = Contact::new(meta, Id::new(Kind::Account, 1), String::new());
    let mut company = None;
    for (field, value) in fields {
        match field.as_str() {
            "company" => company = Some(value.clone()),
            "account" | "id" | "created_at" | "updated_at" | "created_by" | "updated_by" => {}
            _ => contact.set(field, value).unwrap_or_else(|e| panic!("{e}")),
        }
    }
    (contact, company)
}

#[test]
fn contacts_written_as_vcard_40_read_back_field_for_field() {
    for name in [
        "contacts-v21.vcf",
        "contacts-v30.vcf",
        "contacts-v40.vcf",
        "contacts-v21-charsets.vcf",
    ] {
        let (_, rows) = read(name, Kind::Contact);
        for fields in ok(&rows) {
            let (contact, company) = contact_of(fields);
            let mut writer = VcardWriter::new(Vec::new());
            writer.write_contact(&contact, company.as_deref()).unwrap();
            let bytes = writer.finish().unwrap();
            let reader = Reader::new(&bytes[..], Format::Vcard, None).unwrap();
            let mut map = ColumnMap::new(Kind::Contact, &[]).unwrap();
            let rows: Vec<_> = reader.map(|r| map.apply(&r.unwrap())).collect();
            assert_eq!(rows.len(), 1);
            let (again, company_again) = contact_of(&rows[0]);
            assert_eq!(company_again, company, "{name}");
            assert_eq!(
                again,
                contact,
                "{name}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}
