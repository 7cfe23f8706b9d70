import Foundation
import Scenario
import Glibc
import Simulator

/// Writes a run's report files whole or not at all.
///
/// Every file is first written into a staging folder inside the output folder. The commit
/// then moves the files it replaces (and stale report files of earlier runs) aside into a
/// backup folder, moves the new ones in, and drops the backup; if any move fails part-way,
/// what was moved is moved back, so the folder holds exactly what it held before. A rename
/// within one file system is atomic. Staging and backup folders of runs that died (killed,
/// crashed) are removed by the next run in the same folder; an interrupted run removes its
/// own (`discard`, also from a signal handler).
public final class ReportStaging: @unchecked Sendable {
    public let directory: String
    public let stagingDirectory: String
    private let backupDirectory: String
    private var files: [String] = []
    private var committed = false
    /// Held while committing or discarding: a signal handler's `discard` waits for a commit
    /// under way to end rather than removing files from under it.
    private let lock = NSLock()
    /// The rename used by the commit (tests make it fail part-way).
    var rename: (String, String) -> Int32 = { Glibc.rename($0, $1) }

    static let stagingPrefix = ".headroom-staging-"
    static let backupPrefix = ".headroom-old-"

    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw SimulationError.io("cannot write reports to \(directory): it is a file, not a folder")
        }
        if let why = FileSystem.create(directory) {
            throw SimulationError.io("cannot create the output folder \(directory): \(why)")
        }
        Self.removeStale(in: directory)
        stagingDirectory = directory + "/" + Self.stagingPrefix + "\(getpid())"
        backupDirectory = directory + "/" + Self.backupPrefix + "\(getpid())"
        try? fm.removeItem(atPath: stagingDirectory)
        if let why = FileSystem.createOne(stagingDirectory) {
            throw SimulationError.io("cannot write to the output folder \(directory): \(why)")
        }
    }

    deinit { if !committed { discard() } }

    /// Removes the staging and backup folders that runs no longer alive left in `directory`.
    static func removeStale(in directory: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in entries {
            let prefix = name.hasPrefix(stagingPrefix) ? stagingPrefix : name.hasPrefix(backupPrefix) ? backupPrefix : nil
            guard let prefix, let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            // kill(pid, 0) fails with ESRCH when no such process exists.
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
        }
    }

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
    /// not produce (so a folder never mixes two runs), all or nothing. Returns the final paths.
    @discardableResult
    public func commit(removing stale: [String] = []) throws -> [String] {
        lock.lock()
        defer { lock.unlock() }
        let fm = FileManager.default
        var aside: [String] = []
        var placed: [String] = []
        /// Puts the folder back as it was, and says why the commit failed.
        func undo(_ what: String) -> Error {
            let why = String(cString: strerror(errno))
            for name in placed.reversed() { _ = Glibc.rename(directory + "/" + name, stagingDirectory + "/" + name) }
            for name in aside.reversed() { _ = Glibc.rename(backupDirectory + "/" + name, directory + "/" + name) }
            try? fm.removeItem(atPath: backupDirectory)
            return SimulationError.io("cannot \(what) in \(directory): \(why); the folder is left as it was")
        }
        try? fm.removeItem(atPath: backupDirectory)
        guard mkdir(backupDirectory, 0o755) == 0 else {
            throw SimulationError.io("cannot write to the output folder \(directory): \(String(cString: strerror(errno)))")
        }
        var replaced = files
        for name in stale where !files.contains(name) { replaced.append(name) }
        for name in replaced where fm.fileExists(atPath: directory + "/" + name) {
            guard rename(directory + "/" + name, backupDirectory + "/" + name) == 0 else { throw undo("move the earlier \(name) aside") }
            aside.append(name)
        }
        for name in files {
            guard rename(stagingDirectory + "/" + name, directory + "/" + name) == 0 else { throw undo("move \(name) into place") }
            placed.append(name)
        }
        committed = true
        try? fm.removeItem(atPath: backupDirectory)
        try? fm.removeItem(atPath: stagingDirectory)
        return files.map { directory + "/" + $0 }
    }

    /// Removes the staging folder and anything in it (nothing, once committed).
    public func discard() {
        lock.lock()
        defer { lock.unlock() }
        guard !committed else { return }
        try? FileManager.default.removeItem(atPath: stagingDirectory)
    }
}

/// The standard set of report files of a run.
public enum ReportFiles {
    public static let all = ["summary.csv", "targets.csv", "callers.csv", "versions.csv", "timeseries.csv", "contention.csv", "requests.csv",
                             "report.html", "manifest.json"]

    /// Writes summary, targets, timeseries (and requests when logged) through the staging.
    public static func write(_ run: RunResult, staging: ReportStaging, interval: Double, manifest: Manifest? = nil) throws -> [String] {
        try staging.write("summary.csv", CSVReports.summary(run))
        try staging.write("targets.csv", CSVReports.targets(run))
        try staging.write("callers.csv", CSVReports.callers(run))
        if run.plans.contains(where: { !$0.perModel.isEmpty }) { try staging.write("versions.csv", CSVReports.versions(run)) }
        if interval > 0 { try staging.write("timeseries.csv", CSVReports.timeseries(run)) }
        if ContentionReport.applies(run) { try staging.write("contention.csv", ContentionReport.csv(run)) }
        try staging.write("report.html", HTMLReport.run(run, gates: Gates.evaluate(run), manifest: manifest))
        if let manifest { try staging.write("manifest.json", manifest.json) }
        if !run.requestLogs.isEmpty {
            try staging.concatenate("requests.csv", header: CSVReports.requestColumns.joined(separator: ",") + (run.reportsTokens ? "," + CSVReports.requestEngineColumns.joined(separator: ",") : "") + "\n", parts: run.requestLogs)
        }
        return try staging.commit(removing: all)
    }
}
