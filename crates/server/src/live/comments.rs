//! Written comments ("ý kiến bằng văn bản") during a live briefing: who may read one, and
//! telling those connected when one is new or changed. The store keeps them; the host answers,
//! pins and files them through the HTTP API (`http::comments`).

use giaoban_model::{BriefingId, CommentInfo, Role, ServerMsg};
use giaoban_store::{Comment, Store, StoreError};

use super::registry::Registry;
use crate::clock::rfc3339_ms;

/// Comments one point may write in one briefing: far above what a meeting produces, low
/// enough that a misbehaving point cannot fill the briefing's share.
pub const MAX_COMMENTS_PER_POINT: usize = 200;

/// The comment as clients see it.
pub fn info(c: &Comment) -> CommentInfo {
    CommentInfo {
        id: c.id,
        point: c.point_name.clone(),
        text: c.text.clone(),
        to_all: c.to_all,
        at: rfc3339_ms(c.created_at_ms),
        pinned: c.pinned,
        answer: c.answer.clone(),
        concern: c.concern_id,
    }
}

/// Whether the point called `name` with `role` may read `c`: the host reads everything, a
/// point its own comments and those written to everybody.
pub fn readable_by(c: &Comment, name: &str, role: Role) -> bool {
    role == Role::Host || c.to_all || c.point_name == name
}

/// The comments the point may read, oldest first: what it gets on joining.
pub fn readable(
    store: &Store,
    briefing: &BriefingId,
    name: &str,
    role: Role,
) -> Result<Vec<CommentInfo>, StoreError> {
    Ok(store
        .comments(briefing)?
        .iter()
        .filter(|c| readable_by(c, name, role))
        .map(info)
        .collect())
}

/// Tells every connected point that may read `c` that it is new or changed.
pub fn tell(registry: &Registry, briefing: &BriefingId, c: &Comment) {
    let msg = ServerMsg::Comments {
        comments: vec![info(c)],
    };
    if c.to_all {
        registry.broadcast(briefing, None, &msg);
        return;
    }
    registry.send_to_role(briefing, Role::Host, &msg);
    // The author reads its own, unless it is the host, which has it already.
    if registry.role_of_name(briefing, &c.point_name) == Some(Role::Point) {
        registry.send_to_name(briefing, &c.point_name, &msg);
    }
}
