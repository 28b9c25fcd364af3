//! Group sessions, pure rules: members and roles, host succession, settings and capacity, join
//! codes, and how far ahead a synchronized start is scheduled. The shared player itself is the
//! ordinary player state machine (`domain::player`), driven by the session actor.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Host,
    Guest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: String,
    pub display_name: String,
    pub role: Role,
    pub joined_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub guests_can_control: bool,
    pub guests_can_add: bool,
    pub capacity: usize,
}

/// A session's membership and settings (the shared player is kept beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roster {
    pub session_id: String,
    pub join_code: String,
    pub name: String,
    pub created_at_ms: i64,
    /// Members in join order: the longest-present member is first.
    pub members: Vec<Member>,
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session is full ({0} members)")]
    Full(usize),
    #[error("only the host can do that")]
    NotHost,
    #[error("that user is not in this session")]
    NotMember,
    #[error("your role in this session does not allow that")]
    NotAllowed,
    #[error("the host cannot do that to themselves")]
    SelfTarget,
}

/// What a departure did to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departure {
    /// The last member left: the session ends.
    Ended,
    /// The host left; the longest-present member is host now.
    NewHost(String),
    Left,
    NotAMember,
}

impl Roster {
    pub fn new(
        session_id: String,
        join_code: String,
        name: String,
        host: Member,
        settings: Settings,
    ) -> Roster {
        let host = Member {
            role: Role::Host,
            ..host
        };
        Roster {
            session_id,
            join_code,
            name,
            created_at_ms: host.joined_at_ms,
            members: vec![host],
            settings,
        }
    }

    pub fn host_user_id(&self) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.role == Role::Host)
            .map(|m| m.user_id.as_str())
    }

    pub fn member(&self, user_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.user_id == user_id)
    }

    pub fn is_host(&self, user_id: &str) -> bool {
        self.member(user_id).is_some_and(|m| m.role == Role::Host)
    }

    /// Joining again is a no-op (a second device of the same user, or a reconnect).
    pub fn join(&mut self, member: Member) -> Result<bool, SessionError> {
        if self.member(&member.user_id).is_some() {
            return Ok(false);
        }
        if self.members.len() >= self.settings.capacity {
            return Err(SessionError::Full(self.settings.capacity));
        }
        self.members.push(Member {
            role: Role::Guest,
            ..member
        });
        Ok(true)
    }

    pub fn leave(&mut self, user_id: &str) -> Departure {
        let Some(pos) = self.members.iter().position(|m| m.user_id == user_id) else {
            return Departure::NotAMember;
        };
        let was_host = self.members[pos].role == Role::Host;
        self.members.remove(pos);
        if self.members.is_empty() {
            return Departure::Ended;
        }
        if was_host {
            // Members are in join order, so the first is the longest present.
            self.members[0].role = Role::Host;
            return Departure::NewHost(self.members[0].user_id.clone());
        }
        Departure::Left
    }

    pub fn kick(&mut self, by: &str, target: &str) -> Result<(), SessionError> {
        if !self.is_host(by) {
            return Err(SessionError::NotHost);
        }
        if by == target {
            return Err(SessionError::SelfTarget);
        }
        match self.leave(target) {
            Departure::NotAMember => Err(SessionError::NotMember),
            _ => Ok(()),
        }
    }

    pub fn promote(&mut self, by: &str, target: &str) -> Result<(), SessionError> {
        if !self.is_host(by) {
            return Err(SessionError::NotHost);
        }
        if by == target {
            return Err(SessionError::SelfTarget);
        }
        if self.member(target).is_none() {
            return Err(SessionError::NotMember);
        }
        for m in &mut self.members {
            m.role = if m.user_id == target {
                Role::Host
            } else {
                Role::Guest
            };
        }
        Ok(())
    }

    /// May this member change playback (play, pause, seek, skip…)?
    pub fn can_control(&self, user_id: &str) -> bool {
        match self.member(user_id) {
            Some(m) => m.role == Role::Host || self.settings.guests_can_control,
            None => false,
        }
    }

    /// May this member add to the shared queue?
    pub fn can_add(&self, user_id: &str) -> bool {
        match self.member(user_id) {
            Some(m) => {
                m.role == Role::Host
                    || self.settings.guests_can_add
                    || self.settings.guests_can_control
            }
            None => false,
        }
    }
}

/// How far ahead of "now" a synchronized start is scheduled: long enough for the slowest member
/// to receive the state (one way ≈ RTT/2) and prepare, i.e. the largest RTT plus a margin for
/// jitter and decoder start-up, bounded by `floor` and `cap`.
pub fn start_lead_ms(rtts_ms: impl IntoIterator<Item = u32>, floor: i64, cap: i64) -> i64 {
    const MARGIN_MS: i64 = 50;
    let worst = rtts_ms.into_iter().max().unwrap_or(0) as i64;
    (worst + MARGIN_MS).clamp(floor, cap.max(floor))
}

/// Join codes: 8 characters from an alphabet without look-alikes (0/O, 1/I/L), about 2^39
/// codes, so guessing one with rate-limited attempts is hopeless; easy to read out loud.
pub const JOIN_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const JOIN_CODE_LEN: usize = 8;

pub fn new_join_code(mut random: impl FnMut() -> u32) -> String {
    (0..JOIN_CODE_LEN)
        .map(|_| JOIN_CODE_ALPHABET[random() as usize % JOIN_CODE_ALPHABET.len()] as char)
        .collect()
}

/// Normalizes a code a person typed: case-insensitive, spaces and dashes ignored.
pub fn normalize_join_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == JOIN_CODE_LEN && code.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, at: i64) -> Member {
        Member {
            user_id: id.into(),
            display_name: id.to_uppercase(),
            role: Role::Guest,
            joined_at_ms: at,
        }
    }

    fn roster(capacity: usize) -> Roster {
        Roster::new(
            "s1".into(),
            "ABCDEFGH".into(),
            "Friday".into(),
            member("h", 0),
            Settings {
                guests_can_control: false,
                guests_can_add: true,
                capacity,
            },
        )
    }

    #[test]
    fn host_succession_goes_to_longest_present() {
        let mut r = roster(10);
        r.join(member("a", 1)).unwrap();
        r.join(member("b", 2)).unwrap();
        assert_eq!(r.leave("h"), Departure::NewHost("a".into()));
        assert_eq!(r.host_user_id(), Some("a"));
        assert_eq!(r.leave("b"), Departure::Left);
        assert_eq!(r.leave("a"), Departure::Ended);
    }

    #[test]
    fn capacity_and_rejoin() {
        let mut r = roster(2);
        assert_eq!(r.join(member("a", 1)), Ok(true));
        assert_eq!(r.join(member("a", 2)), Ok(false), "rejoin is a no-op");
        assert_eq!(r.join(member("b", 3)), Err(SessionError::Full(2)));
    }

    #[test]
    fn permissions() {
        let mut r = roster(10);
        r.join(member("g", 1)).unwrap();
        assert!(r.can_control("h") && !r.can_control("g") && !r.can_control("x"));
        assert!(r.can_add("g"));
        r.settings.guests_can_add = false;
        assert!(!r.can_add("g"));
        assert_eq!(r.kick("g", "h"), Err(SessionError::NotHost));
        assert_eq!(r.promote("h", "zz"), Err(SessionError::NotMember));
        r.promote("h", "g").unwrap();
        assert!(r.is_host("g") && !r.is_host("h"));
        r.kick("g", "h").unwrap();
        assert!(r.member("h").is_none());
    }

    #[test]
    fn lead_is_bounded() {
        assert_eq!(start_lead_ms([], 150, 2000), 150);
        assert_eq!(start_lead_ms([10, 300], 150, 2000), 350);
        assert_eq!(start_lead_ms([9000], 150, 2000), 2000);
    }

    #[test]
    fn join_codes() {
        let mut n = 0u32;
        let code = new_join_code(|| {
            n += 7;
            n
        });
        assert_eq!(code.len(), JOIN_CODE_LEN);
        assert_eq!(
            normalize_join_code(&code.to_lowercase()),
            Some(code.clone())
        );
        let dashed = format!("{}-{}", &code[..4], &code[4..]);
        assert_eq!(normalize_join_code(&dashed), Some(code));
        assert_eq!(normalize_join_code("short"), None);
        assert_eq!(
            normalize_join_code("ABCDEFG0"),
            None,
            "0 is not in the alphabet"
        );
    }
}
