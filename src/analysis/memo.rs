//! Word filters remembered per word. A word filter (normalising, stop words, stemming) does the
//! same to a word wherever it stands, and a corpus repeats its words, so an analyzer works out what
//! its word filters make of each distinct word once per thread, then only looks it up. Filters
//! that only set flags (negation) still run on the tokens, between the word filters around them.

use super::{AnalyzerConfig, Token, TokenFilter, WordMap};
use compact_str::CompactString;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How an analyzer's filters run with the memo.
pub(super) struct Plan {
    /// Analyzers with the same key share a memo: the same configuration, or the same analyzer.
    key: u64,
    runs: Vec<Run>,
}

/// Word filters in a row, then the flags filter that follows them (none after the last run).
struct Run {
    words: Vec<usize>,
    then: Option<usize>,
}

/// Words a memo holds before it starts again, so a stream of new words cannot grow it for ever.
const WORDS_LIMIT: usize = 1 << 17;

/// Memos a thread keeps, the oldest dropped first: a process makes analyzers of a few settings.
const MEMOS_LIMIT: usize = 8;

/// Keys of analyzers made by hand (not from a configuration); configurations' keys are below.
static NEXT_KEY: AtomicU64 = AtomicU64::new(1 << 63);

/// Configurations met so far: a configuration's key is its place here.
static CONFIGS: Mutex<Vec<AnalyzerConfig>> = Mutex::new(Vec::new());

thread_local! {
    static MEMOS: RefCell<Vec<(u64, Memo)>> = const { RefCell::new(Vec::new()) };
}

/// One analyzer's words: each word as tokenized, and its text after each run (None: dropped).
#[derive(Default)]
struct Memo {
    index: WordMap<u32>,
    /// `runs` texts a word, in the words' order of `index`.
    texts: Vec<Option<CompactString>>,
}

impl Plan {
    /// The plan for `filters`, where each is a word filter or only sets flags and at least one
    /// is a word filter; otherwise None (the filters run one after another).
    pub(super) fn new(filters: &[Box<dyn TokenFilter>]) -> Option<Plan> {
        let mut runs = Vec::new();
        let mut words = Vec::new();
        for (k, f) in filters.iter().enumerate() {
            if f.word().is_some() {
                words.push(k);
            } else if f.flags_only() {
                runs.push(Run {
                    words: std::mem::take(&mut words),
                    then: Some(k),
                });
            } else {
                return None;
            }
        }
        runs.push(Run { words, then: None });
        if runs.iter().all(|r| r.words.is_empty()) {
            return None;
        }
        Some(Plan {
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            runs,
        })
    }

    /// The same plan, sharing its memo with every analyzer made from an equal configuration.
    pub(super) fn shared_by(mut self, cfg: &AnalyzerConfig) -> Plan {
        let mut configs = CONFIGS.lock().unwrap_or_else(|e| e.into_inner());
        self.key = match configs.iter().position(|c| c == cfg) {
            Some(at) => at as u64,
            None => {
                configs.push(cfg.clone());
                configs.len() as u64 - 1
            }
        };
        self
    }

    /// Runs `filters` over `tokens`, as one after another would.
    pub(super) fn filter(&self, filters: &[Box<dyn TokenFilter>], tokens: &mut Vec<Token>) {
        MEMOS.with_borrow_mut(|memos| {
            let memo = self.memo(memos);
            let mut ids: Vec<u32> = tokens.iter().map(|t| self.id(filters, memo, t)).collect();
            let n = self.runs.len();
            for (r, run) in self.runs.iter().enumerate() {
                let text = |id: u32| memo.texts[id as usize * n + r].as_ref();
                let mut at = 0;
                tokens.retain_mut(|t| {
                    let kept = text(ids[at]);
                    at += 1;
                    kept.map(|s| t.text = s.clone()).is_some()
                });
                if tokens.len() < ids.len() {
                    ids.retain(|&id| text(id).is_some());
                }
                if let Some(k) = run.then {
                    filters[k].filter(tokens);
                }
            }
        })
    }

    /// This analyzer's memo in this thread.
    fn memo<'m>(&self, memos: &'m mut Vec<(u64, Memo)>) -> &'m mut Memo {
        let at = match memos.iter().position(|(k, _)| *k == self.key) {
            Some(at) => at,
            None => {
                if memos.len() >= MEMOS_LIMIT {
                    memos.remove(0);
                }
                memos.push((self.key, Memo::default()));
                memos.len() - 1
            }
        };
        let memo = &mut memos[at].1;
        if memo.index.len() >= WORDS_LIMIT {
            *memo = Memo::default();
        }
        memo
    }

    /// The word of `t` in `memo`, worked out where it is new.
    fn id(&self, filters: &[Box<dyn TokenFilter>], memo: &mut Memo, t: &Token) -> u32 {
        if let Some(&id) = memo.index.get(&t.text) {
            return id;
        }
        let id = memo.index.len() as u32;
        let mut word = Some(t.text.clone());
        for run in &self.runs {
            if let Some(w) = &mut word {
                let mut word_filters = run.words.iter().filter_map(|&k| filters[k].word());
                if !word_filters.all(|f| f.apply(w)) {
                    word = None;
                }
            }
            memo.texts.push(word.clone());
        }
        memo.index.insert(&t.text, id);
        id
    }
}
