//! Who may do what. A token acts for the platform (it may only evaluate)
//! or for one department (it may also read the decision log of its own
//! policies and bundles, preview, publish and withdraw its own policies).
//! Every service operation asks here before it reads a log, compiles a
//! source or touches any state.

use std::fmt;

use crate::store::Kind;

use super::registry::{Holder, Registry};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Platform,
    Department(String),
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's name, shown in the audit trail.
    pub name: String,
    pub role: Role,
}

/// What a caller may be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Publish,
    Withdraw,
    Preview,
    ReadLog,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Publish => "publish",
            Action::Withdraw => "withdraw",
            Action::Preview => "preview",
            Action::ReadLog => "read the decision log of",
        })
    }
}

/// Why a caller may not do what it asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error(
        "`{caller}` is the platform's token, which may only evaluate; to {action} a policy, use \
         the token of its department"
    )]
    PlatformOnlyEvaluates { caller: String, action: Action },
    #[error("`{caller}` acts for `{own}` and may not {action} `{id}`, which belongs to `{owner}`")]
    OtherDepartment {
        caller: String,
        own: String,
        action: Action,
        id: String,
        owner: String,
    },
    #[error(
        "the source declares department `{declared}`, but `{caller}` acts for `{own}`; a \
         department publishes only its own policies"
    )]
    ForeignSource {
        caller: String,
        own: String,
        declared: String,
    },
}

impl Principal {
    /// The department a caller acts for; the platform is refused `action`.
    pub fn department(&self, action: Action) -> Result<&str, Denied> {
        match &self.role {
            Role::Department(own) => Ok(own),
            Role::Platform => Err(Denied::PlatformOnlyEvaluates {
                caller: self.name.clone(),
                action,
            }),
        }
    }

    /// `action` on `id`, held by `holder`: for its own department only.
    pub fn require_owner(&self, action: Action, id: &str, holder: &Holder) -> Result<(), Denied> {
        let own = self.department(action)?;
        if own == holder.department {
            Ok(())
        } else {
            Err(Denied::OtherDepartment {
                caller: self.name.clone(),
                own: own.to_string(),
                action,
                id: id.to_string(),
                owner: if holder.kind == Kind::Catalogue {
                    "the catalogue's maintainers".to_string()
                } else {
                    holder.department.clone()
                },
            })
        }
    }

    /// A compiled source's department must be the caller's.
    pub fn require_source_department(&self, action: Action, declared: &str) -> Result<(), Denied> {
        let own = self.department(action)?;
        if own == declared {
            Ok(())
        } else {
            Err(Denied::ForeignSource {
                caller: self.name.clone(),
                own: own.to_string(),
                declared: declared.to_string(),
            })
        }
    }
}

/// The subjects (kind and id) whose decision log a caller may read, or the
/// one asked for.
pub fn readable_subjects(
    caller: &Principal,
    registry: &Registry,
    asked: Option<&str>,
) -> Result<Vec<(Kind, String)>, SubjectError> {
    let own = caller.department(Action::ReadLog)?;
    match asked {
        None => Ok(registry.owned_by(own)),
        Some(id) => match registry.holder(id) {
            Some(holder) if holder.kind != Kind::Catalogue => {
                caller.require_owner(Action::ReadLog, id, &holder)?;
                Ok(vec![(holder.kind, id.to_string())])
            }
            _ => Err(SubjectError::Unknown(id.to_string())),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("there is no policy or bundle `{0}`")]
    Unknown(String),
}
