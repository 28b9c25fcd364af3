//! The query language: parsing, errors and fuzziness.

use super::*;

fn t(v: &str, quoted: bool) -> Text {
    Text {
        value: v.into(),
        quoted,
    }
}

#[test]
fn parses_words_phrases_and_filters() {
    let p = parse(
        r#"enter "sandman live" artist:metallica album:"black album" year:1990-1999 tag:new"#,
    )
    .unwrap();
    assert_eq!(p.words, vec!["enter"]);
    assert_eq!(p.phrases, vec!["sandman live"]);
    assert_eq!(
        p.filters,
        vec![
            Filter::Artist(t("metallica", false)),
            Filter::Album(t("black album", true)),
            Filter::Year(1990, 1999),
            Filter::TagNew
        ]
    );
    assert!(!p.open_last_word);
    assert!(parse("led zep").unwrap().open_last_word);
    assert!(!parse("led zep ").unwrap().open_last_word);
    assert_eq!(
        parse("year:1991").unwrap().filters,
        vec![Filter::Year(1991, 1991)]
    );
    assert_eq!(
        parse("Chill: Brazil").unwrap().words,
        vec!["Chill", "Brazil"]
    );
    assert_eq!(
        parse("ISRC:USABC1234567").unwrap().filters,
        vec![Filter::Isrc("usabc1234567".into())]
    );
}

#[test]
fn rejects_bad_queries_with_helpful_messages() {
    let e = parse(r#"led "zeppelin"#).unwrap_err();
    assert!(e.contains("unbalanced quote"), "{e}");
    let e = parse("mood:happy").unwrap_err();
    assert!(
        e.contains("unknown filter `mood:`") && e.contains("artist:"),
        "{e}"
    );
    assert!(parse("year:19x0").unwrap_err().contains("not a year"));
    assert!(parse("year:2000-1990").unwrap_err().contains("low to high"));
    assert!(parse("tag:hipster").unwrap_err().contains("tag:new"));
    assert!(parse("   ").is_err());
    assert!(parse(r#"art"ist"#).is_err());
}

#[test]
fn fuzziness_follows_elasticsearch_auto() {
    assert_eq!(auto_fuzziness("ab"), 0);
    assert_eq!(auto_fuzziness("abc"), 1);
    assert_eq!(auto_fuzziness("abcde"), 1);
    assert_eq!(auto_fuzziness("abcdef"), 2);
    assert_eq!(auto_fuzziness("möt"), 1);
}
