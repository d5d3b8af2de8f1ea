//! Chinese full-text search terms (中文分词检索). Chinese has no spaces, and jieba cuts the
//! same words differently in different sentences ("路灯不亮" comes out as 路/灯不亮), so the
//! index does not depend on where a sentence was cut: every run of Chinese characters is
//! indexed by its single characters and its character pairs (bigrams), other runs (numbers,
//! Latin words) as they are. A query is cut into words with jieba; a record matches when it
//! has every pair of every Chinese word and every other token. "井盖 缺失" thus finds
//! "窨井盖缺失" and "缺失的井盖", but not a text with 井 and 盖 apart.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Runs of Han characters and runs of other letters and digits, lower-cased.
fn runs(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for c in text.chars() {
        if !c.is_alphanumeric() {
            out.push((false, String::new()));
            continue;
        }
        let han = is_han(c);
        match out.last_mut() {
            Some((h, run)) if *h == han && !run.is_empty() => run.extend(c.to_lowercase()),
            _ => out.push((han, c.to_lowercase().collect())),
        }
    }
    out.retain(|(_, r)| !r.is_empty());
    out
}

fn push(out: &mut Vec<String>, seen: &mut HashSet<String>, t: String) {
    if seen.insert(t.clone()) {
        out.push(t);
    }
}

/// The terms a record is indexed under, space-separated, each once.
pub fn index_terms(parts: &[&str]) -> String {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for part in parts {
        for (han, run) in runs(part) {
            if !han {
                push(&mut out, &mut seen, run);
                continue;
            }
            let chars: Vec<char> = run.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                push(&mut out, &mut seen, c.to_string());
                if let Some(next) = chars.get(i + 1) {
                    push(&mut out, &mut seen, format!("{c}{next}"));
                }
            }
        }
    }
    out.join(" ")
}

/// The terms of a search query: jieba's words, each Chinese word as its character pairs (a
/// one-character word as itself), other tokens as they are. A record matches with all of them.
pub fn query_terms(q: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for token in JIEBA.cut(q, true) {
        for (han, run) in runs(token.word) {
            let chars: Vec<char> = run.chars().collect();
            if !han || chars.len() == 1 {
                push(&mut out, &mut seen, run);
            } else {
                for w in chars.windows(2) {
                    push(&mut out, &mut seen, w.iter().collect());
                }
            }
        }
    }
    out
}

/// The words of a text as jieba cuts them (search mode), for similarity between texts.
pub fn words(text: &str) -> Vec<String> {
    JIEBA
        .cut_for_search(text, true)
        .into_iter()
        .flat_map(|t| runs(t.word))
        .map(|(_, r)| r)
        .collect()
}

/// Words shared over words in either (Jaccard), from jieba's search-mode cut.
pub fn similarity(a: &str, b: &str) -> f64 {
    use std::collections::HashSet;
    let wa: HashSet<String> = words(a)
        .into_iter()
        .filter(|w| w.chars().count() > 1)
        .collect();
    let wb: HashSet<String> = words(b)
        .into_iter()
        .filter(|w| w.chars().count() > 1)
        .collect();
    if wa.is_empty() || wb.is_empty() {
        return 0.0;
    }
    wa.intersection(&wb).count() as f64 / wa.union(&wb).count() as f64
}

/// A query the stores hand to their full-text index: each term quoted (FTS5 phrase syntax,
/// which PostgreSQL's `plainto_tsquery` reads as the same words joined by AND).
pub fn match_expression(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(terms: &str, w: &str) -> bool {
        terms.split(' ').any(|t| t == w)
    }

    #[test]
    fn chinese_runs_are_indexed_by_characters_and_pairs() {
        let t = index_terms(&["香芒东路窨井盖缺失，行人易踩空", "清溪镇罗马村 3号"]);
        for w in ["井盖", "缺失", "行人", "罗马", "清溪", "路", "3", "号"] {
            assert!(has(&t, w), "{w} not in {t}");
        }
        assert!(!has(&t, "空清"), "pairs do not cross parts: {t}");
        assert!(!t.contains('，'), "punctuation is dropped: {t}");
    }

    #[test]
    fn every_query_word_is_an_index_term() {
        let text = "罗马村路口暴露垃圾三天未清运，散发异味；路灯不亮 香芒东路499号";
        let idx = index_terms(&[text]);
        for q in [
            "暴露垃圾",
            "垃圾 清运",
            "罗马村",
            "异味",
            "路灯",
            "香芒东路499号",
            "马村",
        ] {
            let terms = query_terms(q);
            assert!(!terms.is_empty());
            for w in &terms {
                assert!(has(&idx, w), "query {q}: {w} not in {idx}");
            }
        }
    }

    #[test]
    fn latin_is_lower_cased_and_quotes_escaped() {
        assert_eq!(query_terms("WiFi 故障"), vec!["wifi", "故障"]);
        assert_eq!(query_terms("窨井盖"), vec!["窨井", "井盖"]);
        assert_eq!(query_terms("，。！"), Vec::<String>::new());
        assert_eq!(
            match_expression(&["a\"b".into(), "井盖".into()]),
            "\"a\"\"b\" \"井盖\""
        );
    }
}
