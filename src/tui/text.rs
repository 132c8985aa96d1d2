//! Text for the screen: every cut ends in an ellipsis, control characters become visible
//! marks (a tab `⇥`, a carriage return `␍`, others `\xNN`) instead of vanishing, and long
//! messages wrap at word boundaries.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Columns `s` takes on screen.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `s` cut to `max` columns, ending in `…` when cut.
pub fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// `s` padded with spaces (or cut with `…`) to exactly `w` columns.
pub fn pad(s: &str, w: usize) -> String {
    let cut = fit(s, w);
    let n = width(&cut);
    let mut out = cut.into_owned();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(n)));
    out
}

/// One line of a value as it may be drawn: tabs and carriage returns kept visible, other
/// control characters spelled out, so nothing reaches the terminal raw and nothing is
/// silently dropped (ratatui drops control characters).
pub fn shown(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push('⇥'),
            '\r' => out.push('␍'),
            '\n' => out.push('↵'),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` wrapped at spaces into at most `lines` lines of `w` columns; the last line ends
/// in `…` if text is left over. A word longer than a line is cut (with `…`).
pub fn wrap(text: &str, w: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if w == 0 || lines == 0 {
        return out;
    }
    let words: Vec<&str> = text.split(' ').filter(|s| !s.is_empty()).collect();
    let mut cur = String::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        let need = if cur.is_empty() {
            width(word)
        } else {
            width(&cur) + 1 + width(word)
        };
        if need <= w {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
            i += 1;
            continue;
        }
        if cur.is_empty() {
            cur = fit(word, w).into_owned();
            i += 1;
        }
        out.push(std::mem::take(&mut cur));
        if out.len() == lines {
            break;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if i < words.len()
        && let Some(last) = out.pop()
    {
        let cut = if width(&last) + 1 > w {
            fit(&last, w.saturating_sub(1))
                .trim_end_matches('…')
                .to_string()
        } else {
            last
        };
        out.push(format!("{cut}…"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abcdef", 1), "…");
        assert_eq!(fit("日本語", 4), "日…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abc…");
    }

    #[test]
    fn controls_become_visible() {
        assert_eq!(shown("a\tb\rc\x1bd"), "a⇥b␍c\\x1bd");
        assert_eq!(shown("plain"), "plain");
    }

    #[test]
    fn wrap_breaks_at_words_and_marks_the_rest() {
        assert_eq!(wrap("one two three", 7, 3), ["one two", "three"]);
        assert_eq!(wrap("one two three four", 7, 2), ["one two", "three…"]);
        assert_eq!(wrap("averyveryverylongword", 6, 2), ["avery…"]);
        assert_eq!(wrap("", 5, 2), Vec::<String>::new());
    }
}
