// A certificate's metadata: ordered name/value pairs with unique names.
//
// Ordered, because a certificate file is meant to be read and compared by eye: what was
// loaded is saved back in the same order, and what a program sets is written in the order it
// set it (a dictionary would shuffle the lines on every save). Unique, because pyzmq writes
// metadata from a dictionary and czmq keeps it in a hash table, so neither can write the same
// name twice, and a file that does is ambiguous. It reads like a dictionary (a literal,
// a subscript by name) and iterates like an array of pairs.

extension CurveCertificate {
    /// A certificate's metadata: name/value pairs, in order, each name at most once.
    ///
    /// Metadata describes the key's owner, such as an email address or a host name. It is
    /// public: it is saved in the public certificate file as well as the secret one.
    ///
    /// ```swift
    /// var metadata: CurveCertificate.Metadata = ["email": "ops@example.com", "host": "db1"]
    /// metadata["host"] = "db2"          // replaces the value, in place
    /// metadata["role"] = "primary"      // appends
    /// for (name, value) in metadata { print(name, value) }
    /// ```
    ///
    /// The order is kept: a file's metadata is saved back in the order it was read. Two
    /// metadata values are equal when they hold the same pairs in the same order.
    ///
    /// Names in a certificate file are ZPL names: letters, digits and `$-_@.&+/`. Values are
    /// text on one line, which may contain one kind of quote but not both. Metadata that
    /// breaks these rules can be held in memory, but saving it fails with
    /// ``CertificateError/Kind/invalidMetadata(_:)``.
    ///
    /// Metadata is a value and is safe to share between threads.
    public struct Metadata: Hashable, Sendable, RandomAccessCollection, ExpressibleByDictionaryLiteral,
        CustomStringConvertible
    {
        /// One name/value pair.
        public typealias Element = (name: String, value: String)

        private struct Entry: Hashable, Sendable {
            var name: String
            var value: String
        }

        private var entries: [Entry] = []

        /// Creates empty metadata.
        public init() {}

        /// Creates metadata from name/value pairs, in their order.
        ///
        /// - Parameter pairs: The pairs. When a name appears more than once, its last value
        ///   is kept, at the position of its first appearance.
        public init(_ pairs: some Sequence<(String, String)>) {
            // Positions by name, so that this takes linear time, however many pairs.
            var positions: [String: Int] = [:]
            for (name, value) in pairs {
                if let position = positions[name] {
                    entries[position].value = value
                } else {
                    positions[name] = entries.count
                    entries.append(Entry(name: name, value: value))
                }
            }
        }

        /// Creates metadata from a dictionary literal, in the literal's order.
        ///
        /// - Parameter elements: The pairs. When a name appears more than once, its last
        ///   value is kept, at the position of its first appearance.
        public init(dictionaryLiteral elements: (String, String)...) {
            self.init(elements)
        }

        /// The value for a name, or `nil` if there is none.
        ///
        /// Setting a value replaces an existing one in place, or appends the pair; setting
        /// `nil` removes the pair.
        ///
        /// - Parameter name: The name.
        public subscript(name: String) -> String? {
            get { entries.first { $0.name == name }?.value }
            set {
                let index = entries.firstIndex { $0.name == name }
                switch (index, newValue) {
                case let (index?, value?): entries[index].value = value
                case let (index?, nil): entries.remove(at: index)
                case let (nil, value?): entries.append(Entry(name: name, value: value))
                case (nil, nil): break
                }
            }
        }

        /// The names, in order.
        public var names: [String] { entries.map(\.name) }

        /// The position of the first pair.
        public var startIndex: Int { entries.startIndex }

        /// The position after the last pair.
        public var endIndex: Int { entries.endIndex }

        /// The pair at a position.
        ///
        /// - Parameter position: A valid position, from ``startIndex`` up to, but not
        ///   including, ``endIndex``.
        public subscript(position: Int) -> Element {
            let entry = entries[position]
            return (entry.name, entry.value)
        }

        /// The pairs as a dictionary literal, such as `["email": "ops@example.com"]`.
        public var description: String {
            if entries.isEmpty { return "[:]" }
            return "[" + entries.map { "\($0.name.debugDescription): \($0.value.debugDescription)" }
                .joined(separator: ", ") + "]"
        }
    }
}
