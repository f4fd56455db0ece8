use std::fmt;

use serde::{Deserialize, Serialize};

/// Identifier of a briefing, e.g. `b7k2m9q4x1rz`. Opaque to users.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BriefingId(pub String);

/// Identifier of one invited point of one briefing. Opaque to users.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PointId(pub String);

impl fmt::Display for BriefingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for PointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an invited point may do in its briefing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The point that chairs the briefing ("điểm cầu chủ trì").
    Host,
    /// A bridge point ("điểm cầu").
    Point,
}

impl Role {
    /// The stable lowercase name used in JSON, the database and tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Point => "point",
        }
    }

    /// Parses the stable lowercase name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "host" => Some(Role::Host),
            "point" => Some(Role::Point),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
