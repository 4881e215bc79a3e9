//! Sub-customers (ThingsBoard's "customer owner"): a customer may belong to a parent customer,
//! the parent to its own, at most `MAX_DEPTH` levels in all, never in a circle. Storage reads the
//! facts (the proposed parent's chain upwards, how deep the moved customer's own subtree goes);
//! the rules are here.
use super::validation::FieldError;

/// Levels in a tree: a top-level customer is level 1, its sub-customers level 2, ... level 5.
pub const MAX_DEPTH: usize = 5;
/// The most customers one cascade (soft delete, restore or force delete of a subtree) touches in
/// one request, so its statements stay within what one D1 batch does quickly.
pub const MAX_SUBTREE: usize = 10_000;

pub const CODE: &str = "invalid_parent";

/// One customer on the way up from a proposed parent: the parent first, the top-level one last.
#[derive(Debug, Clone, PartialEq)]
pub struct Ancestor {
    pub id: String,
    pub live: bool,
}

/// What storage knows about a proposed parent for `customer` (absent for a new customer).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lineage {
    /// From the proposed parent up to the top; empty when the parent does not exist.
    pub ancestors: Vec<Ancestor>,
    /// Levels below the customer that moves (0: it has no sub-customers; a new one has none).
    pub height: usize,
}

fn invalid(message: impl Into<String>) -> FieldError {
    FieldError::new("parent_id", CODE, message)
}

/// Whether `customer` (None: one being created) may have `parent_id` as its parent.
pub fn check_parent(customer: Option<&str>, parent_id: &str, lineage: &Lineage) -> Result<(), FieldError> {
    let Some(parent) = lineage.ancestors.first() else {
        return Err(invalid(format!("no customer has the id {parent_id}")));
    };
    if !parent.live {
        return Err(invalid("the parent is deleted; restore it first or choose a live customer"));
    }
    if let Some(me) = customer {
        if lineage.ancestors.iter().any(|a| a.id == me) {
            return Err(invalid(if parent.id == me {
                "a customer cannot be its own parent".to_string()
            } else {
                "the parent is one of this customer's own sub-customers; that would make a circle".to_string()
            }));
        }
    }
    // The parent's level is the length of its chain; this customer sits one below it, and its
    // own sub-customers `height` levels further down.
    let deepest = lineage.ancestors.len() + 1 + lineage.height;
    if deepest > MAX_DEPTH {
        return Err(invalid(format!(
            "customers nest at most {MAX_DEPTH} levels deep; under this parent the deepest would be at level {deepest}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(ids: &[&str]) -> Lineage {
        Lineage { ancestors: ids.iter().map(|id| Ancestor { id: id.to_string(), live: true }).collect(), height: 0 }
    }

    #[test]
    fn a_live_top_level_parent_is_accepted() {
        assert!(check_parent(None, "p", &chain(&["p"])).is_ok());
    }

    #[test]
    fn an_unknown_parent_is_refused() {
        let e = check_parent(None, "p", &Lineage::default()).unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("parent_id", CODE));
    }

    #[test]
    fn a_deleted_parent_is_refused() {
        let lineage = Lineage { ancestors: vec![Ancestor { id: "p".into(), live: false }], height: 0 };
        assert!(check_parent(None, "p", &lineage).unwrap_err().message.contains("deleted"));
    }

    #[test]
    fn a_customer_cannot_be_its_own_parent() {
        assert!(check_parent(Some("me"), "me", &chain(&["me"])).unwrap_err().message.contains("own parent"));
    }

    #[test]
    fn a_customer_cannot_move_under_its_own_descendant() {
        let e = check_parent(Some("me"), "grandchild", &chain(&["grandchild", "child", "me"])).unwrap_err();
        assert!(e.message.contains("circle"));
    }

    #[test]
    fn the_fifth_level_is_allowed_and_the_sixth_refused() {
        assert!(check_parent(None, "l4", &chain(&["l4", "l3", "l2", "l1"])).is_ok());
        let e = check_parent(None, "l5", &chain(&["l5", "l4", "l3", "l2", "l1"])).unwrap_err();
        assert!(e.message.contains("level 6"), "{}", e.message);
    }

    #[test]
    fn a_moved_subtree_counts_its_own_depth() {
        let mut lineage = chain(&["l2", "l1"]);
        lineage.height = 2;
        assert!(check_parent(Some("me"), "l2", &lineage).is_ok());
        lineage.height = 3;
        assert!(check_parent(Some("me"), "l2", &lineage).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A valid forest of `n` customers: each one's parent (if any) comes earlier, at most
        /// `MAX_DEPTH` levels.
        fn forest() -> impl Strategy<Value = Vec<Option<usize>>> {
            prop::collection::vec(any::<(bool, prop::sample::Index)>(), 1..14).prop_map(|picks| {
                let mut parents: Vec<Option<usize>> = Vec::new();
                for (i, (has_parent, pick)) in picks.into_iter().enumerate() {
                    let parent = (has_parent && i > 0).then(|| pick.index(i)).filter(|&p| level(&parents, p) < MAX_DEPTH);
                    parents.push(parent);
                }
                parents
            })
        }

        /// How many levels down `id` sits (a top-level customer is 1); a circle counts as too deep.
        fn level(parents: &[Option<usize>], id: usize) -> usize {
            let (mut at, mut n) = (id, 1);
            while let Some(p) = parents[at] {
                (at, n) = (p, n + 1);
                if n > parents.len() {
                    return usize::MAX;
                }
            }
            n
        }

        fn lineage(parents: &[Option<usize>], me: usize, parent: usize) -> Lineage {
            let mut ancestors = vec![];
            let mut at = Some(parent);
            while let Some(a) = at {
                if ancestors.len() > parents.len() {
                    break;
                }
                ancestors.push(Ancestor { id: a.to_string(), live: true });
                at = parents[a];
            }
            let below =
                |d: usize| (0..parents.len()).filter(|&c| c != me && (0..d).try_fold(c, |x, _| parents[x]) == Some(me)).count();
            let height = (1..=parents.len()).take_while(|&d| below(d) > 0).count();
            Lineage { ancestors, height }
        }

        proptest! {
            /// The rules accept exactly the moves that leave a forest: no circle, every customer
            /// at most `MAX_DEPTH` levels down (the database's triggers hold the same two rules).
            #[test]
            fn the_rules_accept_exactly_the_moves_that_keep_the_forest_whole(
                parents in forest(),
                me in any::<prop::sample::Index>(),
                to in any::<prop::sample::Index>(),
            ) {
                let (me, to) = (me.index(parents.len()), to.index(parents.len()));
                let verdict = check_parent(Some(&me.to_string()), &to.to_string(), &lineage(&parents, me, to));
                let mut moved = parents.clone();
                moved[me] = Some(to);
                let whole = (0..moved.len()).all(|id| level(&moved, id) <= MAX_DEPTH);
                prop_assert_eq!(verdict.is_ok(), whole, "{:?} -> {:?}", parents, moved);
            }
        }
    }
}
