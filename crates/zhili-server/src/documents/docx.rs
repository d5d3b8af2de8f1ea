//! The documents as Word files (docx-rs): a petition's notices and decisions, and the mediation
//! agreement.

use docx_rs::{AlignmentType, Docx, Paragraph, Run, RunFonts};
use zhili_domain::mediation::Agreement;
use zhili_domain::petition::{DocumentKind, Letter};

/// What every document starts and ends with.
pub struct Head<'a> {
    pub title: &'a str,
    /// Document number: the case number and the event's place in the timeline.
    pub number: String,
    pub issuer: &'a str,
    pub issued: String,
}

/// A party as the document names them (masked unless revealed).
pub struct Named {
    pub role: String,
    pub name: String,
    pub id_number: Option<String>,
    pub address: Option<String>,
}

pub struct PetitionDoc<'a> {
    pub kind: DocumentKind,
    /// The petitioners' names (masked unless revealed).
    pub petitioners: String,
    pub received: String,
    pub channel: &'a str,
    pub title: &'a str,
    pub category: String,
    pub letter: Option<Letter>,
}

pub struct AgreementDoc<'a> {
    pub parties: &'a [Named],
    /// The mediator who recorded the agreement.
    pub mediator: &'a str,
    pub agreement: &'a Agreement,
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

fn open(h: &Head<'_>) -> Docx {
    let black = |text: &str, size: usize| {
        Paragraph::new()
            .add_run(
                Run::new()
                    .add_text(text)
                    .fonts(RunFonts::new().east_asia("黑体"))
                    .size(size),
            )
            .align(AlignmentType::Center)
    };
    Docx::new()
        .add_paragraph(black(h.issuer, 32))
        .add_paragraph(black(h.title, 40))
        .add_paragraph(para(&format!("编号：{}", h.number)).align(AlignmentType::Right))
}

fn close(doc: Docx, h: &Head<'_>) -> Result<Vec<u8>, String> {
    let doc = doc
        .add_paragraph(para(""))
        .add_paragraph(para(h.issuer).align(AlignmentType::Right))
        .add_paragraph(para(&h.issued).align(AlignmentType::Right));
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| format!("writing the document: {e}"))?;
    Ok(out.into_inner())
}

/// 受理告知书, 信访处理意见书, 复查意见书, 复核意见书.
pub fn petition(h: &Head<'_>, d: &PetitionDoc<'_>) -> Result<Vec<u8>, String> {
    let mut doc = open(h).add_paragraph(para(&format!("{}：", d.petitioners)));
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
    close(
        doc.add_paragraph(para(&format!("　　{}", d.kind.remedy_zh()))),
        h,
    )
}

/// 人民调解协议书 (人民调解法 第28–29条): the parties, the facts and issues, what was agreed, how
/// and by when it is performed, its effect, and the signatures.
pub fn agreement(h: &Head<'_>, d: &AgreementDoc<'_>) -> Result<Vec<u8>, String> {
    let mut doc = open(h);
    for p in d.parties {
        let mut line = format!("{}：{}", p.role, p.name);
        if let Some(id) = p.id_number.as_deref().filter(|s| !s.is_empty()) {
            line.push_str(&format!("，身份证号码：{id}"));
        }
        if let Some(a) = p.address.as_deref().filter(|s| !s.is_empty()) {
            line.push_str(&format!("，住所：{a}"));
        }
        doc = doc.add_paragraph(para(&line));
    }
    let a = d.agreement;
    doc = doc
        .add_paragraph(heading(
            "纠纷的主要事实、争议事项以及各方当事人的责任：",
            &a.facts,
        ))
        .add_paragraph(heading(
            "经本委员会调解，当事人自愿达成如下协议：",
            &a.content,
        ))
        .add_paragraph(heading("履行方式：", &a.performance))
        .add_paragraph(heading(
            "履行期限：",
            &a.deadline.format("%Y年%m月%d日前").to_string(),
        ))
        .add_paragraph(para(&format!("　　{}", a.effect_zh())))
        .add_paragraph(para(&format!(
            "　　本协议一式{}份，当事人各执一份，人民调解委员会留存一份。",
            d.parties.len() + 1
        )))
        .add_paragraph(para(""));
    for p in d.parties {
        doc = doc.add_paragraph(para(&format!(
            "{}（签名、盖章或按指印）：＿＿＿＿＿＿",
            p.role
        )));
    }
    doc = doc
        .add_paragraph(para(&format!("人民调解员（签名）：{}", d.mediator)))
        .add_paragraph(para("人民调解委员会（印章）"));
    close(doc, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use std::io::Read;
    use zhili_domain::petition::Decision;

    /// The text of a .docx: its body, unzipped.
    fn body(bytes: &[u8]) -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        z.by_name("word/document.xml")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    fn head(title: &'static str) -> Head<'static> {
        Head {
            title,
            number: "2021PE0000001-7".into(),
            issuer: "清溪镇人力资源和社会保障分局",
            issued: "2021年06月01日".into(),
        }
    }

    #[test]
    fn a_decision_letter_holds_its_four_parts() {
        let bytes = petition(
            &head(DocumentKind::DecisionLetter.title_zh()),
            &PetitionDoc {
                kind: DocumentKind::DecisionLetter,
                petitioners: "张*".into(),
                received: "2021-05-10 09:00".into(),
                channel: "来访",
                title: "拖欠工资",
                category: "申诉求决类".into(),
                letter: Some(Letter {
                    request: "要求支付拖欠工资".into(),
                    facts: "经查，某厂拖欠工资属实".into(),
                    decision: Decision::Support,
                    basis: "《劳动合同法》第三十条".into(),
                }),
            },
        )
        .unwrap();
        let text = body(&bytes);
        for part in [
            "信访事项处理意见书",
            "张*",
            "要求支付拖欠工资",
            "经查，某厂拖欠工资属实",
            "予以支持",
            "《劳动合同法》第三十条",
            "三十日内请求原办理机关的上一级机关复查",
        ] {
            assert!(text.contains(part), "{part}");
        }
    }

    #[test]
    fn an_agreement_names_the_parties_terms_and_effect() {
        let parties = [
            Named {
                role: "申请人".into(),
                name: "周九".into(),
                id_number: Some("441900199001011231".into()),
                address: Some("罗马村一巷3号".into()),
            },
            Named {
                role: "被申请人".into(),
                name: "吴*".into(),
                id_number: None,
                address: None,
            },
        ];
        let a = Agreement {
            oral: false,
            facts: "楼上漏水致楼下受损".into(),
            content: "楼上住户赔偿维修费2000元".into(),
            performance: "一次性转账支付".into(),
            deadline: NaiveDate::from_ymd_opt(2021, 10, 31).unwrap(),
        };
        let bytes = agreement(
            &head("人民调解协议书"),
            &AgreementDoc {
                parties: &parties,
                mediator: "陈大文",
                agreement: &a,
            },
        )
        .unwrap();
        let text = body(&bytes);
        for part in [
            "人民调解协议书",
            "申请人：周九，身份证号码：441900199001011231，住所：罗马村一巷3号",
            "被申请人：吴*",
            "楼上住户赔偿维修费2000元",
            "一次性转账支付",
            "2021年10月31日前",
            "三十日内共同向人民法院申请司法确认",
            "一式3份",
            "人民调解员（签名）：陈大文",
        ] {
            assert!(text.contains(part), "{part}");
        }
    }
}
