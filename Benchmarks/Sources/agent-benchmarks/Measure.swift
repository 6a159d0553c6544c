import Foundation

/// Timing helpers: wall-clock durations, medians and percentiles, printed plainly.
enum Measure {
    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }

    /// CPU time (user + system) a process has used so far, in seconds (/proc/PID/stat).
    static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ")
        else { return .nan }
        // Fields after the command name start at field 3; utime and stime are fields 14 and 15.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory of a process, in MiB (`VmRSS` of /proc/PID/status).
    static func residentMiB(pid: Int32, field: String = "VmRSS:") -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return .nan }
        return kib / 1024
    }
}

/// One line of the report: a figure, its baseline, and the goal.
struct ReportLine {
    let name: String
    let value: String
    let baseline: String
    let ratio: String
    let goal: String
    let met: Bool?

    static func printTable(_ lines: [ReportLine]) {
        print("| figure | agent | baseline | ratio | goal | met |")
        print("|---|---|---|---|---|---|")
        for line in lines {
            print("| \(line.name) | \(line.value) | \(line.baseline) | \(line.ratio) | \(line.goal) | \(line.met.map { $0 ? "yes" : "NO" } ?? "–") |")
        }
    }
}
