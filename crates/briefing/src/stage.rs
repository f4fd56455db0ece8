//! What every screen shows large: the host, then the spotlit point or else the floor holder.

use crate::briefing::HOST;
use crate::{Briefing, BriefingError};

impl Briefing {
    /// Shows a point large on every screen, or clears the spotlight with `None`. The point must
    /// be the host or online; the spotlight is cleared when its point leaves.
    pub fn set_spotlight(&mut self, name: Option<&str>) -> Result<(), BriefingError> {
        let Some(name) = name else {
            self.spotlight = None;
            return Ok(());
        };
        let i = self.index(name)?;
        if i != HOST && !self.points[i].online {
            return Err(BriefingError::NotConnected(name.to_owned()));
        }
        self.spotlight = Some(i);
        Ok(())
    }

    /// The spotlit point, if any.
    pub fn spotlight(&self) -> Option<&str> {
        self.spotlight.map(|i| self.points[i].name.as_str())
    }

    /// The points every screen shows large, in order: the host, then the spotlit point if any,
    /// else the floor holder. The SFU sends these in the high simulcast layer.
    pub fn stage(&self) -> Vec<String> {
        self.stage_indices()
            .map(|i| self.points[i].name.clone())
            .collect()
    }

    fn stage_indices(&self) -> impl Iterator<Item = usize> {
        let second = self.spotlight.or(self.floor.as_ref().map(|f| f.point));
        std::iter::once(HOST).chain(second.filter(|&i| i != HOST))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{HOST_NAME, NGHI_LOC, VINH, clock, online};

    #[test]
    fn stage_is_the_host_then_the_floor_holder() {
        let mut b = online(&[VINH, NGHI_LOC]);
        assert_eq!(b.stage(), [HOST_NAME]);
        b.grant_floor(VINH, None, clock()).unwrap();
        assert_eq!(b.stage(), [HOST_NAME, VINH]);
        b.revoke_floor(clock());
        assert_eq!(b.stage(), [HOST_NAME]);
    }

    #[test]
    fn spotlight_takes_the_place_of_the_floor_holder() {
        let mut b = online(&[VINH, NGHI_LOC]);
        b.grant_floor(VINH, None, clock()).unwrap();
        b.set_spotlight(Some(NGHI_LOC)).unwrap();
        assert_eq!(b.spotlight(), Some(NGHI_LOC));
        assert_eq!(b.stage(), [HOST_NAME, NGHI_LOC]);
        b.set_spotlight(None).unwrap();
        assert_eq!(b.spotlight(), None);
        assert_eq!(b.stage(), [HOST_NAME, VINH]);
    }

    #[test]
    fn spotlight_on_the_host_shows_the_host_alone() {
        let mut b = online(&[VINH]);
        b.grant_floor(VINH, None, clock()).unwrap();
        b.set_spotlight(Some(HOST_NAME)).unwrap();
        assert_eq!(b.stage(), [HOST_NAME]);
    }

    #[test]
    fn spotlight_of_a_leaving_point_is_cleared() {
        let mut b = online(&[VINH]);
        b.set_spotlight(Some(VINH)).unwrap();
        b.point_left(VINH, clock());
        assert_eq!(b.spotlight(), None);
        assert_eq!(b.stage(), [HOST_NAME]);
    }

    #[test]
    fn spotlight_needs_an_online_point() {
        let mut b = online(&[VINH]);
        assert_eq!(
            b.set_spotlight(Some(NGHI_LOC)),
            Err(BriefingError::NotConnected(NGHI_LOC.into()))
        );
        assert_eq!(
            b.set_spotlight(Some("Xã Nghi Phong")),
            Err(BriefingError::UnknownPoint("Xã Nghi Phong".into()))
        );
        b.point_left(HOST_NAME, clock());
        assert_eq!(
            b.set_spotlight(Some(HOST_NAME)),
            Ok(()),
            "the host always may"
        );
        assert_eq!(b.spotlight(), Some(HOST_NAME));
    }
}
