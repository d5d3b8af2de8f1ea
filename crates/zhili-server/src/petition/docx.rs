//! The petition documents (文书) as Word files: 受理告知书, 信访处理意见书, 复查意见书 and
//! 复核意见书, rendered from the transition's record in the timeline (which the audit chain
//! keeps unchanged), so the same document comes out every time.

use docx_rs::{AlignmentType, Docx, Paragraph, Run, RunFonts};
use zhili_domain::petition::{DocumentKind, Letter};

pub struct Doc<'a> {
    pub kind: DocumentKind,
    /// Document number: the case number and the event's place in the timeline.
    pub number: String,
    /// The petitioners' names (masked unless revealed).
    pub petitioners: String,
    pub received: String,
    pub channel: &'a str,
    pub title: &'a str,
    pub category: String,
    pub issued: &'a str,
    pub issuer: &'a str,
    pub letter: Option<Letter>,
}

fn run(text: &str) -> Run {
    Run::new()
        .add_text(text)
        .fonts(RunFonts::new().east_asia("宋体").ascii("Times New Roman"))
        .size(28)
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text))
}

fn heading(label: &str, body: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(label).bold())
        .add_run(run(body))
}

pub fn render(d: &Doc<'_>) -> Result<Vec<u8>, String> {
    let mut doc = Docx::new()
        .add_paragraph(
            Paragraph::new()
                .add_run(
                    Run::new()
                        .add_text(d.issuer)
                        .fonts(RunFonts::new().east_asia("黑体"))
                        .size(32),
                )
                .align(AlignmentType::Center),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(
                    Run::new()
                        .add_text(d.kind.title_zh())
                        .fonts(RunFonts::new().east_asia("黑体"))
                        .size(40)
                        .bold(),
                )
                .align(AlignmentType::Center),
        )
        .add_paragraph(para(&format!("编号：{}", d.number)).align(AlignmentType::Right))
        .add_paragraph(para(&format!("{}：", d.petitioners)));
    match (&d.letter, d.kind.has_letter()) {
        (Some(l), true) => {
            doc = doc
                .add_paragraph(para(&format!(
                    "　　你（们）于{}以{}方式提出的信访事项（{}，{}）已办理完毕。现将处理意见告知如下：",
                    d.received, d.channel, d.title, d.category
                )))
                .add_paragraph(heading("一、信访请求：", &l.request))
                .add_paragraph(heading("二、查明的事实和理由：", &l.facts))
                .add_paragraph(heading("三、处理意见：", l.decision.label_zh()))
                .add_paragraph(heading("四、依据：", &l.basis));
        }
        _ => {
            doc = doc.add_paragraph(para(&format!(
                "　　你（们）于{}以{}方式提出的信访事项（{}，{}）已收悉。经审查，该事项属于本机关职权范围，本机关决定予以受理。",
                d.received, d.channel, d.title, d.category
            )));
        }
    }
    doc = doc
        .add_paragraph(para(&format!("　　{}", d.kind.remedy_zh())))
        .add_paragraph(para(""))
        .add_paragraph(para(d.issuer).align(AlignmentType::Right))
        .add_paragraph(para(d.issued).align(AlignmentType::Right));
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| format!("writing the document: {e}"))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhili_domain::petition::Decision;

    #[test]
    fn a_decision_letter_holds_its_four_parts() {
        let bytes = render(&Doc {
            kind: DocumentKind::DecisionLetter,
            number: "2021PE0000001-7".into(),
            petitioners: "张*".into(),
            received: "2021-05-10 09:00".into(),
            channel: "来访",
            title: "拖欠工资",
            category: "申诉求决类".into(),
            issued: "2021年06月01日",
            issuer: "清溪镇人力资源和社会保障分局",
            letter: Some(Letter {
                request: "要求支付拖欠工资".into(),
                facts: "经查，某厂拖欠工资属实".into(),
                decision: Decision::Support,
                basis: "《劳动合同法》第三十条".into(),
            }),
        })
        .unwrap();
        assert_eq!(&bytes[..2], b"PK", "a .docx is a zip file");
        // The document body is deflated inside the zip; its size shows it was written.
        assert!(bytes.len() > 2000, "{}", bytes.len());
    }
}
