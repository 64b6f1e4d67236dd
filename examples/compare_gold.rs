use imr::gold::{title_overlap, Gold};
fn main() {
    let gold = Gold::load("../shared/corpus/dwc/gold/items.jsonl".as_ref()).unwrap();
    let mut paths: Vec<_> = std::fs::read_dir("../shared/corpus/dwc/pdf")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.extend(
        std::fs::read_dir("../shared/corpus/seeds")
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    paths.sort();
    let (mut n, mut ok_title, mut bad_letters) = (0, 0, 0);
    for r in imr::parse::read_letters(&paths, || {}) {
        let l = match r {
            Ok(l) => l,
            Err(e) => {
                println!("ERR {e}");
                bad_letters += 1;
                continue;
            }
        };
        let golds: Vec<_> = gold
            .items
            .values()
            .filter(|g| g.case_number == l.header.case_number)
            .collect();
        if golds.len() != l.items.len() {
            println!(
                "COUNT {} parsed {} gold {}",
                l.header.case_number,
                l.items.len(),
                golds.len()
            );
            bad_letters += 1;
        }
        for it in &l.items {
            if let Some(g) = gold.get(&l.header.case_number, it.number) {
                n += 1;
                if g.decision.is_some_and(|d| d != it.decision) {
                    println!("DECISION {} {}", l.header.case_number, it.number);
                }
                let o = title_overlap(&g.title, &it.title);
                if o >= 0.8 {
                    ok_title += 1
                } else {
                    println!(
                        "TITLE {} {} {:.2}\n   gold: {}\n   ours: {}",
                        l.header.case_number, it.number, o, g.title, it.title
                    );
                }
            }
        }
    }
    println!("items {n} title ok {ok_title} bad letters {bad_letters}");
}
