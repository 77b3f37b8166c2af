//! Text that came from outside (a payload, a cabinet's status, a plan id), made safe to show:
//! in a log line, an event or an operator's terminal, a control character could forge a line
//! or an escape sequence could redraw the screen (clear it, print a fake `FLASH`).

/// `text` with every control character (newlines and escape sequences included) written as a
/// Rust escape (`\n`, `\u{1b}`), everything else as it is.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(escape("webster-J1"), "webster-J1");
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape("\x1b[2J\x1b[HFLASH"), "\\u{1b}[2J\\u{1b}[HFLASH");
        assert_eq!(escape("Zürich `x`"), "Zürich `x`");
        assert!(!escape("\r\t\x07\u{9b}").chars().any(char::is_control));
    }
}
