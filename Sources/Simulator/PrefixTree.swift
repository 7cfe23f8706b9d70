// The prompt prefixes of a run's requests (a mooncake trace's hash ids), shared by the trace
// readers that add them and the engines and router that read them.

/// The prompt prefixes a run has seen, as a tree: a node is one block of a prompt that follows
/// its parent's blocks. Two requests share a node when their prompts agree up to its end.
///
/// The trace readers add nodes as they read rows (on the run's thread); engines read it.
public final class PrefixTree {
    /// By node: its parent (-1: a prompt's first block), how many nodes precede it on its path
    /// from the root, and the prompt tokens from the start through it.
    public private(set) var parent: [Int32] = []
    public private(set) var depth: [Int32] = []
    public private(set) var end: [Int32] = []
    /// Nodes by parent and hash id. Looked up while a trace row is read, never in the loop.
    var children: [Key: Int32] = [:]

    struct Key: Hashable {
        var parent: Int32
        var space: Int32
        var id: Int64
    }
    private var spaces: Int32 = 0

    public init() {}

    /// A key space for one trace's ids.
    public func newSpace() -> Int32 {
        spaces += 1
        return spaces - 1
    }

    public var count: Int { parent.count }

    /// Conversations numbered so far (`Conversations`), run-wide.
    public private(set) var sessions: Int32 = 0

    /// A new conversation's id.
    public func newSession() -> Int32 {
        sessions += 1
        return sessions - 1
    }

    /// A new node after `parent` (-1: a prompt's first block) covering `tokens` more tokens,
    /// which no other prompt names (a generated prompt's own part): never looked up.
    ///
    /// - Complexity: O(1) amortized.
    public func leaf(after parent: Int32, tokens: Int32) -> Int32 {
        let n = Int32(self.parent.count)
        self.parent.append(parent)
        depth.append(parent >= 0 ? depth[Int(parent)] + 1 : 0)
        end.append((parent >= 0 ? end[Int(parent)] : 0) + tokens)
        return n
    }

    /// The node for block `id` after `parent` (-1: a prompt's first block), covering `tokens`
    /// more tokens, added on first sight; `created` says whether it was.
    ///
    /// - Complexity: O(1) amortized.
    public func node(after parent: Int32, space: Int32, id: Int64, tokens: Int32, created: inout Bool) -> Int32 {
        let key = Key(parent: parent, space: space, id: id)
        if let n = children[key] {
            created = false
            return n
        }
        let n = Int32(self.parent.count)
        self.parent.append(parent)
        depth.append(parent >= 0 ? depth[Int(parent)] + 1 : 0)
        end.append((parent >= 0 ? end[Int(parent)] : 0) + tokens)
        children[key] = n
        created = true
        return n
    }
}
