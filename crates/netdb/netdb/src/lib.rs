//! Section "Address lookup" (APUE 16.3.3): the network configuration
//! databases and the functions that search them.
//!
//! Four databases, four files on these machines (`hosts: files dns` in
//! nsswitch.conf sends unknown host names on to DNS):
//!
//! | database  | file             | enumerate                 | look up                                   |
//! |-----------|------------------|---------------------------|-------------------------------------------|
//! | hosts     | `/etc/hosts`     | `gethostent`              | `gethostbyname`, now `getaddrinfo`        |
//! | networks  | `/etc/networks`  | `getnetent`               | `getnetbyname`, `getnetbyaddr`            |
//! | protocols | `/etc/protocols` | `getprotoent`             | `getprotobyname`, `getprotobynumber`      |
//! | services  | `/etc/services`  | `getservent`              | `getservbyname`, `getservbyport`          |
//!
//! The C functions return pointers into static storage and keep the
//! enumeration's position in hidden static state, so they are not
//! thread-safe. glibc's `_r` variants give each call its own result buffer
//! but still share the position of `set*ent`/`get*ent`/`end*ent`, so this
//! crate takes the other road: **one process-wide lock** around every call,
//! and every result copied into an owned Rust value before the lock is
//! released. Lookups are not hot paths; correctness wins.
//!
//! `getaddrinfo` and `getnameinfo` are thread-safe by design and are used
//! through the `dns-lookup` crate.

use std::ffi::{CStr, CString, c_char};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Mutex;

use sockref::ffi::netdb as sys;

/// Serialises every call into glibc's netdb functions.
static NETDB: Mutex<()> = Mutex::new(());

fn locked<T>(f: impl FnOnce() -> T) -> T {
    let _guard = NETDB
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f()
}

/// One entry of /etc/services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub aliases: Vec<String>,
    /// The port in host byte order: `ntohs(s_port)`.
    pub port: u16,
    /// `s_port` exactly as the C struct holds it: the port in network byte
    /// order inside an int. Printing it without `ntohs` is the textbook's
    /// bug (`port number: 256` for port 1 on a little-endian machine).
    pub raw_port: i32,
    pub proto: String,
}

/// One entry of /etc/protocols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    pub name: String,
    pub aliases: Vec<String>,
    pub number: i32,
}

/// One entry of /etc/networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub name: String,
    pub aliases: Vec<String>,
    pub addrtype: i32,
    /// `n_net`: the network number in host byte order.
    pub net: u32,
}

/// One entry of the host database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub aliases: Vec<String>,
    pub addrtype: i32,
    pub addrs: Vec<IpAddr>,
}

/// A C string the database handed out, as an owned String.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that stays valid for
/// the call (the caller holds the lock).
unsafe fn string(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-null and NUL-terminated, per this function's contract.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A NULL-terminated array of C strings (`s_aliases`, ...).
///
/// # Safety
/// `list` is null or a NULL-terminated array of valid C strings.
unsafe fn strings(list: *mut *mut c_char) -> Vec<String> {
    let mut out = Vec::new();
    if list.is_null() {
        return out;
    }
    let mut i = 0;
    loop {
        // SAFETY: the array is NULL-terminated, so every index up to the
        // terminator is in bounds.
        let p = unsafe { *list.add(i) };
        if p.is_null() {
            return out;
        }
        // SAFETY: each element is a valid C string.
        out.push(unsafe { string(p) });
        i += 1;
    }
}

/// # Safety
/// `s` is null or points to a servent filled in by glibc.
unsafe fn service(s: *const libc::servent) -> Option<Service> {
    // SAFETY: per this function's contract.
    let s = unsafe { s.as_ref()? };
    Some(Service {
        // SAFETY: glibc's servent fields are valid C strings and arrays.
        name: unsafe { string(s.s_name) },
        // SAFETY: as above.
        aliases: unsafe { strings(s.s_aliases) },
        port: u16::from_be(s.s_port as u16),
        raw_port: s.s_port,
        // SAFETY: as above.
        proto: unsafe { string(s.s_proto) },
    })
}

/// # Safety
/// `p` is null or points to a protoent filled in by glibc.
unsafe fn protocol(p: *const libc::protoent) -> Option<Protocol> {
    // SAFETY: per this function's contract.
    let p = unsafe { p.as_ref()? };
    Some(Protocol {
        // SAFETY: glibc's protoent fields are valid C strings and arrays.
        name: unsafe { string(p.p_name) },
        // SAFETY: as above.
        aliases: unsafe { strings(p.p_aliases) },
        number: p.p_proto,
    })
}

/// # Safety
/// `n` is null or points to a netent filled in by glibc.
unsafe fn network(n: *const libc::netent) -> Option<Network> {
    // SAFETY: per this function's contract.
    let n = unsafe { n.as_ref()? };
    Some(Network {
        // SAFETY: glibc's netent fields are valid C strings and arrays.
        name: unsafe { string(n.n_name) },
        // SAFETY: as above.
        aliases: unsafe { strings(n.n_aliases) },
        addrtype: n.n_addrtype,
        net: n.n_net,
    })
}

/// # Safety
/// `h` is null or points to a hostent filled in by glibc.
unsafe fn host(h: *const libc::hostent) -> Option<Host> {
    // SAFETY: per this function's contract.
    let h = unsafe { h.as_ref()? };
    let mut addrs = Vec::new();
    if !h.h_addr_list.is_null() {
        let mut i = 0;
        loop {
            // SAFETY: h_addr_list is NULL-terminated.
            let p = unsafe { *h.h_addr_list.add(i) };
            if p.is_null() {
                break;
            }
            // SAFETY: each address is h_length bytes: 4 for AF_INET, 16 for AF_INET6.
            addrs.push(unsafe {
                match h.h_addrtype {
                    libc::AF_INET6 => IpAddr::V6(Ipv6Addr::from(*(p as *const [u8; 16]))),
                    _ => IpAddr::V4(Ipv4Addr::from(*(p as *const [u8; 4]))),
                }
            });
            i += 1;
        }
    }
    Some(Host {
        // SAFETY: glibc's hostent fields are valid C strings and arrays.
        name: unsafe { string(h.h_name) },
        // SAFETY: as above.
        aliases: unsafe { strings(h.h_aliases) },
        addrtype: h.h_addrtype,
        addrs,
    })
}

fn c(text: &str) -> Option<CString> {
    CString::new(text).ok()
}

// ANCHOR: services
/// Every entry of the services database: `setservent`, `getservent` until
/// NULL, `endservent`.
pub fn services() -> std::vec::IntoIter<Service> {
    locked(|| {
        let mut all = Vec::new();
        // SAFETY: the lock is held, so no other thread moves the shared
        // position or reuses the static result between these calls.
        unsafe {
            libc::setservent(1);
            while let Some(s) = service(sys::getservent()) {
                all.push(s);
            }
            libc::endservent();
        }
        all.into_iter()
    })
}
// ANCHOR_END: services

/// `getservbyname(name, proto)`; `proto` None matches any protocol.
pub fn service_by_name(name: &str, proto: Option<&str>) -> Option<Service> {
    let name = c(name)?;
    let proto = proto.map(c).map(|p| p.ok_or(())).transpose().ok()?;
    let proto_ptr = proto.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
    // SAFETY: both strings are NUL-terminated (or proto is NULL); the lock is
    // held while the static result is copied.
    locked(|| unsafe { service(libc::getservbyname(name.as_ptr(), proto_ptr)) })
}

/// `getservbyport(htons(port), proto)`.
pub fn service_by_port(port: u16, proto: Option<&str>) -> Option<Service> {
    let proto = proto.map(c).map(|p| p.ok_or(())).transpose().ok()?;
    let proto_ptr = proto.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
    // SAFETY: as in service_by_name.
    locked(|| unsafe { service(libc::getservbyport(i32::from(port.to_be()), proto_ptr)) })
}

/// Every entry of the protocols database.
pub fn protocols() -> std::vec::IntoIter<Protocol> {
    locked(|| {
        let mut all = Vec::new();
        // SAFETY: the lock is held across the enumeration.
        unsafe {
            sys::setprotoent(1);
            while let Some(p) = protocol(sys::getprotoent()) {
                all.push(p);
            }
            sys::endprotoent();
        }
        all.into_iter()
    })
}

/// `getprotobyname(name)`.
pub fn protocol_by_name(name: &str) -> Option<Protocol> {
    let name = c(name)?;
    // SAFETY: NUL-terminated name; the lock is held while copying.
    locked(|| unsafe { protocol(libc::getprotobyname(name.as_ptr())) })
}

/// `getprotobynumber(number)`.
pub fn protocol_by_number(number: i32) -> Option<Protocol> {
    // SAFETY: the lock is held while copying.
    locked(|| unsafe { protocol(libc::getprotobynumber(number)) })
}

/// Every entry of the networks database.
pub fn networks() -> std::vec::IntoIter<Network> {
    locked(|| {
        let mut all = Vec::new();
        // SAFETY: the lock is held across the enumeration.
        unsafe {
            libc::setnetent(1);
            while let Some(n) = network(sys::getnetent()) {
                all.push(n);
            }
            libc::endnetent();
        }
        all.into_iter()
    })
}

/// `getnetbyname(name)`.
pub fn network_by_name(name: &str) -> Option<Network> {
    let name = c(name)?;
    // SAFETY: NUL-terminated name; the lock is held while copying.
    locked(|| unsafe { network(sys::getnetbyname(name.as_ptr())) })
}

/// `getnetbyaddr(net, AF_INET)`; `net` in host byte order, as `n_net`.
pub fn network_by_addr(net: u32) -> Option<Network> {
    // SAFETY: the lock is held while copying.
    locked(|| unsafe { network(sys::getnetbyaddr(net, libc::AF_INET)) })
}

/// Every entry of /etc/hosts, through `gethostent`.
pub fn hosts() -> std::vec::IntoIter<Host> {
    locked(|| {
        let mut all = Vec::new();
        // SAFETY: the lock is held across the enumeration.
        unsafe {
            sys::sethostent(1);
            while let Some(h) = host(sys::gethostent()) {
                all.push(h);
            }
            sys::endhostent();
        }
        all.into_iter()
    })
}

/// `gethostbyname(name)`, the old IPv4-only lookup: the host, or `h_errno`.
/// A name that is not in /etc/hosts goes on to DNS.
pub fn host_by_name(name: &str) -> Result<Host, i32> {
    let name = c(name).ok_or(libc::EAI_NONAME)?;
    // SAFETY: NUL-terminated name; the lock is held while copying and
    // while reading h_errno.
    locked(|| unsafe { host(sys::gethostbyname(name.as_ptr())).ok_or_else(sys::h_errno) })
}

/// `hstrerror`-style text for an `h_errno` value.
pub fn h_error_text(code: i32) -> &'static str {
    match code {
        1 => "HOST_NOT_FOUND: unknown host",
        2 => "TRY_AGAIN: host name lookup failure, try again",
        3 => "NO_RECOVERY: unknown server error",
        4 => "NO_DATA: no address associated with name",
        _ => "unknown resolver error",
    }
}

/// The file behind a database, and the Debian package that provides it.
pub fn database_file(database: &str) -> (&'static str, &'static str) {
    match database {
        "services" => ("/etc/services", "netbase"),
        "protocols" => ("/etc/protocols", "netbase"),
        "networks" => ("/etc/networks", "netbase"),
        _ => ("/etc/hosts", "base-files"),
    }
}

/// When a database file is missing the C functions just find nothing, and
/// a service name then fails with the misleading "Servname not supported
/// for ai_socktype". This says what is really wrong.
pub fn missing_database(database: &str, root: &Path) -> Option<String> {
    let (file, package) = database_file(database);
    let path = root.join(file.trim_start_matches('/'));
    (!path.exists()).then(|| format!("{file} is missing: the {database} database is empty (Debian package {package} provides it)"))
}

/// Whether /etc/hosts lists `name` (case-insensitively) or, if it is a
/// numeric address, that address. With `hosts: files dns` in
/// /etc/nsswitch.conf, a lookup that /etc/hosts answers asks no DNS server.
pub fn in_etc_hosts(name: &str) -> bool {
    let Ok(table) = std::fs::read_to_string("/etc/hosts") else {
        return false;
    };
    let wanted: Option<IpAddr> = name.parse().ok();
    table.lines().any(|line| {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else {
            return false;
        };
        match wanted {
            Some(ip) => addr.parse::<IpAddr>() == Ok(ip),
            None => fields.any(|n| n.eq_ignore_ascii_case(name)),
        }
    })
}

/// The one stderr line a lookup program prints before a lookup that may
/// leave the machine: `what` (a name, or an address to name) is not in
/// /etc/hosts, so the resolver may ask the DNS servers of
/// /etc/resolv.conf. `avoid` says how to keep it local. `None` when the
/// lookup is answered locally (a numeric name, or one /etc/hosts lists).
pub fn dns_note(what: &str, reverse: bool, avoid: &str) -> Option<String> {
    let numeric_name = !reverse && what.parse::<IpAddr>().is_ok();
    (!numeric_name && !in_etc_hosts(what)).then(|| {
        format!(
            "note: '{what}' is not in /etc/hosts: this lookup may query the DNS servers \
             of /etc/resolv.conf ({avoid} avoids it)"
        )
    })
}

/// The addresses /etc/hosts gives `name` (case-insensitively), each once,
/// in the file's order. What `getaddrinfo` answers for a name depends on
/// it: `localhost` has an IPv6 address only where the file has a line
/// such as `::1 localhost`, which some machines have and others lack.
pub fn etc_hosts_addresses(name: &str) -> Vec<IpAddr> {
    let table = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let mut found: Vec<IpAddr> = Vec::new();
    for line in table.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let Some(Ok(addr)) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        if fields.any(|n| n.eq_ignore_ascii_case(name)) && !found.contains(&addr) {
            found.push(addr);
        }
    }
    found
}

/// An address as glibc's `inet_ntop` prints it (Rust prints IPv4-compatible
/// IPv6 addresses differently; see the address-formats chapter).
pub fn ntop(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => sockref::ffi::inet_ntop4(&a.octets()),
        IpAddr::V6(a) => sockref::ffi::inet_ntop6(&a.octets()),
    }
}

/// `A|B|C` for the flags of `table` set in `flags`, or `0`.
pub fn flag_names(flags: i32, table: &[(&str, i32)]) -> String {
    let names: Vec<&str> = table
        .iter()
        .filter(|(_, f)| flags & f != 0)
        .map(|(n, _)| *n)
        .collect();
    if names.is_empty() {
        "0".to_string()
    } else {
        names.join("|")
    }
}

/// A getaddrinfo/getnameinfo failure: the call, the EAI_ name and glibc's text.
pub fn gai_error(call: &str, code: i32) -> sockref::Error {
    sockref::Error::runtime(format!(
        "{call}: {} ({})",
        sockref::ffi::eai_name(code),
        sockref::ffi::gai_strerror(code)
    ))
}

/// A family constant's name.
pub fn family_name(af: i32) -> &'static str {
    match af {
        libc::AF_INET => "AF_INET",
        libc::AF_INET6 => "AF_INET6",
        libc::AF_UNIX => "AF_UNIX",
        libc::AF_UNSPEC => "AF_UNSPEC",
        _ => "AF_?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_database_names_its_file_and_package() {
        let nowhere = Path::new("/nonexistent-root");
        assert_eq!(
            missing_database("services", nowhere).unwrap(),
            "/etc/services is missing: the services database is empty (Debian package netbase provides it)"
        );
        assert_eq!(missing_database("services", Path::new("/")), None);
    }
}
