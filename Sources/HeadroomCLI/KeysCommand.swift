import Foundation
import Runtime

/// `headroom keys add CALLER --targets a,b [--versions v,w] --file KEYS.json`.
enum KeysCommand {
    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        guard arguments.first == "add" else {
            throw UsageError(message: arguments.isEmpty ? "Missing subcommand 'add'" : "Unknown subcommand '\(arguments[0])' (did you mean 'add'?)",
                             usage: Help.keys.usage, subcommand: "keys")
        }
        var caller: String?, targets: [String]?, versions: [String]?, file: String?
        var k = 1
        func value(_ option: String) throws -> String {
            k += 1
            guard k < arguments.count else { throw UsageError(message: "Missing value for '\(option)'", usage: Help.keys.usage, subcommand: "keys") }
            return arguments[k]
        }
        func list(_ text: String) -> [String] { text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        while k < arguments.count {
            let a = arguments[k]
            switch a {
            case "--targets": targets = list(try value(a))
            case "--versions": versions = list(try value(a))
            case "--file": file = try value(a)
            default:
                if a.hasPrefix("-") {
                    throw UsageError(message: "Unknown option '\(a)'" + Headroom.suggestion(a, ["--targets", "--versions", "--file"]), usage: Help.keys.usage, subcommand: "keys")
                }
                guard caller == nil else { throw UsageError(message: "Expected one caller name, got '\(caller!)' and '\(a)'", usage: Help.keys.usage, subcommand: "keys") }
                caller = a
            }
            k += 1
        }
        guard let caller, !caller.isEmpty else { throw UsageError(message: "Missing expected argument '<caller>'", usage: Help.keys.usage, subcommand: "keys") }
        guard let targets, !targets.isEmpty else { throw UsageError(message: "Missing '--targets' (target names, comma-separated, or '*')", usage: Help.keys.usage, subcommand: "keys") }
        guard let file else { throw UsageError(message: "Missing '--file' (the keys file to add to)", usage: Help.keys.usage, subcommand: "keys") }
        let key = try AccessKeys.add(caller: caller, targets: targets, versions: versions, file: file)
        out.write(key + "\n")
        return 0
    }
}
