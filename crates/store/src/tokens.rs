//! Invitation tokens: the secret part of each point's link `<base>/j/<token>`.
//!
//! A token is the signed payload `{briefing_id}|{point_id}|{role}` (see [`crate::signing`]).
//! It is deterministic, so a point's link can be shown again at any time without storing it,
//! and it carries no expiry: an invitation lasts until the organiser revokes the point.

use giaoban_model::{BriefingId, PointId, Role};
use rusqlite::OptionalExtension;

use crate::briefings::{briefing_from_row, point_from_row};
use crate::signing::{self, Unsealed};
use crate::{AuthError, Briefing, Point, Store, StoreError};

/// Domain separation for invitation tokens; see [`crate::signing`].
const TOKEN_DOMAIN: &[u8] = b"giaoban-token-v1\0";

/// What a valid token admits its holder to: one point of one briefing.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub briefing: Briefing,
    pub point: Point,
}

impl Store {
    /// The invitation token of `point`. The same point always gets the same token.
    pub fn token_for(&self, point: &Point) -> String {
        let payload = format!("{}|{}|{}", point.briefing_id, point.id, point.role);
        signing::seal(&self.secret, TOKEN_DOMAIN, payload.as_bytes())
    }

    /// Checks a token from a client and returns the briefing and point it admits to.
    ///
    /// Never panics, whatever the input. Only [`AuthError::Store`] is the server's fault.
    pub fn verify_token(&self, token: &str) -> Result<Invitation, AuthError> {
        let payload = signing::unseal(&self.secret, TOKEN_DOMAIN, token).map_err(|e| match e {
            Unsealed::Malformed => AuthError::Malformed,
            Unsealed::Forged => AuthError::Forged,
        })?;
        let claim = Claim::parse(&payload).ok_or(AuthError::Malformed)?;

        let invitation = self
            .invitation(&claim.point)
            .map_err(StoreError::from)?
            .ok_or(AuthError::UnknownPoint)?;
        // Point ids are unique, so a signed token never disagrees with the database; if it
        // does, it was not made by `token_for` and is treated as forged.
        if invitation.point.briefing_id != claim.briefing || invitation.point.role != claim.role {
            return Err(AuthError::Forged);
        }
        if invitation.point.revoked {
            return Err(AuthError::Revoked);
        }
        Ok(invitation)
    }

    fn invitation(&self, point: &PointId) -> rusqlite::Result<Option<Invitation>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.briefing_id, p.name, p.role, p.revoked_at IS NOT NULL, p.unit_code,
                    b.id, b.title, b.scheduled_start, b.created_at, b.series, b.report_deadline
             FROM points p JOIN briefings b ON b.id = p.briefing_id
             WHERE p.id = ?1",
        )?;
        stmt.query_row([&point.0], |row| {
            Ok(Invitation {
                point: point_from_row(row)?,
                briefing: briefing_from_row(row, 6)?,
            })
        })
        .optional()
    }
}

/// The signed content of a token.
struct Claim {
    briefing: BriefingId,
    point: PointId,
    role: Role,
}

impl Claim {
    fn parse(payload: &[u8]) -> Option<Claim> {
        let text = std::str::from_utf8(payload).ok()?;
        let mut parts = text.split('|');
        let (briefing, point, role) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || briefing.is_empty() || point.is_empty() {
            return None;
        }
        Some(Claim {
            briefing: BriefingId(briefing.to_owned()),
            point: PointId(point.to_owned()),
            role: Role::parse(role)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;
    use crate::test_support::{new_briefing, temp_store};

    fn sign_payload(store: &Store, payload: &str) -> String {
        signing::seal(&store.secret, TOKEN_DOMAIN, payload.as_bytes())
    }

    #[test]
    fn token_round_trips_to_its_briefing_and_point() {
        let (_dir, store) = temp_store();
        let briefing = store
            .create_briefing(&new_briefing(
                "Giao ban",
                "Sở TT&TT",
                &["UBND thị xã Cửa Lò"],
            ))
            .unwrap();

        for point in store.points(&briefing.id).unwrap() {
            let token = store.token_for(&point);
            let invitation = store.verify_token(&token).unwrap();

            assert_eq!(invitation.briefing, briefing);
            assert_eq!(invitation.point, point);
            assert_eq!(store.token_for(&point), token, "deterministic");
            assert!(token.len() <= crate::MAX_TOKEN_LEN);
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                "URL-safe: {token}"
            );
        }
    }

    #[test]
    fn any_altered_character_is_refused() {
        let (_dir, store) = temp_store();
        let briefing = store
            .create_briefing(&new_briefing("t", "Sở TT&TT", &[]))
            .unwrap();
        let token = store.token_for(&store.points(&briefing.id).unwrap()[0]);

        for i in 0..token.len() {
            for replacement in ['A', 'z', '0', '-', '_', '.'] {
                let mut altered = token.clone().into_bytes();
                if altered[i] == replacement as u8 {
                    continue;
                }
                altered[i] = replacement as u8;
                let altered = String::from_utf8(altered).unwrap();

                let result = store.verify_token(&altered);

                assert!(
                    matches!(result, Err(AuthError::Forged | AuthError::Malformed)),
                    "{altered}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn token_of_one_briefing_cannot_be_turned_into_another() {
        let (_dir, store) = temp_store();
        let a = store
            .create_briefing(&new_briefing("a", "Sở TT&TT", &["X"]))
            .unwrap();
        let b = store
            .create_briefing(&new_briefing("b", "Sở TT&TT", &["X"]))
            .unwrap();
        let a_point = store.point_by_name(&a.id, "X").unwrap().unwrap();
        let b_host = store.points(&b.id).unwrap().remove(0);
        let a_token = store.token_for(&a_point);
        let (_, a_tag) = a_token.split_once('.').unwrap();
        let b_token = store.token_for(&b_host);
        let (b_payload, _) = b_token.split_once('.').unwrap();

        // Rewriting the payload keeps the old signature, which no longer matches.
        let rewritten = format!(
            "{}.{a_tag}",
            URL_SAFE_NO_PAD.encode(format!("{}|{}|host", b.id, a_point.id))
        );
        let spliced = format!("{b_payload}.{a_tag}");

        assert!(matches!(
            store.verify_token(&rewritten),
            Err(AuthError::Forged)
        ));
        assert!(matches!(
            store.verify_token(&spliced),
            Err(AuthError::Forged)
        ));
    }

    #[test]
    fn a_signed_claim_that_disagrees_with_the_database_is_forged() {
        let (_dir, store) = temp_store();
        let a = store
            .create_briefing(&new_briefing("a", "Sở TT&TT", &["X"]))
            .unwrap();
        let b = store
            .create_briefing(&new_briefing("b", "Sở TT&TT", &[]))
            .unwrap();
        let point = store.point_by_name(&a.id, "X").unwrap().unwrap();

        let other_briefing = sign_payload(&store, &format!("{}|{}|point", b.id, point.id));
        let promoted = sign_payload(&store, &format!("{}|{}|host", a.id, point.id));

        assert!(matches!(
            store.verify_token(&other_briefing),
            Err(AuthError::Forged)
        ));
        assert!(matches!(
            store.verify_token(&promoted),
            Err(AuthError::Forged)
        ));
    }

    #[test]
    fn token_from_another_server_is_forged() {
        let (_dir, store) = temp_store();
        let (_other_dir, other) = temp_store();
        let briefing = store
            .create_briefing(&new_briefing("t", "Sở TT&TT", &[]))
            .unwrap();
        let point = store.points(&briefing.id).unwrap().remove(0);

        let result = other.verify_token(&store.token_for(&point));

        assert!(matches!(result, Err(AuthError::Forged)), "{result:?}");
    }

    #[test]
    fn revoked_point_is_refused_and_others_still_admitted() {
        let (_dir, store) = temp_store();
        let briefing = store
            .create_briefing(&new_briefing("t", "Sở TT&TT", &["UBND huyện Kỳ Sơn"]))
            .unwrap();
        let points = store.points(&briefing.id).unwrap();

        store
            .revoke_point(&briefing.id, "UBND huyện Kỳ Sơn")
            .unwrap();

        assert!(matches!(
            store.verify_token(&store.token_for(&points[1])),
            Err(AuthError::Revoked)
        ));
        assert!(store.verify_token(&store.token_for(&points[0])).is_ok());
    }

    #[test]
    fn signed_token_for_an_unknown_point_is_unknown() {
        let (_dir, store) = temp_store();
        let briefing = store
            .create_briefing(&new_briefing("t", "Sở TT&TT", &[]))
            .unwrap();

        let token = sign_payload(&store, &format!("{}|aaaaaaaaaaaaaaaa|point", briefing.id));

        assert!(matches!(
            store.verify_token(&token),
            Err(AuthError::UnknownPoint)
        ));
    }

    #[test]
    fn signed_payloads_of_the_wrong_shape_are_malformed() {
        let (_dir, store) = temp_store();

        for payload in [
            "",
            "a|b",
            "a|b|c",
            "a|b|point|d",
            "|b|point",
            "a||host",
            "a|b|Host",
        ] {
            let result = store.verify_token(&sign_payload(&store, payload));
            assert!(
                matches!(result, Err(AuthError::Malformed)),
                "{payload}: {result:?}"
            );
        }
        let not_utf8 = signing::seal(&store.secret, TOKEN_DOMAIN, b"\xff|b|point");
        assert!(matches!(
            store.verify_token(&not_utf8),
            Err(AuthError::Malformed)
        ));
    }

    #[test]
    fn oversized_token_is_malformed() {
        let (_dir, store) = temp_store();

        let result = store.verify_token(&"A".repeat(1 << 20));

        assert!(matches!(result, Err(AuthError::Malformed)));
    }

    #[test]
    fn verify_token_never_panics() {
        let (_dir, store) = temp_store();
        let briefing = store
            .create_briefing(&new_briefing("t", "Sở TT&TT", &[]))
            .unwrap();
        let token = store.token_for(&store.points(&briefing.id).unwrap()[0]);
        let mut runner = TestRunner::new(Config {
            cases: 2000,
            ..Config::default()
        });
        let inputs = prop_oneof![
            any::<String>(),
            "[A-Za-z0-9_.|-]{0,600}",
            // Mutations of a real token: a prefix, then arbitrary text, then a suffix.
            (0..=token.len(), any::<String>(), 0..=token.len()).prop_map({
                let token = token.clone();
                move |(cut, middle, resume)| {
                    format!("{}{middle}{}", &token[..cut], &token[resume..])
                }
            }),
        ];

        runner
            .run(&inputs, |input| {
                // Only the untouched token may verify.
                let result = store.verify_token(&input);
                prop_assert!(result.is_err() || input == token, "{input:?}: {result:?}");
                Ok(())
            })
            .unwrap();
    }
}
