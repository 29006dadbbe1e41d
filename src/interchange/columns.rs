//! Which record field each column of an import fills.
//!
//! A column maps, in order: by `--map COLUMN=FIELD` (`-` skips it); by a `custom.NAME` header to
//! that custom field; by its name or a synonym, compared case- and punctuation-insensitively
//! (`E-mail Address`, `Phone 1 - Value`, `Billing City`, 公司名称, Эл. почта…; digits are
//! ignored when the name alone does not match, so `Phone 2` is a phone); otherwise to
//! `custom.<header>`, so that no column is ever dropped.
//!
//! Several columns can feed one field. Phones, emails and tags collect every value. For other
//! fields each synonym has a rank (`Account Name` before `Company` before `Name`): the best-ranked
//! column with a value wins and the others' values land in custom fields; street, notes and
//! description join the values of equally ranked columns (`Address Line 1`, `Address Line 2`).
//! First, middle and last name columns make up the name when no column gives it whole.

use super::{REASON_COLUMN, Row};
use crate::domain::Kind;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Where a column's values go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A record field, by the name `Record::set` and the JSON output use.
    Field(&'static str),
    /// A part of a person's name (first, middle, last), joined into `name` when no column gives
    /// the whole name.
    NamePart,
    /// A custom field with this name.
    Custom(String),
    /// Not imported.
    Skip,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Field(field) => f.write_str(field),
            Target::NamePart => f.write_str("name (part)"),
            Target::Custom(name) => write!(f, "custom.{name}"),
            Target::Skip => f.write_str("- (skipped)"),
        }
    }
}

/// Why a column maps where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `--map` said so.
    Override,
    /// The header is a field's name or a known synonym.
    Synonym,
    /// A `custom.NAME` header.
    CustomHeader,
    /// Nothing matched: kept as a custom field.
    Unmapped,
    /// The header would match, but a better column for the same thing is present (Outlook's
    /// `Title` is the honorific when `Job Title` is there).
    Shadowed,
    /// The `reason` column a rejects file adds.
    RejectsReason,
}

/// One column and where it goes, for `--dry-run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedColumn {
    pub column: String,
    pub target: Target,
    pub reason: Reason,
}

/// A bad `--map` or entity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("--map '{0}': expected COLUMN=FIELD (or COLUMN=- to skip it)")]
    Syntax(String),
    #[error("--map '{column}={field}': no field '{field}' for {entity}; fields: {}, custom.NAME, -", .known.join(", "))]
    UnknownField {
        column: String,
        field: String,
        entity: &'static str,
        known: Vec<&'static str>,
    },
    #[error("{0} cannot be imported; import accounts, contacts, interactions or tickets")]
    Entity(&'static str),
}

/// Reads a `--map COLUMN=FIELD` argument.
pub fn parse_override(spec: &str) -> Result<(String, String), MapError> {
    match spec.rsplit_once('=') {
        Some((column, field)) if !column.trim().is_empty() && !field.trim().is_empty() => {
            Ok((column.trim().to_string(), field.trim().to_string()))
        }
        _ => Err(MapError::Syntax(spec.to_string())),
    }
}

/// The fields a column can fill for `kind`: the record's own fields, plus those the loader
/// resolves (`account` by id or external id, `company` by account name, `contact`, `ticket`)
/// and the stamps every record carries.
pub fn fields(kind: Kind) -> Option<&'static [&'static str]> {
    static FIELDS: OnceLock<HashMap<Kind, Vec<&'static str>>> = OnceLock::new();
    let all = FIELDS.get_or_init(|| {
        [
            Kind::Account,
            Kind::Contact,
            Kind::Interaction,
            Kind::Ticket,
        ]
        .into_iter()
        .filter_map(|kind| {
            // What an export writes, import reads; plus the company a row may name.
            let mut fields = super::export::columns(kind)?;
            if kind != Kind::Account {
                fields.push("company");
            }
            Some((kind, fields))
        })
        .collect()
    });
    all.get(&kind).map(Vec::as_slice)
}

/// Fields that collect every column's values.
const LISTS: &[&str] = &["phones", "emails", "tags", "articles"];

/// Fields that join the values of equally ranked columns, and with what.
fn joiner(field: &str) -> Option<&'static str> {
    match field {
        "street" => Some(", "),
        "notes" | "description" => Some("\n"),
        _ => None,
    }
}

/// Headers that give way to another header of the row: (shadowed, by), both normalised.
const SHADOWS: &[(&str, &str)] = &[("title", "jobtitle")];

/// Folds a header for comparison: lower case, letters and digits only (any script), ё as е.
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

fn without_digits(key: &str) -> String {
    key.chars().filter(|c| !c.is_ascii_digit()).collect()
}

const A: u8 = 1;
const C: u8 = 2;
const I: u8 = 4;
const T: u8 = 8;
const AC: u8 = A | C;
const IT: u8 = I | T;
const CIT: u8 = C | I | T;
const ALL: u8 = A | C | I | T;

/// A field (or a name part, `~`) that a group of headers fills, per entity, with a rank (lower
/// is preferred when several of these columns are present).
type Synonyms = (u8, &'static str, u8, &'static [&'static str]);

#[rustfmt::skip]
const SYNONYMS: &[Synonyms] = &[
    // Names. Accounts: the organisation's name first, a person's name last.
    (A, "name", 0, &["Account Name", "Customer Name", "Client Name", "客户名称", "客户全称", "Наименование", "Контрагент"]),
    (A, "name", 1, &["Company", "Company Name", "Organization", "Organisation", "Organization Name",
        "Organisation Name", "Organization 1 - Name", "Business Name", "Account", "Customer", "Client",
        "公司名称", "公司", "单位名称", "企业名称", "客户", "Организация", "Компания", "Клиент",
        "Название", "Полное наименование"]),
    (A, "name", 2, &["Name", "名称", "Full Name", "Display Name", "Contact Name", "姓名", "ФИО"]),
    // The commonest French, German and Spanish headers, for European spreadsheet exports.
    (A, "name", 1, &["Nom", "Raison sociale", "Société", "Entreprise", "Firma", "Firmenname",
        "Unternehmen", "Empresa", "Razón social"]),
    (AC, "phones", 0, &["Téléphone", "Tél", "Portable", "Telefon", "Telefonnummer", "Mobiltelefon",
        "Handy", "Teléfono", "Móvil", "Celular"]),
    (AC, "emails", 0, &["Courriel", "Adresse e-mail", "Adresse électronique", "E-Mail-Adresse",
        "Correo", "Correo electrónico"]),
    (A, "street", 0, &["Rue", "Adresse", "Straße", "Strasse", "Anschrift", "Dirección", "Calle"]),
    (A, "city", 0, &["Ville", "Ort", "Stadt", "Ciudad", "Localidad"]),
    (A, "postcode", 0, &["Code postal", "CP", "PLZ", "Postleitzahl", "Código postal"]),
    (A, "country", 0, &["Pays", "Land", "País"]),
    (A, "website", 0, &["Site web", "Site internet", "Webseite", "Sitio web"]),
    (C, "name", 0, &["Name", "Full Name", "Display Name", "Contact Name", "Contact", "Person",
        "联系人", "联系人姓名", "姓名", "ФИО", "Контактное лицо", "Полное имя", "Наименование"]),
    (AC, "~", 0, &["First Name", "Given Name", "Firstname", "Middle Name", "Additional Name",
        "Last Name", "Family Name", "Surname", "Lastname", "名", "姓", "Имя", "Отчество", "Фамилия"]),
    (C, "company", 0, &["Company", "Company Name", "Account Name", "Organization", "Organisation",
        "Organization Name", "Organization 1 - Name", "Organisation Name", "Employer",
        "Related Company", "Parent Customer", "公司名称", "公司", "客户名称", "单位", "单位名称",
        "所属客户", "Организация", "Компания", "Контрагент"]),
    (IT, "company", 0, &["Account Name", "Company", "Company Name", "Customer Name", "客户名称",
        "公司名称", "Контрагент"]),
    (CIT, "account", 0, &["Account", "Account ID", "Account External ID", "Customer ID",
        "Customer Number", "Parent Account", "客户编号", "客户编码", "客户ID"]),
    (A, "kind", 0, &["Kind", "Account Kind", "Customer Kind"]),
    (A, "relationship", 0, &["Relationship", "Relationship Type", "Customer Relationship"]),
    (A, "segment", 0, &["Segment", "Customer Segment", "Market Segment", "Сегмент", "客户分级"]),
    (A, "tags", 0, &["Tags", "Tag", "Labels", "Keywords", "标签", "Теги", "Метки"]),
    (A, "owner", 0, &["Owner", "Account Owner", "Company Owner", "Customer Owner", "Salesperson",
        "Sales Rep", "Sales Representative", "Account Manager", "Assigned To", "负责人", "销售代表",
        "业务员", "客户经理", "Ответственный", "Менеджер", "Основной менеджер"]),
    (AC, "phones", 0, &["Phone", "Phones", "Phone Number", "Telephone", "Tel", "Main Phone",
        "Business Phone", "Work Phone", "Office Phone", "Company Phone", "Company Main Phone",
        "Primary Phone", "Mobile", "Mobile Phone", "Mobile Number", "Cell", "Cell Phone",
        "Home Phone", "Other Phone", "Car Phone", "Phone 1 - Value", "Phone Value",
        "Mobile Phone Number", "电话", "联系电话", "手机", "手机号", "手机号码", "办公电话",
        "座机", "移动电话", "固定电话", "Телефон", "Телефоны", "Мобильный телефон", "Мобильный",
        "Рабочий телефон", "Тел", "Контактный телефон"]),
    (AC, "emails", 0, &["Email", "Emails", "E-mail", "Email Address", "E-mail Address",
        "Primary Email", "Secondary Email", "Work Email", "Home Email", "Other Email",
        "Personal Email", "Business Email", "E-mail 1 - Value", "Email Value", "Mail",
        "电子邮件", "电子邮箱", "邮箱", "邮件", "Email地址", "Эл. почта", "Электронная почта",
        "Адрес электронной почты", "Почта", "E-mail адрес"]),
    (A, "website", 0, &["Website", "Web Site", "Web Page", "Webpage", "URL", "Homepage", "Home Page",
        "Website 1 - Value", "Company Domain Name", "Domain", "网址", "网站", "公司网站", "主页",
        "Сайт", "Веб-сайт", "Адрес сайта"]),
    (A, "street", 0, &["Street", "Address", "Street Address", "Address Street", "Address Line",
        "Address Line 1", "Address Line 2", "Street 2", "Street2", "Billing Street", "Billing Address",
        "Business Street", "Business Street 2", "Business Street 3", "Work Address", "Work Address 2",
        "Address 1: Street 1", "Address 1: Street 2", "Address 1 - Street", "地址", "详细地址",
        "街道", "联系地址", "公司地址", "Адрес", "Юридический адрес", "Улица"]),
    (A, "street", 1, &["Mailing Street", "Фактический адрес"]),
    (A, "street", 2, &["Shipping Street", "Shipping Address", "Home Street", "Home Street 2",
        "Home Address", "Home Address 2", "Почтовый адрес"]),
    (A, "street", 3, &["Other Street", "Other Street 2"]),
    (A, "city", 0, &["City", "Town", "Locality", "Billing City", "Business City", "Work City",
        "Address City", "Address 1: City", "Address 1 - City", "城市", "所在城市", "市", "Город",
        "Населенный пункт"]),
    (A, "city", 1, &["Mailing City"]),
    (A, "city", 2, &["Shipping City", "Home City"]),
    (A, "city", 3, &["Other City"]),
    (A, "region", 0, &["Region", "State", "Province", "State/Province", "County", "Billing State",
        "Billing State/Province", "Billing Province", "Business State", "Work State",
        "Address Region", "Address State", "Address 1: State/Province", "Address 1 - Region",
        "省份", "省", "地区", "所在地区", "Регион", "Область"]),
    (A, "region", 1, &["Mailing State", "Mailing State/Province"]),
    (A, "region", 2, &["Shipping State", "Shipping State/Province", "Home State"]),
    (A, "region", 3, &["Other State"]),
    (A, "postcode", 0, &["Postcode", "Post Code", "Postal Code", "Zip", "Zip Code", "Zipcode",
        "Billing Zip", "Billing Zip/Postal Code", "Billing Postal Code", "Billing Code",
        "Business Postal Code", "Work ZipCode", "Address Postal Code", "Address Postcode",
        "Address 1: ZIP/Postal Code", "Address 1 - Postal Code", "邮编", "邮政编码", "Индекс",
        "Почтовый индекс"]),
    (A, "postcode", 1, &["Mailing Zip", "Mailing Zip/Postal Code", "Mailing Postal Code", "Mailing Code"]),
    (A, "postcode", 2, &["Shipping Zip", "Shipping Zip/Postal Code", "Shipping Postal Code",
        "Shipping Code", "Home Postal Code", "Home ZipCode"]),
    (A, "postcode", 3, &["Other Postal Code"]),
    (A, "country", 0, &["Country", "Country/Region", "Billing Country", "Business Country/Region",
        "Business Country", "Work Country", "Address Country", "Address 1: Country/Region",
        "Address 1 - Country", "国家", "国家/地区", "Страна"]),
    (A, "country", 1, &["Mailing Country"]),
    (A, "country", 2, &["Shipping Country", "Home Country", "Home Country/Region"]),
    (A, "country", 3, &["Other Country", "Other Country/Region"]),
    // The id in the system the data comes from. Salesforce's Account ID is what its contact
    // exports link by, so it wins over the account number.
    (A, "external_id", 0, &["External ID", "Account ID", "Record ID", "ИНН", "Идентификатор"]),
    (A, "external_id", 1, &["Account Number", "Customer ID", "Customer Number", "Customer Code",
        "Reference", "客户编号", "客户编码", "编号", "Код"]),
    (C, "external_id", 0, &["External ID", "Contact ID", "Record ID", "UID", "Reference",
        "联系人编号", "Код", "Идентификатор"]),
    (T, "external_id", 0, &["External ID", "Ticket ID", "Ticket Number", "Case ID", "Case Number",
        "Incident ID", "Request ID", "工单号", "工单编号", "Номер заявки", "Номер обращения", "Номер"]),
    (A, "lifecycle_stage", 0, &["Lifecycle Stage", "Lifecycle", "Customer Stage", "Stage",
        "客户阶段", "生命周期", "Стадия"]),
    (A, "notes", 0, &["Notes", "Note", "Description", "Comments", "Comment", "Remarks", "About",
        "备注", "说明", "描述", "Комментарий", "Примечание", "Описание"]),
    (A, "last_contact_at", 0, &["Last Contact At", "Last Contacted", "Last Activity Date",
        "Last Contact Date"]),
    (C, "title", 0, &["Job Title", "Position", "Job Position", "Organization Title",
        "Organization 1 - Title", "Role", "职位", "职务", "头衔", "Должность"]),
    (C, "title", 1, &["Title"]),
    (C, "decision_maker", 0, &["Decision Maker", "Is Decision Maker", "决策人", "ЛПР"]),
    (C, "preferred_channel", 0, &["Preferred Channel", "Preferred Contact Method", "首选联系方式",
        "Предпочтительный канал"]),
    (IT, "contact", 0, &["Contact", "Contact ID", "联系人", "Контактное лицо"]),
    (I, "ticket", 0, &["Ticket", "Ticket ID", "Ticket Number", "Case ID", "Case Number", "工单号",
        "Номер заявки"]),
    (I, "channel", 0, &["Channel", "Interaction Type", "Activity Type", "Type", "渠道", "Канал"]),
    (I, "direction", 0, &["Direction", "Call Direction", "Call Type", "方向", "Направление"]),
    (I, "started_at", 0, &["Started At", "Start", "Start Time", "Started", "Date", "Date Time",
        "Datetime", "Activity Date", "Call Date", "Time", "Timestamp", "开始时间", "时间", "日期",
        "Дата", "Время начала", "Дата и время"]),
    (I, "duration", 0, &["Duration", "Call Duration", "Length", "Duration Seconds", "时长",
        "通话时长", "Длительность", "Продолжительность"]),
    (I, "outcome", 0, &["Outcome", "Result", "Disposition", "Call Result", "结果", "Результат"]),
    (I, "agent", 0, &["Agent", "Agent Name", "User", "Owner", "Assigned To", "坐席", "客服",
        "Оператор", "Сотрудник"]),
    (IT, "subject", 0, &["Subject", "Title", "Summary", "Case Subject", "主题", "标题", "Тема"]),
    (I, "notes", 0, &["Notes", "Note", "Description", "Comments", "Details", "Body", "备注", "内容",
        "Комментарий", "Описание"]),
    (I, "follow_up", 0, &["Follow Up", "Follow-up Date", "Followup", "Next Action Date",
        "跟进日期", "Дата следующего контакта"]),
    (T, "description", 0, &["Description", "Details", "Body", "Issue", "Problem", "Content",
        "描述", "问题描述", "内容", "Описание"]),
    (T, "category", 0, &["Category", "Type", "Case Type", "Issue Type", "Ticket Type", "类别",
        "分类", "Категория", "Тип обращения"]),
    (T, "priority", 0, &["Priority", "Urgency", "优先级", "Приоритет"]),
    (T, "assignee", 0, &["Assignee", "Assigned To", "Owner", "Case Owner", "Agent", "处理人",
        "负责人", "Ответственный", "Исполнитель"]),
    (T, "queue", 0, &["Queue", "Group", "Team", "队列", "Очередь", "Группа"]),
    (T, "status", 0, &["Status", "State", "状态", "Статус", "Состояние"]),
    (T, "csat", 0, &["CSAT", "CSAT Score", "Csat.Score", "Satisfaction", "Satisfaction Score",
        "满意度", "Оценка"]),
    (T, "csat_comment", 0, &["CSAT Comment", "Csat.Comment", "Satisfaction Comment"]),
    (ALL, "created_at", 0, &["Created At", "Created", "Created Date", "Creation Date", "Date Created",
        "Create Date", "创建时间", "Дата создания"]),
    (ALL, "updated_at", 0, &["Updated At", "Updated", "Last Modified Date", "Modified Date",
        "Date Modified", "更新时间", "Дата изменения"]),
    (ALL, "created_by", 0, &["Created By", "创建人", "Автор"]),
    (ALL, "updated_by", 0, &["Updated By", "Last Modified By", "Modified By", "修改人"]),
];

/// The synonyms of one entity, by normalised header.
fn synonyms(kind: Kind) -> &'static HashMap<String, (&'static str, u8)> {
    type Table = HashMap<String, (&'static str, u8)>;
    static TABLES: OnceLock<HashMap<Kind, Table>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        let mut tables = HashMap::new();
        for (kind, bit) in [
            (Kind::Account, A),
            (Kind::Contact, C),
            (Kind::Interaction, I),
            (Kind::Ticket, T),
        ] {
            let mut table: HashMap<String, (&'static str, u8)> = HashMap::new();
            for (mask, field, rank, names) in SYNONYMS {
                if mask & bit == 0 {
                    continue;
                }
                for name in *names {
                    table.entry(normalise(name)).or_insert((field, *rank));
                }
            }
            // A field's own name always maps to it (with its synonym's rank, if it has one).
            for field in fields(kind).unwrap_or_default() {
                let key = normalise(field);
                if table.get(&key).is_none_or(|(f, _)| f != field) {
                    table.insert(key, (field, 0));
                }
            }
            // Addresses as nested JSON (`address.city`) from rapport's own exports.
            for part in ["street", "city", "region", "postcode", "country"] {
                if bit == A {
                    table.insert(format!("address{part}"), (part, 0));
                }
            }
            tables.insert(kind, table);
        }
        tables
    });
    &tables[&kind]
}

/// The mapping of one import: resolves each column once, then turns rows into
/// `(field, value)` assignments ready for `Record::set` (custom fields as `custom.NAME`).
pub struct ColumnMap {
    kind: Kind,
    fields: &'static [&'static str],
    /// `--map` entries: (normalised column, target, as given, used).
    overrides: Vec<(String, Target, String, bool)>,
    /// Every column seen, in order of first appearance.
    columns: Vec<MappedColumn>,
    ranks: Vec<u8>,
    by_name: HashMap<String, usize>,
    /// The resolution of the last column list seen (CSV rows share one).
    last: Option<(Arc<[String]>, Vec<usize>)>,
}

impl ColumnMap {
    /// A mapping for importing `kind` records, with `--map` overrides as (column, field).
    pub fn new(kind: Kind, overrides: &[(String, String)]) -> Result<ColumnMap, MapError> {
        let Some(fields) = fields(kind) else {
            return Err(MapError::Entity(kind.noun()));
        };
        let mut parsed = Vec::new();
        for (column, field) in overrides {
            let target = if field == "-" {
                Target::Skip
            } else if let Some(name) = field.strip_prefix("custom.") {
                Target::Custom(name.to_string())
            } else {
                let wanted = normalise(field);
                let found = fields.iter().find(|f| {
                    normalise(f) == wanted
                        || (**f == "phones" && wanted == "phone")
                        || (**f == "emails" && wanted == "email")
                        || (**f == "tags" && wanted == "tag")
                });
                match found {
                    Some(f) => Target::Field(f),
                    None => {
                        return Err(MapError::UnknownField {
                            column: column.clone(),
                            field: field.clone(),
                            entity: kind.noun(),
                            known: fields.to_vec(),
                        });
                    }
                }
            };
            parsed.push((normalise(column), target, column.clone(), false));
        }
        Ok(ColumnMap {
            kind,
            fields,
            overrides: parsed,
            columns: Vec::new(),
            ranks: Vec::new(),
            by_name: HashMap::new(),
            last: None,
        })
    }

    /// The entity being imported.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Every column seen so far and where it goes, in order of first appearance.
    pub fn columns(&self) -> &[MappedColumn] {
        &self.columns
    }

    /// `--map` columns that matched no column seen so far (worth a warning after reading).
    pub fn unused_overrides(&self) -> Vec<&str> {
        self.overrides
            .iter()
            .filter(|(_, _, _, used)| !used)
            .map(|(_, _, given, _)| given.as_str())
            .collect()
    }

    /// Resolves a header row up front, so that the mapping can be shown before any row is read.
    pub fn prepare(&mut self, columns: &Arc<[String]>) {
        self.resolve_all(columns);
    }

    fn resolve_all(&mut self, columns: &Arc<[String]>) -> Vec<usize> {
        if let Some((last, slots)) = &self.last
            && Arc::ptr_eq(last, columns)
        {
            return slots.clone();
        }
        let keys: Vec<String> = columns.iter().map(|c| normalise(c)).collect();
        let slots: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let shadowed = SHADOWS
                    .iter()
                    .any(|(s, by)| keys[i] == *s && keys.iter().any(|k| k == by));
                let reason_column = i + 1 == columns.len() && i > 0 && column == REASON_COLUMN;
                self.resolve(column, shadowed, reason_column)
            })
            .collect();
        self.last = Some((columns.clone(), slots.clone()));
        slots
    }

    fn resolve(&mut self, column: &str, shadowed: bool, reason_column: bool) -> usize {
        let key = format!("{}{}{column}", u8::from(shadowed), u8::from(reason_column));
        if let Some(&slot) = self.by_name.get(&key) {
            return slot;
        }
        let (target, rank, reason) = self.target_of(column, shadowed, reason_column);
        self.columns.push(MappedColumn {
            column: column.to_string(),
            target,
            reason,
        });
        self.ranks.push(rank);
        self.by_name.insert(key, self.columns.len() - 1);
        self.columns.len() - 1
    }

    fn target_of(
        &mut self,
        column: &str,
        shadowed: bool,
        reason_column: bool,
    ) -> (Target, u8, Reason) {
        let key = normalise(column);
        if let Some(entry) = self.overrides.iter_mut().find(|(k, ..)| *k == key) {
            entry.3 = true;
            return (entry.1.clone(), 0, Reason::Override);
        }
        if reason_column {
            return (Target::Skip, 0, Reason::RejectsReason);
        }
        let trimmed = column.trim();
        if trimmed.len() > 7
            && trimmed
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("custom."))
        {
            return (
                Target::Custom(trimmed[7..].to_string()),
                0,
                Reason::CustomHeader,
            );
        }
        let custom = || Target::Custom(trimmed.to_string());
        if shadowed {
            return (custom(), 0, Reason::Shadowed);
        }
        let table = synonyms(self.kind);
        let found = table.get(&key).or_else(|| {
            table
                .get(&without_digits(&key))
                .filter(|_| key.chars().any(|c| c.is_alphabetic()))
        });
        match found {
            Some(("~", rank)) => (Target::NamePart, *rank, Reason::Synonym),
            Some((field, rank)) => (Target::Field(field), *rank, Reason::Synonym),
            None => (custom(), 0, Reason::Unmapped),
        }
    }

    /// Where `column` goes (resolving it if new).
    pub fn target(&mut self, column: &str) -> &Target {
        let slot = self.resolve(column, false, false);
        &self.columns[slot].target
    }

    /// The assignments a row makes: `(field, value)` in field order, then `(custom.NAME,
    /// value)` in column order. Empty values assign nothing.
    pub fn apply(&mut self, row: &Row) -> Vec<(String, String)> {
        let slots = self.resolve_all(&row.columns);
        let mut lists: HashMap<&'static str, Vec<String>> = HashMap::new();
        // field → (rank, column index, value)
        let mut scalars: HashMap<&'static str, Vec<(u8, usize)>> = HashMap::new();
        let mut parts: Vec<usize> = Vec::new();
        let mut custom: Vec<(String, usize)> = Vec::new();
        for (i, slot) in slots.iter().enumerate() {
            let value = row.values.get(i).map(|v| v.trim()).unwrap_or("");
            let mapped = &self.columns[*slot];
            match &mapped.target {
                Target::Skip => {}
                Target::Custom(name) => custom.push((name.clone(), i)),
                Target::NamePart => parts.push(i),
                Target::Field(field) if LISTS.contains(field) => {
                    let items = lists.entry(field).or_default();
                    for item in value.split(" ::: ").map(str::trim) {
                        if !item.is_empty() && !items.iter().any(|x| x == item) {
                            items.push(item.to_string());
                        }
                    }
                }
                Target::Field(field) => scalars
                    .entry(field)
                    .or_default()
                    .push((self.ranks[*slot], i)),
            }
        }
        let value = |i: usize| row.values.get(i).map(|v| v.trim()).unwrap_or("");
        let header = |i: usize| row.columns[i].trim().to_string();
        let mut out: Vec<(String, String)> = Vec::new();
        let mut overflow: Vec<(String, usize)> = Vec::new();
        for field in self.fields {
            if let Some(items) = lists.get(field) {
                if !items.is_empty() {
                    out.push((field.to_string(), items.join(", ")));
                }
                continue;
            }
            let mut chosen: Option<String> = None;
            if let Some(candidates) = scalars.get_mut(field) {
                candidates.sort();
                let best = candidates
                    .iter()
                    .filter(|(_, i)| !value(*i).is_empty())
                    .map(|(rank, _)| *rank)
                    .min();
                for &(rank, i) in candidates.iter() {
                    let v = value(i);
                    if v.is_empty() {
                        continue;
                    }
                    match (&mut chosen, joiner(field)) {
                        (None, _) if Some(rank) == best => chosen = Some(v.to_string()),
                        (Some(c), Some(sep)) if Some(rank) == best => {
                            if !c.split(sep).any(|x| x == v) {
                                c.push_str(sep);
                                c.push_str(v);
                            }
                        }
                        (Some(c), _) if c == v => {}
                        _ => overflow.push((header(i), i)),
                    }
                }
            }
            if *field == "name" && !parts.is_empty() {
                let given: Vec<&str> = parts
                    .iter()
                    .map(|i| value(*i))
                    .filter(|v| !v.is_empty())
                    .collect();
                if chosen.is_none() && !given.is_empty() {
                    let cjk = given.iter().all(|p| p.chars().all(|c| c as u32 >= 0x2E80));
                    chosen = Some(given.join(if cjk { "" } else { " " }));
                } else {
                    overflow.extend(parts.iter().map(|i| (header(*i), *i)));
                }
            }
            if let Some(v) = chosen {
                out.push((field.to_string(), v));
            }
        }
        // Custom fields: same-named columns join their values, one per line.
        let mut customs: Vec<(String, String)> = Vec::new();
        for (name, i) in custom.into_iter().chain(overflow) {
            let v = value(i);
            if v.is_empty() {
                continue;
            }
            match customs.iter_mut().find(|(n, _)| *n == name) {
                Some((_, existing)) => {
                    existing.push('\n');
                    existing.push_str(v);
                }
                None => customs.push((name, v.to_string())),
            }
        }
        out.extend(customs.into_iter().map(|(n, v)| (format!("custom.{n}"), v)));
        out
    }
}

impl fmt::Display for ColumnMap {
    /// The mapping as `--dry-run` shows it: one line per column.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .columns
            .iter()
            .map(|c| c.column.chars().count())
            .max()
            .unwrap_or(0);
        for c in &self.columns {
            let note = match c.reason {
                Reason::Override => " (--map)",
                Reason::Unmapped => " (unmapped)",
                Reason::Shadowed => " (another column gives this field)",
                Reason::RejectsReason => " (reason column of a rejects file)",
                Reason::Synonym | Reason::CustomHeader => "",
            };
            let pad = width - c.column.chars().count();
            writeln!(f, "  {}{} → {}{note}", c.column, " ".repeat(pad), c.target)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(columns: &[&str], values: &[&str]) -> Row {
        Row {
            line: 2,
            columns: columns
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            source: None,
        }
    }

    fn map(kind: Kind, columns: &[&str], values: &[&str]) -> Vec<(String, String)> {
        ColumnMap::new(kind, &[])
            .unwrap()
            .apply(&row(columns, values))
    }

    fn get<'a>(out: &'a [(String, String)], field: &str) -> Option<&'a str> {
        out.iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
    }

    fn target(kind: Kind, column: &str) -> Target {
        ColumnMap::new(kind, &[]).unwrap().target(column).clone()
    }

    #[test]
    fn headers_match_case_and_punctuation_insensitively() {
        for (column, field) in [
            ("Account Name", "name"),
            ("ACCOUNT_NAME", "name"),
            ("E-mail Address", "emails"),
            ("e-mail 2 address", "emails"),
            ("Phone 1 - Value", "phones"),
            ("Mobile Phone", "phones"),
            ("Business Phone", "phones"),
            ("Billing City", "city"),
            ("Billing Zip/Postal Code", "postcode"),
            ("Address 1: Street 1", "street"),
            ("Website", "website"),
            ("Account Number", "external_id"),
            ("External ID", "external_id"),
            ("external_id", "external_id"),
            ("Lifecycle Stage", "lifecycle_stage"),
            ("公司名称", "name"),
            ("客户名称", "name"),
            ("联系电话", "phones"),
            ("手机", "phones"),
            ("电子邮件", "emails"),
            ("地址", "street"),
            ("城市", "city"),
            ("Наименование", "name"),
            ("Контрагент", "name"),
            ("Телефон", "phones"),
            ("Эл. почта", "emails"),
            ("Адрес", "street"),
            ("Город", "city"),
            ("ИНН", "external_id"),
            ("address.city", "city"),
        ] {
            assert_eq!(
                target(Kind::Account, column),
                Target::Field(field),
                "{column}"
            );
        }
        for (column, field) in [
            ("Account Name", "company"),
            ("Company", "company"),
            ("公司名称", "company"),
            ("Контрагент", "company"),
            ("Account ID", "account"),
            ("Job Title", "title"),
            ("联系人", "name"),
            ("Decision Maker", "decision_maker"),
        ] {
            assert_eq!(
                target(Kind::Contact, column),
                Target::Field(field),
                "{column}"
            );
        }
        assert_eq!(target(Kind::Contact, "First Name"), Target::NamePart);
        assert_eq!(
            target(Kind::Ticket, "Case Number"),
            Target::Field("external_id")
        );
        assert_eq!(
            target(Kind::Interaction, "Call Duration"),
            Target::Field("duration")
        );
    }

    #[test]
    fn unknown_columns_become_custom_fields_with_their_header() {
        assert_eq!(
            target(Kind::Account, "Industry"),
            Target::Custom("Industry".into())
        );
        assert_eq!(
            target(Kind::Account, "Phone 1 - Type"),
            Target::Custom("Phone 1 - Type".into())
        );
        assert_eq!(
            target(Kind::Account, "custom.tier"),
            Target::Custom("tier".into())
        );
        assert_eq!(
            target(Kind::Contact, "vcard.photo"),
            Target::Custom("vcard.photo".into())
        );
        // Accounts have no title; contacts have no website.
        assert_eq!(
            target(Kind::Contact, "Website"),
            Target::Custom("Website".into())
        );
    }

    #[test]
    fn several_phone_and_email_columns_append() {
        let out = map(
            Kind::Account,
            &[
                "Name",
                "Phone",
                "Mobile Phone",
                "Email",
                "E-mail 2 Address",
                "Phone 1 - Value",
            ],
            &[
                "Acme",
                "+1 555 0100",
                "+1 555 0199",
                "a@acme.com",
                "b@acme.com",
                "+1 555 0100 ::: +1 555 0142",
            ],
        );
        assert_eq!(
            get(&out, "phones"),
            Some("+1 555 0100, +1 555 0199, +1 555 0142")
        );
        assert_eq!(get(&out, "emails"), Some("a@acme.com, b@acme.com"));
    }

    #[test]
    fn the_best_ranked_column_wins_and_the_others_are_kept() {
        let out = map(
            Kind::Account,
            &["Company", "Account Name", "Shipping City", "Billing City"],
            &["Acme Holdings", "Acme", "Leeds", "York"],
        );
        assert_eq!(get(&out, "name"), Some("Acme"));
        assert_eq!(get(&out, "city"), Some("York"));
        assert_eq!(get(&out, "custom.Company"), Some("Acme Holdings"));
        assert_eq!(get(&out, "custom.Shipping City"), Some("Leeds"));
        // A lower-ranked column fills in when the better one is empty.
        let out = map(Kind::Account, &["Account Name", "Company"], &["", "Acme"]);
        assert_eq!(get(&out, "name"), Some("Acme"));
    }

    #[test]
    fn street_lines_join() {
        let out = map(
            Kind::Account,
            &["Name", "Address Line 1", "Address Line 2", "Home Street"],
            &["Acme", "1 Main St", "Suite 4", "9 Elm Rd"],
        );
        assert_eq!(get(&out, "street"), Some("1 Main St, Suite 4"));
        assert_eq!(get(&out, "custom.Home Street"), Some("9 Elm Rd"));
    }

    #[test]
    fn name_parts_make_the_name_when_nothing_gives_it_whole() {
        let columns = ["First Name", "Middle Name", "Last Name", "Company"];
        let out = map(Kind::Contact, &columns, &["John", "Q", "Doe", "Acme"]);
        assert_eq!(get(&out, "name"), Some("John Q Doe"));
        assert_eq!(get(&out, "company"), Some("Acme"));
        let out = map(Kind::Contact, &["姓", "名"], &["张", "伟"]);
        assert_eq!(get(&out, "name"), Some("张伟"));
        let out = map(
            Kind::Contact,
            &["Фамилия", "Имя", "Отчество"],
            &["Иванов", "Иван", "Петрович"],
        );
        assert_eq!(get(&out, "name"), Some("Иванов Иван Петрович"));
        let out = map(
            Kind::Contact,
            &["Display Name", "First Name"],
            &["Johnny D", "John"],
        );
        assert_eq!(get(&out, "name"), Some("Johnny D"));
        assert_eq!(get(&out, "custom.First Name"), Some("John"));
    }

    #[test]
    fn outlook_title_gives_way_to_job_title() {
        let out = map(
            Kind::Contact,
            &["Title", "First Name", "Job Title"],
            &["Mr.", "Bob", ""],
        );
        assert_eq!(get(&out, "title"), None);
        assert_eq!(get(&out, "custom.Title"), Some("Mr."));
        let out = map(Kind::Contact, &["Name", "Title"], &["Bob", "CTO"]);
        assert_eq!(get(&out, "title"), Some("CTO"));
    }

    #[test]
    fn overrides_map_and_skip() {
        let overrides = vec![
            ("Acct Nm".to_string(), "name".to_string()),
            ("Phone".to_string(), "-".to_string()),
            ("Industry".to_string(), "segment".to_string()),
            ("Zone".to_string(), "custom.area".to_string()),
            ("Missing".to_string(), "notes".to_string()),
        ];
        let mut map = ColumnMap::new(Kind::Account, &overrides).unwrap();
        let out = map.apply(&row(
            &["ACCT NM", "phone", "Industry", "Zone"],
            &["Acme", "1", "Retail", "N"],
        ));
        assert_eq!(
            out,
            vec![
                ("name".to_string(), "Acme".to_string()),
                ("segment".to_string(), "Retail".to_string()),
                ("custom.area".to_string(), "N".to_string()),
            ]
        );
        assert_eq!(map.unused_overrides(), ["Missing"]);
        let shown = map.to_string();
        assert!(
            shown.contains("  phone    → - (skipped) (--map)\n"),
            "{shown}"
        );
    }

    #[test]
    fn a_bad_override_names_the_fields() {
        let overrides = vec![("X".to_string(), "colour".to_string())];
        let err = ColumnMap::new(Kind::Contact, &overrides).err().unwrap();
        let text = err.to_string();
        assert!(
            text.contains("'colour'") && text.contains("decision_maker"),
            "{text}"
        );
        assert_eq!(
            parse_override("Phone 1 - Value=phones").unwrap().1,
            "phones"
        );
        assert!(parse_override("nothing").is_err());
        assert!(ColumnMap::new(Kind::User, &[]).is_err());
    }

    #[test]
    fn a_rejects_reason_column_is_skipped() {
        let out = map(
            Kind::Account,
            &["name", "reason"],
            &["Acme", "email: invalid"],
        );
        assert_eq!(out, vec![("name".to_string(), "Acme".to_string())]);
        // A reason column that is not last is data.
        let out = map(Kind::Account, &["reason", "name"], &["moved", "Acme"]);
        assert_eq!(get(&out, "custom.reason"), Some("moved"));
    }

    #[test]
    fn empty_values_assign_nothing_and_same_named_custom_columns_join() {
        let out = map(
            Kind::Contact,
            &["name", "vcard.x-im", "vcard.x-im", "Industry"],
            &["Ann", "X-IM:a", "X-IM:b", ""],
        );
        assert_eq!(
            out,
            vec![
                ("name".to_string(), "Ann".to_string()),
                (
                    "custom.vcard.x-im".to_string(),
                    "X-IM:a\nX-IM:b".to_string()
                ),
            ]
        );
    }

    #[test]
    fn the_mapping_prints_one_line_per_column() {
        let mut map = ColumnMap::new(Kind::Account, &[]).unwrap();
        let headers: Arc<[String]> =
            vec!["Account Name".to_string(), "Industry".to_string()].into();
        map.prepare(&headers);
        assert_eq!(
            map.to_string(),
            "  Account Name → name\n  Industry     → custom.Industry (unmapped)\n"
        );
    }
}
