import Foundation
import Simulator

/// Writes a run's report files whole or not at all.
///
/// Every file is first written into a staging folder inside the output folder; only when all
/// of them are complete are they renamed into place (a rename within one file system is
/// atomic). On any error the staging folder is removed and the output folder is untouched.
public final class ReportStaging {
    public let directory: String
    public let stagingDirectory: String
    private var files: [String] = []
    private var committed = false

    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw SimulationError.io("cannot write reports to \(directory): it is a file, not a folder")
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SimulationError.io("cannot create the output folder \(directory): \(error.localizedDescription)")
        }
        stagingDirectory = directory + "/.headroom-staging-\(getpid())"
        try? fm.removeItem(atPath: stagingDirectory)
        do {
            try fm.createDirectory(atPath: stagingDirectory, withIntermediateDirectories: false)
        } catch {
            throw SimulationError.io("cannot write to the output folder \(directory): \(error.localizedDescription)")
        }
    }

    deinit { if !committed { discard() } }

    /// Stages a file with the given text.
    public func write(_ name: String, _ text: String) throws {
        let path = stagingDirectory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw SimulationError.io("cannot write \(path)")
        }
        files.append(name)
    }

    /// Stages a file made by concatenating a header and other staged part files (which are removed).
    public func concatenate(_ name: String, header: String, parts: [String]) throws {
        let path = stagingDirectory + "/" + name
        guard let out = fopen(path, "wb") else { throw SimulationError.io("cannot write \(path)") }
        defer { fclose(out) }
        _ = header.withCString { fputs($0, out) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for part in parts {
            guard let input = fopen(part, "rb") else { throw SimulationError.io("cannot read \(part)") }
            while true {
                let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, input) }
                if n == 0 { break }
                let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, n, out) }
                if written != n { fclose(input); throw SimulationError.io("cannot write \(path)") }
            }
            fclose(input)
            unlink(part)
        }
        guard fflush(out) == 0 else { throw SimulationError.io("cannot write \(path)") }
        files.append(name)
    }

    /// Moves every staged file into the output folder and removes `stale` files this run did
    /// not produce (so a folder never mixes two runs). Returns the final paths.
    @discardableResult
    public func commit(removing stale: [String] = []) throws -> [String] {
        var paths: [String] = []
        for name in files {
            let target = directory + "/" + name
            guard rename(stagingDirectory + "/" + name, target) == 0 else {
                throw SimulationError.io("cannot move \(name) into \(directory): \(String(cString: strerror(errno)))")
            }
            paths.append(target)
        }
        for name in stale where !files.contains(name) { unlink(directory + "/" + name) }
        committed = true
        discard()
        return paths
    }

    /// Removes the staging folder and anything in it.
    public func discard() {
        try? FileManager.default.removeItem(atPath: stagingDirectory)
    }
}

/// The standard set of report files of a run.
public enum ReportFiles {
    public static let all = ["summary.csv", "targets.csv", "callers.csv", "versions.csv", "timeseries.csv", "requests.csv", "report.html",
                             "manifest.json"]

    /// Writes summary, targets, timeseries (and requests when logged) through the staging.
    public static func write(_ run: RunResult, staging: ReportStaging, interval: Double, manifest: Manifest? = nil) throws -> [String] {
        try staging.write("summary.csv", CSVReports.summary(run))
        try staging.write("targets.csv", CSVReports.targets(run))
        try staging.write("callers.csv", CSVReports.callers(run))
        if run.plans.contains(where: { !$0.perModel.isEmpty }) { try staging.write("versions.csv", CSVReports.versions(run)) }
        if interval > 0 { try staging.write("timeseries.csv", CSVReports.timeseries(run)) }
        try staging.write("report.html", HTMLReport.run(run, gates: Gates.evaluate(run), manifest: manifest))
        if let manifest { try staging.write("manifest.json", manifest.json) }
        if !run.requestLogs.isEmpty {
            try staging.concatenate("requests.csv", header: CSVReports.requestColumns.joined(separator: ",") + "\n", parts: run.requestLogs)
        }
        return try staging.commit(removing: all)
    }
}
