//! Which (target, service, port) the audit tries.

use crate::{AuditError, Service};

/// The services to try and their ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// (service, port), in [`Service::ALL`] order.
    pub services: Vec<(Service, u16)>,
}

impl Plan {
    /// Every service on its well-known port.
    pub fn all() -> Plan {
        Plan {
            services: Service::ALL
                .into_iter()
                .map(|s| (s, s.default_port()))
                .collect(),
        }
    }

    /// `services`: a comma list (empty: all); `ports`: `service=port,...`
    /// overrides.
    pub fn new(services: &str, ports: &str) -> Result<Plan, AuditError> {
        let mut chosen: Vec<Service> = Vec::new();
        for s in services.split(',').filter(|s| !s.trim().is_empty()) {
            let s: Service = s.parse()?;
            if !chosen.contains(&s) {
                chosen.push(s);
            }
        }
        if chosen.is_empty() {
            chosen = Service::ALL.to_vec();
        }
        chosen.sort();
        let mut services: Vec<(Service, u16)> =
            chosen.into_iter().map(|s| (s, s.default_port())).collect();
        for p in ports.split(',').filter(|s| !s.trim().is_empty()) {
            let (name, port) = p
                .split_once('=')
                .ok_or_else(|| AuditError::BadPort(p.to_string()))?;
            let svc: Service = name.parse()?;
            let port: u16 = port
                .trim()
                .parse()
                .ok()
                .filter(|&x| x != 0)
                .ok_or_else(|| AuditError::BadPort(p.to_string()))?;
            for s in services.iter_mut().filter(|(s, _)| *s == svc) {
                s.1 = port;
            }
        }
        Ok(Plan { services })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_ports() {
        let p = Plan::new("ssh,telnet,ssh", "ssh=2222").unwrap();
        assert_eq!(
            p.services,
            vec![(Service::Telnet, 23), (Service::Ssh, 2222)]
        );
        assert_eq!(Plan::new("", "").unwrap(), Plan::all());
        assert_eq!(Plan::all().services.len(), 7);
        assert!(Plan::new("gopher", "").is_err());
        assert!(Plan::new("ssh", "ssh=0").is_err());
        assert!(Plan::new("ssh", "ssh:22").is_err());
        assert_eq!(
            Plan::new("snmp", "").unwrap().services,
            vec![(Service::Snmp, 161)]
        );
    }
}
