//! Statements run and D1's answers read without serde: a row is the JS object D1 hands over,
//! read column by column. One reader serves every query, where a `Deserialize` per row struct
//! put a copy of serde_wasm_bindgen's struct reader into the wasm for each (the row
//! structs cost the wasm 64 KiB raw, 24 KiB gzipped). The generic part of reading is kept to
//! `read`, `read_one` and `read_each`, which the compiler copies per row type.
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use worker::js_sys::{Array, Promise, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{worker_sys, D1Database, D1PreparedStatement};

use super::{DbError, DbResult};

thread_local! {
    /// Each column name as a JS string, made once per isolate: copying a name out of the wasm
    /// for every column of every row was a fifth of a page's time in the worker (0.4 of 3.5 ms
    /// for 20 customers, `bench/profile.mjs list`).
    static COLUMN_NAMES: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// `read` of the JS string of `name`.
fn with_column_name<T>(name: &'static str, read: impl FnOnce(&JsValue) -> T) -> T {
    COLUMN_NAMES.with_borrow_mut(|names| {
        // A name is a literal, so its address tells it apart; the text compare is the fallback.
        let at = match names.iter().position(|(n, _)| std::ptr::eq(*n, name) || *n == name) {
            Some(at) => at,
            None => {
                names.push((name, JsValue::from_str(name)));
                names.len() - 1
            }
        };
        read(&names[at].1)
    })
}

/// One row of an answer. A column that is missing, NULL where a value is required, or of another
/// type than asked marks the row bad; reading goes on with an empty value meanwhile, so a row is
/// built in one expression without a `?` per column, and `read` refuses it.
pub struct Row {
    value: JsValue,
    bad: Cell<Option<&'static str>>,
}

impl Row {
    fn new(value: JsValue) -> Row {
        Row { value, bad: Cell::new(None) }
    }

    fn column(&self, name: &'static str) -> Option<JsValue> {
        with_column_name(name, |key| Reflect::get(&self.value, key)).ok().filter(|v| !v.is_null() && !v.is_undefined())
    }

    fn refuse(&self, name: &'static str) {
        if self.bad.get().is_none() {
            self.bad.set(Some(name));
        }
    }

    /// A text column that may be NULL (or absent from this query's columns).
    pub fn opt_text(&self, name: &'static str) -> Option<String> {
        let value = self.column(name)?;
        let text = value.as_string();
        if text.is_none() {
            self.refuse(name);
        }
        text
    }

    pub fn text(&self, name: &'static str) -> String {
        self.opt_text(name).unwrap_or_else(|| {
            self.refuse(name);
            String::new()
        })
    }

    /// A number column that may be NULL. D1 hands every number over as a double.
    pub fn opt_number(&self, name: &'static str) -> Option<f64> {
        let value = self.column(name)?;
        let number = value.as_f64();
        if number.is_none() {
            self.refuse(name);
        }
        number
    }

    pub fn number(&self, name: &'static str) -> f64 {
        self.opt_number(name).unwrap_or_else(|| {
            self.refuse(name);
            0.0
        })
    }

    /// A count, as the whole number it is (answers show `1`, never `1.0`).
    pub fn count(&self, name: &'static str) -> u64 {
        whole(self.number(name))
    }

    /// A 0/1 column: SQLite has no booleans.
    pub fn flag(&self, name: &'static str) -> bool {
        self.number(name) != 0.0
    }

    /// A text column holding one of a domain type's names (`parse` says which); `None` marks
    /// the row bad, so any stand-in the caller then picks never leaves `read`.
    pub fn parsed<T>(&self, name: &'static str, parse: fn(&str) -> Option<T>) -> Option<T> {
        let parsed = parse(&self.text(name));
        if parsed.is_none() {
            self.refuse(name);
        }
        parsed
    }

    /// What `build` makes of this row, unless a column could not be read as it asked.
    pub fn read<T>(self, build: fn(&Row) -> T) -> DbResult<T> {
        let value = build(&self);
        self.check()?;
        Ok(value)
    }

    fn check(&self) -> DbResult<()> {
        match self.bad.get() {
            None => Ok(()),
            Some(name) => Err(unreadable(name)),
        }
    }
}

#[cold]
fn unreadable(column: &str) -> DbError {
    DbError(format!("column `{column}` is missing or not of the type read"))
}

/// What `build` makes of the row, if there is one.
pub fn read_one<T>(row: Option<Row>, build: fn(&Row) -> T) -> DbResult<Option<T>> {
    match row {
        Some(r) => r.read(build).map(Some),
        None => Ok(None),
    }
}

/// What `build` makes of each row.
pub fn read_each<T>(rows: Vec<Row>, build: fn(&Row) -> T) -> DbResult<Vec<T>> {
    let mut values = Vec::with_capacity(rows.len());
    for row in rows {
        values.push(row.read(build)?);
    }
    Ok(values)
}

/// A count D1 handed over as a double, as a whole number (0 for anything but a positive one).
pub fn whole(n: f64) -> u64 {
    if n.is_finite() && n > 0.0 {
        n as u64
    } else {
        0
    }
}

/// What D1 answered for one statement.
pub struct StatementResult(JsValue);

impl StatementResult {
    /// Rows the statement changed (D1's `meta.changes`).
    pub fn changes(&self) -> usize {
        let meta = Reflect::get(&self.0, &"meta".into()).unwrap_or(JsValue::UNDEFINED);
        Reflect::get(&meta, &"changes".into()).ok().and_then(|c| c.as_f64()).map_or(0, whole) as usize
    }

    /// The rows the statement returned (none for most writes).
    pub fn rows(&self) -> Vec<Row> {
        let results = Reflect::get(&self.0, &"results".into()).unwrap_or(JsValue::UNDEFINED);
        results.dyn_into::<Array>().map(|rows| rows.iter().map(Row::new).collect()).unwrap_or_default()
    }
}

/// D1's failure as text, as worker-rs reports it: a `D1_` error's cause, else the message.
fn failure(e: JsValue) -> DbError {
    match e.dyn_into::<worker::js_sys::Error>() {
        Ok(err) => {
            let message = String::from(err.message());
            match err.cause().dyn_into::<worker::js_sys::Error>() {
                Ok(cause) if message.starts_with("D1") => DbError(cause.message().into()),
                _ => DbError(message),
            }
        }
        Err(other) => DbError(other.as_string().unwrap_or_else(|| format!("{other:?}"))),
    }
}

thread_local! {
    /// The statement count of the request whose work is being polled right now (see `Counted`).
    static COUNTING: RefCell<Option<Rc<Cell<u32>>>> = const { RefCell::new(None) };
}

/// D1 statements one request sent (each statement of a batch counts: Cloudflare counts queries
/// per invocation, 1,000 on Workers Paid). An isolate serves several requests at once, so the
/// count is not a global: it belongs to the request's futures (`counting`), and a statement is
/// counted when it is sent, which is always inside a poll of one of them.
#[derive(Clone, Default)]
pub struct StatementCount(Rc<Cell<u32>>);

impl StatementCount {
    pub fn get(&self) -> u32 {
        self.0.get()
    }

    /// `work`, with every statement it sends counted here.
    pub fn counting<F>(&self, work: F) -> Counted<F> {
        Counted { count: self.0.clone(), inner: Box::pin(work) }
    }
}

/// A future or stream whose polls count their statements into one request's count.
pub struct Counted<F> {
    count: Rc<Cell<u32>>,
    inner: Pin<Box<F>>,
}

impl<F> Counted<F> {
    fn within<R>(&mut self, poll: impl FnOnce(Pin<&mut F>) -> R) -> R {
        let outer = COUNTING.with(|c| c.replace(Some(self.count.clone())));
        let result = poll(self.inner.as_mut());
        COUNTING.with(|c| *c.borrow_mut() = outer);
        result
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.get_mut().within(|inner| inner.poll(cx))
    }
}

impl<S: futures_util::Stream> futures_util::Stream for Counted<S> {
    type Item = S::Item;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.get_mut().within(|inner| inner.poll_next(cx))
    }
}

fn sent(statements: usize) {
    COUNTING.with(|c| {
        if let Some(count) = &*c.borrow() {
            count.set(count.get().saturating_add(statements as u32));
        }
    });
}

/// The wasm instance's memory in MiB. It only grows: after a request, the most that request
/// (or an earlier one) needed at once.
pub fn wasm_mib() -> u32 {
    #[cfg(target_arch = "wasm32")]
    {
        (core::arch::wasm32::memory_size(0) * 64 / 1024) as u32
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

async fn settle(promise: Result<Promise, JsValue>) -> DbResult<JsValue> {
    JsFuture::from(promise.map_err(failure)?).await.map_err(failure)
}

/// The first row of the statement's answer, if any.
pub async fn first(s: &D1PreparedStatement) -> DbResult<Option<Row>> {
    sent(1);
    let row = settle(s.inner().first(None)).await?;
    Ok((!row.is_null() && !row.is_undefined()).then(|| Row::new(row)))
}

/// Every row of the statement's answer.
pub async fn all(s: &D1PreparedStatement) -> DbResult<Vec<Row>> {
    sent(1);
    Ok(StatementResult(settle(s.inner().all()).await?).rows())
}

pub async fn run(s: &D1PreparedStatement) -> DbResult<StatementResult> {
    sent(1);
    Ok(StatementResult(settle(s.inner().run()).await?))
}

/// Runs the statements in one batch (one transaction: all of them or none); their results in
/// the same order.
pub async fn batch(db: &D1Database, statements: Vec<D1PreparedStatement>) -> DbResult<Vec<StatementResult>> {
    sent(statements.len());
    let list: Array = statements.iter().map(|s| s.inner().clone()).collect();
    let sys: &worker_sys::D1Database = AsRef::<JsValue>::as_ref(db).unchecked_ref();
    let results = settle(sys.batch(list)).await?;
    Ok(results.dyn_into::<Array>().map(|all| all.iter().map(StatementResult).collect()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_count_into_the_request_being_polled_only() {
        let (a, b) = (StatementCount::default(), StatementCount::default());
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut first = a.counting(async {
            sent(2);
        });
        let mut second = b.counting(async {
            sent(1);
            sent(5);
        });
        assert!(Pin::new(&mut first).poll(&mut cx).is_ready());
        assert!(Pin::new(&mut second).poll(&mut cx).is_ready());
        sent(7);
        assert_eq!((a.get(), b.get()), (2, 6));
    }

    #[test]
    fn counts_read_from_doubles_are_whole_numbers() {
        assert_eq!(whole(3.0), 3);
        assert_eq!(whole(0.0), 0);
        assert_eq!(whole(-1.0), 0);
        assert_eq!(whole(f64::NAN), 0);
    }
}
