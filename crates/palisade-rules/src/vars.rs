//! Rule variables (Suricata's `address-groups` and `port-groups`).
//!
//! palisade keeps them in one `[vars]` table; a name ending in `_PORTS` or
//! `_PORT` is a port group, every other name an address group. Defaults are
//! those of Suricata's default suricata.yaml.

use crate::address::{AddressExpr, IpSet};
use crate::port::{PortExpr, PortSet};
use std::collections::BTreeMap;

/// Why a variable could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VarError {
    /// The variable is not defined.
    #[error("undefined variable `${0}`")]
    Undefined(String),
    /// The variable's value does not parse.
    #[error("variable `${name}`: {message}")]
    Bad {
        /// Variable.
        name: String,
        /// Problem.
        message: String,
    },
    /// Variables refer to each other too deeply (or in a cycle).
    #[error("variables nested too deeply (a cycle?)")]
    TooDeep,
    /// The expression matches nothing.
    #[error("{what} expression matches nothing")]
    Empty {
        /// "address" or "port".
        what: String,
    },
}

/// Suricata's default address groups.
pub const DEFAULT_ADDRESS_GROUPS: &[(&str, &str)] = &[
    ("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"),
    ("EXTERNAL_NET", "!$HOME_NET"),
    ("HTTP_SERVERS", "$HOME_NET"),
    ("SMTP_SERVERS", "$HOME_NET"),
    ("SQL_SERVERS", "$HOME_NET"),
    ("DNS_SERVERS", "$HOME_NET"),
    ("TELNET_SERVERS", "$HOME_NET"),
    ("AIM_SERVERS", "$EXTERNAL_NET"),
    ("DC_SERVERS", "$HOME_NET"),
    ("DNP3_SERVER", "$HOME_NET"),
    ("DNP3_CLIENT", "$HOME_NET"),
    ("MODBUS_CLIENT", "$HOME_NET"),
    ("MODBUS_SERVER", "$HOME_NET"),
    ("ENIP_CLIENT", "$HOME_NET"),
    ("ENIP_SERVER", "$HOME_NET"),
];

/// Suricata's default port groups.
pub const DEFAULT_PORT_GROUPS: &[(&str, &str)] = &[
    ("HTTP_PORTS", "80"),
    ("SHELLCODE_PORTS", "!80"),
    ("ORACLE_PORTS", "1521"),
    ("SSH_PORTS", "22"),
    ("DNP3_PORTS", "20000"),
    ("MODBUS_PORTS", "502"),
    ("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"),
    ("FTP_PORTS", "21"),
    ("GENEVE_PORTS", "6081"),
    ("VXLAN_PORTS", "4789"),
    ("TEREDO_PORTS", "3544"),
];

/// True when `name` names a port group under palisade's naming rule.
pub fn is_port_var(name: &str) -> bool {
    name.ends_with("_PORTS") || name.ends_with("_PORT")
}

/// The variable table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vars {
    addresses: BTreeMap<String, String>,
    ports: BTreeMap<String, String>,
}

impl Default for Vars {
    fn default() -> Self {
        Vars::suricata_defaults()
    }
}

impl Vars {
    /// No variables at all.
    pub fn empty() -> Vars {
        Vars {
            addresses: BTreeMap::new(),
            ports: BTreeMap::new(),
        }
    }

    /// Suricata's defaults.
    pub fn suricata_defaults() -> Vars {
        let mut v = Vars::empty();
        for (k, val) in DEFAULT_ADDRESS_GROUPS {
            v.addresses.insert((*k).into(), (*val).into());
        }
        for (k, val) in DEFAULT_PORT_GROUPS {
            v.ports.insert((*k).into(), (*val).into());
        }
        v
    }

    /// Sets a variable (a leading `$` on the name is ignored). The value is
    /// checked for syntax now; references are resolved when used.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), VarError> {
        let name = name.trim_start_matches('$').to_string();
        let bad = |message: String| VarError::Bad {
            name: name.clone(),
            message,
        };
        if is_port_var(&name) {
            PortExpr::parse(value, 0).map_err(|e| bad(e.message))?;
            self.ports.insert(name, value.to_string());
        } else {
            AddressExpr::parse(value, 0).map_err(|e| bad(e.message))?;
            self.addresses.insert(name, value.to_string());
        }
        Ok(())
    }

    /// Every variable as (name, value), addresses then ports.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.addresses
            .iter()
            .chain(self.ports.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub(crate) fn address(&self, name: &str, depth: usize) -> Result<IpSet, VarError> {
        let text = self
            .addresses
            .get(name)
            .ok_or_else(|| VarError::Undefined(name.to_string()))?;
        let e = AddressExpr::parse(text, 0).map_err(|e| VarError::Bad {
            name: name.into(),
            message: e.message,
        })?;
        e.resolve_depth(self, depth)
    }

    pub(crate) fn port(&self, name: &str, depth: usize) -> Result<PortSet, VarError> {
        let text = self
            .ports
            .get(name)
            .ok_or_else(|| VarError::Undefined(name.to_string()))?;
        let e = PortExpr::parse(text, 0).map_err(|e| VarError::Bad {
            name: name.into(),
            message: e.message,
        })?;
        e.resolve_depth(self, depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_resolve() {
        let mut v = Vars::suricata_defaults();
        v.set("HOME_NET", "[198.18.0.0/15]").unwrap();
        let s = AddressExpr::parse("$EXTERNAL_NET", 0)
            .unwrap()
            .resolve(&v)
            .unwrap();
        assert!(s.contains("10.0.0.1".parse().unwrap()));
        assert!(!s.contains("198.19.0.1".parse().unwrap()));
        v.set("MQTT_PORTS", "[1883,8883]").unwrap();
        let p = PortExpr::parse("$MQTT_PORTS", 0)
            .unwrap()
            .resolve(&v)
            .unwrap();
        assert!(p.contains(8883));
        assert!(v.set("HOME_NET", "[10.0.0.0/8").is_err());
        let e = AddressExpr::parse("$NOPE", 0).unwrap().resolve(&v);
        assert_eq!(e, Err(VarError::Undefined("NOPE".into())));
        v.set("A", "$B").unwrap();
        v.set("B", "$A").unwrap();
        let e = AddressExpr::parse("$A", 0).unwrap().resolve(&v);
        assert_eq!(e, Err(VarError::TooDeep));
    }
}
