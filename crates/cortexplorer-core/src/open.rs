//! The one way a loaded file enters the scene: [`Scene::add`].
//!
//! A reader (`crate::io`) turns bytes into a [`Content`]; this dispatch decides who keeps it.
//! The scene document keeps its own kinds (surfaces, overlays, labels, volumes, vessel graphs,
//! routing tables: [`Scene::add_data`]); a feature's kinds go to the feature, which keeps them
//! in its slot on the scene (`crate::brain::features`). A layer with frames is offered to the
//! features that build on one (selectivity's responses). A new kind of file therefore adds a
//! reader in `cortexplorer-formats`, a `Content` variant, and a handler with one arm — here
//! for a feature's kind, in `Scene::add_content` (`brain/scene.rs`) for the scene's own — and
//! the scene never imports a feature.

use crate::brain::scene::{Added, Input, Scene};
use crate::io::{Content, Loaded};

impl Scene {
    /// Add a loaded file. Returns a note for the user on success; on failure the scene is
    /// unchanged and the message says why.
    pub fn add(&mut self, loaded: Loaded) -> Result<Option<String>, String> {
        let loaded = match self.add_data(loaded)? {
            Added::Data {
                note,
                layer: Some(name),
            } => return Ok(self.selectivity_layer_arrived(&name, note)),
            Added::Data { note, layer: None } => return Ok(note),
            Added::NotSceneData(l) => *l,
        };
        let input = Input::of(&loaded.source);
        let what = loaded.source.display();
        let note = match loaded.content {
            Content::Captions(t) => Some(self.add_captions(&what, t)?),
            Content::Categories(names) => Some(self.add_category_names(&what, names)?),
            Content::Picture(p) => {
                self.add_picture(p);
                None
            }
            other => {
                return Err(format!(
                    "{what}: no part of the program keeps {} data",
                    other.kind()
                ));
            }
        };
        self.inputs.push(input);
        Ok(note)
    }
}
