//! Validation of short texts other users see (playlist names and descriptions, display names).
//! Such text is shown in other people's UIs, so characters that hide or reorder what is
//! displayed (control characters, bidi overrides/isolates) are refused, and a name must show
//! at least one visible character.

/// Why a display text was refused. The messages are safe to send to clients: they never echo
/// the text itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must contain at least one visible character")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters (found U+{0:04X})")]
    Control(u32),
    #[error("must not contain bidirectional override or isolate characters (found U+{0:04X})")]
    Bidi(u32),
}

/// Explicit bidi embeddings/overrides (U+202A-U+202E) and isolates (U+2066-U+2069): they
/// reorder the text around them, which lets a name impersonate another or spoof what follows.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing: whitespace, zero-width and format characters, and the
/// blank "filler" letters. A name made only of these looks empty in every UI.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Checks a display text and returns it trimmed of surrounding whitespace. Refuses control
/// characters (including NUL, tab and newline), bidi override/isolate characters, text with no
/// visible character, and text longer than `max_chars` characters after trimming.
pub fn validate_display_text(s: &str, max_chars: usize) -> Result<String, TextError> {
    let t = s.trim();
    for c in t.chars() {
        if c.is_control() {
            return Err(TextError::Control(c as u32));
        }
        if is_bidi_control(c) {
            return Err(TextError::Bidi(c as u32));
        }
    }
    if t.chars().all(is_invisible) {
        return Err(TextError::Empty);
    }
    if t.chars().count() > max_chars {
        return Err(TextError::TooLong { max: max_chars });
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_trims_normal_text() {
        assert_eq!(
            validate_display_text("  Road trip  ", 10).unwrap(),
            "Road trip"
        );
        assert_eq!(
            validate_display_text("Café ☕ 日本", 20).unwrap(),
            "Café ☕ 日本"
        );
        // Joiners inside visible text are legitimate (emoji sequences, Indic scripts).
        assert!(validate_display_text("👩\u{200D}💻", 5).is_ok());
    }

    #[test]
    fn rejects_control_characters() {
        assert_eq!(
            validate_display_text("a\0b", 10),
            Err(TextError::Control(0))
        );
        assert_eq!(
            validate_display_text("a\nb", 10),
            Err(TextError::Control(0x0A))
        );
        assert_eq!(
            validate_display_text("a\u{7F}", 10),
            Err(TextError::Control(0x7F))
        );
        assert_eq!(
            validate_display_text("a\u{85}b", 10),
            Err(TextError::Control(0x85))
        );
    }

    #[test]
    fn rejects_bidi_overrides_and_isolates() {
        for c in ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}'] {
            assert_eq!(
                validate_display_text(&format!("{c}abc"), 10),
                Err(TextError::Bidi(c as u32))
            );
        }
        for c in ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'] {
            assert_eq!(
                validate_display_text(&format!("ab{c}c"), 10),
                Err(TextError::Bidi(c as u32))
            );
        }
    }

    #[test]
    fn rejects_empty_and_invisible_only() {
        for s in [
            "",
            "   ",
            "\u{200B}",
            "\u{200B}\u{FEFF}\u{2060}",
            "\u{3164}",
            " \u{00AD} ",
        ] {
            assert_eq!(validate_display_text(s, 10), Err(TextError::Empty), "{s:?}");
        }
    }

    #[test]
    fn length_counts_characters_after_trimming() {
        assert!(validate_display_text("  abc  ", 3).is_ok());
        assert_eq!(
            validate_display_text("abcd", 3),
            Err(TextError::TooLong { max: 3 })
        );
        assert!(validate_display_text("ééé", 3).is_ok());
    }

    #[test]
    fn messages_do_not_echo_the_text() {
        let e = validate_display_text("secret\0", 10).unwrap_err();
        assert!(!e.to_string().contains("secret"));
    }
}
