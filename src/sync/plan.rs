//! Three-way sync planning (DESIGN §6), pure: from what is here (live secrets and their
//! content hashes), what was agreed at the last sync (the base), and what the backend lists
//! (versions), each secret's state, and for a push or a pull the actions to take. No I/O;
//! tested as a table over every combination.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::backend::{Expect, RemoteId, RemoteVersion};
use crate::secret::Scope;
use crate::vault::{LocalState, SyncBase};

/// Where one secret stands between the vault and a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    InSync,
    /// Here, never synced, not there.
    LocalOnly,
    /// There, never synced, not here.
    RemoteOnly,
    /// Changed here since the last sync; unchanged there.
    ChangedHere,
    /// Changed there since the last sync; unchanged here.
    ChangedThere,
    /// Deleted here since the last sync; unchanged there.
    DeletedHere,
    /// Deleted there since the last sync; unchanged here.
    DeletedThere,
    /// Gone from both sides: only the remembered base is left to forget.
    DeletedBoth,
    /// On both sides with no base (both created it, or the base was lost): the contents
    /// decide, in sync if equal, a conflict if not.
    Unknown,
    /// Changed (or deleted) on both sides since the last sync.
    Conflict,
}

impl State {
    pub fn describe(self) -> &'static str {
        match self {
            State::InSync => "in sync",
            State::LocalOnly => "local only",
            State::RemoteOnly => "remote only",
            State::ChangedHere => "changed here",
            State::ChangedThere => "changed there",
            State::DeletedHere => "deleted here",
            State::DeletedThere => "deleted there",
            State::DeletedBoth => "deleted on both sides",
            State::Unknown => "on both sides, never synced",
            State::Conflict => "conflict",
        }
    }
}

/// One secret's three sides and its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: RemoteId,
    pub state: State,
    pub local: Option<LocalState>,
    pub base: Option<SyncBase>,
    pub remote: Option<RemoteVersion>,
}

impl Row {
    /// What a conflict is made of, for the message.
    pub fn conflict_detail(&self) -> &'static str {
        match (&self.local, &self.remote) {
            (Some(_), None) => "changed here, deleted there",
            (None, Some(_)) => "deleted here, changed there",
            _ if self.base.is_none() => "created on both sides with different values",
            _ => "changed on both sides",
        }
    }
}

/// The state of one secret from its three sides.
pub fn classify(
    local: Option<&LocalState>,
    base: Option<&SyncBase>,
    remote: Option<&RemoteVersion>,
) -> Option<State> {
    Some(match (local, base, remote) {
        (None, None, None) => return None,
        (Some(_), None, None) => State::LocalOnly,
        (None, None, Some(_)) => State::RemoteOnly,
        (Some(_), None, Some(_)) => State::Unknown,
        (None, Some(_), None) => State::DeletedBoth,
        (Some(l), Some(b), None) => {
            if l.hash == b.hash {
                State::DeletedThere
            } else {
                State::Conflict
            }
        }
        (None, Some(b), Some(r)) => {
            if *r == b.remote_version {
                State::DeletedHere
            } else {
                State::Conflict
            }
        }
        (Some(l), Some(b), Some(r)) => match (l.hash != b.hash, *r != b.remote_version) {
            (false, false) => State::InSync,
            (true, false) => State::ChangedHere,
            (false, true) => State::ChangedThere,
            (true, true) => State::Conflict,
        },
    })
}

/// Which secrets a sync looks at.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// The backend also holds user-scope secrets (`--include-user-scope`).
    pub include_user_scope: bool,
    /// Only these names (`NAME` in either scope, or `scope:NAME`); empty: all.
    pub names: Vec<(Option<Scope>, crate::secret::SecretName)>,
}

impl Filter {
    pub fn admits(&self, id: &RemoteId) -> bool {
        (self.include_user_scope || id.scope != Scope::User)
            && (self.names.is_empty()
                || self
                    .names
                    .iter()
                    .any(|(s, n)| *n == id.name && s.is_none_or(|s| s == id.scope)))
    }
}

/// Every secret any side knows, classified, sorted by id.
pub fn rows(
    locals: &[LocalState],
    bases: &[(RemoteId, SyncBase)],
    remote: &[(RemoteId, RemoteVersion)],
    filter: &Filter,
) -> Vec<Row> {
    let locals: BTreeMap<&RemoteId, &LocalState> = locals.iter().map(|l| (&l.id, l)).collect();
    let bases: BTreeMap<&RemoteId, &SyncBase> = bases.iter().map(|(i, b)| (i, b)).collect();
    let remote: BTreeMap<&RemoteId, &RemoteVersion> = remote.iter().map(|(i, v)| (i, v)).collect();
    let ids: BTreeSet<&RemoteId> = locals
        .keys()
        .chain(bases.keys())
        .chain(remote.keys())
        .copied()
        .filter(|id| filter.admits(id))
        .collect();
    ids.into_iter()
        .filter_map(|id| {
            let (l, b, r) = (
                locals.get(id).copied(),
                bases.get(id).copied(),
                remote.get(id).copied(),
            );
            classify(l, b, r).map(|state| Row {
                id: id.clone(),
                state,
                local: l.cloned(),
                base: b.cloned(),
                remote: r.cloned(),
            })
        })
        .collect()
}

/// Which way a sync goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Push,
    Pull,
}

/// One step of a sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write the local secret to the backend under `expect`.
    Put { id: RemoteId, expect: Expect },
    /// Delete it from the backend under `expect`.
    RemoteDelete { id: RemoteId, expect: Expect },
    /// Write the backend's copy here: create it (`local_version: None`) or update it from
    /// that version (compare-and-set against a write made meanwhile).
    Take {
        id: RemoteId,
        local_version: Option<u64>,
    },
    /// Delete the local secret (into the trash), from the version seen.
    LocalDelete { id: RemoteId, local_version: u64 },
    /// Both sides are gone: forget the base.
    Forget { id: RemoteId },
    /// Fetch the backend's copy and compare: equal contents are in sync (the base is
    /// recorded); different ones a conflict, unless forced one way.
    Compare {
        id: RemoteId,
        force: Option<Direction>,
    },
}

impl Action {
    pub fn id(&self) -> &RemoteId {
        match self {
            Action::Put { id, .. }
            | Action::RemoteDelete { id, .. }
            | Action::Take { id, .. }
            | Action::LocalDelete { id, .. }
            | Action::Forget { id }
            | Action::Compare { id, .. } => id,
        }
    }

    /// The line `--dry-run` prints.
    pub fn describe(&self) -> String {
        let id = self.id();
        match self {
            Action::Put {
                expect: Expect::Absent,
                ..
            } => format!("create {id} there"),
            Action::Put {
                expect: Expect::Any,
                ..
            } => format!("overwrite {id} there"),
            Action::Put { .. } => format!("update {id} there"),
            Action::RemoteDelete { .. } => format!("delete {id} there"),
            Action::Take {
                local_version: None,
                ..
            } => format!("create {id} here"),
            Action::Take { .. } => format!("update {id} here"),
            Action::LocalDelete { .. } => format!("delete {id} here (into the trash)"),
            Action::Forget { .. } => format!("forget {id} (gone on both sides)"),
            Action::Compare { force: None, .. } => {
                format!("compare {id} (in sync if both sides hold the same, else a conflict)")
            }
            Action::Compare {
                force: Some(Direction::Push),
                ..
            } => format!("overwrite {id} there (unless equal)"),
            Action::Compare {
                force: Some(Direction::Pull),
                ..
            } => format!("overwrite {id} here (unless equal)"),
        }
    }
}

/// What a push or pull does: the actions, and the conflicts it leaves alone.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// Changed on both sides: never overwritten silently (`--force` picks this side on a
    /// push, that side on a pull). Each is compared first: equal contents are no conflict.
    pub conflicts: Vec<Row>,
}

/// The plan of a push or a pull over classified rows.
pub fn plan(rows: &[Row], direction: Direction, force: bool) -> Plan {
    use Direction::*;
    let mut p = Plan::default();
    for row in rows {
        let id = row.id.clone();
        let base_version =
            || Expect::Version(row.base.as_ref().expect("a base").remote_version.clone());
        let local_version = || row.local.as_ref().expect("a local secret").version;
        let action = match (row.state, direction) {
            (State::InSync, _) => None,
            (State::DeletedBoth, _) => Some(Action::Forget { id }),
            (State::Unknown, d) => Some(Action::Compare {
                id,
                force: force.then_some(d),
            }),
            (State::LocalOnly, Push) => Some(Action::Put {
                id,
                expect: Expect::Absent,
            }),
            (State::ChangedHere, Push) => Some(Action::Put {
                id,
                expect: base_version(),
            }),
            (State::DeletedHere, Push) => Some(Action::RemoteDelete {
                id,
                expect: base_version(),
            }),
            (State::RemoteOnly, Pull) => Some(Action::Take {
                id,
                local_version: None,
            }),
            (State::ChangedThere, Pull) => Some(Action::Take {
                id,
                local_version: Some(local_version()),
            }),
            (State::DeletedThere, Pull) => Some(Action::LocalDelete {
                id,
                local_version: local_version(),
            }),
            (State::Conflict, d) => {
                if !force {
                    // Both changed the same way is no conflict: compared first.
                    if row.local.is_some() && row.remote.is_some() {
                        Some(Action::Compare { id, force: None })
                    } else {
                        p.conflicts.push(row.clone());
                        None
                    }
                } else {
                    Some(match (d, &row.local, &row.remote) {
                        (Push, Some(_), _) => Action::Put {
                            id,
                            expect: Expect::Any,
                        },
                        (Push, None, Some(_)) => Action::RemoteDelete {
                            id,
                            expect: Expect::Any,
                        },
                        (Pull, l, Some(_)) => Action::Take {
                            id,
                            local_version: l.as_ref().map(|l| l.version),
                        },
                        (Pull, Some(l), None) => Action::LocalDelete {
                            id,
                            local_version: l.version,
                        },
                        _ => Action::Forget { id },
                    })
                }
            }
            // The other direction's business: `status` shows it.
            _ => None,
        };
        p.actions.extend(action);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretName;

    fn id(n: &str) -> RemoteId {
        RemoteId::new(Scope::Workspace, SecretName::new(n).unwrap())
    }
    fn local(n: &str, hash: u8, version: u64) -> LocalState {
        LocalState {
            id: id(n),
            version,
            schema: "arbitrary".into(),
            hash: [hash; 32],
        }
    }
    fn base(hash: u8, v: &str) -> SyncBase {
        SyncBase {
            hash: [hash; 32],
            remote_version: RemoteVersion(v.into()),
            synced_at: 0,
        }
    }
    fn rv(v: &str) -> RemoteVersion {
        RemoteVersion(v.into())
    }

    /// One row of the table: here, base, there, and the state they make.
    type Case<'a> = (
        Option<&'a LocalState>,
        Option<&'a SyncBase>,
        Option<RemoteVersion>,
        Option<State>,
    );

    /// Every combination of here / base / there, and whether each side changed.
    #[test]
    fn every_combination_is_classified() {
        let l = local("x", 1, 3);
        let l2 = local("x", 2, 4);
        let b = base(1, "v1");
        let cases: Vec<Case<'_>> = vec![
            (None, None, None, None),
            (Some(&l), None, None, Some(State::LocalOnly)),
            (None, None, Some(rv("v1")), Some(State::RemoteOnly)),
            (Some(&l), None, Some(rv("v1")), Some(State::Unknown)),
            (None, Some(&b), None, Some(State::DeletedBoth)),
            (Some(&l), Some(&b), None, Some(State::DeletedThere)),
            (Some(&l2), Some(&b), None, Some(State::Conflict)),
            (None, Some(&b), Some(rv("v1")), Some(State::DeletedHere)),
            (None, Some(&b), Some(rv("v2")), Some(State::Conflict)),
            (Some(&l), Some(&b), Some(rv("v1")), Some(State::InSync)),
            (
                Some(&l2),
                Some(&b),
                Some(rv("v1")),
                Some(State::ChangedHere),
            ),
            (
                Some(&l),
                Some(&b),
                Some(rv("v2")),
                Some(State::ChangedThere),
            ),
            (Some(&l2), Some(&b), Some(rv("v2")), Some(State::Conflict)),
        ];
        for (lo, ba, re, want) in cases {
            assert_eq!(classify(lo, ba, re.as_ref()), want, "{lo:?} {ba:?} {re:?}");
        }
    }

    fn plan_of(state_rows: &[Row], d: Direction, force: bool) -> Vec<String> {
        let p = plan(state_rows, d, force);
        p.actions
            .iter()
            .map(Action::describe)
            .chain(
                p.conflicts
                    .iter()
                    .map(|r| format!("conflict {}: {}", r.id, r.conflict_detail())),
            )
            .collect()
    }

    #[test]
    fn push_and_pull_each_do_their_half_and_leave_conflicts_alone() {
        let locals = vec![
            local("created", 1, 1),
            local("edited", 2, 2),
            local("same", 1, 1),
            local("theirs", 1, 1),
            local("both", 2, 2),
            local("gone-there", 1, 1),
            local("twins", 1, 1),
        ];
        let bases = vec![
            (id("edited"), base(1, "v1")),
            (id("same"), base(1, "v1")),
            (id("theirs"), base(1, "v1")),
            (id("both"), base(1, "v1")),
            (id("gone-there"), base(1, "v1")),
            (id("gone-here"), base(1, "v1")),
            (id("gone-both"), base(1, "v1")),
        ];
        let remote = vec![
            (id("edited"), rv("v1")),
            (id("same"), rv("v1")),
            (id("theirs"), rv("v2")),
            (id("both"), rv("v2")),
            (id("gone-here"), rv("v1")),
            (id("new-there"), rv("v1")),
            (id("twins"), rv("v1")),
        ];
        let rows = rows(&locals, &bases, &remote, &Filter::default());
        assert_eq!(
            plan_of(&rows, Direction::Push, false),
            [
                "compare workspace/both (in sync if both sides hold the same, else a conflict)",
                "create workspace/created there",
                "update workspace/edited there",
                "forget workspace/gone-both (gone on both sides)",
                "delete workspace/gone-here there",
                "compare workspace/twins (in sync if both sides hold the same, else a conflict)",
            ]
        );
        assert_eq!(
            plan_of(&rows, Direction::Pull, false),
            [
                "compare workspace/both (in sync if both sides hold the same, else a conflict)",
                "forget workspace/gone-both (gone on both sides)",
                "delete workspace/gone-there here (into the trash)",
                "create workspace/new-there here",
                "update workspace/theirs here",
                "compare workspace/twins (in sync if both sides hold the same, else a conflict)",
            ]
        );
        // Forced, a conflict takes this side on a push, that side on a pull.
        let both: Vec<Row> = rows
            .iter()
            .filter(|r| r.id == id("both"))
            .cloned()
            .collect();
        assert_eq!(
            plan_of(&both, Direction::Push, true),
            ["overwrite workspace/both there"]
        );
        assert_eq!(
            plan_of(&both, Direction::Pull, true),
            ["update workspace/both here"]
        );
    }

    #[test]
    fn a_deletion_against_a_change_is_a_conflict_never_applied() {
        let rows_ = rows(
            &[local("x", 2, 2)],
            &[(id("x"), base(1, "v1")), (id("y"), base(1, "v1"))],
            &[(id("y"), rv("v2"))],
            &Filter::default(),
        );
        let p = plan(&rows_, Direction::Push, false);
        assert!(p.actions.is_empty());
        assert_eq!(
            p.conflicts
                .iter()
                .map(|r| r.conflict_detail())
                .collect::<Vec<_>>(),
            ["changed here, deleted there", "deleted here, changed there"]
        );
        assert!(plan(&rows_, Direction::Pull, false).actions.is_empty());
    }

    #[test]
    fn user_scope_and_names_filter_every_side() {
        let mut mine = local("mine", 1, 1);
        mine.id.scope = Scope::User;
        let team = local("team", 1, 1);
        let all = rows(&[mine.clone(), team.clone()], &[], &[], &Filter::default());
        assert_eq!(all.len(), 1, "user scope is left out by default");
        let with_user = Filter {
            include_user_scope: true,
            ..Filter::default()
        };
        assert_eq!(
            rows(&[mine.clone(), team.clone()], &[], &[], &with_user).len(),
            2
        );
        let named = Filter {
            include_user_scope: true,
            names: vec![(None, SecretName::new("mine").unwrap())],
        };
        let r = rows(&[mine, team], &[], &[], &named);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].id.name.as_str(), "mine");
    }
}
