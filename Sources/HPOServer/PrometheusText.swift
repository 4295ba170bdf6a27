import Foundation
import HPOCore
import HPORuntime

/// `/metrics` in the Prometheus text format (version 0.0.4).
enum PrometheusText {
    static func render(
        overviews: [StudyOverview], runtime: RuntimeMetrics.Snapshot, poolThreads: Int, poolBusy: Int,
        waitingStudies: Int, requests: [Int: Int]
    ) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ value: Double) { sample(name, [], value) }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let rendered = labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
            text += labels.isEmpty ? name : "\(name){\(rendered)}"
            text += " \(format(value))\n"
        }

        family("hpo_trials", "gauge", "Trials stored, by study and state.")
        for overview in overviews {
            for state in TrialState.allCases {
                sample(
                    "hpo_trials", [("study", overview.record.name), ("state", state.rawValue)],
                    Double(overview.counts[state] ?? 0))
            }
        }
        family("hpo_study_progress", "gauge", "Share of budget.n_trials used, by study (studies with a trial budget).")
        for overview in overviews {
            if let progress = overview.progress {
                sample("hpo_study_progress", [("study", overview.record.name)], progress)
            }
        }
        family("hpo_studies", "gauge", "Studies known to the daemon, by status.")
        var byStatus: [String: Int] = [:]
        for overview in overviews { byStatus[overview.run?.status.rawValue ?? "foreign", default: 0] += 1 }
        for (status, count) in byStatus.sorted(by: { $0.key < $1.key }) {
            sample("hpo_studies", [("status", status)], Double(count))
        }
        family(
            "hpo_trials_finished_total", "counter", "Trials finished through this daemon since it started, by state.")
        for state in TrialState.allCases where state.isFinished {
            sample(
                "hpo_trials_finished_total", [("state", state.rawValue)], Double(runtime.finishedByState[state] ?? 0))
        }
        family("hpo_trials_per_second", "gauge", "Trials finished per second over the last minute.")
        sample("hpo_trials_per_second", runtime.trialsPerSecond)
        family("hpo_ask_duration_seconds", "histogram", "Time to start a trial: sampler and storage.")
        for (index, bound) in RuntimeMetrics.askBuckets.enumerated() {
            sample("hpo_ask_duration_seconds_bucket", [("le", format(bound))], Double(runtime.askCumulative[index]))
        }
        sample("hpo_ask_duration_seconds_bucket", [("le", "+Inf")], Double(runtime.askCumulative.last ?? 0))
        sample("hpo_ask_duration_seconds_sum", runtime.askSum)
        sample("hpo_ask_duration_seconds_count", Double(runtime.askTotal))
        family("hpo_pool_threads", "gauge", "Trainer threads shared by all studies.")
        sample("hpo_pool_threads", Double(poolThreads))
        family("hpo_pool_busy_threads", "gauge", "Trainer threads running a trial now.")
        sample("hpo_pool_busy_threads", Double(poolBusy))
        family("hpo_pool_utilisation", "gauge", "Busy trainer threads over all trainer threads, in [0, 1].")
        sample("hpo_pool_utilisation", poolThreads > 0 ? Double(poolBusy) / Double(poolThreads) : 0)
        family("hpo_pool_waiting_studies", "gauge", "Studies waiting for a trainer thread.")
        sample("hpo_pool_waiting_studies", Double(waitingStudies))
        family("hpo_http_responses_total", "counter", "HTTP answers since the daemon started, by status code.")
        for (code, count) in requests.sorted(by: { $0.key < $1.key }) {
            sample("hpo_http_responses_total", [("code", "\(code)")], Double(count))
        }
        family("hpo_uptime_seconds", "gauge", "Seconds since the daemon started.")
        sample("hpo_uptime_seconds", runtime.uptime)
        return text
    }

    static func escape(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
