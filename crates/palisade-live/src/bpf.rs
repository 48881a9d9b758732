//! Classic BPF programs for the kernel's socket filter.
//!
//! palisade does not compile filter expressions: that is libpcap's job, and
//! this crate does without libpcap. A filter is given already compiled, as
//! instructions, e.g. the output of `tcpdump -ddd 'EXPR'` (read with
//! [`parse_tcpdump_ddd`]) or instructions built by hand. The kernel verifies
//! the program when it is attached and refuses an invalid one.
#![forbid(unsafe_code)]

use crate::error::{Error, Result};

/// Most instructions in a program (the kernel's `BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

/// One classic BPF instruction (`struct sock_filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BpfInsn {
    /// Opcode.
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Operand.
    pub k: u32,
}

impl BpfInsn {
    /// An instruction from its four fields.
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> BpfInsn {
        BpfInsn { code, jt, jf, k }
    }
}

/// Reads the decimal form `tcpdump -ddd` prints: a first line with the
/// number of instructions, then one `code jt jf k` line per instruction.
pub fn parse_tcpdump_ddd(text: &str) -> Result<Vec<BpfInsn>> {
    let bad = |reason: String| Error::Config(format!("BPF program: {reason}"));
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let count: usize = lines
        .next()
        .ok_or_else(|| bad("empty".into()))?
        .parse()
        .map_err(|_| bad("the first line must be the instruction count".into()))?;
    if count == 0 || count > MAX_INSNS {
        return Err(bad(format!("{count} instructions (1..={MAX_INSNS})")));
    }
    let mut out = Vec::with_capacity(count);
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let insn = match f.as_slice() {
            [c, t, e, k] => (|| {
                Some(BpfInsn::new(
                    c.parse().ok()?,
                    t.parse().ok()?,
                    e.parse().ok()?,
                    k.parse().ok()?,
                ))
            })(),
            _ => None,
        };
        let insn = insn.ok_or_else(|| bad(format!("line {}: {line:?}", i + 2)))?;
        if out.len() == count {
            return Err(bad(format!("more than the {count} instructions announced")));
        }
        out.push(insn);
    }
    if out.len() != count {
        return Err(bad(format!(
            "{} instructions, {count} announced",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tcpdump_ddd() {
        // tcpdump -ddd 'udp'
        let text = "6\n40 0 0 12\n21 0 3 2048\n48 0 0 23\n21 0 1 17\n6 0 0 262144\n6 0 0 0\n";
        let p = parse_tcpdump_ddd(text).unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!(p[1], BpfInsn::new(21, 0, 3, 2048));
        assert_eq!(p[4], BpfInsn::new(6, 0, 0, 262144));
        for bad in [
            "",
            "x\n",
            "0\n",
            "2\n40 0 0 12\n",
            "1\n40 0 0 12\n6 0 0 0\n",
            "1\n40 0 0\n",
            "1\n40 0 0 99999999999\n",
            "1\n40 0 256 1\n",
            "5000\n",
        ] {
            assert!(parse_tcpdump_ddd(bad).is_err(), "{bad:?}");
        }
    }
}
