//! Text helpers rhai lacks: `trimmed(text)`, the text without surrounding blanks, where rhai's
//! own `trim()` works in place and returns `()` (a trap the reference warns about).

use rhai::Engine;

pub fn register(engine: &mut Engine) {
    engine.register_fn("trimmed", |text: &str| text.trim().to_string());
}

#[cfg(test)]
mod tests {
    #[test]
    fn trimmed_returns_the_text_without_surrounding_blanks() {
        let mut engine = rhai::Engine::new_raw();
        super::register(&mut engine);
        let out: String = engine
            .eval(r#"let t = "  5.4.1\n"; trimmed(t) + "|" + t"#)
            .expect("eval");
        assert_eq!(out, "5.4.1|  5.4.1\n");
    }
}
