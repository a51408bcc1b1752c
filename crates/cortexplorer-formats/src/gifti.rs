//! GIFTI (`.gii`, `.gii.gz`): XML with typed data arrays.
//!
//! Supported as nibabel 5 reads them: encodings `ASCII`, `Base64Binary`, `GZipBase64Binary`
//! (zlib stream; a gzip wrapper is also accepted) and `ExternalFileBinary` (raw data in a file
//! next to the `.gii`, at `ExternalFileOffset`), including the `GIFTI_ENCODING_*` spellings;
//! both endiannesses; row- and column-major order; every NIfTI integer/float data type.
//! Intents decide what the file is: `POINTSET` + `TRIANGLE` → surface, `LABEL` → labels with the
//! file's label table, any other (SHAPE, FUNC/NONE, TIME_SERIES, …) → overlay frames.
//!
//! Robustness: the XML is streamed through a byte budget that grows only by what each
//! `DataArray` declares (bounded by [`Limits`]), so compressed bombs and endless text stop
//! early; element nesting is capped; every array's decoded size must equal its `Dim*`.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use base64::Engine;
use quick_xml::events::Event;

use super::source::{Limits, Source, checked_product};
use super::{Content, FormatError};
use crate::{Hemisphere, Labels, Overlay, Region, Surface};

/// Bytes of XML allowed besides what the data arrays declare (metadata, label tables).
const BASE_BUDGET: u64 = 64 << 20;
const MAX_DEPTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Ascii,
    Base64,
    GzipBase64,
    External,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    U8,
    I8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl DType {
    fn parse(s: &str) -> Result<DType, FormatError> {
        Ok(match s.trim().trim_start_matches("NIFTI_TYPE_") {
            "UINT8" => DType::U8,
            "INT8" => DType::I8,
            "INT16" => DType::I16,
            "UINT16" => DType::U16,
            "INT32" => DType::I32,
            "UINT32" => DType::U32,
            "INT64" => DType::I64,
            "UINT64" => DType::U64,
            "FLOAT32" => DType::F32,
            "FLOAT64" => DType::F64,
            other => {
                return Err(FormatError::Unsupported(format!(
                    "GIFTI DataType {other:?}"
                )));
            }
        })
    }
    fn size(self) -> usize {
        match self {
            DType::U8 | DType::I8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }
    fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
}

/// Decoded values of one array: floats as f32, integers exactly (i32 when the type fits,
/// i64 for uint32/int64/uint64).
#[derive(Clone, Debug)]
pub enum Values {
    Float(Vec<f32>),
    Int(Vec<i32>),
    Int64(Vec<i64>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Float(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Int64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn to_f32(&self) -> Vec<f32> {
        match self {
            Values::Float(v) => v.clone(),
            Values::Int(v) => v.iter().map(|&x| x as f32).collect(),
            Values::Int64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }
    /// Integer values widened to i64 (`None` for float arrays).
    pub fn ints(&self) -> Option<Vec<i64>> {
        match self {
            Values::Float(_) => None,
            Values::Int(v) => Some(v.iter().map(|&x| x as i64).collect()),
            Values::Int64(v) => Some(v.clone()),
        }
    }
}

/// Where an array's bytes come from.
enum Bytes<'a> {
    /// raw bytes (Base64Binary, ExternalFileBinary)
    Raw(&'a [u8]),
    /// a zlib (or gzip) stream (GZipBase64Binary)
    Deflated(&'a [u8]),
}

impl Bytes<'_> {
    /// Fill `dst` exactly. A deflate stream is inflated in one call straight into `dst`
    /// (zlib-rs); one that would expand past `dst` is refused, so a bomb costs nothing extra.
    fn fill(&self, dst: &mut [u8]) -> Result<(), FormatError> {
        let want = dst.len();
        match self {
            Bytes::Raw(b) => {
                if b.len() != want {
                    return Err(FormatError::Truncated(format!(
                        "need {want} bytes, the data has {}",
                        b.len()
                    )));
                }
                dst.copy_from_slice(b);
                Ok(())
            }
            Bytes::Deflated(z) => {
                // window_bits 47 = 15 + 32: zlib or gzip header, detected automatically
                let config = zlib_rs::InflateConfig { window_bits: 47 };
                let (out, rc) = zlib_rs::decompress_slice(dst, z, config);
                let got = out.len();
                match rc {
                    zlib_rs::ReturnCode::Ok | zlib_rs::ReturnCode::StreamEnd if got == want => {
                        Ok(())
                    }
                    zlib_rs::ReturnCode::Ok | zlib_rs::ReturnCode::StreamEnd => {
                        Err(FormatError::Truncated(format!(
                            "need {want} bytes, the compressed data holds {got}"
                        )))
                    }
                    zlib_rs::ReturnCode::BufError => Err(FormatError::TooLarge(format!(
                        "compressed data expands past the {want} bytes its dimensions declare"
                    ))),
                    other => Err(FormatError::Invalid(format!(
                        "compressed data is corrupt ({other:?})"
                    ))),
                }
            }
        }
    }
}

/// `n` values of a plain-old-data type, filled straight from the source.
fn read_typed<T: bytemuck::Pod + Default>(src: &Bytes, n: usize) -> Result<Vec<T>, FormatError> {
    let mut v = vec![T::default(); n];
    src.fill(bytemuck::cast_slice_mut(&mut v))?;
    Ok(v)
}

/// Values of `dtype` from a byte stream in the given byte order.
fn binary_values(r: &Bytes, n: usize, dtype: DType, little: bool) -> Result<Values, FormatError> {
    let native_le = cfg!(target_endian = "little");
    let fix32 = |v: &mut [u32]| {
        if little != native_le {
            v.iter_mut().for_each(|x| *x = x.swap_bytes());
        }
    };
    Ok(match dtype {
        DType::F32 => {
            let mut v: Vec<f32> = read_typed(r, n)?;
            fix32(bytemuck::cast_slice_mut(&mut v));
            Values::Float(v)
        }
        DType::I32 => {
            let mut v: Vec<i32> = read_typed(r, n)?;
            fix32(bytemuck::cast_slice_mut(&mut v));
            Values::Int(v)
        }
        DType::U8 => Values::Int(read_typed::<u8>(r, n)?.into_iter().map(i32::from).collect()),
        DType::I8 => Values::Int(read_typed::<i8>(r, n)?.into_iter().map(i32::from).collect()),
        DType::I16 => Values::Int(
            read_typed::<[u8; 2]>(r, n)?
                .into_iter()
                .map(|b| {
                    (if little {
                        i16::from_le_bytes(b)
                    } else {
                        i16::from_be_bytes(b)
                    }) as i32
                })
                .collect(),
        ),
        DType::U16 => Values::Int(
            read_typed::<[u8; 2]>(r, n)?
                .into_iter()
                .map(|b| {
                    (if little {
                        u16::from_le_bytes(b)
                    } else {
                        u16::from_be_bytes(b)
                    }) as i32
                })
                .collect(),
        ),
        DType::U32 => Values::Int64(
            read_typed::<[u8; 4]>(r, n)?
                .into_iter()
                .map(|b| {
                    (if little {
                        u32::from_le_bytes(b)
                    } else {
                        u32::from_be_bytes(b)
                    }) as i64
                })
                .collect(),
        ),
        DType::I64 | DType::U64 => Values::Int64(
            read_typed::<[u8; 8]>(r, n)?
                .into_iter()
                .map(|b| match (dtype, little) {
                    (DType::I64, true) => i64::from_le_bytes(b),
                    (DType::I64, false) => i64::from_be_bytes(b),
                    (_, true) => u64::from_le_bytes(b) as i64,
                    (_, false) => u64::from_be_bytes(b) as i64,
                })
                .collect(),
        ),
        DType::F64 => Values::Float(
            read_typed::<[u8; 8]>(r, n)?
                .into_iter()
                .map(|b| {
                    (if little {
                        f64::from_le_bytes(b)
                    } else {
                        f64::from_be_bytes(b)
                    }) as f32
                })
                .collect(),
        ),
    })
}

/// One `<DataArray>`.
#[derive(Clone, Debug)]
pub struct DataArray {
    pub intent: String,
    pub dtype: DType,
    /// Dimensions as declared (`Dim0`, `Dim1`, …).
    pub dims: Vec<usize>,
    /// Values in row-major order whatever the file's order.
    pub values: Values,
    pub meta: Vec<(String, String)>,
}

/// A parsed GIFTI file.
#[derive(Clone, Debug, Default)]
pub struct Gifti {
    pub meta: Vec<(String, String)>,
    pub label_table: Vec<Region>,
    pub arrays: Vec<DataArray>,
}

/// Array attributes and raw text, before decoding.
struct Pending {
    intent: String,
    dtype: DType,
    dims: Vec<usize>,
    column_major: bool,
    little_endian: bool,
    encoding: Encoding,
    external: Option<(PathBuf, u64)>,
    /// ASCII-encoded data as written
    text: String,
    /// base64-encoded data without whitespace
    b64: Vec<u8>,
    meta: Vec<(String, String)>,
}

/// A reader that fails once it has delivered `budget` bytes; the budget is raised as
/// data arrays declare their sizes.
struct Budgeted<R> {
    inner: R,
    budget: Rc<Cell<u64>>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.budget.get();
        if left == 0 {
            return Err(std::io::Error::other(BUDGET_MSG));
        }
        let take = buf.len().min(left as usize);
        let n = self.inner.read(&mut buf[..take])?;
        self.budget.set(left - n as u64);
        Ok(n)
    }
}

const BUDGET_MSG: &str =
    "GIFTI text is longer than its data arrays declare (compression bomb or corrupt file)";

fn intent_name(s: &str) -> String {
    let s = s.trim();
    let by_code = match s.parse::<i32>() {
        Ok(0) => Some("NONE"),
        Ok(1002) => Some("LABEL"),
        Ok(1008) => Some("POINTSET"),
        Ok(1009) => Some("TRIANGLE"),
        Ok(2001) => Some("TIME_SERIES"),
        Ok(2005) => Some("SHAPE"),
        _ => None,
    };
    by_code
        .map(str::to_owned)
        .unwrap_or_else(|| s.trim_start_matches("NIFTI_INTENT_").to_string())
}

fn parse_encoding(s: &str) -> Result<Encoding, FormatError> {
    Ok(match s.trim() {
        "ASCII" | "GIFTI_ENCODING_ASCII" => Encoding::Ascii,
        "Base64Binary" | "GIFTI_ENCODING_B64BIN" => Encoding::Base64,
        "GZipBase64Binary" | "GIFTI_ENCODING_B64GZ" => Encoding::GzipBase64,
        "ExternalFileBinary" | "GIFTI_ENCODING_EXTBIN" => Encoding::External,
        other => {
            return Err(FormatError::Unsupported(format!(
                "unknown GIFTI encoding {other:?}"
            )));
        }
    })
}

/// Read a GIFTI file.
/// Write per-vertex values as GIFTI: one float32 DataArray per frame (intent NONE for one
/// frame, TIME_SERIES for several, as FreeSurfer and nibabel write functional series),
/// GZipBase64Binary little-endian. Reads back with nibabel and with [`read`].
pub fn write_overlay(o: &Overlay) -> Vec<u8> {
    use std::io::Write;
    let intent = if o.n_frames > 1 {
        "NIFTI_INTENT_TIME_SERIES"
    } else {
        "NIFTI_INTENT_NONE"
    };
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE GIFTI SYSTEM \"http://www.nitrc.org/frs/download.php/115/gifti.dtd\">\n",
    );
    x += &format!(
        "<GIFTI Version=\"1.0\" NumberOfDataArrays=\"{}\">\n<MetaData/>\n<LabelTable/>\n",
        o.n_frames
    );
    for f in 0..o.n_frames {
        let bytes: Vec<u8> = o.frame(f).iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&bytes).expect("writing to memory");
        let b64 = base64::engine::general_purpose::STANDARD.encode(z.finish().expect("memory"));
        let meta = match o.tr_seconds {
            Some(tr) if o.n_frames > 1 => format!(
                "<MetaData><MD><Name><![CDATA[TimeStep]]></Name><Value><![CDATA[{}]]></Value></MD></MetaData>",
                tr * 1000.0
            ),
            _ => "<MetaData/>".into(),
        };
        x += &format!(
            "<DataArray Intent=\"{intent}\" DataType=\"NIFTI_TYPE_FLOAT32\" ArrayIndexingOrder=\"RowMajorOrder\" Dimensionality=\"1\" Dim0=\"{}\" Encoding=\"GZipBase64Binary\" Endian=\"LittleEndian\" ExternalFileName=\"\" ExternalFileOffset=\"\">\n{meta}\n<Data>{b64}</Data>\n</DataArray>\n",
            o.n_vertices
        );
    }
    x += "</GIFTI>\n";
    x.into_bytes()
}

pub fn read(src: &Source, limits: &Limits) -> Result<Gifti, FormatError> {
    let (stream, file_len) = src.open()?;
    let budget = Rc::new(Cell::new(BASE_BUDGET.min(limits.max_bytes)));
    if let Some(len) = file_len {
        limits.check("GIFTI file", len)?;
    }
    let reader = BufReader::with_capacity(
        1 << 20,
        Budgeted {
            inner: stream,
            budget: budget.clone(),
        },
    );
    let dir = src.dir();
    let mut pending = Vec::new();
    let (meta, label_table) = parse_xml(reader, &budget, limits, file_len, &dir, &mut |p| {
        pending.push(p)
    })?;
    use rayon::prelude::*;
    let decoded: Vec<(usize, Result<DataArray, FormatError>)> = pending
        .into_par_iter()
        .enumerate()
        .map(|(i, p)| {
            (
                i,
                decode(p, limits).map_err(|e| prefix(e, &format!("DataArray {i}"))),
            )
        })
        .collect();
    let arrays = decoded
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Gifti {
        meta,
        label_table,
        arrays,
    })
}

fn prefix(e: FormatError, what: &str) -> FormatError {
    match e {
        FormatError::Truncated(m) => FormatError::Truncated(format!("{what}: {m}")),
        FormatError::Invalid(m) => FormatError::Invalid(format!("{what}: {m}")),
        FormatError::TooLarge(m) => FormatError::TooLarge(format!("{what}: {m}")),
        FormatError::Unsupported(m) => FormatError::Unsupported(format!("{what}: {m}")),
        other => other,
    }
}

type Parsed = (Vec<(String, String)>, Vec<Region>);

/// Parse the XML; each completed `<DataArray>` is handed to `on_array` (so decoding can start
/// while the rest of the file is parsed).
fn parse_xml<R: BufRead>(
    input: R,
    budget: &Rc<Cell<u64>>,
    limits: &Limits,
    file_len: Option<u64>,
    dir: &Path,
    on_array: &mut dyn FnMut(Pending),
) -> Result<Parsed, FormatError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut meta = Vec::new();
    let mut labels: Vec<Region> = Vec::new();
    let mut n_arrays = 0usize;
    let mut current: Option<Pending> = None;
    let mut text = String::new(); // text of the innermost element
    let mut md_name = String::new();
    let mut label_attrs: Option<(i32, [u8; 4])> = None;
    let mut saw_root = false;
    let mut declared_total: u64 = 0;

    let xml_err = |e: quick_xml::Error| {
        let msg = e.to_string();
        if msg.contains(BUDGET_MSG) {
            FormatError::TooLarge(BUDGET_MSG.into())
        } else {
            FormatError::Invalid(format!("XML: {msg}"))
        }
    };

    loop {
        let ev = reader.read_event_into(&mut buf).map_err(xml_err)?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.name().as_ref().to_string();
                if stack.len() >= MAX_DEPTH {
                    return Err(FormatError::Invalid(format!(
                        "XML nested deeper than {MAX_DEPTH} levels"
                    )));
                }
                let attr = |key: &str| -> Result<Option<String>, FormatError> {
                    for a in e.attributes() {
                        let a =
                            a.map_err(|e| FormatError::Invalid(format!("XML attribute: {e}")))?;
                        if a.key.as_ref() == key {
                            let v = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map_err(|e| {
                                    FormatError::Invalid(format!("XML attribute {key}: {e}"))
                                })?;
                            return Ok(Some(v.into_owned()));
                        }
                    }
                    Ok(None)
                };
                match name.as_str() {
                    "GIFTI" => saw_root = true,
                    "DataArray" => {
                        let get = |k: &str| attr(k).map(|v| v.unwrap_or_default());
                        let nd: usize = get("Dimensionality")?.trim().parse().map_err(|_| {
                            FormatError::Invalid("DataArray without a valid Dimensionality".into())
                        })?;
                        if !(1..=6).contains(&nd) {
                            return Err(FormatError::Invalid(format!(
                                "Dimensionality {nd} outside 1..6"
                            )));
                        }
                        let mut dims = Vec::with_capacity(nd);
                        for k in 0..nd {
                            let d: i64 = get(&format!("Dim{k}"))?.trim().parse().map_err(|_| {
                                FormatError::Invalid(format!("Dim{k} missing or not an integer"))
                            })?;
                            if d < 0 {
                                return Err(FormatError::Invalid(format!(
                                    "Dim{k} is negative ({d})"
                                )));
                            }
                            dims.push(d as usize);
                        }
                        let dtype = DType::parse(&get("DataType")?)?;
                        let encoding = parse_encoding(&get("Encoding")?)?;
                        let endian = get("Endian")?;
                        let little_endian = match endian.trim() {
                            "LittleEndian" | "GIFTI_ENDIAN_LITTLE" => true,
                            "BigEndian" | "GIFTI_ENDIAN_BIG" => false,
                            "" if encoding == Encoding::Ascii => true,
                            other => {
                                return Err(FormatError::Invalid(format!(
                                    "unknown Endian {other:?}"
                                )));
                            }
                        };
                        let column_major = get("ArrayIndexingOrder")?.trim() == "ColumnMajorOrder";
                        let n = checked_product(
                            "DataArray",
                            &dims.iter().map(|&d| d as u64).collect::<Vec<_>>(),
                        )?;
                        let nbytes = checked_product("DataArray", &[n, dtype.size() as u64])?;
                        declared_total = declared_total.saturating_add(nbytes);
                        limits.check("GIFTI data arrays", declared_total)?;
                        // Encoded text this array may need: base64 of (slightly expanded)
                        // deflate output, or up to 40 characters per ASCII number.
                        let text_bound = match encoding {
                            Encoding::Ascii => n.saturating_mul(40),
                            Encoding::Base64 | Encoding::GzipBase64 => nbytes / 3 * 5 + 4096,
                            Encoding::External => 0,
                        } + 65536;
                        if let (Some(len), Encoding::Base64) = (file_len, encoding)
                            && nbytes / 4 * 3 > len
                        {
                            return Err(FormatError::Truncated(format!(
                                "DataArray {} declares {nbytes} bytes, more than the file can hold",
                                n_arrays
                            )));
                        }
                        budget.set(budget.get().saturating_add(text_bound));
                        let external = if encoding == Encoding::External {
                            let fname = get("ExternalFileName")?;
                            let off: u64 =
                                get("ExternalFileOffset")?.trim().parse().map_err(|_| {
                                    FormatError::Invalid(
                                        "ExternalFileOffset is not an integer".into(),
                                    )
                                })?;
                            Some((dir.join(fname.trim()), off))
                        } else {
                            None
                        };
                        current = Some(Pending {
                            intent: intent_name(&get("Intent")?),
                            dtype,
                            dims,
                            column_major,
                            little_endian,
                            encoding,
                            external,
                            text: String::new(),
                            b64: Vec::new(),
                            meta: Vec::new(),
                        });
                        if empty {
                            n_arrays += 1;
                            on_array(current.take().unwrap());
                        }
                    }
                    "Label" => {
                        let key: i32 = attr("Key")?
                            .or(attr("Index")?)
                            .unwrap_or_default()
                            .trim()
                            .parse()
                            .map_err(|_| {
                                FormatError::Invalid("Label without an integer Key".into())
                            })?;
                        let chan = |k: &str| -> Result<u8, FormatError> {
                            match attr(k)? {
                                None => Ok(if k == "Alpha" { 255 } else { 0 }),
                                Some(v) => {
                                    let f: f32 = v.trim().parse().map_err(|_| {
                                        FormatError::Invalid(format!(
                                            "Label {k} {v:?} is not a number"
                                        ))
                                    })?;
                                    Ok((f.clamp(0.0, 1.0) * 255.0).round() as u8)
                                }
                            }
                        };
                        label_attrs = Some((
                            key,
                            [chan("Red")?, chan("Green")?, chan("Blue")?, chan("Alpha")?],
                        ));
                        if empty {
                            let (index, rgba) = label_attrs.take().unwrap();
                            labels.push(Region {
                                name: String::new(),
                                index,
                                rgba,
                            });
                        }
                    }
                    _ => {}
                }
                if !empty {
                    stack.push(name);
                    text.clear();
                }
            }
            Event::Text(t) => {
                let s = t.into_inner();
                push_text(&mut text, &mut current, &stack, &s);
            }
            Event::CData(t) => {
                let s = t.into_inner();
                push_text(&mut text, &mut current, &stack, &s);
            }
            Event::GeneralRef(r) => {
                let raw = format!("&{};", r.into_inner());
                let s = quick_xml::escape::unescape(&raw)
                    .map_err(|e| FormatError::Invalid(format!("XML entity {raw}: {e}")))?
                    .into_owned();
                push_text(&mut text, &mut current, &stack, &s);
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                match stack.pop() {
                    Some(open) if open == name => {}
                    other => {
                        return Err(FormatError::Invalid(format!(
                            "XML: </{name}> closes {}",
                            other
                                .map(|o| format!("<{o}>"))
                                .unwrap_or_else(|| "nothing".into())
                        )));
                    }
                }
                let in_array = stack.iter().any(|s| s == "DataArray");
                match name.as_str() {
                    "Name" => md_name = text.trim().to_string(),
                    "Value" => {
                        let pair = (std::mem::take(&mut md_name), text.trim().to_string());
                        match (&mut current, in_array) {
                            (Some(p), true) => p.meta.push(pair),
                            _ => meta.push(pair),
                        }
                    }
                    "Label" => {
                        if let Some((index, rgba)) = label_attrs.take() {
                            labels.push(Region {
                                name: text.trim().to_string(),
                                index,
                                rgba,
                            });
                        }
                    }
                    "DataArray" => {
                        if let Some(p) = current.take() {
                            n_arrays += 1;
                            on_array(p);
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(FormatError::Invalid(
            "not a GIFTI file (no <GIFTI> element)".into(),
        ));
    }
    if !stack.is_empty() {
        return Err(FormatError::Truncated(format!(
            "XML ends inside <{}>",
            stack.last().unwrap()
        )));
    }
    Ok((meta, labels))
}

fn push_text(text: &mut String, current: &mut Option<Pending>, stack: &[String], s: &str) {
    if stack.last().map(String::as_str) == Some("Data") {
        if let Some(p) = current {
            if p.encoding == Encoding::Ascii {
                p.text.push_str(s);
            } else {
                // base64: keep only the alphabet, line by line (whitespace is not data)
                for run in s.as_bytes().split(|b| b.is_ascii_whitespace()) {
                    p.b64.extend_from_slice(run);
                }
            }
        }
    } else {
        text.push_str(s);
    }
}

fn decode(p: Pending, limits: &Limits) -> Result<DataArray, FormatError> {
    let n = p.dims.iter().product::<usize>();
    let nbytes = n * p.dtype.size();
    limits.check("DataArray", nbytes as u64)?;
    let values = match p.encoding {
        Encoding::Ascii => parse_ascii(&p.text, p.dtype, n)?,
        Encoding::External => {
            let raw = read_external(p.external.as_ref().unwrap(), nbytes)?;
            binary_values(&Bytes::Raw(&raw), n, p.dtype, p.little_endian)?
        }
        enc => {
            // `push_text` already dropped the whitespace
            let dec = base64::engine::general_purpose::STANDARD
                .decode(&p.b64)
                .map_err(|e| FormatError::Invalid(format!("base64: {e}")))?;
            let src = if enc == Encoding::GzipBase64 {
                Bytes::Deflated(&dec)
            } else {
                Bytes::Raw(&dec)
            };
            binary_values(&src, n, p.dtype, p.little_endian).map_err(|e| match e {
                FormatError::Truncated(m) => {
                    FormatError::Truncated(format!("dimensions {:?} of {:?}: {m}", p.dims, p.dtype))
                }
                other => other,
            })?
        }
    };
    let values = if p.column_major && p.dims.len() == 2 {
        transpose(values, p.dims[0], p.dims[1])
    } else {
        values
    };
    if p.column_major && p.dims.len() > 2 {
        return Err(FormatError::Unsupported(
            "column-major arrays with more than 2 dimensions".into(),
        ));
    }
    Ok(DataArray {
        intent: p.intent,
        dtype: p.dtype,
        dims: p.dims,
        values,
        meta: p.meta,
    })
}

fn read_external((path, offset): &(PathBuf, u64), nbytes: usize) -> Result<Vec<u8>, FormatError> {
    super::source::regular_file(path)
        .map_err(|e| FormatError::Invalid(format!("external data file {}: {e}", path.display())))?;
    let mut f = std::fs::File::open(path)
        .map_err(|e| FormatError::Invalid(format!("external data file {}: {e}", path.display())))?;
    let len = f.metadata()?.len();
    if offset.saturating_add(nbytes as u64) > len {
        return Err(FormatError::Truncated(format!(
            "external file {} has {len} bytes, {nbytes} needed at offset {offset}",
            path.display()
        )));
    }
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(*offset))?;
    let mut out = vec![0u8; nbytes];
    f.read_exact(&mut out)?;
    Ok(out)
}

fn parse_ascii(text: &str, dtype: DType, n: usize) -> Result<Values, FormatError> {
    let mut it = text.split_ascii_whitespace();
    let bad = |t: &str| FormatError::Invalid(format!("ASCII data: {t:?} is not a number"));
    let values = if dtype.is_float() {
        let mut v = Vec::with_capacity(n.min(text.len() / 2 + 1));
        for t in it.by_ref() {
            v.push(t.parse::<f32>().map_err(|_| bad(t))?);
        }
        Values::Float(v)
    } else {
        let mut v = Vec::with_capacity(n.min(text.len() / 2 + 1));
        for t in it.by_ref() {
            v.push(t.parse::<i64>().map_err(|_| bad(t))?);
        }
        match v
            .iter()
            .map(|&x| i32::try_from(x))
            .collect::<Result<Vec<i32>, _>>()
        {
            Ok(small) => Values::Int(small),
            Err(_) => Values::Int64(v),
        }
    };
    if values.len() != n {
        return Err(FormatError::Invalid(format!(
            "ASCII data has {} values, dimensions declare {n}",
            values.len()
        )));
    }
    Ok(values)
}

fn transpose(v: Values, rows: usize, cols: usize) -> Values {
    // column-major [rows, cols]: element (r, c) is at c * rows + r
    fn t<T: Copy>(v: &[T], rows: usize, cols: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(v.len());
        for r in 0..rows {
            for c in 0..cols {
                out.push(v[c * rows + r]);
            }
        }
        out
    }
    match v {
        Values::Float(x) => Values::Float(t(&x, rows, cols)),
        Values::Int(x) => Values::Int(t(&x, rows, cols)),
        Values::Int64(x) => Values::Int64(t(&x, rows, cols)),
    }
}

impl Gifti {
    fn find(&self, intent: &str) -> Option<&DataArray> {
        self.arrays.iter().find(|a| a.intent == intent)
    }

    /// Hemisphere from `AnatomicalStructurePrimary` metadata.
    pub fn hemisphere(&self) -> Option<Hemisphere> {
        self.meta
            .iter()
            .chain(self.arrays.iter().flat_map(|a| a.meta.iter()))
            .find(|(k, _)| k == "AnatomicalStructurePrimary")
            .and_then(|(_, v)| match v.as_str() {
                "CortexLeft" => Some(Hemisphere::Left),
                "CortexRight" => Some(Hemisphere::Right),
                _ => None,
            })
    }

    /// Interpret the arrays as a surface, labels or an overlay.
    pub fn into_content(self) -> Result<Content, FormatError> {
        if let Some(ps) = self.find("POINTSET") {
            if ps.dims.len() != 2 || ps.dims[1] != 3 {
                return Err(FormatError::Invalid(format!(
                    "POINTSET has shape {:?}, expected [n, 3]",
                    ps.dims
                )));
            }
            let vertices: Vec<[f32; 3]> = match &ps.values {
                Values::Float(c) => bytemuck::cast_slice(c).to_vec(),
                other => bytemuck::cast_slice(&other.to_f32()).to_vec(),
            };
            let faces = match self.find("TRIANGLE") {
                None => Vec::new(),
                Some(tri) => {
                    if tri.dims.len() != 2 || tri.dims[1] != 3 {
                        return Err(FormatError::Invalid(format!(
                            "TRIANGLE has shape {:?}, expected [m, 3]",
                            tri.dims
                        )));
                    }
                    match &tri.values {
                        // i32 → u32 keeps negatives as huge values, which Surface::new rejects
                        Values::Int(idx) => bytemuck::cast_slice::<i32, [u32; 3]>(idx).to_vec(),
                        Values::Int64(idx) => idx
                            .chunks_exact(3)
                            .map(|f| {
                                std::array::from_fn(|j| u32::try_from(f[j]).unwrap_or(u32::MAX))
                            })
                            .collect(),
                        Values::Float(_) => {
                            return Err(FormatError::Invalid("TRIANGLE array holds floats".into()));
                        }
                    }
                }
            };
            return Ok(Content::Surface(Surface::new(vertices, faces)?));
        }
        if let Some(la) = self.find("LABEL") {
            let Some(keys) = la.values.ints() else {
                return Err(FormatError::Invalid("LABEL array holds floats".into()));
            };
            // keep the file's table order; look keys up by value
            let regions = self.label_table.clone();
            let position: std::collections::HashMap<i64, i32> = regions
                .iter()
                .enumerate()
                .rev()
                .map(|(i, r)| (r.index as i64, i as i32))
                .collect();
            let region_of = keys
                .iter()
                .map(|k| position.get(k).copied().unwrap_or(-1))
                .collect();
            return Ok(Content::Labels(Labels {
                vertex_ids: None,
                region_of,
                regions,
                values: None,
            }));
        }
        let data: Vec<&DataArray> = self.arrays.iter().collect();
        if data.is_empty() {
            return Err(FormatError::Invalid("GIFTI file has no data arrays".into()));
        }
        let n = data[0].dims[0];
        let mut values = Vec::new();
        let mut frames = 0;
        for (i, a) in data.iter().enumerate() {
            if a.dims[0] != n {
                return Err(FormatError::Invalid(format!(
                    "DataArray {i} has {} rows, DataArray 0 has {n}",
                    a.dims[0]
                )));
            }
            let v = a.values.to_f32();
            let cols = a.dims.iter().skip(1).product::<usize>().max(1);
            // row-major [n, cols] → frames of n values
            for c in 0..cols {
                values.extend((0..n).map(|r| v[r * cols + c]));
            }
            frames += cols;
        }
        let mut o = Overlay::new(n, frames, values);
        o.tr_seconds = self
            .arrays
            .iter()
            .flat_map(|a| a.meta.iter())
            .chain(self.meta.iter())
            .find(|(k, _)| k == "TimeStep")
            .and_then(|(_, v)| v.parse::<f32>().ok())
            .map(|ms| ms / 1000.0);
        Ok(Content::Overlay(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, body: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cx-gii-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    fn array(attrs: &str, data: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><GIFTI Version=\"1.0\" NumberOfDataArrays=\"1\"><DataArray {attrs}><Data>{data}</Data></DataArray></GIFTI>"
        )
    }

    #[test]
    fn ascii_column_major_big_endian_ignored() {
        let p = write(
            "cm.gii",
            &array(
                r#"Intent="NIFTI_INTENT_SHAPE" DataType="NIFTI_TYPE_FLOAT32" ArrayIndexingOrder="ColumnMajorOrder" Dimensionality="2" Dim0="2" Dim1="3" Encoding="ASCII" Endian="BigEndian""#,
                "1 2 3 4 5 6",
            ),
        );
        let g = read(&Source::File(p.clone()), &Limits::default()).unwrap();
        // column-major [2,3]: rows are (1,3,5) and (2,4,6)
        match &g.arrays[0].values {
            Values::Float(v) => assert_eq!(v, &vec![1., 3., 5., 2., 4., 6.]),
            _ => panic!(),
        }
        match g.into_content().unwrap() {
            Content::Overlay(o) => {
                assert_eq!((o.n_vertices, o.n_frames), (2, 3));
                assert_eq!(o.frame(1), &[3., 4.]);
            }
            _ => panic!(),
        }
    }

    #[test]
    fn rejects_unknown_encoding_bad_sizes_and_bombs() {
        let p = write(
            "enc.gii",
            &array(
                r#"Intent="NIFTI_INTENT_SHAPE" DataType="NIFTI_TYPE_FLOAT32" Dimensionality="1" Dim0="1" Encoding="Morse" Endian="LittleEndian""#,
                "1",
            ),
        );
        let e = read(&Source::File(p.clone()), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown GIFTI encoding"), "{e}");

        let p = write(
            "short.gii",
            &array(
                r#"Intent="NIFTI_INTENT_SHAPE" DataType="NIFTI_TYPE_FLOAT32" Dimensionality="1" Dim0="3" Encoding="Base64Binary" Endian="LittleEndian""#,
                "AACAPw==",
            ),
        );
        let e = read(&Source::File(p.clone()), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("12 bytes"), "{e}");

        // zlib stream of 1 MB of zeros declared as 4 bytes
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, &vec![0u8; 1 << 20]).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap());
        let p = write(
            "bomb.gii",
            &array(
                r#"Intent="NIFTI_INTENT_SHAPE" DataType="NIFTI_TYPE_FLOAT32" Dimensionality="1" Dim0="1" Encoding="GZipBase64Binary" Endian="LittleEndian""#,
                &b64,
            ),
        );
        let e = read(&Source::File(p.clone()), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("expands past"), "{e}");

        let p = write(
            "nested.gii",
            &format!("<GIFTI>{}</GIFTI>", "<a>".repeat(100)),
        );
        assert!(
            read(&Source::File(p.clone()), &Limits::default())
                .unwrap_err()
                .to_string()
                .contains("nested")
        );
        let p = write("notgifti.gii", "<html></html>");
        assert!(read(&Source::File(p.clone()), &Limits::default()).is_err());
    }
}
