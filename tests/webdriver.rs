//! Just enough of the W3C WebDriver protocol to drive a browser through chromedriver: a session,
//! navigation, elements found by CSS, their text and attributes, clicks and keys, a script and a
//! screenshot. Plain HTTP/1.1 on loopback, one connection per command, so the suite needs no
//! WebDriver client crate and its HTTP and URL stacks.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The key under which WebDriver returns an element's reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a wait for an element, or for chromedriver to start the browser, may take.
const PATIENCE: Duration = Duration::from_secs(30);

/// A WebDriver error: the command, and what the driver said.
#[derive(Debug)]
pub struct Error {
    command: String,
    kind: String,
    message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.command, self.kind, self.message)
    }
}

type Result<T> = std::result::Result<T, Error>;

/// One HTTP exchange with the driver at `addr`: the status and the body's JSON.
fn exchange(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
    let fail = |kind: &str, message: String| Error {
        command: format!("{method} {path}"),
        kind: kind.to_string(),
        message,
    };
    let io = |e: std::io::Error| fail("io", e.to_string());
    let mut stream = TcpStream::connect(addr).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(io)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json; \
         charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    // chromedriver keeps the connection open whatever the request says: read what the headers
    // announce, not to the end of the stream.
    let mut response = Vec::new();
    let mut buf = [0u8; 16384];
    let mut read = |response: &mut Vec<u8>| -> Result<bool> {
        let n = stream.read(&mut buf).map_err(io)?;
        response.extend_from_slice(&buf[..n]);
        Ok(n > 0)
    };
    let split = loop {
        if let Some(p) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        if !read(&mut response)? {
            return Err(fail("http", "no end of headers".into()));
        }
    };
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail("http", format!("no status in {head:?}")))?;
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let body = &response[split + 4..];
        let complete = match length {
            Some(n) => body.len() >= n,
            None if chunked => dechunk(body).is_some(),
            None => false,
        };
        if complete || !read(&mut response)? {
            break;
        }
    }
    let mut payload = response[split + 4..].to_vec();
    if let Some(n) = length {
        payload.truncate(n);
    } else if chunked {
        payload = dechunk(&payload).ok_or_else(|| fail("http", "a broken chunk".into()))?;
    }
    let value: Value = if payload.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&payload).map_err(|e| fail("json", e.to_string()))?
    };
    Ok((status, value))
}

/// The body of a chunked HTTP response.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line = data.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&data[..line]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        let start = line + 2;
        out.extend_from_slice(data.get(start..start + size)?);
        data = data.get(start + size + 2..)?;
    }
}

/// A browser session.
pub struct Client {
    addr: String,
    session: String,
}

/// An element of the current page.
pub struct Element<'c> {
    client: &'c Client,
    id: String,
}

impl Client {
    /// A new session on the chromedriver at `addr` with these capabilities, retried while the
    /// driver starts.
    pub fn connect(addr: &str, capabilities: Value) -> Result<Client> {
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let start = Instant::now();
        loop {
            match exchange(addr, "POST", "/session", Some(&body)) {
                Ok((_, v)) if v["value"]["sessionId"].is_string() => {
                    return Ok(Client {
                        addr: addr.to_string(),
                        session: v["value"]["sessionId"].as_str().unwrap().to_string(),
                    })
                }
                Ok((_, v)) if start.elapsed() > PATIENCE => {
                    return Err(driver_error("session", &v))
                }
                Err(e) if start.elapsed() > PATIENCE => return Err(e),
                _ => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// A command of this session; its `value`.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let full = format!("/session/{}{path}", self.session);
        let (status, v) = exchange(&self.addr, method, &full, body.as_ref())?;
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(driver_error(&format!("{method} {path}"), &v))
        }
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.command("POST", "/url", Some(json!({ "url": url })))
            .map(drop)
    }

    pub fn current_url(&self) -> Result<String> {
        let v = self.command("GET", "/url", None)?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub fn find(&self, css: &str) -> Result<Element<'_>> {
        let v = self.command("POST", "/element", Some(locator(css)))?;
        Ok(self.element(&v))
    }

    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>> {
        let v = self.command("POST", "/elements", Some(locator(css)))?;
        Ok(v.as_array()
            .map(|a| a.iter().map(|e| self.element(e)).collect())
            .unwrap_or_default())
    }

    /// The form `css` finds.
    pub fn form(&self, css: &str) -> Result<Form<'_>> {
        self.find(css)?;
        Ok(Form {
            client: self,
            css: css.to_string(),
        })
    }

    /// The element `css` finds, once it is on the page.
    pub fn wait_for(&self, css: &str) -> Result<Element<'_>> {
        let start = Instant::now();
        loop {
            match self.find(css) {
                Ok(e) => return Ok(e),
                Err(e) if e.kind != "no such element" || start.elapsed() > PATIENCE => {
                    return Err(e)
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// A script run in the page; what it returns.
    pub fn execute(&self, script: &str) -> Result<Value> {
        let body = json!({ "script": script, "args": [] });
        self.command("POST", "/execute/sync", Some(body))
    }

    /// The page as a PNG.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        let v = self.command("GET", "/screenshot", None)?;
        base64(v.as_str().unwrap_or_default()).ok_or_else(|| Error {
            command: "GET /screenshot".into(),
            kind: "base64".into(),
            message: "not base64".into(),
        })
    }

    pub fn close(&self) -> Result<()> {
        self.command("DELETE", "", None).map(drop)
    }

    fn element(&self, v: &Value) -> Element<'_> {
        Element {
            client: self,
            id: v[ELEMENT].as_str().unwrap_or_default().to_string(),
        }
    }
}

/// A form of the current page, filled by its fields' names.
pub struct Form<'c> {
    client: &'c Client,
    css: String,
}

impl Form<'_> {
    /// The field `name` of the form, typed into.
    pub fn set_by_name(&self, name: &str, value: &str) -> Result<()> {
        let field = self.client.find(&format!("{} [name='{name}']", self.css))?;
        field.fill(value)
    }

    /// Sent with its submit button, as a person sends it.
    pub fn submit(&self) -> Result<()> {
        let button = self.client.find(&format!("{} [type=submit]", self.css))?;
        button.click()
    }
}

impl Element<'_> {
    fn command(&self, method: &str, what: &str, body: Option<Value>) -> Result<Value> {
        let path = format!("/element/{}{what}", self.id);
        self.client.command(method, &path, body)
    }

    pub fn text(&self) -> Result<String> {
        let v = self.command("GET", "/text", None)?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub fn attr(&self, name: &str) -> Result<Option<String>> {
        let v = self.command("GET", &format!("/attribute/{name}"), None)?;
        Ok(v.as_str().map(str::to_string))
    }

    pub fn click(&self) -> Result<()> {
        self.command("POST", "/click", Some(json!({}))).map(drop)
    }

    /// Typed into the element, after what it held is cleared.
    pub fn fill(&self, text: &str) -> Result<()> {
        self.command("POST", "/clear", Some(json!({})))?;
        self.send_keys(text)
    }

    pub fn send_keys(&self, text: &str) -> Result<()> {
        self.command("POST", "/value", Some(json!({ "text": text })))
            .map(drop)
    }
}

fn locator(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn driver_error(command: &str, v: &Value) -> Error {
    Error {
        command: command.to_string(),
        kind: v["value"]["error"]
            .as_str()
            .unwrap_or("unknown")
            .to_string(),
        message: v["value"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Standard base64 (padding optional), as WebDriver returns screenshots.
fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        // Fewer than 8 bits wait between bytes; the rest are dropped as they go.
        acc = (acc << 6 | u32::from(v)) & 0x3fff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[test]
fn base64_and_chunks_decode() {
    assert_eq!(base64("aGVsbG8gd29ybGQ=").unwrap(), b"hello world");
    assert_eq!(base64("iVBORw0K").unwrap(), b"\x89PNG\r\n");
    assert!(base64("a*b").is_none());
    assert_eq!(
        dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").unwrap(),
        b"hello world"
    );
    assert!(dechunk(b"ff\r\nshort\r\n").is_none());
}
