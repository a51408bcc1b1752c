//! A slot on the scene for each feature's own state, keyed by its type.
//!
//! The scene document is the lowest domain layer: it must not name the features built on it
//! (selectivity, routing, planning …). A feature that keeps state with the scene — so that
//! sessions, undo snapshots and the CLI see it with the rest — stores one value of its own type
//! here and reaches it through accessors in its own module (e.g.
//! `crate::selectivity::state` adds `Scene::selectivity()`/`selectivity_mut()`). The scene
//! clones the slots with itself (undo snapshots) and never looks inside them.

use std::any::{Any, TypeId};
use std::fmt;

/// A feature's state kept with the scene: any `Clone + Debug` type that can cross threads.
pub trait FeatureState: Any + Send + Sync + fmt::Debug {
    fn clone_box(&self) -> Box<dyn FeatureState>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + Clone + Send + Sync + fmt::Debug> FeatureState for T {
    fn clone_box(&self) -> Box<dyn FeatureState> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The features' slots: at most one value per type.
#[derive(Default)]
pub struct FeatureSlots(Vec<(TypeId, Box<dyn FeatureState>)>);

impl FeatureSlots {
    /// The feature's state, if it has stored any.
    pub fn get<T: FeatureState>(&self) -> Option<&T> {
        self.0
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .and_then(|(_, b)| (**b).as_any().downcast_ref())
    }

    /// The feature's state, created empty on first use.
    pub fn get_or_default<T: FeatureState + Default>(&mut self) -> &mut T {
        let at = match self.0.iter().position(|(id, _)| *id == TypeId::of::<T>()) {
            Some(i) => i,
            None => {
                self.0.push((TypeId::of::<T>(), Box::new(T::default())));
                self.0.len() - 1
            }
        };
        (*self.0[at].1)
            .as_any_mut()
            .downcast_mut()
            .expect("a slot holds the type it is keyed by")
    }
}

impl Clone for FeatureSlots {
    fn clone(&self) -> Self {
        FeatureSlots(
            self.0
                .iter()
                .map(|(id, b)| (*id, (**b).clone_box()))
                .collect(),
        )
    }
}

impl fmt::Debug for FeatureSlots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(_, b)| b))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq)]
    struct A(u32);
    #[derive(Clone, Debug, Default, PartialEq)]
    struct B(String);

    #[test]
    fn each_type_has_its_own_slot_and_clones_with_the_slots() {
        let mut s = FeatureSlots::default();
        assert!(s.get::<A>().is_none());
        s.get_or_default::<A>().0 = 7;
        s.get_or_default::<B>().0 = "b".into();
        s.get_or_default::<A>().0 += 1;
        let c = s.clone();
        s.get_or_default::<A>().0 = 100;
        assert_eq!(c.get::<A>(), Some(&A(8)));
        assert_eq!(c.get::<B>(), Some(&B("b".into())));
        assert_eq!(s.get::<A>(), Some(&A(100)));
    }
}
