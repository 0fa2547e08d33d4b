//! Topic matching with a trie over dot-separated words: `*` matches one word, `#` zero or more.
//! Routing walks the trie once per message instead of testing every binding.

/// A trie of binding patterns; each node holds the values bound at that pattern.
#[derive(Debug)]
pub struct TopicTrie<T> {
    root: Node<T>,
}

#[derive(Debug)]
struct Node<T> {
    /// Children by literal word.
    words: crate::FastMap<Box<str>, Node<T>>,
    /// The `*` child.
    star: Option<Box<Node<T>>>,
    /// The `#` child.
    hash: Option<Box<Node<T>>>,
    /// Values whose pattern ends here.
    values: Vec<T>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Node {
            words: crate::FastMap::default(),
            star: None,
            hash: None,
            values: Vec::new(),
        }
    }
}

impl<T> Node<T> {
    fn is_empty(&self) -> bool {
        self.values.is_empty()
            && self.words.is_empty()
            && self.star.is_none()
            && self.hash.is_none()
    }
}

impl<T> Default for TopicTrie<T> {
    fn default() -> Self {
        TopicTrie {
            root: Node::default(),
        }
    }
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    // An empty key is zero words, as in RabbitMQ ("" matches "#" only).
    s.split('.').filter({
        let empty = s.is_empty();
        move |_| !empty
    })
}

impl<T: PartialEq> TopicTrie<T> {
    /// Adds `value` under `pattern`; returns false if it was there already.
    pub fn insert(&mut self, pattern: &str, value: T) -> bool {
        let mut node = &mut self.root;
        for w in words(pattern) {
            node = match w {
                "*" => node.star.get_or_insert_with(Default::default),
                "#" => node.hash.get_or_insert_with(Default::default),
                w => node.words.entry(w.into()).or_default(),
            };
        }
        if node.values.contains(&value) {
            return false;
        }
        node.values.push(value);
        true
    }

    /// Removes `value` from `pattern`; returns whether it was there.
    pub fn remove(&mut self, pattern: &str, value: &T) -> bool {
        let ws: Vec<&str> = words(pattern).collect();
        remove_at(&mut self.root, &ws, value)
    }

    /// Removes every value matching `pred`, wherever bound.
    pub fn retain(&mut self, pred: &mut impl FnMut(&T) -> bool) {
        retain_node(&mut self.root, pred);
    }

    /// Calls `f` for every value whose pattern matches `key`. A value bound by several matching
    /// patterns is reported once per pattern, and may be reported more than once for one
    /// pattern with several `#`: callers deduplicate.
    pub fn for_each_match(&self, key: &str, f: &mut impl FnMut(&T)) {
        let ws: Vec<&str> = words(key).collect();
        let mut m = Matcher {
            ws: &ws,
            expanded: Default::default(),
        };
        m.run(&self.root, 0, f);
    }

    /// Whether nothing is bound.
    pub fn is_empty(&self) -> bool {
        self.root.is_empty()
    }
}

fn remove_at<T: PartialEq>(node: &mut Node<T>, ws: &[&str], value: &T) -> bool {
    let Some((first, rest)) = ws.split_first() else {
        let before = node.values.len();
        node.values.retain(|v| v != value);
        return node.values.len() != before;
    };
    let (removed, prune) = match *first {
        "*" => match node.star.as_deref_mut() {
            Some(child) => (remove_at(child, rest, value), child.is_empty()),
            None => (false, false),
        },
        "#" => match node.hash.as_deref_mut() {
            Some(child) => (remove_at(child, rest, value), child.is_empty()),
            None => (false, false),
        },
        w => match node.words.get_mut(w) {
            Some(child) => (remove_at(child, rest, value), child.is_empty()),
            None => (false, false),
        },
    };
    if prune {
        match *first {
            "*" => node.star = None,
            "#" => node.hash = None,
            w => {
                node.words.remove(w);
            }
        }
    }
    removed
}

fn retain_node<T>(node: &mut Node<T>, pred: &mut impl FnMut(&T) -> bool) {
    node.values.retain(|v| pred(v));
    node.words.retain(|_, child| {
        retain_node(child, pred);
        !child.is_empty()
    });
    for slot in [&mut node.star, &mut node.hash] {
        if let Some(child) = slot.as_deref_mut() {
            retain_node(child, pred);
            if child.is_empty() {
                *slot = None;
            }
        }
    }
}

/// Matching state: the key's words, and which (`#` node, position) pairs were expanded
/// already. Patterns with several `#` can reach the same state in many ways; expanding each
/// once keeps matching polynomial (without it, `#.#.#.#` against a long key is exponential).
struct Matcher<'a, 'k> {
    ws: &'a [&'k str],
    expanded: std::collections::HashSet<(usize, usize)>,
}

impl<'a, 'k> Matcher<'a, 'k> {
    fn run<T>(&mut self, node: &Node<T>, pos: usize, f: &mut impl FnMut(&T)) {
        if let Some(hash) = node.hash.as_deref() {
            // `#` swallows zero or more words.
            if self.expanded.insert((hash as *const Node<T> as usize, pos)) {
                for skip in pos..=self.ws.len() {
                    self.run(hash, skip, f);
                }
            }
        }
        match self.ws.get(pos) {
            None => node.values.iter().for_each(&mut *f),
            Some(word) => {
                if let Some(child) = node.words.get(*word) {
                    self.run(child, pos + 1, f);
                }
                if let Some(star) = node.star.as_deref() {
                    self.run(star, pos + 1, f);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, key: &str) -> bool {
        let mut t = TopicTrie::default();
        t.insert(pattern, 1);
        let mut hit = false;
        t.for_each_match(key, &mut |_| hit = true);
        hit
    }

    #[test]
    fn rabbitmq_topic_semantics() {
        assert!(matches("server1.#", "server1.user.profile.info"));
        assert!(matches("server1.#", "server1"));
        assert!(matches("#.error", "server2.billing.invoice.error"));
        assert!(matches("#.error", "error"));
        assert!(!matches("#.error", "server1.user.profile.info"));
        assert!(matches("*.user.*.info", "server1.user.profile.info"));
        assert!(!matches("*.user.*.info", "server1.user.profile.x.info"));
        assert!(matches("#", ""));
        assert!(matches("#", "a.b.c"));
        assert!(!matches("*", ""));
        assert!(matches("*", "a"));
        assert!(matches("a.#.b", "a.b"));
        assert!(matches("a.#.b", "a.x.y.b"));
        assert!(matches("#.#", "a"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
        assert!(matches("a..b", "a..b"));
    }

    #[test]
    fn remove_prunes() {
        let mut t = TopicTrie::default();
        assert!(t.insert("a.*.c", 1));
        assert!(!t.insert("a.*.c", 1));
        assert!(t.insert("a.#", 2));
        assert!(t.remove("a.*.c", &1));
        assert!(!t.remove("a.*.c", &1));
        t.retain(&mut |v| *v != 2);
        assert!(t.is_empty());
    }
}
