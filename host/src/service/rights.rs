//! Who may do what. A token acts for the platform (it may only evaluate)
//! or for one department (it may also read the decision log of its own
//! policies and bundles, preview, publish and withdraw its own policies,
//! and publish and withdraw the bundles it leads). The catalogue is
//! published only by a token configured with `catalogue = true` (a
//! department's, or one of its own that acts for no department).
//! Every service operation asks here before it reads a log, compiles a
//! source or touches any state.

use std::fmt;

use crate::store::Kind;

use super::registry::{Holder, Registry};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Platform,
    Department(String),
    /// A token that acts for no department and keeps the catalogue.
    CatalogueKeeper,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's name, shown in the audit trail.
    pub name: String,
    pub role: Role,
    /// May publish the catalogue (`catalogue = true` in the configuration).
    pub keeps_catalogue: bool,
    /// May approve or reject its department's submitted versions
    /// (`reviewer = true`).
    pub reviewer: bool,
}

/// What a caller may be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Publish,
    Withdraw,
    Preview,
    ReadLog,
    Check,
    Submit,
    Review,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Publish => "publish",
            Action::Withdraw => "withdraw",
            Action::Preview => "preview",
            Action::ReadLog => "read the decision log of",
            Action::Check => "check",
            Action::Submit => "submit for review",
            Action::Review => "review",
        })
    }
}

/// Why a caller may not do what it asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error(
        "`{caller}` is the platform's token, which may only evaluate; to {action} a policy or a \
         bundle, use the token of its department"
    )]
    PlatformOnlyEvaluates { caller: String, action: Action },
    #[error(
        "`{caller}` keeps the catalogue and acts for no department; to {action} a policy or a \
         bundle, use the token of its department"
    )]
    NoDepartment { caller: String, action: Action },
    #[error(
        "`{caller}` {who} and may not publish the catalogue; only a token configured with \
         `catalogue = true` may"
    )]
    NotCatalogueKeeper { caller: String, who: String },
    #[error("`{caller}` acts for `{own}` and may not {action} `{id}`, which belongs to `{owner}`")]
    OtherDepartment {
        caller: String,
        own: String,
        action: Action,
        id: String,
        owner: String,
    },
    #[error(
        "`{caller}` is not a reviewer; only a token configured with `reviewer = true` for the \
         department may approve or reject a submitted version"
    )]
    NotReviewer { caller: String },
    #[error(
        "`{caller}` submitted this version and may not review it; another reviewer of the \
         department must (maker–checker)"
    )]
    OwnSubmission { caller: String },
    #[error(
        "the source declares department `{declared}`, but `{caller}` acts for `{own}`; a \
         department publishes only its own policies and the bundles it leads"
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
            Role::CatalogueKeeper => Err(Denied::NoDepartment {
                caller: self.name.clone(),
                action,
            }),
        }
    }

    /// Only a token configured with `catalogue = true` publishes the catalogue.
    pub fn require_catalogue_keeper(&self) -> Result<(), Denied> {
        if self.keeps_catalogue {
            return Ok(());
        }
        Err(Denied::NotCatalogueKeeper {
            caller: self.name.clone(),
            who: match &self.role {
                Role::Platform => "is the platform's token, which may only evaluate,".to_string(),
                Role::Department(own) => format!("acts for `{own}`"),
                Role::CatalogueKeeper => "is not configured to keep the catalogue".to_string(),
            },
        })
    }

    /// A reviewer of `department`, other than `submitter`.
    pub fn require_reviewer_of(&self, department: &str, submitter: &str) -> Result<(), Denied> {
        let own = self.department(Action::Review)?;
        if own != department {
            return Err(Denied::OtherDepartment {
                caller: self.name.clone(),
                own: own.to_string(),
                action: Action::Review,
                id: "the version".to_string(),
                owner: department.to_string(),
            });
        }
        if !self.reviewer {
            return Err(Denied::NotReviewer {
                caller: self.name.clone(),
            });
        }
        if self.name == submitter {
            return Err(Denied::OwnSubmission {
                caller: self.name.clone(),
            });
        }
        Ok(())
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
