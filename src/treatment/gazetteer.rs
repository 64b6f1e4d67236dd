//! Drug names: brands to generics, generics to their drug class.
//!
//! [`DRUGS`] is the table a reader checks: one line per name as a title writes it (lower case,
//! words separated by single spaces, punctuation dropped, letters and digits apart: "Tylenol #3"
//! is `tylenol 3`, "B12" `b 12`), the
//! generic name(s) it stands for ("/" between the agents of a combination) and the class of the
//! drug. A brand that only comes as a skin product (Flector, Lidoderm, Terocin) carries the
//! topical class itself; for the rest the dosage form in the title decides (see `rules.rs`).

use super::DrugClass;
use rustc_hash::FxHashMap;
use std::sync::LazyLock;

/// One name a title may use for a drug.
#[derive(Debug)]
pub(super) struct Drug {
    /// As the normalised title writes it (see the module comment).
    pub name: &'static str,
    /// Lower-case generic name(s), agents of a combination joined by "/".
    pub generic: &'static str,
    pub class: DrugClass,
}

/// A generic name: itself.
const fn g(name: &'static str, class: DrugClass) -> Drug {
    Drug {
        name,
        generic: name,
        class,
    }
}

/// A brand name (or abbreviation) and what it stands for.
const fn b(name: &'static str, generic: &'static str, class: DrugClass) -> Drug {
    Drug {
        name,
        generic,
        class,
    }
}

use DrugClass::{
    Anticonvulsants as AC, Antidepressants as AD, MuscleRelaxants as MR, Nsaids as NS,
    Opioids as OP, Other as OT, ProtonPumpInhibitors as PPI, SleepAids as SL,
    TopicalAnalgesics as TA,
};

#[rustfmt::skip]
pub(super) static DRUGS: &[Drug] = &[
    // Opioids.
    g("hydrocodone", OP),
    b("norco", "hydrocodone/acetaminophen", OP),
    b("vicodin", "hydrocodone/acetaminophen", OP),
    b("lortab", "hydrocodone/acetaminophen", OP),
    b("lorcet", "hydrocodone/acetaminophen", OP),
    b("xodol", "hydrocodone/acetaminophen", OP),
    b("vicoprofen", "hydrocodone/ibuprofen", OP),
    b("reprexain", "hydrocodone/ibuprofen", OP),
    b("hysingla", "hydrocodone", OP),
    b("zohydro", "hydrocodone", OP),
    g("oxycodone", OP),
    b("percocet", "oxycodone/acetaminophen", OP),
    b("endocet", "oxycodone/acetaminophen", OP),
    b("roxicet", "oxycodone/acetaminophen", OP),
    b("xartemis", "oxycodone/acetaminophen", OP),
    b("percodan", "oxycodone/aspirin", OP),
    b("oxycontin", "oxycodone", OP),
    b("roxicodone", "oxycodone", OP),
    b("xtampza", "oxycodone", OP),
    g("tramadol", OP),
    b("ultram", "tramadol", OP),
    b("ultracet", "tramadol/acetaminophen", OP),
    b("conzip", "tramadol", OP),
    b("ryzolt", "tramadol", OP),
    b("synapryn", "tramadol", OP),
    g("tapentadol", OP),
    b("nucynta", "tapentadol", OP),
    g("morphine", OP),
    b("ms contin", "morphine", OP),
    b("kadian", "morphine", OP),
    b("avinza", "morphine", OP),
    b("embeda", "morphine/naltrexone", OP),
    g("hydromorphone", OP),
    b("dilaudid", "hydromorphone", OP),
    b("exalgo", "hydromorphone", OP),
    g("oxymorphone", OP),
    b("opana", "oxymorphone", OP),
    g("buprenorphine", OP),
    b("butrans", "buprenorphine", OP),
    b("belbuca", "buprenorphine", OP),
    b("suboxone", "buprenorphine/naloxone", OP),
    b("zubsolv", "buprenorphine/naloxone", OP),
    b("subutex", "buprenorphine", OP),
    g("codeine", OP),
    b("tylenol 3", "acetaminophen/codeine", OP),
    b("tylenol 4", "acetaminophen/codeine", OP),
    g("dihydrocodeine", OP),
    b("trezix", "acetaminophen/caffeine/dihydrocodeine", OP),
    g("methadone", OP),
    b("dolophine", "methadone", OP),
    g("fentanyl", OP),
    b("duragesic", "fentanyl", OP),
    b("fentora", "fentanyl", OP),
    b("actiq", "fentanyl", OP),
    g("meperidine", OP),
    b("demerol", "meperidine", OP),
    g("pentazocine", OP),
    g("levorphanol", OP),
    g("butorphanol", OP),

    // Topical analgesics: agents only ever applied to the skin, and skin-only brands.
    g("lidocaine", TA),
    b("lidoderm", "lidocaine", TA),
    b("lidopro", "capsaicin/lidocaine/menthol/methyl salicylate", TA),
    b("lidothol", "lidocaine/menthol", TA),
    b("terocin", "capsaicin/lidocaine/menthol/methyl salicylate", TA),
    b("mentherm", "menthol/methyl salicylate", TA),
    b("menthoderm", "menthol/methyl salicylate", TA),
    b("biofreeze", "menthol", TA),
    b("bengay", "menthol/methyl salicylate", TA),
    b("icy hot", "menthol/methyl salicylate", TA),
    b("salonpas", "camphor/menthol/methyl salicylate", TA),
    b("tiger balm", "camphor/menthol", TA),
    b("flector", "diclofenac", TA),
    b("pennsaid", "diclofenac", TA),
    b("solaraze", "diclofenac", TA),
    b("voltaren gel", "diclofenac", TA),
    b("zostrix", "capsaicin", TA),
    b("qutenza", "capsaicin", TA),
    g("capsaicin", TA),
    g("menthol", TA),
    g("methyl salicylate", TA),
    g("trolamine salicylate", TA),
    g("camphor", TA),
    g("prilocaine", TA),
    b("emla", "lidocaine/prilocaine", TA),
    // Compounded and kit topicals sold to workers' compensation.
    b("fluriflex", "flurbiprofen/cyclobenzaprine", TA),
    b("tghot", "tramadol/gabapentin/menthol/camphor/capsaicin", TA),
    b("tg hot", "tramadol/gabapentin/menthol/camphor/capsaicin", TA),
    b("tg ice", "tramadol/gabapentin/menthol/camphor", TA),
    b("keratek", "menthol/methyl salicylate", TA),
    b("medrox", "capsaicin/menthol/methyl salicylate", TA),
    b("dendracin", "capsaicin/menthol/methyl salicylate", TA),

    // Muscle relaxants.
    g("cyclobenzaprine", MR),
    b("flexeril", "cyclobenzaprine", MR),
    b("fexmid", "cyclobenzaprine", MR),
    b("amrix", "cyclobenzaprine", MR),
    b("tabradol", "cyclobenzaprine", MR),
    g("tizanidine", MR),
    b("zanaflex", "tizanidine", MR),
    g("baclofen", MR),
    b("lioresal", "baclofen", MR),
    g("carisoprodol", MR),
    b("soma", "carisoprodol", MR),
    g("methocarbamol", MR),
    b("robaxin", "methocarbamol", MR),
    g("orphenadrine", MR),
    b("norflex", "orphenadrine", MR),
    g("metaxalone", MR),
    b("skelaxin", "metaxalone", MR),
    g("chlorzoxazone", MR),
    b("parafon forte", "chlorzoxazone", MR),
    b("lorzone", "chlorzoxazone", MR),
    g("dantrolene", MR),

    // NSAIDs (oral; a gel, cream or patch of one is topical, by its dosage form).
    g("ibuprofen", NS),
    b("motrin", "ibuprofen", NS),
    b("advil", "ibuprofen", NS),
    b("duexis", "ibuprofen/famotidine", NS),
    g("naproxen", NS),
    b("anaprox", "naproxen", NS),
    b("naprosyn", "naproxen", NS),
    b("naprelan", "naproxen", NS),
    b("aleve", "naproxen", NS),
    b("vimovo", "naproxen/esomeprazole", NS),
    g("diclofenac", NS),
    b("voltaren", "diclofenac", NS),
    b("arthrotec", "diclofenac/misoprostol", NS),
    b("cataflam", "diclofenac", NS),
    b("zipsor", "diclofenac", NS),
    b("zorvolex", "diclofenac", NS),
    b("cambia", "diclofenac", NS),
    g("meloxicam", NS),
    b("mobic", "meloxicam", NS),
    b("vivlodex", "meloxicam", NS),
    g("celecoxib", NS),
    b("celebrex", "celecoxib", NS),
    g("etodolac", NS),
    b("lodine", "etodolac", NS),
    g("nabumetone", NS),
    b("relafen", "nabumetone", NS),
    g("ketorolac", NS),
    b("toradol", "ketorolac", NS),
    b("sprix", "ketorolac", NS),
    g("indomethacin", NS),
    b("indocin", "indomethacin", NS),
    b("tivorbex", "indomethacin", NS),
    g("ketoprofen", NS),
    g("flurbiprofen", NS),
    g("fenoprofen", NS),
    b("nalfon", "fenoprofen", NS),
    g("oxaprozin", NS),
    b("daypro", "oxaprozin", NS),
    g("piroxicam", NS),
    b("feldene", "piroxicam", NS),
    g("diflunisal", NS),
    g("salsalate", NS),
    g("sulindac", NS),
    g("aspirin", NS),

    // Anticonvulsants.
    g("gabapentin", AC),
    b("neurontin", "gabapentin", AC),
    b("gralise", "gabapentin", AC),
    b("horizant", "gabapentin enacarbil", AC),
    b("fanatrex", "gabapentin", AC),
    g("pregabalin", AC),
    b("lyrica", "pregabalin", AC),
    g("topiramate", AC),
    b("topamax", "topiramate", AC),
    g("carbamazepine", AC),
    b("tegretol", "carbamazepine", AC),
    g("lamotrigine", AC),
    b("lamictal", "lamotrigine", AC),
    g("oxcarbazepine", AC),
    b("trileptal", "oxcarbazepine", AC),
    g("levetiracetam", AC),
    b("keppra", "levetiracetam", AC),
    g("zonisamide", AC),
    b("zonegran", "zonisamide", AC),
    g("divalproex", AC),
    b("depakote", "divalproex", AC),
    g("valproic acid", AC),

    // Antidepressants.
    g("amitriptyline", AD),
    b("elavil", "amitriptyline", AD),
    g("nortriptyline", AD),
    b("pamelor", "nortriptyline", AD),
    g("desipramine", AD),
    g("imipramine", AD),
    g("duloxetine", AD),
    b("cymbalta", "duloxetine", AD),
    g("venlafaxine", AD),
    b("effexor", "venlafaxine", AD),
    g("desvenlafaxine", AD),
    b("pristiq", "desvenlafaxine", AD),
    g("milnacipran", AD),
    b("savella", "milnacipran", AD),
    g("sertraline", AD),
    b("zoloft", "sertraline", AD),
    g("fluoxetine", AD),
    b("prozac", "fluoxetine", AD),
    g("paroxetine", AD),
    b("paxil", "paroxetine", AD),
    g("citalopram", AD),
    b("celexa", "citalopram", AD),
    g("escitalopram", AD),
    b("lexapro", "escitalopram", AD),
    g("bupropion", AD),
    b("wellbutrin", "bupropion", AD),
    g("trazodone", AD),
    b("desyrel", "trazodone", AD),
    g("mirtazapine", AD),
    b("remeron", "mirtazapine", AD),
    g("vilazodone", AD),
    b("viibryd", "vilazodone", AD),
    g("vortioxetine", AD),
    b("trintellix", "vortioxetine", AD),

    // Sleep aids.
    g("zolpidem", SL),
    b("ambien", "zolpidem", SL),
    b("edluar", "zolpidem", SL),
    b("intermezzo", "zolpidem", SL),
    g("eszopiclone", SL),
    b("lunesta", "eszopiclone", SL),
    g("zaleplon", SL),
    b("sonata", "zaleplon", SL),
    g("temazepam", SL),
    b("restoril", "temazepam", SL),
    g("melatonin", SL),
    g("ramelteon", SL),
    b("rozerem", "ramelteon", SL),
    g("doxepin", SL),
    b("silenor", "doxepin", SL),
    g("suvorexant", SL),
    b("belsomra", "suvorexant", SL),
    g("diphenhydramine", SL),
    b("benadryl", "diphenhydramine", SL),
    b("dicopanol", "diphenhydramine", SL),
    g("doxylamine", SL),
    b("unisom", "doxylamine", SL),

    // Proton-pump inhibitors.
    g("omeprazole", PPI),
    b("prilosec", "omeprazole", PPI),
    b("zegerid", "omeprazole/sodium bicarbonate", PPI),
    g("pantoprazole", PPI),
    b("protonix", "pantoprazole", PPI),
    g("esomeprazole", PPI),
    b("nexium", "esomeprazole", PPI),
    g("lansoprazole", PPI),
    b("prevacid", "lansoprazole", PPI),
    g("rabeprazole", PPI),
    b("aciphex", "rabeprazole", PPI),
    g("dexlansoprazole", PPI),
    b("dexilant", "dexlansoprazole", PPI),

    // Everything else.
    g("acetaminophen", OT),
    b("apap", "acetaminophen", OT),
    b("tylenol", "acetaminophen", OT),
    g("caffeine", OT),
    g("dextromethorphan", OT),
    g("ketamine", OT),
    g("amantadine", OT),
    g("clonidine", OT),
    g("naloxone", OT),
    b("narcan", "naloxone", OT),
    g("naltrexone", OT),
    g("diazepam", OT),
    b("valium", "diazepam", OT),
    g("alprazolam", OT),
    b("xanax", "alprazolam", OT),
    g("clonazepam", OT),
    b("klonopin", "clonazepam", OT),
    g("lorazepam", OT),
    b("ativan", "lorazepam", OT),
    g("buspirone", OT),
    g("hydroxyzine", OT),
    g("methylprednisolone", OT),
    b("medrol", "methylprednisolone", OT),
    g("prednisone", OT),
    g("prednisolone", OT),
    g("dexamethasone", OT),
    b("decadron", "dexamethasone", OT),
    g("triamcinolone", OT),
    g("ranitidine", OT),
    b("zantac", "ranitidine", OT),
    b("deprizine", "ranitidine", OT),
    g("famotidine", OT),
    b("pepcid", "famotidine", OT),
    g("sucralfate", OT),
    b("carafate", "sucralfate", OT),
    g("misoprostol", OT),
    g("ondansetron", OT),
    b("zofran", "ondansetron", OT),
    g("promethazine", OT),
    b("phenergan", "promethazine", OT),
    g("metoclopramide", OT),
    b("reglan", "metoclopramide", OT),
    g("docusate", OT),
    b("colace", "docusate", OT),
    g("senna", OT),
    g("sennosides", OT),
    b("senokot", "sennosides", OT),
    g("bisacodyl", OT),
    b("dulcolax", "bisacodyl", OT),
    g("polyethylene glycol", OT),
    b("miralax", "polyethylene glycol", OT),
    g("lactulose", OT),
    g("lubiprostone", OT),
    b("amitiza", "lubiprostone", OT),
    g("naloxegol", OT),
    b("movantik", "naloxegol", OT),
    g("methylnaltrexone", OT),
    b("relistor", "methylnaltrexone", OT),
    g("linaclotide", OT),
    b("linzess", "linaclotide", OT),
    g("sildenafil", OT),
    b("viagra", "sildenafil", OT),
    g("tadalafil", OT),
    b("cialis", "tadalafil", OT),
    g("vardenafil", OT),
    b("levitra", "vardenafil", OT),
    g("sumatriptan", OT),
    b("imitrex", "sumatriptan", OT),
    g("rizatriptan", OT),
    b("maxalt", "rizatriptan", OT),
    g("butalbital", OT),
    b("fioricet", "butalbital/acetaminophen/caffeine", OT),
    g("modafinil", OT),
    b("provigil", "modafinil", OT),
    g("armodafinil", OT),
    b("nuvigil", "armodafinil", OT),
    g("methylphenidate", OT),
    b("ritalin", "methylphenidate", OT),
    b("adderall", "amphetamine/dextroamphetamine", OT),
    g("quetiapine", OT),
    b("seroquel", "quetiapine", OT),
    g("aripiprazole", OT),
    b("abilify", "aripiprazole", OT),
    g("olanzapine", OT),
    g("risperidone", OT),
    g("lithium", OT),
    g("propranolol", OT),
    g("cetirizine", OT),
    g("loratadine", OT),
    g("glucosamine", OT),
    g("chondroitin", OT),
    g("cyanocobalamin", OT),
    g("cephalexin", OT),
    b("keflex", "cephalexin", OT),
    g("ciprofloxacin", OT),
    g("enoxaparin", OT),
    b("lovenox", "enoxaparin", OT),
    g("rivaroxaban", OT),
    b("xarelto", "rivaroxaban", OT),
    g("multivitamin", OT),
    b("vitamin", "vitamins", OT),
    b("vitamins", "vitamins", OT),
    g("vitamin b 12", OT),
    g("vitamin d", OT),
    g("vitamin c", OT),
    g("folic acid", OT),
    g("calcium", OT),
    g("magnesium", OT),
    g("fish oil", OT),
    g("turmeric", OT),
    g("probiotic", OT),
    // Medical foods: no generic name of their own.
    g("theramine", OT),
    g("sentra", OT),
    g("gabadone", OT),
    g("trepadone", OT),
    g("percura", OT),
    g("apptrim", OT),
    g("hypertensa", OT),
    b("genicin", "glucosamine", OT),
    b("cidaflex", "glucosamine/chondroitin", OT),
    b("somnicin", "somnicin", OT),
    b("laxacin", "docusate/sennosides", OT),
];

/// The most words in one name of [`DRUGS`].
static MAX_WORDS: LazyLock<usize> = LazyLock::new(|| {
    DRUGS
        .iter()
        .map(|d| d.name.split(' ').count())
        .max()
        .unwrap_or(1)
});

static BY_NAME: LazyLock<FxHashMap<&'static str, &'static Drug>> =
    LazyLock::new(|| DRUGS.iter().map(|d| (d.name, d)).collect());

/// The words of a text as names are written: runs of ASCII letters or of digits, so a dose glued
/// to its drug ("Norco10/325") still names it.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let b = text.as_bytes();
    for i in 0..=b.len() {
        let kind = |j: usize| match b.get(j) {
            Some(c) if c.is_ascii_alphabetic() => 1,
            Some(c) if c.is_ascii_digit() => 2,
            _ => 0,
        };
        match (start, kind(i)) {
            (Some(s), k) if k != kind(s) => {
                out.push(&text[s..i]);
                start = (k != 0).then_some(i);
            }
            (None, k) if k != 0 => start = Some(i),
            _ => {}
        }
    }
    out
}

/// The drugs `text` (normalised: lower-case ASCII) names, in order; the longest name wins where
/// names overlap ("voltaren gel" over "voltaren").
pub(super) fn find(text: &str) -> Vec<&'static Drug> {
    let words = words(text);
    let mut found = Vec::new();
    let mut key = String::new();
    let mut i = 0;
    while i < words.len() {
        let longest = (*MAX_WORDS).min(words.len() - i);
        let hit = (1..=longest).rev().find_map(|n| {
            key.clear();
            for (k, w) in words[i..i + n].iter().enumerate() {
                if k > 0 {
                    key.push(' ');
                }
                key.push_str(w);
            }
            BY_NAME.get(key.as_str()).map(|d| (n, *d))
        });
        match hit {
            Some((n, d)) => {
                found.push(d);
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in DRUGS {
            assert_eq!(words(d.name).join(" "), d.name, "not as a title is read");
            assert!(
                !d.name.bytes().any(|c| c.is_ascii_uppercase()),
                "{}",
                d.name
            );
            assert!(seen.insert(d.name), "twice: {}", d.name);
            assert!(!d.generic.is_empty() && d.generic == d.generic.to_lowercase());
        }
    }

    #[test]
    fn longest_name_first() {
        let names = |t: &str| find(t).iter().map(|d| d.name).collect::<Vec<_>>();
        assert_eq!(names("voltaren gel 1% 100g"), ["voltaren gel"]);
        assert_eq!(names("voltaren 75mg"), ["voltaren"]);
        assert_eq!(names("tylenol #3"), ["tylenol 3"]);
        assert_eq!(
            names("norco (hydrocodone/apap) 10/325"),
            ["norco", "hydrocodone", "apap"]
        );
        assert_eq!(names("norco10/325mg"), ["norco"]);
        assert_eq!(names("vitamin b12 1000mcg"), ["vitamin b 12"]);
        assert!(find("").is_empty());
        assert!(find("##--").is_empty());
    }
}
