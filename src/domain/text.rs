//! Validation of short user-visible text (display names, titles): what a reader sees must be
//! what was stored, so control characters, bidi overrides and invisible-only text are refused.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// Nothing visible: empty, or only whitespace / zero-width / format characters.
    Empty,
    TooLong {
        max_chars: usize,
    },
    /// A control character (C0, DEL, C1), e.g. NUL or a newline.
    Control,
    /// A bidirectional override/isolate/mark that can reorder what a reader sees.
    Bidi,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Empty => write!(f, "must contain a visible character"),
            TextError::TooLong { max_chars } => write!(f, "must be at most {max_chars} characters"),
            TextError::Control => write!(f, "must not contain control characters"),
            TextError::Bidi => write!(f, "must not contain bidirectional control characters"),
        }
    }
}

impl std::error::Error for TextError {}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing: whitespace, zero-width and other format characters.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// Checks `s` and returns it trimmed of surrounding whitespace. `max_chars` counts chars of the
/// trimmed text.
pub fn validate_display_text(s: &str, max_chars: usize) -> Result<String, TextError> {
    let t = s.trim();
    if t.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    if t.chars().any(is_bidi_control) {
        return Err(TextError::Bidi);
    }
    if t.chars().all(is_invisible) {
        return Err(TextError::Empty);
    }
    if t.chars().count() > max_chars {
        return Err(TextError::TooLong { max_chars });
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names_and_trims() {
        assert_eq!(validate_display_text("  Carol  ", 64).unwrap(), "Carol");
        assert_eq!(
            validate_display_text("Zoë 🎧 ميم", 64).unwrap(),
            "Zoë 🎧 ميم"
        );
        // A zero-width joiner inside a visible emoji sequence is fine.
        assert!(validate_display_text("👩\u{200D}💻", 64).is_ok());
    }

    #[test]
    fn refuses_invisible_only() {
        for s in [
            "",
            "   ",
            "\u{200B}\u{200B}",
            "\u{3000}",
            "\u{FEFF} \u{2060}",
            "\u{3164}",
        ] {
            assert_eq!(validate_display_text(s, 64), Err(TextError::Empty), "{s:?}");
        }
    }

    #[test]
    fn refuses_control_and_bidi() {
        assert_eq!(
            validate_display_text("a\u{0}b", 64),
            Err(TextError::Control)
        );
        assert_eq!(validate_display_text("a\nb", 64), Err(TextError::Control));
        assert_eq!(
            validate_display_text("a\u{85}b", 64),
            Err(TextError::Control)
        );
        assert_eq!(
            validate_display_text("evil\u{202E}gpj.exe", 64),
            Err(TextError::Bidi)
        );
        assert_eq!(
            validate_display_text("a\u{2066}b", 64),
            Err(TextError::Bidi)
        );
    }

    #[test]
    fn counts_chars_not_bytes() {
        assert!(validate_display_text(&"é".repeat(64), 64).is_ok());
        assert_eq!(
            validate_display_text(&"é".repeat(65), 64),
            Err(TextError::TooLong { max_chars: 64 })
        );
    }
}
