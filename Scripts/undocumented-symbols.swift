// Lists the public symbols of a module that have no doc comment, from the symbol graph files
// swiftc writes with -emit-symbol-graph, and exits 1 when there is any (0 when there is none,
// 2 on bad input). Run by Scripts/docs.sh (`make docs`) as a script:
//
//   swift Scripts/undocumented-symbols.swift SYMBOL_GRAPH_DIR MODULE [SOURCE_ROOT]
//
// A symbol counts when it is public or open and declared in the module's own source (it has a
// source location). Not counted, because nobody can write a doc comment for them:
//  - members the compiler synthesizes from another module's protocol extensions (their
//    precise identifier contains `::SYNTHESIZED::`, and they have no source location:
//    `OptionSet.insert(_:)`, `Equatable.!=`, `AsyncSequence.map(_:)`, …);
//  - implicit declarations (no source location: `init(rawValue:)` of a raw-value enum).
// Nor are members that implement a protocol requirement (or stand in for a protocol
// extension's member) without a comment of their own: the symbol graph names the requirement
// they implement (`sourceOrigin` on their `memberOf` relationship), and DocC documents them as
// "Inherited from `CustomStringConvertible.description`." with a link to it; `--verbose`
// lists them. Everything else needs a comment of its own; one made only of blank lines counts
// as missing.
//
// It is a script (not a package target) so that it needs nothing but the Swift toolchain, and
// stays out of the package's products.

import Foundation

struct SymbolGraph: Decodable {
    struct Symbol: Decodable {
        struct Kind: Decodable { let identifier: String }
        struct Identifier: Decodable { let precise: String }
        struct Location: Decodable {
            struct Position: Decodable { let line: Int; let character: Int }
            let uri: String
            let position: Position
        }
        struct DocComment: Decodable {
            struct Line: Decodable { let text: String }
            let module: String?
            let lines: [Line]
        }
        let kind: Kind
        let identifier: Identifier
        let pathComponents: [String]
        let accessLevel: String
        let location: Location?
        let docComment: DocComment?
    }
    struct Relationship: Decodable {
        struct Origin: Decodable { let displayName: String }
        let kind: String
        let source: String
        let sourceOrigin: Origin?
    }
    let symbols: [Symbol]
    let relationships: [Relationship]
}

struct Finding {
    let place: String
    let line: Int
    let name: String
    let kind: String
    var origin = ""
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("undocumented-symbols: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
let verbose = arguments.contains("--verbose")
arguments.removeAll { $0 == "--verbose" }
guard arguments.count == 2 || arguments.count == 3 else {
    fail("usage: swift undocumented-symbols.swift [--verbose] SYMBOL_GRAPH_DIR MODULE [SOURCE_ROOT]")
}
let directory = URL(fileURLWithPath: arguments[0], isDirectory: true)
let module = arguments[1]
let sourceRoot = arguments.count == 3
    ? URL(fileURLWithPath: arguments[2], isDirectory: true).standardizedFileURL.path + "/"
    : nil

// The module's own graph (MODULE.symbols.json) and its extension graphs
// (MODULE@Other.symbols.json: its extensions of other modules' types).
let files: [URL]
do {
    files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        .filter {
            let name = $0.lastPathComponent
            return name == "\(module).symbols.json"
                || (name.hasPrefix("\(module)@") && name.hasSuffix(".symbols.json"))
        }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
} catch {
    fail("cannot read \(directory.path): \(error.localizedDescription)")
}
guard files.contains(where: { $0.lastPathComponent == "\(module).symbols.json" }) else {
    fail("no \(module).symbols.json in \(directory.path)")
}

var checked = 0
var inherited: [Finding] = []
var missing: [Finding] = []
var seen = Set<String>()
for file in files {
    let graph: SymbolGraph
    do {
        graph = try JSONDecoder().decode(SymbolGraph.self, from: Data(contentsOf: file))
    } catch {
        fail("cannot decode \(file.lastPathComponent): \(error)")
    }
    var origins: [String: String] = [:]   // member -> the requirement it implements
    for relationship in graph.relationships where relationship.kind == "memberOf" {
        if let origin = relationship.sourceOrigin { origins[relationship.source] = origin.displayName }
    }
    for symbol in graph.symbols {
        guard symbol.accessLevel == "public" || symbol.accessLevel == "open",
              !symbol.identifier.precise.contains("::SYNTHESIZED::"),
              let location = symbol.location,
              seen.insert(symbol.identifier.precise).inserted
        else { continue }
        checked += 1
        var place = URL(string: location.uri)?.path ?? location.uri
        if let sourceRoot, place.hasPrefix(sourceRoot) { place.removeFirst(sourceRoot.count) }
        var finding = Finding(
            place: place, line: location.position.line + 1,
            name: symbol.pathComponents.joined(separator: "."), kind: symbol.kind.identifier)
        let text = symbol.docComment?.lines.map(\.text).joined(separator: "\n") ?? ""
        if !text.allSatisfy(\.isWhitespace) { continue }
        if let origin = origins[symbol.identifier.precise] {
            finding.origin = origin
            inherited.append(finding)
        } else {
            missing.append(finding)
        }
    }
}

let byPlace: (Finding, Finding) -> Bool = { ($0.place, $0.line, $0.name) < ($1.place, $1.line, $1.name) }
if verbose {
    for finding in inherited.sorted(by: byPlace) {
        print("\(finding.place):\(finding.line): \(finding.name) (\(finding.kind)) has no doc comment of its own; DocC shows \"Inherited from \(finding.origin).\"")
    }
}
for finding in missing.sorted(by: byPlace) {
    print("\(finding.place):\(finding.line): \(finding.name) (\(finding.kind)) has no doc comment")
}
print("\(module): \(checked) public symbols declared in its source, \(missing.count) without a doc comment"
    + (inherited.isEmpty ? "" : "; \(inherited.count) more implement a protocol requirement with none of their own, and DocC links them to it"))
exit(missing.isEmpty ? 0 : 1)
