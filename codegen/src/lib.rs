//! Turns the vendored AMQP 0-9-1 spec JSON (with RabbitMQ's extensions) into Rust: constants,
//! reply codes, one struct per method with its encoder and decoder, the `Method` enum with the
//! per-method facts (synchronous? carries content? which replies?), and the content properties.
//!
//! The output is committed as `core/src/codec/generated.rs`, together with proptest strategies
//! for every method in `core/tests/support/arbitrary_methods.rs` ([`generate_arbitrary`]);
//! `cargo run -p warren-codegen` rewrites both and a test in warren-core fails when either
//! committed file is stale.

use std::fmt::Write as _;

use serde::Deserialize;

#[derive(Deserialize)]
struct Spec {
    #[serde(rename = "major-version")]
    major: u8,
    #[serde(rename = "minor-version")]
    minor: u8,
    revision: u8,
    port: u16,
    domains: Vec<(String, String)>,
    constants: Vec<Constant>,
    classes: Vec<Class>,
}

#[derive(Deserialize)]
struct Constant {
    name: String,
    value: u32,
    class: Option<String>,
}

#[derive(Deserialize)]
struct Class {
    name: String,
    id: u16,
    methods: Vec<MethodSpec>,
    #[serde(default)]
    properties: Vec<Argument>,
}

#[derive(Deserialize)]
struct MethodSpec {
    name: String,
    id: u16,
    #[serde(default)]
    synchronous: bool,
    #[serde(default)]
    content: bool,
    arguments: Vec<Argument>,
}

#[derive(Deserialize)]
struct Argument {
    name: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    domain: Option<String>,
    #[serde(rename = "default-value")]
    default: Option<serde_json::Value>,
}

/// The AMQP primitive types an argument can have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prim {
    Octet,
    Short,
    Long,
    LongLong,
    Bit,
    ShortStr,
    LongStr,
    Table,
    Timestamp,
}

impl Prim {
    fn parse(s: &str) -> Result<Prim, String> {
        Ok(match s {
            "octet" => Prim::Octet,
            "short" => Prim::Short,
            "long" => Prim::Long,
            "longlong" => Prim::LongLong,
            "bit" => Prim::Bit,
            "shortstr" => Prim::ShortStr,
            "longstr" => Prim::LongStr,
            "table" => Prim::Table,
            "timestamp" => Prim::Timestamp,
            other => return Err(format!("unknown AMQP type {other}")),
        })
    }

    fn rust_type(self) -> &'static str {
        match self {
            Prim::Octet => "u8",
            Prim::Short => "u16",
            Prim::Long => "u32",
            Prim::LongLong | Prim::Timestamp => "u64",
            Prim::Bit => "bool",
            Prim::ShortStr => "ShortString",
            Prim::LongStr => "LongString",
            Prim::Table => "FieldTable",
        }
    }

    fn reader(self) -> &'static str {
        match self {
            Prim::Octet => "r.u8()?",
            Prim::Short => "r.u16()?",
            Prim::Long => "r.u32()?",
            Prim::LongLong | Prim::Timestamp => "r.u64()?",
            Prim::Bit => unreachable!("bits are read packed"),
            Prim::ShortStr => "r.short_string()?",
            Prim::LongStr => "r.long_string()?",
            Prim::Table => "r.table()?",
        }
    }

    /// A proptest strategy for an arbitrary value of this type, in the generated test support.
    fn strategy(self) -> &'static str {
        match self {
            Prim::Octet => "any::<u8>()",
            Prim::Short => "any::<u16>()",
            Prim::Long => "any::<u32>()",
            Prim::LongLong | Prim::Timestamp => "any::<u64>()",
            Prim::Bit => "any::<bool>()",
            Prim::ShortStr => "super::any_short_string()",
            Prim::LongStr => "super::any_long_string()",
            Prim::Table => "super::any_table()",
        }
    }

    fn writer(self, expr: &str) -> String {
        match self {
            Prim::Octet => format!("out.put_u8({expr});"),
            Prim::Short => format!("out.put_u16({expr});"),
            Prim::Long => format!("out.put_u32({expr});"),
            Prim::LongLong | Prim::Timestamp => format!("out.put_u64({expr});"),
            Prim::Bit => unreachable!("bits are written packed"),
            Prim::ShortStr => format!("wire::put_short_string(out, &{expr});"),
            Prim::LongStr => format!("wire::put_long_string(out, &{expr});"),
            Prim::Table => format!("wire::put_table(out, &{expr});"),
        }
    }
}

struct Field {
    spec_name: String,
    rust_name: String,
    prim: Prim,
    default: Option<serde_json::Value>,
}

fn pascal(s: &str) -> String {
    s.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn snake(s: &str) -> String {
    let s = s.replace('-', "_");
    match s.as_str() {
        "type" => "kind".to_string(),
        _ => s,
    }
}

fn resolve(arg: &Argument, domains: &[(String, String)]) -> Result<Prim, String> {
    if let Some(t) = &arg.kind {
        return Prim::parse(t);
    }
    let d = arg
        .domain
        .as_ref()
        .ok_or_else(|| format!("argument {} has neither type nor domain", arg.name))?;
    let (_, t) = domains
        .iter()
        .find(|(n, _)| n == d)
        .ok_or_else(|| format!("unknown domain {d}"))?;
    Prim::parse(t)
}

fn default_expr(f: &Field) -> String {
    use serde_json::Value;
    match (&f.default, f.prim) {
        (None, Prim::ShortStr) => "ShortString::empty()".into(),
        (None, Prim::LongStr) => "LongString::default()".into(),
        (None, Prim::Table) => "FieldTable::new()".into(),
        (None, Prim::Bit) => "false".into(),
        (None, _) => "0".into(),
        (Some(Value::Bool(b)), _) => b.to_string(),
        (Some(Value::Number(n)), _) => n.to_string(),
        (Some(Value::String(s)), Prim::ShortStr) if s.is_empty() => "ShortString::empty()".into(),
        (Some(Value::String(s)), Prim::ShortStr) => format!("ShortString::from_static({s:?})"),
        (Some(Value::String(s)), Prim::LongStr) => format!("LongString::from({s:?})"),
        (Some(Value::Object(_)), Prim::Table) => "FieldTable::new()".into(),
        (Some(v), _) => panic!("unsupported default {v} for {}", f.spec_name),
    }
}

/// The replies a synchronous method expects. The JSON does not carry the XML's `<response>`
/// elements; in 0-9-1 every synchronous request is answered by its `-ok` sibling, and
/// `basic.get` may also be answered by `basic.get-empty`.
fn replies(class: &Class, m: &MethodSpec) -> Vec<(u16, u16)> {
    if !m.synchronous || m.name.ends_with("-ok") {
        return vec![];
    }
    let mut out = vec![];
    let ok = format!("{}-ok", m.name);
    if let Some(r) = class.methods.iter().find(|x| x.name == ok) {
        out.push((class.id, r.id));
    }
    if class.name == "basic" && m.name == "get" {
        if let Some(r) = class.methods.iter().find(|x| x.name == "get-empty") {
            out.push((class.id, r.id));
        }
    }
    out
}

/// Writes the statements that encode `fields` (reading them from `access(field)`), packing
/// consecutive bits into octets as AMQP requires.
fn encode_fields(
    code: &mut String,
    fields: &[Field],
    indent: &str,
    access: &dyn Fn(&Field) -> String,
) {
    let mut i = 0;
    while i < fields.len() {
        if fields[i].prim == Prim::Bit {
            let start = i;
            while i < fields.len() && fields[i].prim == Prim::Bit && i - start < 8 {
                i += 1;
            }
            let parts: Vec<String> = fields[start..i]
                .iter()
                .enumerate()
                .map(|(bit, f)| format!("(u8::from({}) << {bit})", access(f)))
                .collect();
            let _ = writeln!(code, "{indent}out.put_u8({});", parts.join(" | "));
        } else {
            let _ = writeln!(
                code,
                "{indent}{}",
                fields[i].prim.writer(&access(&fields[i]))
            );
            i += 1;
        }
    }
}

fn decode_fields(code: &mut String, fields: &[Field], indent: &str) {
    let mut i = 0;
    while i < fields.len() {
        if fields[i].prim == Prim::Bit {
            let start = i;
            while i < fields.len() && fields[i].prim == Prim::Bit && i - start < 8 {
                i += 1;
            }
            let _ = writeln!(code, "{indent}let bits = r.u8()?;");
            for (bit, f) in fields[start..i].iter().enumerate() {
                let _ = writeln!(
                    code,
                    "{indent}let {} = bits & (1 << {bit}) != 0;",
                    f.rust_name
                );
            }
        } else {
            let f = &fields[i];
            let _ = writeln!(code, "{indent}let {} = {};", f.rust_name, f.prim.reader());
            i += 1;
        }
    }
}

/// The arguments of `m`, with their resolved types.
fn method_fields(m: &MethodSpec, domains: &[(String, String)]) -> Result<Vec<Field>, String> {
    m.arguments
        .iter()
        .map(|a| {
            Ok(Field {
                spec_name: a.name.clone(),
                rust_name: snake(&a.name),
                prim: resolve(a, domains)?,
                default: a.default.clone(),
            })
        })
        .collect()
}

fn parse_spec(spec_json: &str) -> Result<Spec, String> {
    serde_json::from_str(spec_json).map_err(|e| e.to_string())
}

/// Generates the Rust source for `spec_json`.
pub fn generate(spec_json: &str) -> Result<String, String> {
    let spec = parse_spec(spec_json)?;
    let mut code = String::new();
    let w = &mut code;
    let _ = writeln!(
        w,
        "// @generated by warren-codegen from core/spec/amqp-rabbitmq-0.9.1.json."
    );
    let _ = writeln!(
        w,
        "// Do not edit: run `cargo run -p warren-codegen` to regenerate."
    );
    let _ = writeln!(w);
    let _ = writeln!(w, "#![allow(unused_parens, clippy::all)]");
    let _ = writeln!(w);
    let _ = writeln!(w, "use bytes::{{BufMut, Bytes, BytesMut}};");
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "use super::value::{{FieldTable, LongString, ShortString}};"
    );
    let _ = writeln!(w, "use super::wire::{{self, Reader}};");
    let _ = writeln!(w, "use super::DecodeError;");
    let _ = writeln!(w);

    // Protocol version and constants.
    let _ = writeln!(w, "/// Protocol major version.");
    let _ = writeln!(w, "pub const PROTOCOL_MAJOR: u8 = {};", spec.major);
    let _ = writeln!(w, "/// Protocol minor version.");
    let _ = writeln!(w, "pub const PROTOCOL_MINOR: u8 = {};", spec.minor);
    let _ = writeln!(w, "/// Protocol revision.");
    let _ = writeln!(w, "pub const PROTOCOL_REVISION: u8 = {};", spec.revision);
    let _ = writeln!(w, "/// The IANA-assigned AMQP port.");
    let _ = writeln!(w, "pub const DEFAULT_PORT: u16 = {};", spec.port);
    for c in spec.constants.iter().filter(|c| c.class.is_none()) {
        let ty = if c.value <= 255 {
            "u8"
        } else if c.value <= 65535 {
            "u16"
        } else {
            "u32"
        };
        let _ = writeln!(w, "/// Spec constant `{}`.", c.name);
        let _ = writeln!(
            w,
            "pub const {}: {ty} = {};",
            c.name.replace('-', "_"),
            c.value
        );
    }
    let _ = writeln!(w);

    // Reply codes.
    let _ = writeln!(
        w,
        "/// The reply codes of the spec, each a soft (channel) or hard (connection) error."
    );
    let _ = writeln!(w, "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]");
    let _ = writeln!(w, "#[repr(u16)]");
    let _ = writeln!(w, "pub enum ReplyCode {{");
    let codes: Vec<&Constant> = spec
        .constants
        .iter()
        .filter(|c| c.class.is_some())
        .collect();
    for c in &codes {
        let _ = writeln!(
            w,
            "    /// `{}` ({}), a {}.",
            c.name,
            c.value,
            c.class.as_deref().unwrap_or("")
        );
        let _ = writeln!(
            w,
            "    {} = {},",
            pascal(&c.name.to_ascii_lowercase()),
            c.value
        );
    }
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);
    let _ = writeln!(w, "impl ReplyCode {{");
    let _ = writeln!(w, "    /// Every reply code the spec defines.");
    let _ = writeln!(w, "    pub const ALL: &'static [ReplyCode] = &[");
    for c in &codes {
        let _ = writeln!(
            w,
            "        ReplyCode::{},",
            pascal(&c.name.to_ascii_lowercase())
        );
    }
    let _ = writeln!(w, "    ];");
    let _ = writeln!(w);
    let _ = writeln!(w, "    /// The code for `value`, if the spec defines one.");
    let _ = writeln!(w, "    pub fn from_u16(value: u16) -> Option<ReplyCode> {{");
    let _ = writeln!(
        w,
        "        Self::ALL.iter().copied().find(|c| *c as u16 == value)"
    );
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "    /// True for hard errors, which close the whole connection."
    );
    let _ = writeln!(w, "    pub fn is_hard_error(self) -> bool {{");
    let hard: Vec<String> = codes
        .iter()
        .filter(|c| c.class.as_deref() == Some("hard-error"))
        .map(|c| format!("ReplyCode::{}", pascal(&c.name.to_ascii_lowercase())))
        .collect();
    let _ = writeln!(w, "        matches!(self, {})", hard.join(" | "));
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w);
    let _ = writeln!(w, "    /// The spec's name for the code, e.g. `NOT_FOUND`.");
    let _ = writeln!(w, "    pub fn name(self) -> &'static str {{");
    let _ = writeln!(w, "        match self {{");
    for c in &codes {
        let _ = writeln!(
            w,
            "            ReplyCode::{} => {:?},",
            pascal(&c.name.to_ascii_lowercase()),
            c.name.replace('-', "_")
        );
    }
    let _ = writeln!(w, "        }}");
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);

    // Method structs.
    struct Gen {
        variant: String,
        class_id: u16,
        method_id: u16,
        full_name: String,
        synchronous: bool,
        content: bool,
        replies: Vec<(u16, u16)>,
    }
    let mut all = Vec::new();
    for class in &spec.classes {
        let _ = writeln!(w, "// ---- class {} ({}) ----", class.name, class.id);
        let _ = writeln!(w);
        let _ = writeln!(w, "/// Class id of `{}`.", class.name);
        let _ = writeln!(
            w,
            "pub const {}_CLASS_ID: u16 = {};",
            class.name.to_ascii_uppercase(),
            class.id
        );
        let _ = writeln!(w);
        for m in &class.methods {
            let name = format!("{}{}", pascal(&class.name), pascal(&m.name));
            let fields = method_fields(m, &spec.domains)?;
            let full = format!("{}.{}", class.name, m.name);
            let _ = writeln!(
                w,
                "/// `{full}` ({}/{}){}{}.",
                class.id,
                m.id,
                if m.synchronous { ", synchronous" } else { "" },
                if m.content {
                    ", followed by content"
                } else {
                    ""
                }
            );
            let _ = writeln!(w, "#[derive(Debug, Clone, PartialEq)]");
            let _ = writeln!(w, "pub struct {name} {{");
            for f in &fields {
                let _ = writeln!(w, "    /// `{}`", f.spec_name);
                let _ = writeln!(w, "    pub {}: {},", f.rust_name, f.prim.rust_type());
            }
            let _ = writeln!(w, "}}");
            let _ = writeln!(w);
            let _ = writeln!(w, "impl Default for {name} {{");
            let _ = writeln!(w, "    fn default() -> Self {{");
            if fields.is_empty() {
                let _ = writeln!(w, "        {name} {{}}");
            } else {
                let _ = writeln!(w, "        {name} {{");
                for f in &fields {
                    let _ = writeln!(w, "            {}: {},", f.rust_name, default_expr(f));
                }
                let _ = writeln!(w, "        }}");
            }
            let _ = writeln!(w, "    }}");
            let _ = writeln!(w, "}}");
            let _ = writeln!(w);
            let _ = writeln!(w, "impl {name} {{");
            let _ = writeln!(w, "    /// Class id on the wire.");
            let _ = writeln!(w, "    pub const CLASS_ID: u16 = {};", class.id);
            let _ = writeln!(w, "    /// Method id on the wire.");
            let _ = writeln!(w, "    pub const METHOD_ID: u16 = {};", m.id);
            let _ = writeln!(w);
            let _ = writeln!(
                w,
                "    /// Writes the arguments (not the class and method ids)."
            );
            let out_name = if fields.is_empty() { "_out" } else { "out" };
            let _ = writeln!(
                w,
                "    pub fn encode_arguments(&self, {out_name}: &mut BytesMut) {{"
            );
            encode_fields(w, &fields, "        ", &|f| format!("self.{}", f.rust_name));
            let _ = writeln!(w, "    }}");
            let _ = writeln!(w);
            let _ = writeln!(
                w,
                "    /// Reads the arguments (after the class and method ids)."
            );
            let r_name = if fields.is_empty() { "_r" } else { "r" };
            let _ = writeln!(w, "    pub fn decode_arguments({r_name}: &mut Reader) -> Result<Self, DecodeError> {{");
            decode_fields(w, &fields, "        ");
            let names: Vec<&str> = fields.iter().map(|f| f.rust_name.as_str()).collect();
            let _ = writeln!(w, "        Ok({name} {{ {} }})", names.join(", "));
            let _ = writeln!(w, "    }}");
            let _ = writeln!(w, "}}");
            let _ = writeln!(w);
            let _ = writeln!(w, "impl From<{name}> for Method {{");
            let _ = writeln!(w, "    fn from(m: {name}) -> Method {{");
            let _ = writeln!(w, "        Method::{name}(m)");
            let _ = writeln!(w, "    }}");
            let _ = writeln!(w, "}}");
            let _ = writeln!(w);
            all.push(Gen {
                variant: name,
                class_id: class.id,
                method_id: m.id,
                full_name: full,
                synchronous: m.synchronous,
                content: m.content,
                replies: replies(class, m),
            });
        }
    }

    // Method info table.
    let _ = writeln!(w, "/// Facts about one method, from the spec.");
    let _ = writeln!(w, "#[derive(Debug, Clone, Copy, PartialEq, Eq)]");
    let _ = writeln!(w, "pub struct MethodInfo {{");
    let _ = writeln!(w, "    /// Class id.");
    let _ = writeln!(w, "    pub class_id: u16,");
    let _ = writeln!(w, "    /// Method id.");
    let _ = writeln!(w, "    pub method_id: u16,");
    let _ = writeln!(w, "    /// `class.method`, as the spec names it.");
    let _ = writeln!(w, "    pub name: &'static str,");
    let _ = writeln!(w, "    /// The sender waits for a reply.");
    let _ = writeln!(w, "    pub synchronous: bool,");
    let _ = writeln!(
        w,
        "    /// A content header and body frames follow the method."
    );
    let _ = writeln!(w, "    pub carries_content: bool,");
    let _ = writeln!(
        w,
        "    /// The (class id, method id) of the methods that may answer it."
    );
    let _ = writeln!(w, "    pub replies: &'static [(u16, u16)],");
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);
    let _ = writeln!(w, "/// Every method of the spec, in spec order.");
    let _ = writeln!(w, "pub static METHODS: &[MethodInfo] = &[");
    for g in &all {
        let reps: Vec<String> = g
            .replies
            .iter()
            .map(|(c, m)| format!("({c}, {m})"))
            .collect();
        let _ = writeln!(
            w,
            "    MethodInfo {{ class_id: {}, method_id: {}, name: {:?}, synchronous: {}, carries_content: {}, replies: &[{}] }},",
            g.class_id, g.method_id, g.full_name, g.synchronous, g.content, reps.join(", ")
        );
    }
    let _ = writeln!(w, "];");
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "/// The facts for a (class id, method id), if the spec defines it."
    );
    let _ = writeln!(
        w,
        "pub fn method_info(class_id: u16, method_id: u16) -> Option<&'static MethodInfo> {{"
    );
    let _ = writeln!(w, "    let index = match (class_id, method_id) {{");
    for (i, g) in all.iter().enumerate() {
        let _ = writeln!(w, "        ({}, {}) => {i},", g.class_id, g.method_id);
    }
    let _ = writeln!(w, "        _ => return None,");
    let _ = writeln!(w, "    }};");
    let _ = writeln!(w, "    Some(&METHODS[index])");
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);

    // Method enum.
    let _ = writeln!(w, "/// Any AMQP method, decoded.");
    let _ = writeln!(w, "#[derive(Debug, Clone, PartialEq)]");
    let _ = writeln!(w, "pub enum Method {{");
    for g in &all {
        let _ = writeln!(w, "    /// `{}`", g.full_name);
        let _ = writeln!(w, "    {}({}),", g.variant, g.variant);
    }
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);
    let _ = writeln!(w, "impl Method {{");
    let _ = writeln!(w, "    /// The spec's facts about this method.");
    let _ = writeln!(w, "    pub fn info(&self) -> &'static MethodInfo {{");
    let _ = writeln!(w, "        let index = match self {{");
    for (i, g) in all.iter().enumerate() {
        let _ = writeln!(w, "            Method::{}(_) => {i},", g.variant);
    }
    let _ = writeln!(w, "        }};");
    let _ = writeln!(w, "        &METHODS[index]");
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w);
    let _ = writeln!(w, "    /// Class id.");
    let _ = writeln!(w, "    pub fn class_id(&self) -> u16 {{");
    let _ = writeln!(w, "        self.info().class_id");
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w);
    let _ = writeln!(w, "    /// Method id.");
    let _ = writeln!(w, "    pub fn method_id(&self) -> u16 {{");
    let _ = writeln!(w, "        self.info().method_id");
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w);
    let _ = writeln!(w, "    /// `class.method`.");
    let _ = writeln!(w, "    pub fn name(&self) -> &'static str {{");
    let _ = writeln!(w, "        self.info().name");
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "    /// Writes class id, method id and arguments: a method frame's payload."
    );
    let _ = writeln!(w, "    pub fn encode(&self, out: &mut BytesMut) {{");
    let _ = writeln!(w, "        out.put_u16(self.class_id());");
    let _ = writeln!(w, "        out.put_u16(self.method_id());");
    let _ = writeln!(w, "        match self {{");
    for g in &all {
        let _ = writeln!(
            w,
            "            Method::{}(m) => m.encode_arguments(out),",
            g.variant
        );
    }
    let _ = writeln!(w, "        }}");
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w);
    let _ = writeln!(w, "    /// Reads a method frame's payload.");
    let _ = writeln!(
        w,
        "    pub fn decode(payload: Bytes) -> Result<Method, DecodeError> {{"
    );
    let _ = writeln!(w, "        let mut r = Reader::new(payload);");
    let _ = writeln!(w, "        let class_id = r.u16()?;");
    let _ = writeln!(w, "        let method_id = r.u16()?;");
    let _ = writeln!(w, "        Ok(match (class_id, method_id) {{");
    for g in &all {
        let _ = writeln!(
            w,
            "            ({}, {}) => Method::{}({}::decode_arguments(&mut r)?),",
            g.class_id, g.method_id, g.variant, g.variant
        );
    }
    let _ = writeln!(
        w,
        "            _ => return Err(DecodeError::UnknownMethod {{ class_id, method_id }}),"
    );
    let _ = writeln!(w, "        }})");
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);

    // Content properties.
    for class in spec.classes.iter().filter(|c| !c.properties.is_empty()) {
        let name = format!("{}Properties", pascal(&class.name));
        let props = class
            .properties
            .iter()
            .map(|a| {
                Ok(Field {
                    spec_name: a.name.clone(),
                    rust_name: snake(&a.name),
                    prim: resolve(a, &spec.domains)?,
                    default: None,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if props.len() > 15 {
            return Err("more than 15 properties needs flag continuation".into());
        }
        let _ = writeln!(
            w,
            "/// The content properties of class `{}`; each is optional on the wire.",
            class.name
        );
        let _ = writeln!(w, "#[derive(Debug, Clone, PartialEq, Default)]");
        let _ = writeln!(w, "pub struct {name} {{");
        for p in &props {
            let _ = writeln!(w, "    /// `{}`", p.spec_name);
            let _ = writeln!(
                w,
                "    pub {}: Option<{}>,",
                p.rust_name,
                p.prim.rust_type()
            );
        }
        let _ = writeln!(w, "}}");
        let _ = writeln!(w);
        let _ = writeln!(w, "impl {name} {{");
        let _ = writeln!(w, "    /// Class id these properties belong to.");
        let _ = writeln!(w, "    pub const CLASS_ID: u16 = {};", class.id);
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "    /// Writes the property flags and the present properties."
        );
        let _ = writeln!(w, "    pub fn encode(&self, out: &mut BytesMut) {{");
        let _ = writeln!(w, "        let mut flags: u16 = 0;");
        for (i, p) in props.iter().enumerate() {
            let _ = writeln!(
                w,
                "        if self.{}.is_some() {{ flags |= 1 << {}; }}",
                p.rust_name,
                15 - i
            );
        }
        let _ = writeln!(w, "        out.put_u16(flags);");
        for p in &props {
            if p.prim == Prim::Bit {
                return Err("bit properties are not supported".into());
            }
            let _ = writeln!(
                w,
                "        if let Some(v) = &self.{} {{ {} }}",
                p.rust_name,
                p.prim.writer("*v").replace("&*v", "v")
            );
        }
        let _ = writeln!(w, "    }}");
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "    /// Reads the property flags and the properties they announce."
        );
        let _ = writeln!(
            w,
            "    pub fn decode(r: &mut Reader) -> Result<Self, DecodeError> {{"
        );
        let _ = writeln!(w, "        let flags = r.u16()?;");
        let _ = writeln!(w, "        if flags & 1 != 0 {{");
        let _ = writeln!(
            w,
            "            return Err(DecodeError::PropertyFlagsContinuation);"
        );
        let _ = writeln!(w, "        }}");
        let _ = writeln!(w, "        let mut p = {name}::default();");
        for (i, p) in props.iter().enumerate() {
            let _ = writeln!(
                w,
                "        if flags & (1 << {}) != 0 {{ p.{} = Some({}); }}",
                15 - i,
                p.rust_name,
                p.prim.reader()
            );
        }
        let _ = writeln!(w, "        Ok(p)");
        let _ = writeln!(w, "    }}");
        let _ = writeln!(w, "}}");
        let _ = writeln!(w);
    }
    Ok(code)
}

/// Generates the proptest strategies for `spec_json`: one `any_<class>_<method>()` per method,
/// `method_strategies()` (one boxed strategy per method, in the order of `METHODS`) and
/// `any_method()`. The file is a module of warren-core's test support; it takes short strings,
/// long strings and tables from the parent module's `any_short_string()`, `any_long_string()`
/// and `any_table()`, so the value distributions live in hand-written code.
pub fn generate_arbitrary(spec_json: &str) -> Result<String, String> {
    let spec = parse_spec(spec_json)?;
    let mut code = String::new();
    let w = &mut code;
    let _ = writeln!(
        w,
        "// @generated by warren-codegen from core/spec/amqp-rabbitmq-0.9.1.json."
    );
    let _ = writeln!(
        w,
        "// Do not edit: run `cargo run -p warren-codegen` to regenerate."
    );
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "//! Proptest strategies for every AMQP method with arbitrary arguments. Short strings,"
    );
    let _ = writeln!(
        w,
        "//! long strings and tables come from the parent module's `any_short_string()`,"
    );
    let _ = writeln!(w, "//! `any_long_string()` and `any_table()`.");
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "use proptest::prelude::{{any, BoxedStrategy, Just, Strategy}};"
    );
    let _ = writeln!(w, "use proptest::strategy::Union;");
    let _ = writeln!(w, "use warren_core::codec::*;");
    let _ = writeln!(w);
    let mut all = Vec::new();
    for class in &spec.classes {
        for m in &class.methods {
            let name = format!("{}{}", pascal(&class.name), pascal(&m.name));
            let func = format!("any_{}_{}", snake(&class.name), snake(&m.name));
            let fields = method_fields(m, &spec.domains)?;
            let _ = writeln!(
                w,
                "/// `{}.{}` with arbitrary arguments.",
                class.name, m.name
            );
            let _ = writeln!(w, "pub fn {func}() -> impl Strategy<Value = {name}> {{");
            match fields.as_slice() {
                [] => {
                    let _ = writeln!(w, "    Just({name} {{}})");
                }
                [f] => {
                    let _ = writeln!(
                        w,
                        "    {}.prop_map(|{}| {name} {{ {} }})",
                        f.prim.strategy(),
                        f.rust_name,
                        f.rust_name
                    );
                }
                _ => {
                    if fields.len() > 12 {
                        return Err(format!(
                            "{}.{} has more than 12 arguments",
                            class.name, m.name
                        ));
                    }
                    let _ = writeln!(w, "    (");
                    for f in &fields {
                        let _ = writeln!(w, "        {},", f.prim.strategy());
                    }
                    let names: Vec<&str> = fields.iter().map(|f| f.rust_name.as_str()).collect();
                    let _ = writeln!(w, "    )");
                    let _ = writeln!(w, "        .prop_map(|({})| {name} {{", names.join(", "));
                    for n in &names {
                        let _ = writeln!(w, "            {n},");
                    }
                    let _ = writeln!(w, "        }})");
                }
            }
            let _ = writeln!(w, "}}");
            let _ = writeln!(w);
            all.push((name, func));
        }
    }
    let _ = writeln!(
        w,
        "/// One strategy per method, in spec order (the order of `METHODS`)."
    );
    let _ = writeln!(
        w,
        "pub fn method_strategies() -> Vec<BoxedStrategy<Method>> {{"
    );
    let _ = writeln!(w, "    vec![");
    for (name, func) in &all {
        let _ = writeln!(w, "        {func}().prop_map(Method::{name}).boxed(),");
    }
    let _ = writeln!(w, "    ]");
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "/// Any method of the spec, each equally likely, with arbitrary arguments."
    );
    let _ = writeln!(w, "pub fn any_method() -> impl Strategy<Value = Method> {{");
    let _ = writeln!(w, "    Union::new(method_strategies())");
    let _ = writeln!(w, "}}");
    Ok(code)
}

/// Where the generated codec file lives, relative to the workspace root.
pub const OUTPUT_PATH: &str = "core/src/codec/generated.rs";
/// Where the generated proptest strategies (see [`generate_arbitrary`]) live, relative to the
/// workspace root.
pub const ARBITRARY_OUTPUT_PATH: &str = "core/tests/support/arbitrary_methods.rs";
/// Where the vendored spec lives, relative to the workspace root.
pub const SPEC_PATH: &str = "core/spec/amqp-rabbitmq-0.9.1.json";
