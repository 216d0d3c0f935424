//! The trace format: one [`Record`] per line of a JSON Lines file.
//!
//! The schema is documented in `docs/TRACING.md`; in short:
//!
//! ```json
//! {"v":1,"kind":"ask","id":"5e2a000000000007","parent":"5e2a000000000003",
//!  "at_ns":1733000000123456789,"node":"9f1c2b3a4d5e6f70",
//!  "from":{"type":"Client","id":1,"node":"9f1c2b3a4d5e6f70"},
//!  "to":{"type":"Store","id":2,"node":"9f1c2b3a4d5e6f70","name":"store"},
//!  "method":"get","detail":"\"apples\""}
//! ```
//!
//! Ids and node ids are hexadecimal strings (they do not fit a JSON number
//! exactly); times are nanoseconds since the Unix epoch.

use std::fmt;
use std::time::UNIX_EPOCH;

use actium_core::observe::{Event, EventKind, RecentEvent};
use actium_core::{ActorLabel, NodeId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The schema version this crate writes, and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// One event of a trace, as written to a JSON Lines file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The schema version ([`SCHEMA_VERSION`]).
    pub v: u32,
    /// What happened.
    pub kind: Kind,
    /// The message the event is about: the correlation id shared by a
    /// request, its answer and the method run that handles it.
    pub id: Id,
    /// The message whose handling caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Id>,
    /// When, in nanoseconds since the Unix epoch, by the recording node's
    /// clock.
    pub at_ns: u64,
    /// The node that recorded the event (a 16-digit hexadecimal node id).
    pub node: String,
    /// That node's address, once nodes have one (`tcp://host:port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_url: Option<String>,
    /// The sender; `null` for code outside any actor.
    pub from: Option<Participant>,
    /// The receiver; `null` for code outside any actor.
    pub to: Option<Participant>,
    /// The method called (`exit`/`down` for signals, `register` for names).
    pub method: String,
    /// Arguments, answer, error or exit reason, as text; or the name for
    /// `named`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For `dropped`: how many events the recorder had to drop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// What a [`Record`] says happened.
///
/// Written in a trace as its name (`"tell"`, `"dropped"`): the kinds the
/// runtime records take the names the runtime gives them
/// ([`EventKind::as_str`]); a name this schema does not know reads as
/// [`Kind::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// A one-way message was sent.
    Tell,
    /// A request was sent.
    Ask,
    /// A request was answered.
    Reply,
    /// A request was answered with an error (`Err` or a panic), or a
    /// one-way method panicked.
    Error,
    /// A linked actor's exit reached `to`.
    Exit,
    /// A monitored actor's exit reached `to`.
    Down,
    /// `to` started the method run that handles message `id`.
    Start,
    /// `to` finished that method run.
    End,
    /// `to` was registered under the name in `detail`.
    Named,
    /// The caller (`from`) stopped waiting for request `id` (its deadline
    /// passed); an answer after this is late.
    Timeout,
    /// Message `id` was refused at once and never reached `to` (`detail`
    /// says why).
    Refused,
    /// `to` exited for good (`detail` is the reason): its lifeline ends.
    Stopped,
    /// The recorder's buffer was full and `count` events were dropped.
    Dropped,
    /// A kind from a newer schema; kept, drawn as nothing.
    Unknown,
}

/// The kinds the runtime records, each beside the kind of this format that
/// writes it down: the one place the two enums meet, in both directions.
const RECORDED: [(EventKind, Kind); 12] = [
    (EventKind::Tell, Kind::Tell),
    (EventKind::Ask, Kind::Ask),
    (EventKind::Reply, Kind::Reply),
    (EventKind::Error, Kind::Error),
    (EventKind::Exit, Kind::Exit),
    (EventKind::Down, Kind::Down),
    (EventKind::Start, Kind::Start),
    (EventKind::End, Kind::End),
    (EventKind::Named, Kind::Named),
    (EventKind::Timeout, Kind::Timeout),
    (EventKind::Refused, Kind::Refused),
    (EventKind::Stopped, Kind::Stopped),
];

impl Kind {
    /// Whether records of this kind are arrows in a diagram.
    pub fn is_message(self) -> bool {
        matches!(
            self,
            Kind::Tell
                | Kind::Ask
                | Kind::Reply
                | Kind::Error
                | Kind::Exit
                | Kind::Down
                | Kind::Timeout
                | Kind::Refused
        )
    }

    /// Whether this kind sends a message (rather than answering one).
    pub fn is_send(self) -> bool {
        matches!(self, Kind::Tell | Kind::Ask)
    }

    /// The kind's name as traces write it: the runtime's name for the kinds
    /// it records ([`EventKind::as_str`]), `dropped` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Dropped => "dropped",
            Kind::Unknown => "unknown",
            kind => RECORDED
                .iter()
                .find(|(_, recorded)| *recorded == kind)
                .map_or("unknown", |(event, _)| event.as_str()),
        }
    }

    /// The kind a trace names `name`; [`Kind::Unknown`] for a name from a
    /// newer schema.
    pub fn from_name(name: &str) -> Self {
        match name {
            "dropped" => Kind::Dropped,
            name => RECORDED
                .iter()
                .find(|(event, _)| event.as_str() == name)
                .map_or(Kind::Unknown, |(_, kind)| *kind),
        }
    }
}

impl From<EventKind> for Kind {
    fn from(kind: EventKind) -> Self {
        RECORDED
            .iter()
            .find(|(event, _)| *event == kind)
            .map_or(Kind::Unknown, |(_, recorded)| *recorded)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Kind::from_name(&name))
    }
}

/// A message id, written as 16 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        u64::from_str_radix(&text, 16)
            .map(Id)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a hexadecimal id")))
    }
}

/// An actor as a trace names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Participant {
    /// The actor's type, as written in its `impl` block.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its number on its node.
    pub id: u64,
    /// Its node (a 16-digit hexadecimal node id).
    pub node: String,
    /// A name it was registered under, if the recorder knew one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Participant {
    /// The participant for an actor.
    pub fn of(label: ActorLabel) -> Self {
        Participant {
            type_name: label.type_name().to_owned(),
            id: label.id().local(),
            node: node_hex(label.id().node()),
            name: None,
        }
    }

    /// `Counter#3`, as errors and logs name actors.
    pub fn label(&self) -> String {
        format!("{}#{}", self.type_name, self.id)
    }
}

/// Nanoseconds since the Unix epoch, as traces write times.
fn nanos(at: std::time::SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A node id as traces write it.
pub fn node_hex(node: NodeId) -> String {
    node.to_string()
}

impl Record {
    /// The record of a runtime event, recorded on `node`.
    pub fn from_event(event: &Event, node: NodeId, node_url: Option<&str>) -> Self {
        let at_ns = nanos(event.at);
        Record {
            v: SCHEMA_VERSION,
            kind: event.kind.into(),
            id: Id(event.id.as_u64()),
            parent: event.parent.map(|p| Id(p.as_u64())),
            at_ns,
            node: node_hex(node),
            node_url: node_url.map(str::to_owned),
            from: event.from.map(Participant::of),
            to: event.to.map(Participant::of),
            method: event.method.to_owned(),
            detail: event.detail.clone(),
            count: None,
        }
    }

    /// The record of an event from a node's flight recorder (see
    /// `Node::recent` in actium-remote), recorded on `node`.
    pub fn from_recent(event: &RecentEvent, node: NodeId, node_url: Option<&str>) -> Self {
        Record {
            v: SCHEMA_VERSION,
            kind: event.kind.into(),
            id: Id(event.id.as_u64()),
            parent: event.parent.map(|p| Id(p.as_u64())),
            at_ns: nanos(event.at),
            node: node_hex(node),
            node_url: node_url.map(str::to_owned),
            from: event.from.map(Participant::of),
            to: event.to.map(Participant::of),
            method: event.method.clone(),
            detail: event.detail.clone(),
            count: None,
        }
    }

    /// The record that says `count` events were dropped.
    pub fn dropped(count: u64, at_ns: u64, node: NodeId, node_url: Option<&str>) -> Self {
        Record {
            v: SCHEMA_VERSION,
            kind: Kind::Dropped,
            id: Id(0),
            parent: None,
            at_ns,
            node: node_hex(node),
            node_url: node_url.map(str::to_owned),
            from: None,
            to: None,
            method: String::new(),
            detail: None,
            count: Some(count),
        }
    }

    /// The record as one line of JSON (without the newline).
    pub fn to_json(&self) -> String {
        // A `Record` has string keys and no maps or floats: it always
        // serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Records for the tests of this crate's modules.
#[cfg(test)]
pub(crate) mod sample {
    use super::{Id, Kind, Participant, Record, SCHEMA_VERSION};

    /// `Store#2` on node `aa`.
    pub(crate) fn store() -> Participant {
        Participant {
            type_name: "Store".into(),
            id: 2,
            node: "aa".into(),
            name: None,
        }
    }

    /// A `get` record about message `id` on node `aa`, with no ends and
    /// no detail.
    pub(crate) fn record(kind: Kind, id: u64, at_ns: u64) -> Record {
        Record {
            v: SCHEMA_VERSION,
            kind,
            id: Id(id),
            parent: None,
            at_ns,
            node: "aa".into(),
            node_url: None,
            from: None,
            to: None,
            method: "get".into(),
            detail: None,
            count: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_through_json_with_hexadecimal_ids() {
        let line = r#"{"v":1,"kind":"ask","id":"00000000000000ff","parent":"0000000000000001","at_ns":5,"node":"00000000000000aa","from":null,"to":{"type":"Store","id":2,"node":"00000000000000aa","name":"store"},"method":"get","detail":"1"}"#;
        let record: Record = serde_json::from_str(line).expect("parses");
        assert_eq!(record.kind, Kind::Ask);
        assert_eq!(record.id, Id(255));
        assert_eq!(
            record.to.as_ref().map(Participant::label).as_deref(),
            Some("Store#2")
        );
        assert_eq!(record.to_json(), line);
    }

    #[test]
    fn every_recorded_kind_is_written_by_the_runtimes_name_and_read_back() {
        let recorded = [
            EventKind::Tell,
            EventKind::Ask,
            EventKind::Reply,
            EventKind::Error,
            EventKind::Exit,
            EventKind::Down,
            EventKind::Start,
            EventKind::End,
            EventKind::Named,
            EventKind::Timeout,
            EventKind::Refused,
            EventKind::Stopped,
        ];
        for event in recorded {
            let kind = Kind::from(event);
            assert_ne!(kind, Kind::Unknown, "{event}");
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{event}\""));
            assert_eq!(kind.to_string(), event.as_str());
            assert_eq!(serde_json::from_str::<Kind>(&json).expect("parses"), kind);
        }
        for (kind, name) in [(Kind::Dropped, "dropped"), (Kind::Unknown, "unknown")] {
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Kind>(&json).expect("parses"), kind);
        }
    }

    #[test]
    fn kinds_from_a_newer_schema_are_kept_as_unknown() {
        let line = r#"{"v":1,"kind":"teleport","id":"01","at_ns":0,"node":"aa","from":null,"to":null,"method":"m"}"#;
        let record: Record = serde_json::from_str(line).expect("parses");
        assert_eq!(record.kind, Kind::Unknown);
    }
}
