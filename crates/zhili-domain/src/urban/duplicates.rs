//! Likely duplicates at intake (疑似重复): reports of the same subclass close in space and time,
//! ranked by distance and by how alike their words are (jieba). The subclass's radius and window
//! come from the taxonomy (`dup_radius_m`, `dup_window_h`).

use chrono::Duration;
use geo::{Distance, Haversine, Point};
use serde::Serialize;

use crate::clock::Timestamp;
use crate::text::similarity;

/// A report as the duplicate check sees it.
#[derive(Debug, Clone)]
pub struct Report {
    pub id: i64,
    /// The subclass key (`event:0102`).
    pub subclass: String,
    pub lon: f64,
    pub lat: f64,
    pub at: Timestamp,
    pub text: String,
}

/// A likely duplicate of a new report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub distance_m: f64,
    pub hours_apart: f64,
    /// Share of words in common (Jaccard over jieba's words), 0–1.
    pub text_similarity: f64,
    /// 0–1: nearer, sooner and more alike is higher.
    pub score: f64,
}

/// The earlier reports that are likely duplicates of `new`: same subclass, within `radius_m`
/// metres and `window_h` hours. Best first.
pub fn likely_duplicates(
    new: &Report,
    earlier: &[Report],
    radius_m: u32,
    window_h: u32,
) -> Vec<Candidate> {
    let here = Point::new(new.lon, new.lat);
    let window = Duration::hours(i64::from(window_h));
    let mut out: Vec<Candidate> = earlier
        .iter()
        .filter(|r| r.id != new.id && r.subclass == new.subclass)
        .filter(|r| (new.at - r.at).abs() <= window)
        .filter_map(|r| {
            let d = Haversine.distance(here, Point::new(r.lon, r.lat));
            if d > f64::from(radius_m) {
                return None;
            }
            let hours = (new.at - r.at).num_seconds().abs() as f64 / 3600.0;
            let text_similarity = similarity(&new.text, &r.text);
            let near = 1.0 - d / f64::from(radius_m.max(1));
            let soon = 1.0 - hours / f64::from(window_h.max(1));
            Some(Candidate {
                id: r.id,
                distance_m: (d * 10.0).round() / 10.0,
                hours_apart: (hours * 10.0).round() / 10.0,
                text_similarity: (text_similarity * 100.0).round() / 100.0,
                score: ((0.4 * near + 0.2 * soon + 0.4 * text_similarity) * 100.0).round() / 100.0,
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_local;
    use chrono::NaiveDateTime;

    fn at(s: &str) -> Timestamp {
        from_local(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn report(id: i64, subclass: &str, dx_m: f64, when: &str, text: &str) -> Report {
        // 1 m east ≈ 1 / 102,700 degree of longitude at 22.83° N.
        Report {
            id,
            subclass: subclass.into(),
            lon: 114.17 + dx_m / 102_700.0,
            lat: 22.83,
            at: at(when),
            text: text.into(),
        }
    }

    #[test]
    fn same_subclass_near_and_recent_with_alike_words_ranks_first() {
        let new = report(
            0,
            "event:0102",
            0.0,
            "2021-06-01 10:00",
            "香芒东路路口暴露垃圾，无人清运",
        );
        let earlier = vec![
            report(
                1,
                "event:0102",
                20.0,
                "2021-06-01 08:00",
                "香芒东路路口有暴露垃圾",
            ),
            report(
                2,
                "event:0102",
                45.0,
                "2021-05-31 12:00",
                "小区门口垃圾堆放",
            ),
            report(
                3,
                "event:0102",
                80.0,
                "2021-06-01 09:00",
                "香芒东路暴露垃圾",
            ),
            report(
                4,
                "event:0505",
                5.0,
                "2021-06-01 09:30",
                "香芒东路路口机动车乱停放",
            ),
            report(
                5,
                "event:0102",
                10.0,
                "2021-05-20 09:00",
                "香芒东路路口暴露垃圾",
            ),
        ];
        let found = likely_duplicates(&new, &earlier, 50, 72);
        let ids: Vec<i64> = found.iter().map(|c| c.id).collect();
        // 3 is too far, 4 another subclass, 5 too long ago.
        assert_eq!(ids, vec![1, 2]);
        assert!(found[0].text_similarity > found[1].text_similarity);
        assert!((found[0].distance_m - 20.0).abs() < 1.0, "{:?}", found[0]);
        assert_eq!(found[0].hours_apart, 2.0);
    }

    #[test]
    fn similarity_is_by_words() {
        assert!(similarity("井盖缺失", "井盖缺失了") > 0.6);
        assert_eq!(similarity("井盖缺失", "噪音扰民"), 0.0);
        assert_eq!(similarity("", "噪音扰民"), 0.0);
    }
}
