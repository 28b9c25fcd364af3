//! Settings conformance: defaults, replace, delete.

use super::fresh;
use crate::storage::settings::{StreamingQuality, UserSettings};
use crate::storage::Storage;

pub async fn check(s: &Storage) {
    let user = fresh("settings");
    assert_eq!(
        s.settings.get(&user).await.unwrap(),
        UserSettings::default(),
        "a user who never chose gets the defaults"
    );
    assert_eq!(
        UserSettings::default().streaming_quality,
        StreamingQuality::Auto
    );
    for q in [StreamingQuality::High, StreamingQuality::Low] {
        s.settings
            .set(
                &user,
                UserSettings {
                    streaming_quality: q,
                },
            )
            .await
            .unwrap();
        assert_eq!(s.settings.get(&user).await.unwrap().streaming_quality, q);
    }
    let other = fresh("settings");
    assert_eq!(
        s.settings.get(&other).await.unwrap(),
        UserSettings::default(),
        "settings are per user"
    );
    s.settings.delete(&user).await.unwrap();
    s.settings.delete(&user).await.unwrap();
    assert_eq!(
        s.settings.get(&user).await.unwrap(),
        UserSettings::default()
    );
}
